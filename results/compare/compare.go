// Package compare decides whether a candidate's zkbench runs are worse
// than a baseline's: per metric (throughput, p99, …), the median of the
// repeated runs on each side, a Mann-Whitney U test across them as
// benchstat does, and a threshold on how much worse is allowed.
//
// A metric regresses when it got worse by more than the threshold and
// the test says the difference is not noise. When the run counts are
// too small for the test ever to say that (one run per side, say), the
// threshold alone decides and the output says so. When no metric
// regressed but the runs are too few for their noise to have shown a
// change the size of the threshold, the comparison is inconclusive: it
// says how noisy the runs were and how many would decide.
//
// Only runs of one experiment are compared: the same workload, op mix,
// kind of target, client count and rate on both sides, each side's runs
// repeats of one run, none of them interrupted (ErrNotComparable;
// Options.Force overrides).
package compare

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ErrInconclusive marks a comparison whose runs could not decide: see
// Report.Inconclusive. It is for callers to wrap; Compare does not
// return it.
var ErrInconclusive = errors.New("inconclusive")

// Options say what to compare and how much worse is too much.
type Options struct {
	// Metrics name the metrics (see Compare); empty means DefaultMetrics.
	Metrics []string
	// MaxRegression is how much worse a metric may get, as a fraction:
	// 0.1 allows 10%.
	MaxRegression float64
	// Force compares runs that are not one experiment (ErrNotComparable)
	// anyway; the report's notes say how they differ.
	Force bool
}

// Report is the outcome of a comparison, one row per metric.
type Report struct {
	Baseline, Candidate *Runs
	MaxRegression       float64
	Rows                []Row
	// Forced are the reasons the runs were not comparable, compared
	// anyway with Options.Force.
	Forced []string
}

// Row is one metric's comparison.
type Row struct {
	// Metric is the metric's name: throughput, setData.p99, fsync_p99.
	Metric string
	// Unit is UnitOpsPerSecond or UnitMicroseconds.
	Unit string
	// HigherIsBetter is true for throughput, false for latency.
	HigherIsBetter bool
	Stats
	Verdict Verdict
}

// Compare compares every metric opts names between base and cand.
// A metric name is one of
//
//	throughput          all ops together, ops/s
//	p99 (any stat)      that latency of each op type found in every run
//	setData.p99         one op type's latency; setData.throughput its ops/s
//	fsync_p99           the slowest member's transaction log syncs
//	max_rate            a capacity search's maximum (the default for capacity folders)
//
// where a latency stat is min, mean, p50, p90, p99, p999 (or p99.9) or max.
func Compare(base, cand *Runs, opts Options) (*Report, error) {
	if opts.MaxRegression < 0 || math.IsNaN(opts.MaxRegression) {
		return nil, fmt.Errorf("max regression %v: must be 0 or more", opts.MaxRegression)
	}
	if len(base.results) == 0 || len(cand.results) == 0 {
		return nil, errors.New("compare: a side without runs")
	}
	found := mismatches(base, cand)
	if len(found) > 0 && !opts.Force {
		return nil, fmt.Errorf("%w: %s (--force compares them anyway)", ErrNotComparable, strings.Join(found, "; "))
	}
	names := opts.Metrics
	if len(names) == 0 || slices.Equal(names, DefaultMetrics) && allCapacity(slices.Concat(base.results, cand.results)) {
		names = DefaultMetrics
		if allCapacity(slices.Concat(base.results, cand.results)) {
			names = []string{maxRate} // a search's one figure
		}
	}
	metrics, err := resolveMetrics(names, slices.Concat(base.results, cand.results))
	if err != nil {
		return nil, err
	}
	rep := &Report{Baseline: base, Candidate: cand, MaxRegression: opts.MaxRegression, Forced: found}
	for _, m := range metrics {
		row, err := compareMetric(m, base, cand, opts.MaxRegression)
		if err != nil {
			return nil, err
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}

func compareMetric(m metric, base, cand *Runs, maxRegression float64) (Row, error) {
	bv, err := base.values(m)
	if err != nil {
		return Row{}, err
	}
	cv, err := cand.values(m)
	if err != nil {
		return Row{}, err
	}
	st := compareSamples(bv, cv)
	worsening := st.Change
	if m.higherIsBetter {
		worsening = -worsening
	}
	return Row{Metric: m.name, Unit: m.unit, HigherIsBetter: m.higherIsBetter,
		Stats: st, Verdict: decide(judge(st, worsening, maxRegression), st, maxRegression)}, nil
}

// values reads m from every run.
func (rs *Runs) values(m metric) ([]float64, error) {
	vs := make([]float64, len(rs.results))
	for i, r := range rs.results {
		v, err := m.value(r)
		if err != nil {
			return nil, fmt.Errorf("%s: metric %s: %w", rs.Files[i], m.name, err)
		}
		vs[i] = v
	}
	return vs, nil
}

// Regressed reports whether any metric regressed.
func (r *Report) Regressed() bool {
	return slices.ContainsFunc(r.Rows, func(row Row) bool { return row.Verdict == Regressed })
}

// Inconclusive reports whether no metric regressed but some could have
// without the runs showing it: too few runs for their noise.
func (r *Report) Inconclusive() bool {
	return !r.Regressed() && slices.ContainsFunc(r.Rows, func(row Row) bool { return row.Verdict == Inconclusive })
}

// regressedMetrics names the metrics that regressed.
func (r *Report) regressedMetrics() []string { return r.metricsJudged(Regressed) }

// metricsJudged names the metrics with verdict v.
func (r *Report) metricsJudged(v Verdict) []string {
	var names []string
	for _, row := range r.Rows {
		if row.Verdict == v {
			names = append(names, row.Metric)
		}
	}
	return names
}

// ParseMaxRegression parses a percentage such as "10%" or "2.5%" into a
// fraction (0.1, 0.025). The % is required: a bare "10" could as well
// mean 10% as ten times.
func ParseMaxRegression(s string) (float64, error) {
	num, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a percentage such as 10%%", s)
	}
	if v < 0 {
		return 0, errors.New(s + " is negative: give how much worse is allowed, such as 10%")
	}
	return v / 100, nil
}
