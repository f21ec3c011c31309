package report

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"zkbench/engine"
	"zkbench/hlog"
	"zkbench/internal/size"
	"zkbench/results"
)

// addRuns adds the sections about runs: the answer first (the verdict
// per run, or a sweep's figures against its varied keys when the report
// is of sweeps alone: that is the question a sweep asks), then the
// charts, then the configuration. With several runs every chart overlays
// them and a table compares each with the first.
func (p *page) addRuns(runs []*run, sweeps []*sweep) {
	inSweeps := 0
	for _, sw := range sweeps {
		inSweeps += len(sw.runs)
	}
	if inSweeps < len(runs) {
		p.runVerdict(runs)
	}
	for _, sw := range sweeps {
		p.addSweep(sw)
	}
	if inSweeps == len(runs) {
		p.runVerdict(runs)
	}
	if len(runs) > 1 {
		p.runComparison(runs)
	}
	p.runFaults(runs)
	p.runLatency(runs)
	p.runOverTime(runs)
	p.runFsync(runs)
	p.runSnapshots(runs)
	p.runMachine(runs)
	p.runConfiguration(runs)
}

// name is a series' name: what it shows, after the run's label when
// several runs share a chart.
func name(runs []*run, r *run, what string) string {
	switch {
	case len(runs) == 1:
		return what
	case what == "":
		return r.label
	}
	return r.label + " " + what
}

func runLabels(runs []*run) []string {
	labels := make([]string, len(runs))
	for i, r := range runs {
		labels[i] = r.label
	}
	return labels
}

// addMachine adds the rows of each run's machine: host, OS, CPUs,
// memory and the storage of each data directory.
func addMachine(t *table, runs []*run) {
	add := func(key string, value func(results.Environment) string) {
		row := []cell{text(key)}
		for _, r := range runs {
			row = append(row, text(value(r.res.Environment)))
		}
		t.Rows = append(t.Rows, row)
	}
	add("host", func(e results.Environment) string { return e.Hostname })
	add("os", func(e results.Environment) string { return strings.TrimSpace(e.OS + " " + e.Kernel) })
	add("cpus", func(e results.Environment) string { return strconv.Itoa(e.CPUs) })
	add("memory", func(e results.Environment) string { return size.Human(int64(e.Memory)) })
	var roles []string
	for _, r := range runs {
		for _, d := range r.res.Environment.Devices {
			if !slices.Contains(roles, d.Role) {
				roles = append(roles, d.Role)
			}
		}
	}
	for _, role := range roles {
		add(role+" storage", func(e results.Environment) string {
			i := slices.IndexFunc(e.Devices, func(d results.Device) bool { return d.Role == role })
			if i < 0 {
				return ""
			}
			return describeDevice(e.Devices[i])
		})
	}
}

