package compare

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"zkbench/results"
)

// fakeRun is a synthetic result of a mixed workload: a setData and a
// getData op and a three-member ensemble, with setData's p99 and the
// total throughput given and the rest derived from them.
func fakeRun(throughput float64, setDataP99 int64) *results.Result {
	lat := func(p99 int64) results.Percentiles {
		return results.Percentiles{Min: p99 / 10, Mean: float64(p99) / 4, P50: p99 / 4, P90: p99 / 2,
			P99: p99, P999: 2 * p99, Max: 4 * p99}
	}
	r := &results.Result{Profile: "quick", Target: "embedded",
		Config: results.Config{Workload: "mixed", Clients: 16, Other: map[string]any{"mix": "getData:90,setData:10"}},
		Ops: []results.OpStats{
			{Op: "setData", Count: int64(throughput * 3), ThroughputOpsS: throughput / 10, Latency: lat(setDataP99)},
			{Op: "getData", Count: int64(throughput * 27), ThroughputOpsS: throughput * 9 / 10, Latency: lat(300)},
		},
		Total: results.Total{Count: int64(throughput * 30), ThroughputOpsS: throughput},
	}
	for id := 1; id <= 3; id++ {
		r.Servers = append(r.Servers, results.Server{ID: id,
			Fsync: results.Fsync{Count: 100, Latency: lat(setDataP99 / int64(id+1))}})
	}
	return r
}

// fakeRuns returns one run per jitter factor of noise.
func fakeRuns(throughput float64, setDataP99 int64) []*results.Result {
	var rs []*results.Result
	for _, f := range noise {
		rs = append(rs, fakeRun(throughput*f, int64(float64(setDataP99)*f)))
	}
	return rs
}

// writeRuns writes runs as a folder of repeated runs, one subfolder
// each, and returns the folder; a single run is written as a run folder.
func writeRuns(t *testing.T, runs []*results.Result) string {
	t.Helper()
	dir := t.TempDir()
	if len(runs) == 1 {
		writeRun(t, dir, runs[0])
		return dir
	}
	for i, r := range runs {
		writeRun(t, filepath.Join(dir, "run-"+strconv.Itoa(i+1)), r)
	}
	return dir
}

func writeRun(t *testing.T, dir string, r *results.Result) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFile(filepath.Join(dir, results.ResultFile)); err != nil {
		t.Fatal(err)
	}
}

func compareDirs(t *testing.T, base, cand string, opts Options) (*Report, error) {
	t.Helper()
	b, err := Load(base)
	if err != nil {
		return nil, err
	}
	c, err := Load(cand)
	if err != nil {
		return nil, err
	}
	return Compare(b, c, opts)
}

