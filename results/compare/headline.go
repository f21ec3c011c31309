package compare

import (
	"fmt"
	"io"
	"math"
	"slices"

	"zkbench/results/table"
)

// Headline answers "which side is faster?" in one line, naming the
// baseline A and the candidate B: "B: 2.6× the ops/s, fsync p99 400 µs
// vs 3.10 ms" when B has significantly more throughput (or, at the same
// throughput, a significantly lower fsync p99); "neither: …" when the
// runs cannot tell them apart. It reads the throughput and fsync_p99
// rows; a report without a throughput row has no answer.
func (r *Report) Headline() string {
	tput, ok := r.row(throughput)
	if !ok {
		return "neither: throughput was not compared"
	}
	fsync, hasFsync := r.row("fsync_p99")
	winner := ""
	switch {
	case r.clear(tput):
		winner = sideOf(tput.Change > 0)
	case hasFsync && r.clear(fsync):
		winner = sideOf(fsync.Change < 0)
	}
	if winner == "" {
		return fmt.Sprintf("neither: B has %s the ops/s of A%s, within the noise of %s", ratio(tput), fsyncPair(fsync, hasFsync, "B"), r.runCounts())
	}
	return fmt.Sprintf("%s: %s the ops/s%s", winner, winnerRatio(tput, winner), fsyncPair(fsync, hasFsync, winner))
}

// WriteHeadline writes Headline as a line.
func (r *Report) WriteHeadline(w io.Writer) error {
	_, err := fmt.Fprintln(w, r.Headline())
	return err
}

func (r *Report) row(metric string) (Row, bool) {
	i := slices.IndexFunc(r.Rows, func(row Row) bool { return row.Metric == metric })
	if i < 0 {
		return Row{}, false
	}
	return r.Rows[i], true
}

// clear reports whether a row's change is one the runs can stand by:
// significant where a test was possible, beyond the allowed regression
// where there were too few runs for one.
func (r *Report) clear(row Row) bool {
	if row.Tested {
		return row.P < Alpha && row.Change != 0
	}
	return math.Abs(row.Change) > r.MaxRegression+floatSlack
}

func sideOf(candidate bool) string {
	if candidate {
		return "B"
	}
	return "A"
}

// winnerRatio is the winner's throughput as a multiple of the other's.
func winnerRatio(tput Row, winner string) string {
	if winner == "A" {
		return multiple(tput.Baseline.Median, tput.Candidate.Median)
	}
	return multiple(tput.Candidate.Median, tput.Baseline.Median)
}

// ratio is B's throughput as a multiple of A's.
func ratio(tput Row) string { return multiple(tput.Candidate.Median, tput.Baseline.Median) }

func multiple(v, of float64) string {
	if of == 0 {
		return "∞×"
	}
	return table.Figure(v/of) + "×"
}

// fsyncPair is ", fsync p99 400 µs vs 3.10 ms", the first side's first.
func fsyncPair(fsync Row, ok bool, first string) string {
	if !ok {
		return ""
	}
	a, b := fsync.Baseline.Median, fsync.Candidate.Median
	if first == "B" {
		a, b = b, a
	}
	return fmt.Sprintf(", fsync p99 %s vs %s", table.Micros(a), table.Micros(b))
}

func (r *Report) runCounts() string {
	return fmt.Sprintf("%d+%d runs", len(r.Baseline.Files), len(r.Candidate.Files))
}
