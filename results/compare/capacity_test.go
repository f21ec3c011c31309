package compare

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"zkbench/results"
)

// writeSearches writes one capacity folder per maximum, in a folder of
// repeated searches.
func writeSearches(t *testing.T, sla int64, maxima ...float64) string {
	t.Helper()
	dir := t.TempDir()
	for i, m := range maxima {
		sub := filepath.Join(dir, "cap-"+strconv.Itoa(i+1))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		c := &results.Capacity{Workload: "write", Target: "embedded", MaxRateOpsS: m, Converged: true,
			SLA: results.CapacitySLA{Percentile: 99, MaxUs: sla, MinAchieved: 0.97}}
		if err := c.WriteFile(filepath.Join(sub, results.CapacityFile)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Capacity folders compare on their maximum, by default and by name; a
// lower maximum is a regression; searches against different SLAs are
// different experiments.
func TestCompareCapacity(t *testing.T) {
	base := writeSearches(t, 10_000, 3100, 3000, 3150, 3050, 3100)
	worse := writeSearches(t, 10_000, 2500, 2400, 2450, 2550, 2500)
	rep, err := compareDirs(t, base, worse, Options{MaxRegression: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Metric != "max_rate" || !rep.Regressed() {
		t.Errorf("rows %+v: want max_rate, regressed", rep.Rows)
	}
	rep, err = compareDirs(t, base, base, Options{Metrics: []string{"max_rate"}, MaxRegression: 0.1})
	if err != nil || rep.Regressed() {
		t.Errorf("same searches: %v, regressed %v", err, rep != nil && rep.Regressed())
	}
	other := writeSearches(t, 2_000, 900)
	if _, err := compareDirs(t, base, other, Options{MaxRegression: 0.1}); err == nil || !strings.Contains(err.Error(), "sla") {
		t.Errorf("different SLAs: %v, want them refused naming the sla", err)
	}
	run := writeRuns(t, []*results.Result{fakeRun(5000, 3000)})
	if _, err := compareDirs(t, run, run, Options{Metrics: []string{"max_rate"}}); err == nil || !strings.Contains(err.Error(), "not a capacity search") {
		t.Errorf("max_rate of runs: %v", err)
	}
}