func TestCompareRuns(t *testing.T) {
	tests := []struct {
		name          string
		base, cand    []*results.Result
		wantRegressed []string
	}{
		{"identical repeats", fakeRuns(10000, 2000), fakeRuns(10000, 2000), nil},
		{"p99 30% higher", fakeRuns(10000, 2000), fakeRuns(10000, 2600), []string{"setData.p99", "setData.p999"}},
		{"p99 5% higher", fakeRuns(10000, 2000), fakeRuns(10000, 2100), nil},
		{"p99 30% lower", fakeRuns(10000, 2000), fakeRuns(10000, 1400), nil},
		{"throughput 30% lower", fakeRuns(10000, 2000), fakeRuns(7000, 2000), []string{"throughput"}},
		{"n=1, beyond the threshold", fakeRuns(10000, 2000)[:1], fakeRuns(10000, 2600)[:1], []string{"setData.p99", "setData.p999"}},
		{"n=1, within the threshold", fakeRuns(10000, 2000)[:1], fakeRuns(10000, 2100)[:1], nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := compareDirs(t, writeRuns(t, tt.base), writeRuns(t, tt.cand), Options{MaxRegression: 0.1})
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.regressedMetrics(); !slices.Equal(got, tt.wantRegressed) {
				t.Errorf("regressed %q, want %q", got, tt.wantRegressed)
			}
			if rep.Regressed() != (len(tt.wantRegressed) > 0) {
				t.Errorf("Regressed() = %v", rep.Regressed())
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	dir := writeRuns(t, fakeRuns(10000, 2000))
	tests := []struct {
		metrics []string
		want    []string
	}{
		{nil, []string{"throughput", "setData.p99", "getData.p99", "setData.p999", "getData.p999"}},
		// p99.9 and setData.p99.9 both name setData.p999: it appears once.
		{[]string{"p99.9", "setData.p99.9", " p50 "}, []string{"setData.p999", "getData.p999", "setData.p50", "getData.p50"}},
		{[]string{"setData.throughput", "getData.max", "fsync_p99", "mean"}, []string{"setData.throughput", "getData.max", "fsync_p99", "setData.mean", "getData.mean"}},
	}
	for _, tt := range tests {
		rep, err := compareDirs(t, dir, dir, Options{Metrics: tt.metrics, MaxRegression: 0.1})
		if err != nil {
			t.Fatalf("%q: %v", tt.metrics, err)
		}
		var got []string
		for _, row := range rep.Rows {
			got = append(got, row.Metric)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: metrics %q, want %q", tt.metrics, got, tt.want)
		}
	}
}

func TestMetricValues(t *testing.T) {
	dir := writeRuns(t, []*results.Result{fakeRun(10000, 2000)})
	rep, err := compareDirs(t, dir, dir, Options{Metrics: []string{"throughput", "setData.throughput", "fsync_p99", "setData.p90"}})
	if err != nil {
		t.Fatal(err)
	}
	// fsync: the slowest member, server 1 at 2000/2.
	want := map[string]float64{"throughput": 10000, "setData.throughput": 1000, "fsync_p99": 1000, "setData.p90": 1000}
	for _, row := range rep.Rows {
		if row.Baseline.Median != want[row.Metric] {
			t.Errorf("%s = %v, want %v", row.Metric, row.Baseline.Median, want[row.Metric])
		}
		if row.HigherIsBetter != strings.HasSuffix(row.Metric, "throughput") {
			t.Errorf("%s: higher is better = %v", row.Metric, row.HigherIsBetter)
		}
	}
}

func TestBadInput(t *testing.T) {
	good := writeRuns(t, fakeRuns(10000, 2000))
	external := fakeRun(10000, 2000)
	external.Servers = nil
	mntr := fakeRun(10000, 2000)
	mntr.Target = "zk://127.0.0.1:2181"
	for i := range mntr.Servers {
		mntr.Servers[i].Fsync.Latency = results.Percentiles{Mean: 1500}
	}
	mntrDir := writeRuns(t, []*results.Result{mntr})
	noSetData := fakeRun(10000, 2000)
	noSetData.Ops = noSetData.Ops[1:]
	malformed := t.TempDir()
	if err := os.WriteFile(filepath.Join(malformed, results.ResultFile), []byte(`{"schema": 1, "ops": [}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		base    string
		opts    Options
		wantErr string
	}{
		{"missing folder", filepath.Join(good, "nope"), Options{}, "nope: no such file or folder"},
		{"empty folder", t.TempDir(), Options{}, "no result.json there or in its subfolders"},
		{"malformed result.json", malformed, Options{}, "result.json: line 1"},
		{"unknown metric", good, Options{Metrics: []string{"p42"}}, `unknown metric "p42"`},
		{"empty metric", good, Options{Metrics: []string{""}}, `unknown metric ""`},
		{"op missing from a run", writeRuns(t, []*results.Result{noSetData}), Options{Metrics: []string{"setData.p99"}}, "result.json: metric setData.p99: no op setData"},
		{"no fsync data", writeRuns(t, []*results.Result{external}), Options{Metrics: []string{"fsync_p99"}}, "no servers"},
		{"negative threshold", good, Options{MaxRegression: -0.1}, "must be 0 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compareDirs(t, tt.base, good, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	// mntr's members: a count and a mean, the percentiles at 0. Compared
	// with a run of its own target kind, or the kinds would differ first.
	if _, err := compareDirs(t, mntrDir, mntrDir, Options{Metrics: []string{"fsync_p99"}}); err == nil || !strings.Contains(err.Error(), "not measured") {
		t.Errorf("fsync p99 of a real ensemble: error %v, want one saying not measured", err)
	}
}

func TestLoadForms(t *testing.T) {
	runs := fakeRuns(10000, 2000)
	repeats := writeRuns(t, runs)
	if err := os.Mkdir(filepath.Join(repeats, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		path  string
		wantN int
	}{
		{"result.json", filepath.Join(repeats, "run-1", results.ResultFile), 1},
		{"run folder", filepath.Join(repeats, "run-2"), 1},
		{"folder of repeats, a subfolder without a run", repeats, 5},
		{"sweep of one combination", writeSweep(t, runs, func(int) string { return "5000" }), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Load(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs.Files) != tt.wantN || len(rs.results) != tt.wantN {
				t.Errorf("%d runs (%q), want %d", len(rs.Files), rs.Files, tt.wantN)
			}
		})
	}
	// Runs of different settings are no sample of one thing.
	sweep := writeSweep(t, runs, func(i int) string { return strconv.Itoa(1000 * (1 + i%2)) })
	if _, err := Load(sweep); err == nil || !strings.Contains(err.Error(), "a sweep of 2 combinations") {
		t.Errorf("sweep of 2 combinations: error %v", err)
	}
}

// writeSweep writes runs as a sweep over snapCount, run i with the
// value snapCount(i), and returns the sweep folder.
func writeSweep(t *testing.T, runs []*results.Result, snapCount func(int) string) string {
	t.Helper()
	dir := t.TempDir()
	s := &results.Sweep{Profile: "quick", Vary: []string{"snapCount"}, Repeat: len(runs)}
	for i, r := range runs {
		name := "snapCount=" + snapCount(i) + "-" + strconv.Itoa(i+1)
		writeRun(t, filepath.Join(dir, name), r)
		s.Runs = append(s.Runs, results.SweepRun{Dir: name, Values: map[string]string{"snapCount": snapCount(i)}, Repeat: i + 1})
	}
	if err := s.WriteFile(filepath.Join(dir, results.SweepFile)); err != nil {
		t.Fatal(err)
	}
	return dir
}
