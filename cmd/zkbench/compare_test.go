package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"zkbench/results"
)

// writeCompareRuns writes one run per setData p99 given (µs), as a run
// folder for one and as a folder of repeated runs for more, and returns
// the folder. Throughput and the other latencies stay the same.
func writeCompareRuns(t *testing.T, setDataP99 ...int64) string {
	t.Helper()
	dir := t.TempDir()
	for i, p99 := range setDataP99 {
		r := &results.Result{Profile: "quick", Target: "embedded",
			Ops: []results.OpStats{{Op: "setData", Count: 30000, ThroughputOpsS: 1000,
				Latency: results.Percentiles{P50: p99 / 4, P90: p99 / 2, P99: p99, P999: p99 + p99/2, Max: 2 * p99}}},
			Total: results.Total{Count: 30000, ThroughputOpsS: 1000},
		}
		runDir := dir
		if len(setDataP99) > 1 {
			runDir = filepath.Join(dir, "run-"+strconv.Itoa(i+1))
		}
		if err := os.MkdirAll(runDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteFile(filepath.Join(runDir, results.ResultFile)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCompareExitCodes(t *testing.T) {
	base := writeCompareRuns(t, 2000, 2040, 1960, 2020, 1980)
	tests := []struct {
		name     string
		cand     string
		flags    []string
		wantCode int
		wantOut  string
	}{
		{"identical repeats", writeCompareRuns(t, 2000, 2040, 1960, 2020, 1980), nil, 0, "ok: no metric regressed beyond 10%"},
		{"p99 30% higher", writeCompareRuns(t, 2600, 2652, 2548, 2626, 2574), nil, 1, "setData.p99"},
		{"p99 30% higher, 50% allowed", writeCompareRuns(t, 2600, 2652, 2548, 2626, 2574), []string{"--max-regression", "50%"}, 0, "worse, within 50%"},
		{"noise within the threshold", writeCompareRuns(t, 2060, 2020, 2080, 2040, 2000), nil, 0, "ok:"},
		{"p99 30% lower", writeCompareRuns(t, 1400, 1428, 1372, 1414, 1386), nil, 0, "improved"},
		{"only throughput asked", writeCompareRuns(t, 2600, 2652, 2548, 2626, 2574), []string{"--metric", "throughput"}, 0, "ok:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"compare", base, tt.cand}, tt.flags...)...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Errorf("exit %d, want %d; want %q in stdout:\n%s\nstderr: %s", code, tt.wantCode, tt.wantOut, out, errOut)
			}
			if code == 1 && (strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "regressed beyond 10%: setData.p99")) {
				t.Errorf("stderr %q, want one line naming the regressed metric", errOut)
			}
		})
	}
}

// With one run a side there is no test: the threshold alone finds a
// regression, and the output says so. Anything else is inconclusive:
// one run a side says nothing of the noise a change has to stand out of.
func TestCompareSingleRuns(t *testing.T) {
	base := writeCompareRuns(t, 2000)
	tests := []struct {
		name     string
		cand     string
		wantCode int
	}{
		{"9% worse", writeCompareRuns(t, 2180), exitInconclusive},
		{"11% worse", writeCompareRuns(t, 2220), exitProblem},
		{"better", writeCompareRuns(t, 1000), exitInconclusive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "compare", filepath.Join(base, results.ResultFile), tt.cand)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out, "n=1, no significance test") {
				t.Errorf("output does not say there was no test:\n%s", out)
			}
		})
	}
}

