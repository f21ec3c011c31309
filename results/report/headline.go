package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"zkbench/results"
)

// headline is one figure that a sweep or a trend follows from run to
// run: the numbers a person compares first. All are read from
// result.json alone, as zkbench compare reads them, so that a trend
// and a compare of the same folders agree.
type headline struct {
	// name heads the figure's table column: "ops/s", "setData p99".
	name           string
	unit           string // unitMicros or "ops/s"
	higherIsBetter bool
	// value reads the figure from a run; false when the run has none (an
	// op it did not do, no snapshot in its measured phase, a figure a
	// real ensemble does not report).
	value func(*results.Result) (float64, bool)
	// samples, where set, counts what the figure was computed from: a
	// p99 of a handful of writes says little.
	samples func(*results.Result) int64
}

var throughputHeadline = headline{name: "ops/s", unit: "ops/s", higherIsBetter: true,
	value: func(r *results.Result) (float64, bool) { return r.Total.ThroughputOpsS, true }}

// fsyncHeadline is the slowest member's fsync p99, the figure zkbench
// compare calls fsync_p99: member ids do not pair up across runs (the
// leader changes), and one member's slow disk is what a reader looks for.
// A real ensemble's mntr has no percentiles.
var fsyncHeadline = headline{name: "fsync p99", unit: unitMicros,
	value: func(r *results.Result) (float64, bool) {
		s, ok := slowestFsync(r)
		return float64(s.Fsync.Latency.P99), ok
	}}

// slowestFsync is the member with the highest fsync p99; false for a
// run without members or of real servers (mntr has no percentiles).
func slowestFsync(r *results.Result) (results.Server, bool) {
	if len(r.Servers) == 0 || r.MntrFsync() {
		return results.Server{}, false
	}
	worst := r.Servers[0]
	for _, s := range r.Servers[1:] {
		if s.Fsync.Latency.P99 > worst.Fsync.Latency.P99 {
			worst = s
		}
	}
	return worst, true
}

// The snapshot stall: client write p99 inside snapshot windows and
// outside them, of runs with a write on that side of a window.
var (
	stallInsideHeadline  = stallHeadline("write p99 inside snapshots", false, true)
	stallOutsideHeadline = stallHeadline("write p99 outside snapshots", false, false)
)

// stallHeadline is a stall figure: the write (or fsync) p99 inside
// snapshot windows (or outside them).
func stallHeadline(name string, fsync, inside bool) headline {
	return headline{name: name, unit: unitMicros,
		value: func(r *results.Result) (float64, bool) {
			f, ok := r.SnapshotStall.StallP99(fsync, inside)
			return float64(f.P99Us), ok
		},
		samples: func(r *results.Result) int64 {
			f, _ := r.SnapshotStall.StallP99(fsync, inside)
			return f.Samples
		}}
}

// latencyStat is one stat of an op's latency summary in result.json.
type latencyStat struct {
	name string // as the per-op table heads it: "p99.9"
	dash string // its line beside the op's other stats
	of   func(results.Percentiles) int64
}

var (
	statP50  = latencyStat{"p50", "dotted", func(p results.Percentiles) int64 { return p.P50 }}
	statP99  = latencyStat{"p99", "", func(p results.Percentiles) int64 { return p.P99 }}
	statP999 = latencyStat{"p99.9", "dashed", func(p results.Percentiles) int64 { return p.P999 }}
)

// opLatencyHeadline is one op type's latency stat. Latencies stay per op
// type, as in the run's table: a mixed workload's reads and writes pooled
// would give a percentile of neither.
func opLatencyHeadline(op string, st latencyStat) headline {
	return headline{name: op + " " + st.name, unit: unitMicros,
		value: func(r *results.Result) (float64, bool) {
			i := slices.IndexFunc(r.Ops, func(o results.OpStats) bool { return o.Op == op })
			if i < 0 {
				return 0, false
			}
			return float64(st.of(r.Ops[i].Latency)), true
		}}
}

// figure is one chart of headlines, each drawn as a curve.
type figure struct {
	title, subtitle, unit string
	curves                []curve
	// splits says the figure becomes a chart per curve when it has
	// several series: three stats times three series are too many lines
	// of one kind to tell apart.
	splits bool
}

