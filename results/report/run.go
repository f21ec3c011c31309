package report

import (
	"fmt"
	"maps"
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

// addRuns adds the sections about runs. With several runs every chart
// overlays them and a table compares each with the first. Each sweep
// among them has its figures against its varied keys: first when the
// report is of sweeps alone (that is the question a sweep asks, and a
// dozen runs' summary tables would push it off the first screen), else
// after the summary of every run.
func (p *page) addRuns(runs []*run, sweeps []*sweep) {
	inSweeps := 0
	for _, sw := range sweeps {
		inSweeps += len(sw.runs)
	}
	if inSweeps < len(runs) {
		p.runSummary(runs)
	}
	for _, sw := range sweeps {
		p.addSweep(sw)
	}
	if inSweeps == len(runs) {
		p.runSummary(runs)
	}
	if len(runs) > 1 {
		p.runComparison(runs)
	}
	p.runLatency(runs)
	p.runOverTime(runs)
	p.runFsync(runs)
	p.runSnapshots(runs)
	p.runMachine(runs)
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

func (p *page) runSummary(runs []*run) {
	s := p.section("Run")
	if len(runs) > 1 {
		s.Title = fmt.Sprintf("%d runs", len(runs))
	}
	s.heading("Configuration")
	s.table(configTable(runs))
	s.heading("Environment")
	s.table(environmentTable(runs))
	s.heading("Throughput and latency per op (µs)")
	s.table(opsTable(runs))
}

// configTable has one row per knob and one column per run; with several
// runs the knobs that differ are highlighted.
func configTable(runs []*run) *table {
	t := &table{Head: append([]string{""}, runLabels(runs)...)}
	add := func(key string, value func(*run) string) {
		row := []cell{text(key)}
		for _, r := range runs {
			row = append(row, text(value(r)))
		}
		if len(runs) > 1 && slices.ContainsFunc(row[2:], func(c cell) bool { return c.Text != row[1].Text }) {
			for i := range row {
				row[i].Class = "diff"
			}
		}
		t.Rows = append(t.Rows, row)
	}
	add("profile", func(r *run) string { return r.res.Profile })
	add("target", func(r *run) string { return r.res.Target })
	add("started", func(r *run) string { return r.res.Started.UTC().Format(time.RFC3339) })
	add("duration", func(r *run) string { return formatFloat(r.res.DurationS) + " s" })
	add("zkbench", func(r *run) string { return r.res.ZkbenchVersion })
	flats := make(map[*run]map[string]any, len(runs))
	keys := map[string]bool{}
	for _, r := range runs {
		flats[r] = r.res.Config.Flat()
		for k := range flats[r] {
			keys[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		add(k, func(r *run) string { return knob(flats[r][k]) })
	}
	return t
}

func environmentTable(runs []*run) *table {
	t := &table{Head: append([]string{""}, runLabels(runs)...)}
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
		add(role, func(e results.Environment) string {
			i := slices.IndexFunc(e.Devices, func(d results.Device) bool { return d.Role == role })
			if i < 0 {
				return ""
			}
			return describeDevice(e.Devices[i])
		})
	}
	return t
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
				integer(l.Min), decimal(l.Mean), integer(l.P50), integer(l.P90), integer(l.P99), integer(l.P999), integer(l.Max)))
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
	row := func(metric string, higherIsBetter bool, value func(*run) (float64, bool)) {
		b, ok := value(base)
		if !ok {
			return
		}
		cells := []cell{text(metric), decimal(b)}
		for _, r := range runs[1:] {
			if v, ok := value(r); ok {
				cells = append(cells, delta(v, b, higherIsBetter))
			} else {
				cells = append(cells, text("—"))
			}
		}
		t.Rows = append(t.Rows, cells)
	}
	row("total ops/s", true, func(r *run) (float64, bool) { return r.res.Total.ThroughputOpsS, true })
	for _, o := range base.res.Ops {
		op := func(r *run) (results.OpStats, bool) {
			i := slices.IndexFunc(r.res.Ops, func(x results.OpStats) bool { return x.Op == o.Op })
			if i < 0 {
				return results.OpStats{}, false
			}
			return r.res.Ops[i], true
		}
		metric := func(label string, higherIsBetter bool, f func(results.OpStats) float64) {
			row(o.Op+" "+label, higherIsBetter, func(r *run) (float64, bool) {
				x, ok := op(r)
				return f(x), ok
			})
		}
		metric("ops/s", true, func(x results.OpStats) float64 { return x.ThroughputOpsS })
		metric("p50 µs", false, func(x results.OpStats) float64 { return float64(x.Latency.P50) })
		metric("p99 µs", false, func(x results.OpStats) float64 { return float64(x.Latency.P99) })
		metric("p99.9 µs", false, func(x results.OpStats) float64 { return float64(x.Latency.P999) })
		metric("max µs", false, func(x results.OpStats) float64 { return float64(x.Latency.Max) })
	}
	for _, srv := range base.res.Servers {
		row(fmt.Sprintf("server %d fsync p99 µs", srv.ID), false, func(r *run) (float64, bool) {
			i := slices.IndexFunc(r.res.Servers, func(x results.Server) bool { return x.ID == srv.ID })
			if i < 0 {
				return 0, false
			}
			return float64(r.res.Servers[i].Fsync.Latency.P99), true
		})
	}
	row("write p99 µs inside snapshots", false, func(r *run) (float64, bool) {
		return float64(r.res.SnapshotStall.WriteP99UsInside), r.res.SnapshotStall.Windows > 0
	})
	row("fsync p99 µs inside snapshots", false, func(r *run) (float64, bool) {
		return float64(r.res.SnapshotStall.FsyncP99UsInside), r.res.SnapshotStall.Windows > 0
	})
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
		p.chart(s, barChart("p99 latency by run", "per op", "µs", labels, p99))
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

// runLatency plots each op's latency spectrum, one chart per op.
func (p *page) runLatency(runs []*run) {
	s := p.section("Latency by percentile")
	ops := opNames(runs)
	if len(ops) == 0 {
		s.note("No ops in result.json.")
		return
	}
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

// runOverTime plots latency and throughput per second, with snapshot
// windows shaded and log rolls and leader changes marked.
func (p *page) runOverTime(runs []*run) {
	s := p.section("Over time")
	if !slices.ContainsFunc(runs, func(r *run) bool { return len(r.res.Timeseries) > 0 }) {
		s.note("No time series in result.json.")
		return
	}
	s.note("Shaded: snapshot windows (trigger to sync of the snapshot file). Vertical lines: transaction log rolls (dashed) and leader elections (solid).")
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
	p.chart(s, timeChart("Latency per second", "p50, p99 and max of all ops (log scale)", "µs", true, lat))
	p.chart(s, timeChart("Throughput per second", "all ops", "ops/s", false, tput))
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
		end := res.DurationS
		if n := len(res.Timeseries); n > 0 {
			end = max(end, res.Timeseries[n-1].T)
		}
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

// runMarks marks a run's snapshot windows, log rolls and leader
// elections on a series over time.
func runMarks(res *results.Result) charts.SeriesOpts {
	var lines []markItem
	for _, e := range res.Events {
		switch e.Kind {
		case engine.EventLogRoll.String():
			lines = append(lines, markItem{Name: fmt.Sprintf("log roll s%d", e.Server), XAxis: e.T,
				LineStyle: &opts.LineStyle{Color: "#888", Type: "dashed"}})
		case engine.EventLeaderElected.String():
			lines = append(lines, markItem{Name: fmt.Sprintf("leader s%d", e.Server), XAxis: e.T,
				LineStyle: &opts.LineStyle{Color: "#c62828", Type: "solid", Width: 2}})
		}
	}
	var areas [][2]markItem
	for _, w := range snapshotWindows(res) {
		areas = append(areas, [2]markItem{{Name: fmt.Sprintf("snapshot s%d", w.server), XAxis: w.from}, {XAxis: w.to}})
	}
	return withMarks(lines, areas)
}

// runFsync shows each member's transaction log syncs: a table, the
// latency spectrum, the p99 per second and the txns per sync.
func (p *page) runFsync(runs []*run) {
	s := p.section("fsync per member")
	if !slices.ContainsFunc(runs, func(r *run) bool { return len(r.res.Servers) > 0 }) {
		s.note("No ensemble members in result.json (an external target).")
		return
	}
	s.table(fsyncTable(runs))
	var spec, overTime []series
	for _, r := range runs {
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
			if len(se.data) > 0 {
				overTime = append(overTime, se)
			}
		}
	}
	if len(overTime) > 0 {
		p.chart(s, timeChart("fsync p99 per second", "log scale", "µs", true, overTime))
	}
	p.chart(s, txnsPerSyncChart(runs))
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
	t := &table{Head: []string{"server", "role", "syncs", "txns/sync", "bytes/sync", "p50", "p99", "p99.9", "max",
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
			row = append(row, integer(int64(srv.ID)), text(srv.Role), integer(f.Count),
				decimal(perSync(f.Txns, f.Count)), decimal(perSync(f.Bytes, f.Count)),
				integer(f.Latency.P50), integer(f.Latency.P99), integer(f.Latency.P999), integer(f.Latency.Max),
				integer(f.OverWarningThreshold), integer(int64(len(srv.Snapshots))),
				integer(int64(srv.LogRolls)), integer(int64(srv.PreallocExtends)))
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
				if fmt.Sprintf("server %d", srv.ID) == m {
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
// inside snapshot windows against outside — and every snapshot.
func (p *page) runSnapshots(runs []*run) {
	s := p.section("Snapshots")
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
		t.Rows = append(t.Rows, append(row, integer(int64(st.Windows)), integer(st.WriteP99UsInside), integer(st.WriteP99UsOutside),
			integer(st.FsyncP99UsInside), integer(st.FsyncP99UsOutside)))
	}
	s.heading("Snapshot stall (µs)")
	s.table(t)
	if !slices.ContainsFunc(runs, func(r *run) bool { return r.res.SnapshotStall.Windows > 0 }) {
		s.note("No snapshot during the measured phase.")
		return
	}
	var ss []barSeries
	for _, r := range runs {
		st := r.res.SnapshotStall
		ss = append(ss,
			barSeries{name: name(runs, r, "inside snapshots"), data: []opts.BarData{{Value: st.WriteP99UsInside}, {Value: st.FsyncP99UsInside}}},
			barSeries{name: name(runs, r, "outside snapshots"), data: []opts.BarData{{Value: st.WriteP99UsOutside}, {Value: st.FsyncP99UsOutside}}})
	}
	p.chart(s, barChart("Snapshot stall", "p99 inside snapshot windows against outside them", "µs",
		[]string{"client write p99", "fsync p99"}, ss))

	list := &table{Head: []string{"server", "start (s)", "duration (ms)", "size", "zxid", "znodes"}}
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
					decimal(sn.DurationMs), text(size.Human(sn.Bytes)), text(sn.Zxid), integer(sn.Nodes)))
			}
		}
	}
	s.heading("Every snapshot")
	s.table(list)
}

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