func TestCompareFormats(t *testing.T) {
	base := writeCompareRuns(t, 2000, 2040, 1960, 2020, 1980)
	cand := writeCompareRuns(t, 2600, 2652, 2548, 2626, 2574)

	code, out, _ := runCLI(t, "compare", "--format", "json", base, cand)
	var rep struct {
		Regressed bool `json:"regressed"`
		Metrics   []struct {
			Metric  string `json:"metric"`
			Verdict string `json:"verdict"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json output does not parse: %v\n%s", err, out)
	}
	if code != 1 || !rep.Regressed || len(rep.Metrics) != 3 || rep.Metrics[1].Metric != "setData.p99" || rep.Metrics[1].Verdict != "regressed" {
		t.Errorf("exit %d, json %+v", code, rep)
	}

	code, out, _ = runCLI(t, "compare", "--format", "markdown", "--metric", "p50,p99.9", base, cand)
	lines := strings.Split(out, "\n")
	var table []string
	for _, l := range lines {
		if strings.HasPrefix(l, "| ") || strings.HasPrefix(l, "|---") {
			table = append(table, l)
		}
	}
	if code != 1 || len(table) != 4 || table[1] != "|---|--:|--:|--:|---|---|" ||
		!strings.HasPrefix(table[2], "| setData.p50 |") || !strings.HasPrefix(table[3], "| setData.p999 |") {
		t.Errorf("exit %d, markdown table %q in:\n%s", code, table, out)
	}
}

func TestCompareBadInput(t *testing.T) {
	good := writeCompareRuns(t, 2000, 2040, 1960, 2020, 1980)
	missing := filepath.Join(good, "nope")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"missing candidate", []string{good, missing}, "candidate " + missing + ": no such file or folder"},
		{"missing baseline file", []string{filepath.Join(missing, "result.json"), good}, "baseline " + missing},
		{"unknown metric", []string{"--metric", "p99,p42", good, good}, `unknown metric "p42"`},
		{"op in no run", []string{"--metric", "getData.p99", good, good}, "metric getData.p99: no op getData"},
		{"malformed threshold", []string{"--max-regression", "ten%", good, good}, `--max-regression "ten%" is not a percentage such as 10%`},
		{"threshold without %", []string{"--max-regression", "10", good, good}, `--max-regression "10" is not a percentage`},
		{"unknown format", []string{"--format", "html", good, good}, `--format "html": want text, json, markdown or headline`},
		{"one argument, not a sweep", []string{good}, "want BASELINE and CANDIDATE, or one sweep of two combinations"},
		{"three arguments", []string{good, good, good}, "got 3 arguments"},
		{"unknown flag", []string{"--alpha", "0.01", good, good}, "unknown flag: --alpha"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"compare"}, tt.args...)...)
			if code != 2 || !strings.Contains(errOut, tt.wantErr) || strings.Count(errOut, "\n") != 1 || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", code, out, errOut, tt.wantErr)
			}
		})
	}
}

// One sweep of two combinations compares them: the first is the baseline.
func TestCompareSweepSides(t *testing.T) {
	sweep := func(t *testing.T, p99s ...[]int64) string {
		dir := t.TempDir()
		sw := &results.Sweep{Vary: []string{"dataDir"}, Repeat: len(p99s[0])}
		for i, side := range p99s {
			value := "/mnt/" + string(rune('a'+i))
			runs := writeCompareRuns(t, side...)
			entries, _ := os.ReadDir(runs)
			for rep, e := range entries {
				name := strconv.Itoa(i) + "-" + e.Name()
				if err := os.Rename(filepath.Join(runs, e.Name()), filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
				sw.Runs = append(sw.Runs, results.SweepRun{Dir: name, Values: map[string]string{"dataDir": value}, Repeat: rep + 1})
			}
		}
		if err := sw.WriteFile(filepath.Join(dir, results.SweepFile)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	same := []int64{2000, 2040, 1960, 2020, 1980}
	worse := []int64{2600, 2652, 2548, 2626, 2574}
	tests := []struct {
		name     string
		dir      string
		wantCode int
		want     string
	}{
		{"same", sweep(t, same, same), 0, "candidate: "},
		{"second mount 30% slower", sweep(t, same, worse), 1, "setData.p99"},
		{"three combinations", sweep(t, same, same, same), 2, "a sweep of 3 combinations; comparing one sweep needs two"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "compare", tt.dir)
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d, want %d; want %q in:\n%s%s", code, tt.wantCode, tt.want, out, errOut)
			}
			if code != 2 && !strings.Contains(out, "baseline:  "+filepath.Join(tt.dir, "dataDir=/mnt/a")) {
				t.Errorf("the baseline is not the first combination:\n%s", out)
			}
		})
	}
}

// rewriteRuns applies f to every result.json under dir.
func rewriteRuns(t *testing.T, dir string, f func(*results.Result)) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*", results.ResultFile))
	for _, file := range files {
		r, err := results.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		f(r)
		if err := r.WriteFile(file); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Runs of another experiment are refused (exit 2, one line naming every
// key that differs) unless --force; the sides say which runs they hold;
// runs too few for their noise give exit 3 and say so.
func TestCompareVerdicts(t *testing.T) {
	base := writeCompareRuns(t, 2000, 2040, 1960, 2020, 1980, 2010)
	writeOnly := func(r *results.Result) {
		r.Config.Workload, r.Config.Clients = "write", 32
		r.Config.Other = map[string]any{"mix": "setData:100"}
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // in stdout and stderr
	}{
		{"another workload", []string{base, rewriteRuns(t, writeCompareRuns(t, 2000, 2040, 1960, 2020, 1980, 2010), writeOnly)}, exitUsage,
			[]string{"not comparable: baseline and candidate differ in workload (unset vs write), mix (unset vs setData:100), clients (0 vs 32) (--force compares them anyway)"}},
		{"another workload, --force", []string{"--force", base, rewriteRuns(t, writeCompareRuns(t, 2000, 2040, 1960, 2020, 1980, 2010), writeOnly)}, exitOK,
			[]string{"note: compared with --force: baseline and candidate differ in workload"}},
		{"the sides' runs listed", []string{base, writeCompareRuns(t, 2000, 2040, 1960, 2020, 1980, 2010)}, exitOK,
			[]string{"(6 runs: run-1, run-2, run-3, run-4, run-5, run-6)\n", "ok: no metric regressed beyond 10%"}},
		{"3 runs, noise ±12%", []string{writeCompareRuns(t, 2000, 2240, 1760), writeCompareRuns(t, 2000, 2240, 1760)}, exitInconclusive,
			[]string{"setData.p99", "inconclusive, noise ±12%", "zkbench compare: inconclusive: 3 runs per side, noise ±12% (setData.p99, setData.p999): a 10% regression would not show; about 24 runs per side would show one\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"compare"}, tt.args...)...)
			for _, w := range tt.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("no %q in:\n%s%s", w, out, errOut)
				}
			}
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			if code == exitUsage {
				oneLine(t, errOut)
			}
		})
	}
}