// perCurve splits f into a figure per curve, named after the curve and
// drawn solid: the dash told the curve from others no longer there.
func (f figure) perCurve() []figure {
	figs := make([]figure, len(f.curves))
	for i, c := range f.curves {
		c.dash = ""
		figs[i] = figure{title: c.h.name, unit: f.unit, curves: []curve{c}}
	}
	return figs
}

// curve is a headline in a figure: its name beside the figure's other
// curves and its dash.
type curve struct {
	label string
	dash  string
	h     headline
}

// headlineFigures are the figures runs are followed by: throughput, each
// op's latency at stats, the fsync p99 where the runs had members and,
// withStall, the snapshot stall where a run had a snapshot.
func headlineFigures(rs []*results.Result, stats []latencyStat, withStall bool) []figure {
	figs := []figure{{title: "Throughput", subtitle: "all ops, measured phase", unit: "ops/s",
		curves: []curve{{label: "ops/s", h: throughputHeadline}}}}
	var names []string
	for _, st := range stats {
		names = append(names, st.name)
	}
	for _, op := range opsOf(rs) {
		f := figure{title: op + " latency", subtitle: strings.Join(names, ", "), unit: unitMicros, splits: true}
		for _, st := range stats {
			f.curves = append(f.curves, curve{label: st.name, dash: st.dash, h: opLatencyHeadline(op, st)})
		}
		figs = append(figs, f)
	}
	if slices.ContainsFunc(rs, func(r *results.Result) bool { _, ok := slowestFsync(r); return ok }) {
		figs = append(figs, figure{title: "fsync p99", subtitle: "the slowest member's transaction log syncs", unit: unitMicros,
			curves: []curve{{label: "fsync p99", h: fsyncHeadline}}})
	}
	if withStall && slices.ContainsFunc(rs, func(r *results.Result) bool { return r.SnapshotStall.Windows > 0 }) {
		figs = append(figs, figure{title: "Snapshot stall", subtitle: "client write p99 inside snapshot windows and outside them", unit: unitMicros,
			curves: []curve{{label: "inside", h: stallInsideHeadline}, {label: "outside", dash: "dashed", h: stallOutsideHeadline}}})
	}
	return figs
}

// tableHeadlines are the headlines of figs, in order: a table's columns.
func tableHeadlines(figs []figure) []headline {
	var hs []headline
	for _, f := range figs {
		for _, c := range f.curves {
			hs = append(hs, c.h)
		}
	}
	return hs
}

// opsOf lists the op types of rs in the order they first appear.
func opsOf(rs []*results.Result) []string {
	var names []string
	for _, r := range rs {
		for _, o := range r.Ops {
			if !slices.Contains(names, o.Op) {
				names = append(names, o.Op)
			}
		}
	}
	return names
}

// labelled is a run's result with the name a tooltip gives it.
type labelled struct {
	label string
	res   *results.Result
}

// tally sorts runs into series and categories (the x axis), both in the
// order of first use: the order a sweep lists its values in, or the
// order a history was given in.
type tally struct {
	series, categories []string
	cells              map[[2]string][]labelled
}

func (t *tally) add(series, category string, r labelled) {
	if t.cells == nil {
		t.cells = map[[2]string][]labelled{}
	}
	if !slices.Contains(t.series, series) {
		t.series = append(t.series, series)
	}
	if !slices.Contains(t.categories, category) {
		t.categories = append(t.categories, category)
	}
	key := [2]string{series, category}
	t.cells[key] = append(t.cells[key], r)
}

func (t *tally) runs(series, category string) []labelled { return t.cells[[2]string{series, category}] }

// all is every run in the tally.
func (t *tally) all() []*results.Result {
	var rs []*results.Result
	for _, s := range t.series {
		for _, c := range t.categories {
			for _, r := range t.runs(s, c) {
				rs = append(rs, r.res)
			}
		}
	}
	return rs
}

// lines are fig's curves for every series: coloured by series, and by
// curve where there is one series. A curve no run has is left out.
func (t *tally) lines(fig figure) []medianLine {
	var ls []medianLine
	for si, s := range t.series {
		for ci, c := range fig.curves {
			l := medianLine{name: curveName(s, c.label, len(fig.curves)), colour: colour(si), dash: c.dash}
			if len(t.series) == 1 {
				l.colour, l.dash = colour(ci), ""
			}
			found := false
			for _, cat := range t.categories {
				var vs []runValue
				for _, r := range t.runs(s, cat) {
					if v, ok := c.h.value(r.res); ok {
						vs = append(vs, runValue{run: r.label, v: v})
					}
				}
				l.values = append(l.values, vs)
				found = found || len(vs) > 0
			}
			if found {
				ls = append(ls, l)
			}
		}
	}
	return ls
}