// describeDevice is a directory's storage on one line:
// "/data on vda (ext4, rotational, mount /)".
func describeDevice(d results.Device) string {
	kind := "rotational unknown"
	switch {
	case d.Virtual:
		kind = "no block device"
	case d.Rotational == nil:
	case *d.Rotational:
		kind = "rotational"
	default:
		kind = "non-rotational"
	}
	return fmt.Sprintf("%s on %s (%s, %s, mount %s)", d.Path, orUnknown(d.Device), orUnknown(d.FSType), kind, orUnknown(d.Mount))
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

func opsTable(runs []*run) *table {
	t := &table{Head: []string{"op", "count", "errors", "ops/s", "min", "mean", "p50", "p90", "p99", "p99.9", "max"}}
	if len(runs) > 1 {
		t.Head = append([]string{"run"}, t.Head...)
	}
	for _, r := range runs {
		lead := func(op string) []cell {
			if len(runs) > 1 {
				return []cell{text(r.label), text(op)}
			}
			return []cell{text(op)}
		}
		for _, o := range r.res.Ops {
			l := o.Latency
			t.Rows = append(t.Rows, append(lead(o.Op), integer(o.Count), integer(o.Errors), decimal(o.ThroughputOpsS),
				latency(l.Min), value(unitMicros, l.Mean), latency(l.P50), latency(l.P90), latency(l.P99), latency(l.P999), latency(l.Max)))
		}
		tot := r.res.Total
		t.Rows = append(t.Rows, append(lead("total"), integer(tot.Count), integer(tot.Errors), decimal(tot.ThroughputOpsS)))
	}
	return t
}

// runComparison compares every run with the first: a table of the
// headline numbers with their change, and bars of throughput and p99.
func (p *page) runComparison(runs []*run) {
	base := runs[0]
	s := p.section("Compared with " + base.label)
	s.note("Each value with its change from %s; green is better, red is worse (changes under 1%% are not coloured).", base.label)
	t := &table{Head: append([]string{"metric"}, runLabels(runs)...)}
	row := func(metric, unit string, higherIsBetter bool, read func(*run) (float64, bool)) {
		b, baseOK := read(base)
		cells := []cell{text(metric)}
		for _, r := range runs {
			v, ok := read(r)
			switch {
			case !ok:
				cells = append(cells, missing())
			case r == base || !baseOK:
				cells = append(cells, value(unit, v))
			default:
				cells = append(cells, delta(unit, v, b, higherIsBetter))
			}
		}
		if slices.ContainsFunc(cells[1:], func(c cell) bool { return c != missing() }) {
			t.Rows = append(t.Rows, cells)
		}
	}
	row("total ops/s", "ops/s", true, func(r *run) (float64, bool) { return r.res.Total.ThroughputOpsS, true })
	for _, o := range base.res.Ops {
		op := func(r *run) (results.OpStats, bool) {
			i := slices.IndexFunc(r.res.Ops, func(x results.OpStats) bool { return x.Op == o.Op })
			if i < 0 {
				return results.OpStats{}, false
			}
			return r.res.Ops[i], true
		}
		metric := func(label, unit string, higherIsBetter bool, f func(results.OpStats) float64) {
			row(o.Op+" "+label, unit, higherIsBetter, func(r *run) (float64, bool) {
				x, ok := op(r)
				return f(x), ok
			})
		}
		metric("ops/s", "ops/s", true, func(x results.OpStats) float64 { return x.ThroughputOpsS })
		metric("p50", unitMicros, false, func(x results.OpStats) float64 { return float64(x.Latency.P50) })
		metric("p99", unitMicros, false, func(x results.OpStats) float64 { return float64(x.Latency.P99) })
		metric("p99.9", unitMicros, false, func(x results.OpStats) float64 { return float64(x.Latency.P999) })
		metric("max", unitMicros, false, func(x results.OpStats) float64 { return float64(x.Latency.Max) })
	}
	for _, srv := range base.res.Servers {
		row(fmt.Sprintf("server %d fsync p99", srv.ID), unitMicros, false, func(r *run) (float64, bool) {
			i := slices.IndexFunc(r.res.Servers, func(x results.Server) bool { return x.ID == srv.ID })
			if i < 0 || r.res.MntrFsync() {
				return 0, false
			}
			return float64(r.res.Servers[i].Fsync.Latency.P99), true
		})
	}
	for _, h := range []headline{stallInsideHeadline, stallHeadline("fsync p99 inside snapshots", true, true)} {
		row(h.name, h.unit, h.higherIsBetter, func(r *run) (float64, bool) { return h.value(r.res) })
	}
	s.table(t)

	labels := runLabels(runs)
	tput := barSeries{name: "ops/s"}
	for _, r := range runs {
		tput.data = append(tput.data, opts.BarData{Value: r.res.Total.ThroughputOpsS})
	}
	p.chart(s, barChart("Throughput by run", "all ops, measured phase", "ops/s", labels, []barSeries{tput}))
	var p99 []barSeries
	for _, op := range opNames(runs) {
		b := barSeries{name: op}
		for _, r := range runs {
			v := any("-")
			if i := slices.IndexFunc(r.res.Ops, func(x results.OpStats) bool { return x.Op == op }); i >= 0 {
				v = r.res.Ops[i].Latency.P99
			}
			b.data = append(b.data, opts.BarData{Value: v})
		}
		p99 = append(p99, b)
	}
	if len(p99) > 0 {
		p.chart(s, barChart("p99 latency by run", "per op", unitMicros, labels, p99))
	}
}

// opNames are the op types of all runs, in the order they first appear.
func opNames(runs []*run) []string { return opsOf(resultsOf(runs)) }

func resultsOf(runs []*run) []*results.Result {
	rs := make([]*results.Result, len(runs))
	for i, r := range runs {
		rs[i] = r.res
	}
	return rs
}

// runLatency tables each op's throughput and latency and plots its
// latency spectrum, one chart per op.
func (p *page) runLatency(runs []*run) {
	s := p.section("Latency by percentile")
	ops := opNames(runs)
	if len(ops) == 0 {
		s.note("No ops in result.json.")
		return
	}
	s.table(opsTable(runs))
	s.note("The latency at each percentile, from the op's .hlog (or, without one, the percentiles in result.json). The percentile axis is logarithmic in 1/(1-percentile): 90%%, 99%%, 99.9%%… are evenly spaced.")
	for _, op := range ops {
		var ss []series
		for i, r := range runs {
			j := slices.IndexFunc(r.res.Ops, func(x results.OpStats) bool { return x.Op == op })
			if j < 0 {
				continue
			}
			pts := summarySpectrum(r.res.Ops[j].Latency, r.res.Ops[j].Count)
			if h := r.ops[j]; h != nil {
				pts = spectrum(h)
			}
			if len(pts) > 0 {
				ss = append(ss, spectrumSeries(name(runs, r, ""), pts, lineStyle(colour(i), "")))
			}
		}
		if len(ss) == 0 {
			s.note("%s: no latency recorded.", op)
			continue
		}
		if len(runs) == 1 {
			ss[0].name = op
		}
		p.chart(s, spectrumChart(op+" latency by percentile", "", false, ss))
	}
}

// runOverTime plots latency and throughput per interval, with snapshot
// windows shaded and log rolls and leader changes marked.
func (p *page) runOverTime(runs []*run) {
	s := p.section("Over time")
	if !slices.ContainsFunc(runs, func(r *run) bool { return len(r.res.Timeseries) > 0 }) {
		s.note("No time series in result.json.")
		return
	}
	s.note("Shaded: snapshot windows of any member (trigger to sync of the snapshot file, drawn at least %s%% of the run wide). Red lines: leader elections. The lane chart below has each member's windows and transaction log rolls.", formatFloat(minWindowShare*100))
	var lat, tput []series
	for i, r := range runs {
		marks := runMarks(r.res)
		styles := []struct {
			what, dash string
			v          func(results.TimePoint) int64
		}{
			{"p50", "dotted", func(t results.TimePoint) int64 { return t.P50Us }},
			{"p99", "", func(t results.TimePoint) int64 { return t.P99Us }},
			{"max", "dashed", func(t results.TimePoint) int64 { return t.MaxUs }},
		}
		for k, st := range styles {
			c, dash := colour(i), st.dash
			if len(runs) == 1 {
				c, dash = colour(k), ""
			}
			se := series{name: name(runs, r, st.what), opts: []charts.SeriesOpts{lineStyle(c, dash)}}
			for _, t := range r.res.Timeseries {
				se.data = append(se.data, xy(t.T, logValue(st.v(t))))
			}
			if st.what == "p99" {
				se.opts = append(se.opts, marks)
			}
			lat = append(lat, se)
		}
		se := series{name: name(runs, r, "ops/s"), opts: []charts.SeriesOpts{lineStyle(colour(i), ""), marks}}
		for _, t := range r.res.Timeseries {
			se.data = append(se.data, xy(t.T, t.OpsS))
		}
		tput = append(tput, se)
	}
	step := seriesStep(runs)
	p.chart(s, timeChart("Latency per "+step, "p50, p99 and max of all ops (log scale)", unitMicros, true, lat))
	p.chart(s, timeChart("Throughput per "+step, "all ops", "ops/s", false, tput))
	if lanes := memberLanes(runs); len(lanes) > 0 && len(lanes) <= maxLanes && slices.ContainsFunc(lanes, lane.marked) {
		p.chart(s, laneChart(lanes))
	} else if len(lanes) > maxLanes {
		s.note("%d members in all: too many lanes for one chart; each run's own report has its members' lanes.", len(lanes))
	}
}

// seriesStep names the time series' interval: "100 ms" in a run of
// this version, "second" in older ones (whose first point ends at 1 s).
func seriesStep(runs []*run) string {
	for _, r := range runs {
		if ts := r.res.Timeseries; len(ts) > 1 && ts[1].T-ts[0].T < 0.999 {
			return formatFloat(math.Round((ts[1].T-ts[0].T)*1000)) + " ms"
		}
	}
	return "second"
}

// window is a snapshot window in seconds of the run.
type window struct {
	server   int
	from, to float64
}

// snapshotWindows pairs each member's snapshot-start and snapshot-end
// events (the clock of the time series); a run without such events gets
// them from servers[].snapshots, relative to started.
func snapshotWindows(res *results.Result) []window {
	var ws []window
	open := map[int]int{} // server → index in ws of its open window
	for _, e := range res.Events {
		switch e.Kind {
		case engine.EventSnapshotStart.String():
			open[e.Server] = len(ws)
			ws = append(ws, window{server: e.Server, from: e.T, to: -1})
		case engine.EventSnapshotEnd.String():
			if i, ok := open[e.Server]; ok {
				ws[i].to = e.T
				delete(open, e.Server)
			}
		}
	}
	if len(ws) > 0 {
		end := runEnd(res)
		for i := range ws {
			if ws[i].to < 0 { // still writing when the run ended
				ws[i].to = max(end, ws[i].from)
			}
		}
		return ws
	}
	for _, srv := range res.Servers {
		for _, sn := range srv.Snapshots {
			from := sn.Start.Sub(res.Started).Seconds()
			ws = append(ws, window{server: srv.ID, from: from, to: from + sn.DurationMs/1000})
		}
	}
	return ws
}

// runMarks marks a run's snapshot windows (any member's, at least
// minWindowShare of the run wide) and leader elections on a series over
// time. The windows are unlabelled and log rolls left out: dozens of them
// would bury the lines, and the lane chart shows both per member.
// Election labels alternate between the top and the bottom of the chart,
// so that two close together do not print over each other.
func runMarks(res *results.Result) charts.SeriesOpts {
	var lines []markItem
	for _, e := range res.Events {
		if e.Kind != engine.EventLeaderElected.String() {
			continue
		}
		pos := "insideEndTop"
		if len(lines)%2 == 1 {
			pos = "insideStartTop"
		}
		lines = append(lines, markItem{Name: fmt.Sprintf("leader s%d", e.Server), XAxis: e.T,
			LineStyle: &opts.LineStyle{Color: "#c62828", Type: "solid", Width: 2},
			Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: pos}})
	}
	var areas [][2]markItem
	end := runEnd(res)
	for _, w := range snapshotWindows(res) {
		w = w.visible(end)
		areas = append(areas, [2]markItem{{Name: fmt.Sprintf("snapshot s%d", w.server), XAxis: w.from}, {XAxis: w.to}})
	}
	fl, fa := faultMarks(res)
	return withMarks(append(lines, fl...), append(areas, fa...))
}

