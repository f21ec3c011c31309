package compare

import "testing"

// TestHeadline: the answer names the faster side, A (the baseline) or B,
// by throughput, then by fsync p99 at the same throughput; a change the
// runs cannot stand by names neither.
func TestHeadline(t *testing.T) {
	side := func(vs ...float64) Summary { return Summary{Values: vs, Median: vs[len(vs)/2]} }
	three := func(v float64) Summary { return side(v, v, v) }
	row := func(metric string, a, b float64, tested bool, p float64) Row {
		return Row{Metric: metric, Stats: Stats{Baseline: three(a), Candidate: three(b),
			Change: relativeChange(a, b), Tested: tested, P: p}}
	}
	files := func(n int) *Runs { return &Runs{Files: make([]string, n)} }
	tests := []struct {
		name string
		rows []Row
		want string
	}{
		{"B faster", []Row{row(throughput, 1000, 2600, true, 0.002), row("fsync_p99", 3100, 400, true, 0.002)},
			"B: 2.60× the ops/s, fsync p99 400 µs vs 3.10 ms"},
		{"A faster", []Row{row(throughput, 2600, 1000, true, 0.002), row("fsync_p99", 400, 3100, true, 0.002)},
			"A: 2.60× the ops/s, fsync p99 400 µs vs 3.10 ms"},
		{"same throughput, B syncs faster", []Row{row(throughput, 1000, 1010, true, 0.7), row("fsync_p99", 3100, 400, true, 0.002)},
			"B: 1.01× the ops/s, fsync p99 400 µs vs 3.10 ms"},
		{"noise", []Row{row(throughput, 1000, 1200, true, 0.3), row("fsync_p99", 3100, 2900, true, 0.5)},
			"neither: B has 1.20× the ops/s of A, fsync p99 2.90 ms vs 3.10 ms, within the noise of 3+3 runs"},
		// Too few runs for a test: the threshold (10%) decides.
		{"one run each, beyond the threshold", []Row{row(throughput, 1000, 1500, false, 0)}, "B: 1.50× the ops/s"},
		{"one run each, within it", []Row{row(throughput, 1000, 1050, false, 0)}, "neither: B has 1.05× the ops/s of A, within the noise of 3+3 runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Baseline: files(3), Candidate: files(3), MaxRegression: 0.1, Rows: tt.rows}
			if got := r.Headline(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
