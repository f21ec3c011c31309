package report

import (
	"fmt"
	"slices"
	"strings"

	"zkbench/engine"
	"zkbench/results"
)

// fewSamples is the sample count under which a snapshot-stall p99 gets
// a warning: a p99 of fewer than a hundred writes is their maximum, or
// close to it, and moves with one slow write.
const fewSamples = 100

// runVerdict opens a run's report with its answer: throughput, each
// op's p99, the slowest member's fsync p99, the snapshot stall and what
// a reader should not miss, one column per run. The details follow in
// the charts; the configuration comes last.
func (p *page) runVerdict(runs []*run) {
	s := p.section("Verdict")
	if len(runs) > 1 {
		s.Title = fmt.Sprintf("Verdict of %d runs", len(runs))
	}
	t := &table{Head: append([]string{""}, runLabels(runs)...)}
	add := func(key string, value func(*results.Result) cell) {
		row := []cell{text(key)}
		for _, r := range runs {
			c := value(r.res)
			if c.Class == "" {
				c.Class = "wrap" // several runs' sentences side by side
			}
			row = append(row, c)
		}
		t.Rows = append(t.Rows, row)
	}
	add("throughput", throughputVerdict)
	for _, op := range opNames(runs) {
		add(op+" p99", func(r *results.Result) cell {
			for _, o := range r.Ops {
				if o.Op == op {
					return text(micros(o.Latency.P99))
				}
			}
			return text(missing().Text)
		})
	}
	add("slowest member's fsync p99", fsyncVerdict)
	add("snapshot stall", stallVerdict)
	if slices.ContainsFunc(runs, func(r *run) bool { return r.res.Ephemerals != nil }) {
		add("ephemerals", func(r *results.Result) cell {
			if r.Ephemerals == nil {
				return text(missing().Text)
			}
			return text(strings.TrimPrefix(r.Ephemerals.Summary(), "ephemerals: "))
		})
	}
	add("warnings", func(r *results.Result) cell {
		ws := runWarnings(r)
		if len(ws) == 0 {
			return cell{Text: "none", Class: "good"}
		}
		return cell{Text: strings.Join(ws, "; "), Class: "bad"}
	})
	s.table(t)
}

func throughputVerdict(r *results.Result) cell {
	return text(fmt.Sprintf("%s ops/s (%d ops in %s s)", formatFloat(r.Total.ThroughputOpsS), r.Total.Count, formatFloat(r.DurationS)))
}

func fsyncVerdict(r *results.Result) cell {
	if r.MntrFsync() {
		return text(externalFsync(r))
	}
	s, ok := slowestFsync(r)
	if !ok {
		return text(missing().Text)
	}
	return text(fmt.Sprintf("%s (server %d, %s)", micros(s.Fsync.Latency.P99), s.ID, s.Role))
}

// externalFsync is what mntr tells of a real ensemble's syncs: the
// mean, no percentile.
func externalFsync(r *results.Result) string {
	var sum float64
	var n int64
	for _, s := range r.Servers {
		sum += s.Fsync.Latency.Mean * float64(s.Fsync.Count)
		n += s.Fsync.Count
	}
	if n == 0 {
		return "not measured on this target (real servers: mntr reported no sync)"
	}
	return fmt.Sprintf("not measured on this target (real servers: mntr has no percentiles; mean %s over %d syncs)", micros(sum/float64(n)), n)
}

func stallVerdict(r *results.Result) cell {
	st := r.SnapshotStall
	switch {
	case r.External():
		return text("not measured on this target (a zk:// ensemble's snapshots are not observed)")
	case st.Windows == 0:
		return text("no snapshot in the measured phase")
	}
	return text(fmt.Sprintf("write p99 %s inside %s vs %s outside; fsync p99 %s inside vs %s outside",
		stallText(st, false, true), plural(st.Windows, "window"), stallText(st, false, false),
		stallText(st, true, true), stallText(st, true, false)))
}

// stallText is one stall figure with its sample count, or a dash.
func stallText(st results.SnapshotStall, fsync, inside bool) string {
	f, ok := st.StallP99(fsync, inside)
	if !ok {
		return missing().Text
	}
	return samples(micros(f.P99Us), f.Samples)
}

// runWarnings are what a reader of r's figures should not miss.
func runWarnings(r *results.Result) []string {
	ws := append([]string(nil), r.Warnings...)
	if e := r.Total.Errors; e > 0 {
		ws = append(ws, fmt.Sprintf("%d ops failed", e))
	}
	var slow int64
	for _, s := range r.Servers {
		slow += s.Fsync.OverWarningThreshold
	}
	if slow > 0 {
		ws = append(ws, fmt.Sprintf("%d syncs over fsync.warningthresholdms (ZooKeeper would have logged each)", slow))
	}
	for _, e := range r.Events {
		if e.Kind == engine.EventLeaderElected.String() && e.T > 0 {
			ws = append(ws, fmt.Sprintf("leader elected during the measured phase (server %d at %s s)", e.Server, formatFloat(e.T)))
		}
	}
	if st := r.SnapshotStall; st.Windows > 0 {
		if f, ok := st.StallP99(false, true); !ok {
			ws = append(ws, "no write completed inside a snapshot window: the stall is unknown")
		} else if f.Samples > 0 && f.Samples < fewSamples {
			ws = append(ws, fmt.Sprintf("the write p99 inside snapshots rests on %s", plural(int(f.Samples), "write")))
		}
	}
	return ws
}
