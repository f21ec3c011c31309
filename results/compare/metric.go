package compare

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"zkbench/results"
)

// DefaultMetrics are compared when Options.Metrics is empty.
var DefaultMetrics = []string{"throughput", "p99", "p999"}

// The units of a metric, as result.json writes them.
const (
	UnitOpsPerSecond = "ops/s"
	UnitMicroseconds = "us"
)

// metric is one number read from every run.
type metric struct {
	name           string // as the user reads it: throughput, setData.p99, fsync_p99
	unit           string
	higherIsBetter bool
	value          func(*results.Result) (float64, error)
}

// latencyStats are the fields of a latency summary a metric can name,
// fastest first.
var latencyStats = []struct {
	name string
	of   func(results.Percentiles) float64
}{
	{"min", func(p results.Percentiles) float64 { return float64(p.Min) }},
	{"mean", func(p results.Percentiles) float64 { return p.Mean }},
	{"p50", func(p results.Percentiles) float64 { return float64(p.P50) }},
	{"p90", func(p results.Percentiles) float64 { return float64(p.P90) }},
	{"p99", func(p results.Percentiles) float64 { return float64(p.P99) }},
	{"p999", func(p results.Percentiles) float64 { return float64(p.P999) }},
	{"max", func(p results.Percentiles) float64 { return float64(p.Max) }},
}

// latencyStat returns the function that reads the named stat, or nil.
func latencyStat(name string) func(results.Percentiles) float64 {
	for _, s := range latencyStats {
		if s.name == name {
			return s.of
		}
	}
	return nil
}

const throughput = "throughput"

// resolveMetrics turns metric names (grammar in Compare's doc) into
// metrics, each once. runs are all runs of both sides, for the op types
// a bare latency stat means.
func resolveMetrics(names []string, runs []*results.Result) ([]metric, error) {
	var ms []metric
	for _, name := range names {
		resolved, err := resolveMetric(strings.TrimSpace(name), runs)
		if err != nil {
			return nil, err
		}
		for _, m := range resolved {
			if !slices.ContainsFunc(ms, func(prev metric) bool { return prev.name == m.name }) {
				ms = append(ms, m)
			}
		}
	}
	return ms, nil
}

func resolveMetric(name string, runs []*results.Result) ([]metric, error) {
	// p99.9 is how people write it; p999 is how result.json does.
	canon := strings.TrimSuffix(name, "p99.9")
	if canon != name {
		canon += "p999"
	}
	if canon == throughput {
		return []metric{totalThroughput()}, nil
	}
	if canon == maxRate {
		return []metric{maxRateMetric()}, nil
	}
	if latencyStat(canon) != nil {
		return perOp(canon, runs)
	}
	if name, ok := strings.CutPrefix(canon, "fsync_"); ok && latencyStat(name) != nil {
		return []metric{fsyncLatency(name)}, nil
	}
	op, stat, ok := strings.Cut(canon, ".")
	if ok && op != "" && (stat == throughput || latencyStat(stat) != nil) {
		return []metric{opMetric(op, stat)}, nil
	}
	var stats []string
	for _, s := range latencyStats {
		stats = append(stats, s.name)
	}
	return nil, fmt.Errorf("unknown metric %q (known: throughput, max_rate, %s, fsync_STAT, OP.STAT such as setData.p99)",
		name, strings.Join(stats, ", "))
}

// perOp expands a bare latency stat to one metric per op type present in
// every run, in the order of the first run's ops: a mixed workload's
// reads and writes have latencies too different to pool.
func perOp(stat string, runs []*results.Result) ([]metric, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("metric %s: no runs", stat)
	}
	var ms []metric
	for _, o := range runs[0].Ops {
		if inEvery(o.Op, runs) {
			ms = append(ms, opMetric(o.Op, stat))
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("metric %s: no op type is in every run", stat)
	}
	return ms, nil
}

func inEvery(op string, runs []*results.Result) bool {
	for _, r := range runs {
		if _, ok := findOp(r, op); !ok {
			return false
		}
	}
	return true
}

func findOp(r *results.Result, op string) (results.OpStats, bool) {
	i := slices.IndexFunc(r.Ops, func(o results.OpStats) bool { return o.Op == op })
	if i < 0 {
		return results.OpStats{}, false
	}
	return r.Ops[i], true
}

func totalThroughput() metric {
	return metric{name: throughput, unit: UnitOpsPerSecond, higherIsBetter: true,
		value: func(r *results.Result) (float64, error) { return r.Total.ThroughputOpsS, nil }}
}

// opMetric is one op type's stat, or its throughput.
func opMetric(op, stat string) metric {
	m := metric{name: op + "." + stat, unit: UnitOpsPerSecond, higherIsBetter: true}
	read := func(o results.OpStats) float64 { return o.ThroughputOpsS }
	if of := latencyStat(stat); of != nil {
		m.unit, m.higherIsBetter = UnitMicroseconds, false
		read = func(o results.OpStats) float64 { return of(o.Latency) }
	}
	m.value = func(r *results.Result) (float64, error) {
		o, ok := findOp(r, op)
		if !ok {
			return 0, fmt.Errorf("no op %s", op)
		}
		return read(o), nil
	}
	return m
}

// fsyncLatency is the slowest member's value: the leader may change from
// run to run, so member ids do not pair up across runs, and one member's
// slow disk is the regression worth catching. Of a real ensemble only
// the mean is known.
func fsyncLatency(stat string) metric {
	of := latencyStat(stat)
	return metric{name: "fsync_" + stat, unit: UnitMicroseconds,
		value: func(r *results.Result) (float64, error) {
			if len(r.Servers) == 0 {
				return 0, errors.New("no servers, so no fsync latency (an external target?)")
			}
			if r.MntrFsync() && stat != "mean" {
				// mntr's zeros are not latencies: missing, not 0.
				return 0, fmt.Errorf("not measured: a real ensemble's mntr has no fsync %s (fsync_mean is measured)", stat)
			}
			worst := 0.0
			for _, s := range r.Servers {
				worst = max(worst, of(s.Fsync.Latency))
			}
			return worst, nil
		}}
}