// runFsync shows each member's transaction log syncs: a table, the
// latency spectrum, the p99 per interval and the txns per sync.
func (p *page) runFsync(runs []*run) {
	s := p.section("fsync per member")
	if !slices.ContainsFunc(runs, func(r *run) bool { return len(r.res.Servers) > 0 }) {
		s.note("No ensemble members in result.json (an external target).")
		return
	}
	s.table(fsyncTable(runs))
	if slices.ContainsFunc(runs, func(r *run) bool { return r.res.MntrFsync() }) {
		s.note("A dash: not measured on this target. Real ZooKeeper servers are read through mntr, which has their sync count, mean, max (when the run raised it) and the syncs over fsync.warningthresholdms, in whole ms, and no percentiles, bytes or txns per sync. " +
			"Snapshots, log rolls and preallocation steps of servers zkbench started (target zookeeper) are seen in their version-2 folders; a zk:// ensemble's are not observed.")
	}
	var spec, overTime []series
	for _, r := range runs {
		if r.res.MntrFsync() {
			continue
		}
		for i, srv := range r.res.Servers {
			c := colour(len(spec))
			member := name(runs, r, fmt.Sprintf("server %d", srv.ID))
			pts := summarySpectrum(srv.Fsync.Latency, srv.Fsync.Count)
			if hs := r.fsync[i]; hs != nil {
				pts = spectrum(hlog.Merge(hs))
				overTime = append(overTime, intervalP99(member, r.res.Started, hs, lineStyle(c, "")))
			}
			if len(pts) > 0 {
				spec = append(spec, spectrumSeries(member, pts, lineStyle(c, "")))
			}
		}
	}
	if len(spec) > 0 {
		p.chart(s, spectrumChart("fsync latency by percentile", "one transaction log sync (group commit) per value", false, spec))
	}
	if len(overTime) == 0 {
		// Without the members' .hlog files, the ensemble-wide p99 per
		// second of result.json's time series.
		for i, r := range runs {
			se := series{name: name(runs, r, "fsync p99"), opts: []charts.SeriesOpts{lineStyle(colour(i), "")}}
			for _, t := range r.res.Timeseries {
				se.data = append(se.data, xy(t.T, logValue(t.FsyncP99Us)))
			}
			if len(se.data) > 0 && !r.res.MntrFsync() {
				overTime = append(overTime, se)
			}
		}
	}
	if len(overTime) > 0 {
		if len(runs) == 1 {
			fl, fa := faultMarks(runs[0].res)
			overTime[0].opts = append(overTime[0].opts, withMarks(fl, fa))
		}
		p.chart(s, timeChart("fsync p99 per "+seriesStep(runs), "log scale", unitMicros, true, overTime))
	}
	if slices.ContainsFunc(runs, func(r *run) bool { return !r.res.MntrFsync() }) {
		p.chart(s, txnsPerSyncChart(runs))
	}
	if i := slices.IndexFunc(runs, func(r *run) bool { return r.res.MntrFsync() }); i >= 0 {
		s.note("fsync latency by percentile, per interval and txns per sync of %s: not measured on this target (mntr has no percentiles).", runs[i].label)
	}
}

