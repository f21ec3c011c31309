package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zkbench/results"
)

// writeNight writes a run folder named name under dir: one setData op
// at the throughput given, started at start.
func writeNight(t *testing.T, dir, name string, start time.Time, throughput float64, interrupted bool) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &results.Result{Profile: "nightly", Target: "embedded", Started: start, DurationS: 20, Interrupted: interrupted,
		Ops: []results.OpStats{{Op: "setData", Count: int64(throughput * 20), ThroughputOpsS: throughput,
			Latency: results.Percentiles{P50: 1000, P99: 2000, P999: 3000, Max: 4000}}},
		Total: results.Total{Count: int64(throughput * 20), ThroughputOpsS: throughput}}
	if err := r.WriteFile(filepath.Join(path, results.ResultFile)); err != nil {
		t.Fatal(err)
	}
	return path + "/" // as a shell glob ending in / gives it
}

// The points of a trend are in the order the nights ran, whatever their
// names: a glob gives DATE.10/ and DATE.2/ before DATE/ ('.' sorts
// before '/'), and the second run of a day must not come before the
// first.
func TestTrendOrder(t *testing.T) {
	dir := t.TempDir()
	day := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	globbed := []string{
		writeNight(t, dir, "2026-11-30", day.Add(-24*time.Hour), 100, false),
		writeNight(t, dir, "2026-12-01.10", day.Add(20*time.Hour), 400, false),
		writeNight(t, dir, "2026-12-01.2", day.Add(12*time.Hour), 300, false),
		writeNight(t, dir, "2026-12-01", day, 200, false),
	}
	page := renderTrend(t, globbed...)
	if want := `"data":["2026-11-30","2026-12-01","2026-12-01.2","2026-12-01.10"]`; !strings.Contains(page, want) {
		t.Errorf("points not in the order they ran: want %s", want)
	}
	head, rows := tableAfter(t, page, "Per point")
	for _, tt := range []struct{ point, vsPrevious string }{
		{"2026-12-01", "+100.0%"}, {"2026-12-01.2", "+50.0%"}, {"2026-12-01.10", "+33.3%"},
	} {
		if got := lookup(t, head, rows, tt.point, "ops/s", 1).Text; got != tt.vsPrevious {
			t.Errorf("%s: %q vs previous, want %q", tt.point, got, tt.vsPrevious)
		}
	}
}

// A night cut short is on the trend, labelled as such, with a warning
// first on the page.
func TestTrendInterrupted(t *testing.T) {
	dir := t.TempDir()
	day := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	page := renderTrend(t,
		writeNight(t, dir, "2026-11-30", day.Add(-24*time.Hour), 100, false),
		writeNight(t, dir, "2026-12-01", day, 60, true))
	if !strings.Contains(page, `"data":["2026-11-30","2026-12-01 (interrupted)"]`) {
		t.Error("the interrupted night is not labelled")
	}
	if !strings.Contains(page, `<p class="warning">Not a complete sample: `) || !strings.Contains(page, "an interrupted run (20.00 s measured)") {
		t.Error("no warning of the interrupted run")
	}
}

// A run or sweep report says first that the run was interrupted.
func TestReportInterrupted(t *testing.T) {
	dir := t.TempDir()
	run := writeNight(t, dir, "cut", time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), 60, true)
	if page := renderString(t, run); !strings.Contains(page, `<p class="warning">Interrupted: cut was stopped after 20 s of measuring`) {
		t.Error("the report does not say the run was interrupted")
	}
}
