package compare

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"zkbench/results"
)

// regressedReport compares five runs with five whose setData p99 is 30%
// higher, and one run with one.
func regressedReport(t *testing.T, runs int) *Report {
	t.Helper()
	base, cand := fakeRuns(10000, 2000)[:runs], fakeRuns(10000, 2600)[:runs]
	rep, err := compareDirs(t, writeRuns(t, base), writeRuns(t, cand), Options{MaxRegression: 0.1, Metrics: []string{"throughput", "setData.p99"}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

var testColumn = regexp.MustCompile(`[pn]=`)

func TestWriteText(t *testing.T) {
	tests := []struct {
		runs int
		want []string // with runs of blanks as one
	}{
		{5, []string{
			"(5 runs: run-1, run-2, run-3, run-4, run-5)",
			"\nsetData.p99 2.00 ms ± ∞ 2.60 ms ± ∞ +30.0% p=0.008 n=5 REGRESSED, beyond 10%\n",
			"\nnote: need >= 6 samples for confidence interval at level 0.95\n",
			"\nFAIL: 1 of 2 metrics regressed beyond 10%: setData.p99\n",
		}},
		{1, []string{
			"(1 run)",
			"\nsetData.p99 2.00 ms 2.60 ms +30.0% n=1, no significance test REGRESSED, beyond 10%\n",
			"by the threshold alone where there are too few runs for the test",
		}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := regressedReport(t, tt.runs).WriteText(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		collapsed := regexp.MustCompile(` +`).ReplaceAllString(out, " ")
		for _, want := range tt.want {
			if !strings.Contains(collapsed, want) {
				t.Errorf("n=%d: no %q in\n%s", tt.runs, want, out)
			}
		}
		// The TEST column ("p=…" or "n=…") starts at the same place on
		// every line of the table.
		table := strings.Split(out, "\n")[3:6]
		col := strings.Index(table[0], "TEST")
		for _, l := range table[1:] {
			i := testColumn.FindStringIndex(l)[0]
			if utf8.RuneCountInString(l[:i]) != col {
				t.Errorf("n=%d: misaligned:\n%s", tt.runs, strings.Join(table, "\n"))
			}
		}
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := regressedReport(t, 5).WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	var table []string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "|") {
			table = append(table, line)
		}
	}
	want := []string{
		"| metric | baseline | candidate | change | test | verdict |",
		"|---|--:|--:|--:|---|---|",
		"| throughput | 10000 ops/s ± ∞ | 10000 ops/s ± ∞ | 0% | p=1.000 n=5 | unchanged |",
		"| setData.p99 | 2.00 ms ± ∞ | 2.60 ms ± ∞ | +30.0% | p=0.008 n=5 | REGRESSED, beyond 10% |",
	}
	if strings.Join(table, "\n") != strings.Join(want, "\n") {
		t.Errorf("table\n%s\nwant\n%s", strings.Join(table, "\n"), strings.Join(want, "\n"))
	}
	if !strings.HasPrefix(b.String(), "**FAIL: 1 of 2 metrics regressed") {
		t.Errorf("does not begin with the outcome:\n%s", b.String())
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := regressedReport(t, 1).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Regressed        bool    `json:"regressed"`
		MaxRegressionPct float64 `json:"max_regression_pct"`
		Baseline         struct {
			Runs []string `json:"runs"`
		} `json:"baseline"`
		Metrics []struct {
			Metric    string   `json:"metric"`
			Better    string   `json:"better"`
			ChangePct *float64 `json:"change_pct"`
			P         *float64 `json:"p"`
			Test      string   `json:"test"`
			Verdict   string   `json:"verdict"`
			Baseline  struct {
				N      int       `json:"n"`
				Median float64   `json:"median"`
				CIHi   *float64  `json:"ci_hi"`
				Values []float64 `json:"values"`
			} `json:"baseline"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, b.String())
	}
	if !got.Regressed || got.MaxRegressionPct != 10 || len(got.Baseline.Runs) != 1 || len(got.Metrics) != 2 {
		t.Fatalf("parsed %+v", got)
	}
	m := got.Metrics[1]
	if m.Metric != "setData.p99" || m.Better != "lower" || m.Verdict != "regressed" ||
		m.ChangePct == nil || *m.ChangePct < 29.99 || *m.ChangePct > 30.01 ||
		m.P != nil || m.Test != "n=1, no significance test" ||
		m.Baseline.N != 1 || m.Baseline.Median != 2000 || m.Baseline.CIHi != nil {
		t.Errorf("setData.p99: %+v", m)
	}
}

// The inconclusive line says what would decide, or that nothing would.
func TestUndecided(t *testing.T) {
	noisy := []*results.Result{fakeRun(10000, 2000), fakeRun(11200, 2000), fakeRun(8800, 2000)}
	tests := []struct {
		name string
		base []*results.Result
		max  float64
		want string
	}{
		{"noise ±12%", noisy, 0.1, "3 runs per side, noise ±12% (throughput): a 10% regression would not show; about 24 runs per side would show one"},
		{"one run", noisy[:1], 0.1, "1 run per side, too few to measure the noise (throughput): a 10% regression would not show; repeat the runs, at least 6 per side"},
		{"no regression allowed", noisy, 0, "3 runs per side, noise ±12% (throughput): with --max-regression 0% any noise hides a regression; allow some"},
	}
	for _, tt := range tests {
		dir := writeRuns(t, tt.base)
		rep, err := compareDirs(t, dir, dir, Options{Metrics: []string{"throughput"}, MaxRegression: tt.max})
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Conclusion(); !rep.Inconclusive() || got != tt.want {
			t.Errorf("%s: inconclusive %v, %q\nwant %q", tt.name, rep.Inconclusive(), got, tt.want)
		}
	}
}