// intervalP99 is the p99 of each interval of an .hlog, at the end of the
// interval in seconds since started.
func intervalP99(name string, started time.Time, hs []*hdrhistogram.Histogram, style charts.SeriesOpts) series {
	se := series{name: name, opts: []charts.SeriesOpts{style}}
	for _, h := range hs {
		t := float64(h.EndTimeMs()-started.UnixMilli()) / 1000
		se.data = append(se.data, xy(t, logValue(h.ValueAtQuantile(99))))
	}
	return se
}

func fsyncTable(runs []*run) *table {
	t := &table{Head: []string{"server", "role", "syncs", "txns/sync", "bytes/sync", "mean", "p50", "p99", "p99.9", "max",
		"over 1 s", "snapshots", "log rolls", "prealloc extends"}}
	if len(runs) > 1 {
		t.Head = append([]string{"run"}, t.Head...)
	}
	for _, r := range runs {
		for _, srv := range r.res.Servers {
			f := srv.Fsync
			var row []cell
			if len(runs) > 1 {
				row = append(row, text(r.label))
			}
			row = append(row, integer(int64(srv.ID)), text(srv.Role), integer(f.Count))
			mean := missing()
			if f.Count > 0 {
				mean = value(unitMicros, f.Latency.Mean)
			}
			if r.res.MntrFsync() {
				// mntr's count, mean, max and threshold count; the files'
				// figures where they were watched.
				max := missing()
				if f.Latency.Max > 0 {
					max = latency(f.Latency.Max)
				}
				row = append(row, missing(), missing(), mean, missing(), missing(), missing(), max,
					integer(f.OverWarningThreshold))
				if srv.FilesWatched() {
					row = append(row, integer(int64(len(srv.Snapshots))), integer(int64(srv.LogRolls)), integer(int64(srv.PreallocExtends)))
				} else {
					row = append(row, missing(), missing(), missing())
				}
			} else {
				row = append(row, decimal(perSync(f.Txns, f.Count)), decimal(perSync(f.Bytes, f.Count)), mean,
					latency(f.Latency.P50), latency(f.Latency.P99), latency(f.Latency.P999), latency(f.Latency.Max),
					integer(f.OverWarningThreshold), integer(int64(len(srv.Snapshots))),
					integer(int64(srv.LogRolls)), integer(int64(srv.PreallocExtends)))
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

func perSync(n, syncs int64) float64 {
	if syncs == 0 {
		return 0
	}
	return float64(n) / float64(syncs)
}

// txnsPerSyncChart shows how well group commit batches: txns made
// durable per sync, per member.
func txnsPerSyncChart(runs []*run) *charts.Bar {
	var members []string
	for _, r := range runs {
		for _, srv := range r.res.Servers {
			if m := fmt.Sprintf("server %d", srv.ID); !slices.Contains(members, m) {
				members = append(members, m)
			}
		}
	}
	var ss []barSeries
	for _, r := range runs {
		b := barSeries{name: name(runs, r, "")}
		if len(runs) == 1 {
			b.name = "txns/sync"
		}
		for _, m := range members {
			v := any("-")
			for _, srv := range r.res.Servers {
				if fmt.Sprintf("server %d", srv.ID) == m && !r.res.MntrFsync() {
					v = roundSig(perSync(srv.Fsync.Txns, srv.Fsync.Count), 3)
				}
			}
			b.data = append(b.data, opts.BarData{Value: v})
		}
		ss = append(ss, b)
	}
	return barChart("Transactions per sync", "group commit: txns made durable by one fsync", "txns", members, ss)
}

// runSnapshots shows the snapshot stall — client writes and fsyncs
// inside snapshot windows against outside, each with the samples behind
// it — and every snapshot.
func (p *page) runSnapshots(runs []*run) {
	s := p.section("Snapshots")
	if !slices.ContainsFunc(runs, func(r *run) bool { return !r.res.External() }) {
		s.note("Not measured on this target: a zk:// ensemble's snapshots are not observed (mntr has none; target zookeeper, servers zkbench starts, has them from their files).")
		return
	}
	t := &table{Head: []string{"windows", "write p99 inside", "write p99 outside", "fsync p99 inside", "fsync p99 outside"}}
	if len(runs) > 1 {
		t.Head = append([]string{"run"}, t.Head...)
	}
	for _, r := range runs {
		st := r.res.SnapshotStall
		var row []cell
		if len(runs) > 1 {
			row = append(row, text(r.label))
		}
		if r.res.External() {
			t.Rows = append(t.Rows, append(row, text("not measured on this target (a zk:// ensemble)")))
			continue
		}
		row = append(row, integer(int64(st.Windows)))
		for _, side := range stallSides {
			row = append(row, cell{Text: stallText(st, side.fsync, side.inside), Class: "num"})
		}
		t.Rows = append(t.Rows, row)
	}
	s.heading("Snapshot stall")
	s.note("p99 inside snapshot windows and outside them, with n the samples behind each; a dash where none fell on that side.")
	s.table(t)
	if i := slices.IndexFunc(runs, func(r *run) bool { return r.res.Managed() }); i >= 0 {
		s.note("fsync p99 inside and outside snapshots of %s: not measured on this target (real servers; mntr has no percentiles).", runs[i].label)
	}
	if !slices.ContainsFunc(runs, func(r *run) bool { return r.res.SnapshotStall.Windows > 0 }) {
		s.note("No snapshot during the measured phase.")
		return
	}
	var ss []barSeries
	for _, r := range runs {
		st := r.res.SnapshotStall
		for _, inside := range []bool{true, false} {
			b := barSeries{name: name(runs, r, "outside snapshots")}
			if inside {
				b.name = name(runs, r, "inside snapshots")
			}
			for _, fsync := range []bool{false, true} {
				v := any("-") // missing: no bar, not a bar of 0
				if f, ok := st.StallP99(fsync, inside); ok {
					v = f.P99Us
				}
				b.data = append(b.data, opts.BarData{Value: v})
			}
			ss = append(ss, b)
		}
	}
	p.chart(s, barChart("Snapshot stall", "p99 inside snapshot windows against outside them", unitMicros,
		[]string{"client write p99", "fsync p99"}, ss))

	list := &table{Head: []string{"server", "start (s)", "duration", "size", "zxid", "znodes"}}
	if len(runs) > 1 {
		list.Head = append([]string{"run"}, list.Head...)
	}
	for _, r := range runs {
		for _, srv := range r.res.Servers {
			for _, sn := range srv.Snapshots {
				var row []cell
				if len(runs) > 1 {
					row = append(row, text(r.label))
				}
				list.Rows = append(list.Rows, append(row, integer(int64(srv.ID)), decimal(sn.Start.Sub(r.res.Started).Seconds()),
					value(unitMicros, sn.DurationMs*1000), text(size.Human(sn.Bytes)), text(sn.Zxid), optionalInteger(sn.Nodes)))
			}
		}
	}
	s.fold("Every snapshot ("+plural(len(list.Rows), "snapshot")+")", list)
}

// stallSides are the four figures of a snapshot stall, in table order.
var stallSides = []struct{ fsync, inside bool }{{false, true}, {false, false}, {true, true}, {true, false}}

// runMachine plots CPU and, per device, disk utilization and writes.
func (p *page) runMachine(runs []*run) {
	s := p.section("CPU and disks")
	if !slices.ContainsFunc(runs, func(r *run) bool { return len(r.res.Timeseries) > 0 }) {
		s.note("No time series in result.json.")
		return
	}
	var cpu, util, write []series
	for i, r := range runs {
		se := series{name: name(runs, r, "cpu"), opts: []charts.SeriesOpts{lineStyle(colour(i), "")}}
		fl, fa := faultMarks(r.res)
		if len(runs) == 1 && len(fl) > 0 {
			se.opts = append(se.opts, withMarks(fl, fa))
		}
		for _, t := range r.res.Timeseries {
			se.data = append(se.data, xy(t.T, t.CPUPct))
		}
		cpu = append(cpu, se)
		devs := map[string]bool{}
		for _, t := range r.res.Timeseries {
			for d := range t.Disk {
				devs[d] = true
			}
		}
		for _, d := range slices.Sorted(maps.Keys(devs)) {
			c := colour(len(util))
			u := series{name: name(runs, r, d), opts: []charts.SeriesOpts{lineStyle(c, "")}}
			w := series{name: name(runs, r, d), opts: []charts.SeriesOpts{lineStyle(c, "")}}
			if len(runs) == 1 && len(fl) > 0 && len(util) == 0 {
				u.opts = append(u.opts, withMarks(fl, fa))
				w.opts = append(w.opts, withMarks(fl, fa))
			}
			for _, t := range r.res.Timeseries {
				if dp, ok := t.Disk[d]; ok {
					u.data = append(u.data, xy(t.T, dp.UtilPct))
					w.data = append(w.data, xy(t.T, roundSig(dp.WriteBytesS/1e6, 4)))
				}
			}
			util, write = append(util, u), append(write, w)
		}
	}
	p.chart(s, timeChart("CPU", "of the whole machine", "%", false, cpu))
	if len(util) == 0 {
		s.note("No disk statistics in the time series.")
		return
	}
	p.chart(s, timeChart("Disk utilization", "per device", "%", false, util))
	p.chart(s, timeChart("Disk writes", "per device", "MB/s", false, write))
}