// curveName names a line: its series, then its curve where the figure
// has several or the series has no name.
func curveName(series, label string, curves int) string {
	switch {
	case series == "":
		return label
	case curves == 1:
		return series
	}
	return series + " " + label
}

// runValue is one run's value of a headline.
type runValue struct {
	run string
	v   float64
}

// medianLine is one line of a median chart: per category, the values of
// its runs there.
type medianLine struct {
	name, colour, dash string
	values             [][]runValue
}

// medianTip names a point: the line, the category or run, the value
// (a latency as the tables print it).
func medianTip(unit string) string {
	v := "v"
	if unit == unitMicros {
		v = "zkMicros(v)"
	}
	return "function (p) { var v = Array.isArray(p.value) ? p.value[1] : p.value; " +
		"return echarts.format.encodeHTML(p.seriesName) + '<br>' + echarts.format.encodeHTML(p.name) + ': ' + " + v + "; }"
}

// medianChart draws lines over categories, each through the median of
// its runs at each category; where a category has several runs
// (repeats), each is a dot as well, so that their spread shows. xKey
// names the axis: a sweep's varied key, or "" for a history.
func medianChart(title, subtitle, xKey, unit string, categories []string, lines []medianLine) *charts.Line {
	x := opts.XAxis{Type: "category", Name: xKey, NameLocation: "middle", NameGap: 30}
	ss := make([]series, len(lines))
	for i, l := range lines {
		ss[i] = l.medians(xKey, categories)
	}
	c := newLine(title, subtitle, x, yAxis(unit, false), opts.Tooltip{Trigger: "item", Formatter: opts.FuncOpts(medianTip(unit))}, ss)
	c.SetXAxis(categories)
	if slices.ContainsFunc(lines, medianLine.repeated) {
		dots := charts.NewScatter()
		for _, l := range lines {
			dots.AddSeries(l.name, l.dots(),
				charts.WithScatterChartOpts(opts.ScatterChart{SymbolSize: 7}),
				charts.WithItemStyleOpts(opts.ItemStyle{Color: l.colour, Opacity: opts.Float(0.6)}))
		}
		c.Overlap(dots)
	}
	return c
}

// medians is the line through the medians; a category without a value
// is a gap.
func (l medianLine) medians(xKey string, categories []string) series {
	se := series{name: l.name, opts: []charts.SeriesOpts{lineStyle(l.colour, l.dash),
		// Symbols, so that a category with neighbours on neither side
		// shows its point.
		charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true), Symbol: "circle", SymbolSize: 6})}}
	for i, vs := range l.values {
		name := categories[i]
		if xKey != "" {
			name = xKey + "=" + name
		}
		m, ok := median(valuesOf(vs))
		switch {
		case !ok:
			se.data = append(se.data, opts.LineData{Name: name, Value: "-"})
		case len(vs) > 1:
			se.data = append(se.data, opts.LineData{Name: fmt.Sprintf("%s, median of %d", name, len(vs)), Value: roundSig(m, 4)})
		default:
			se.data = append(se.data, opts.LineData{Name: name, Value: roundSig(m, 4)})
		}
	}
	return se
}

// dots are every run's value, at the index of its category.
func (l medianLine) dots() []opts.ScatterData {
	var ds []opts.ScatterData
	for i, vs := range l.values {
		for _, v := range vs {
			ds = append(ds, opts.ScatterData{Name: v.run, Value: []any{i, roundSig(v.v, 4)}})
		}
	}
	return ds
}

func (l medianLine) repeated() bool {
	return slices.ContainsFunc(l.values, func(vs []runValue) bool { return len(vs) > 1 })
}

func valuesOf(vs []runValue) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = v.v
	}
	return out
}

// sample is h's value in each of rs that has it.
func sample(rs []labelled, h headline) []float64 {
	var vs []float64
	for _, r := range rs {
		if v, ok := h.value(r.res); ok {
			vs = append(vs, v)
		}
	}
	return vs
}

// median is the middle value, or the mean of the middle two: the centre
// zkbench compare summarizes repeats by.
func median(vs []float64) (float64, bool) {
	if len(vs) == 0 {
		return 0, false
	}
	s := slices.Sorted(slices.Values(vs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}
