package report

import (
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// palette colours series: by run (or probe case) when several are
// overlaid, so that one run keeps one colour across charts.
var palette = []string{"#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de",
	"#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"}

func colour(i int) string { return palette[i%len(palette)] }

// JavaScript formatters. They use single quotes only: go-echarts puts
// them inside a JSON string and strips the quotes around it.
const (
	// jsPercentile labels the 1/(1-p) axis: 10 → 90%, 1000 → 99.9%.
	jsPercentile = "function (x) { return +(100 - 100 / x).toFixed(6) + '%'; }"
	// jsTimeAxisMin starts a time axis at 0 or at its first point if
	// that is earlier.
	jsTimeAxisMin = "function (v) { return Math.min(0, v.min); }"
	// jsSpectrumTip names a spectrum point by its percentile.
	jsSpectrumTip = "function (p) { return echarts.format.encodeHTML(p.seriesName) + '<br>' + " +
		"+(100 - 100 / p.value[0]).toFixed(5) + '%: ' + zkMicros(p.value[1]); }"
	// jsMicrosTick labels a latency axis (zkMicros is the page's
	// table.Micros, in page.html.tmpl), without trailing zeros: 1.5 ms.
	jsMicrosTick = "function (v) { return zkMicros(v, true); }"
	// jsMicros prints a latency in a tooltip as the tables do.
	jsMicros = "function (v) { return zkMicros(v); }"
)

// yAxis is a value axis in unit, logarithmic with log. A latency axis
// has no unit name: its ticks carry theirs (850 µs, 1.5 ms), as the
// tables do.
func yAxis(unit string, log bool) opts.YAxis {
	y := opts.YAxis{Type: "value", Name: unit}
	if log {
		y.Type = "log"
	}
	if unit == unitMicros {
		y.Name = "latency"
		y.AxisLabel = &opts.AxisLabel{Formatter: opts.FuncOpts(jsMicrosTick)}
	}
	return y
}

// axisTooltip is the tooltip of a chart with a category or time axis,
// its values printed in unit.
func axisTooltip(unit string) opts.Tooltip {
	t := opts.Tooltip{Trigger: "axis"}
	if unit == unitMicros {
		t.ValueFormatter = opts.FuncOpts(jsMicros)
	}
	return t
}

// series is one line of a chart, with the options that style and mark it.
type series struct {
	name string
	data []opts.LineData
	opts []charts.SeriesOpts
}

// xy is a point of a line on a value (or log) x axis.
func xy(x float64, y any) opts.LineData { return opts.LineData{Value: []any{x, y}} }

// logValue is v for a log axis, where 0 has no place: a gap.
func logValue(v int64) any {
	if v <= 0 {
		return "-"
	}
	return v
}

// lineStyle draws a series in c, dashed or dotted when dash is set.
func lineStyle(c, dash string) charts.SeriesOpts {
	return func(s *charts.SingleSeries) {
		charts.WithLineStyleOpts(opts.LineStyle{Color: c, Type: dash, Width: 1.5})(s)
		charts.WithItemStyleOpts(opts.ItemStyle{Color: c})(s)
	}
}

// newLine is a line chart of series over a value x axis, the common
// frame of every line chart in a report.
func newLine(title, subtitle string, x opts.XAxis, y opts.YAxis, tooltip opts.Tooltip, ss []series) *charts.Line {
	l := charts.NewLine()
	l.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTitleOpts(opts.Title{Title: title, Subtitle: subtitle}),
		charts.WithLegendOpts(opts.Legend{Type: "scroll", Bottom: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "70", Right: "40", Top: "70", Bottom: "80"}),
		charts.WithTooltipOpts(tooltip),
		charts.WithXAxisOpts(x),
		charts.WithYAxisOpts(y),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside", XAxisIndex: 0}),
	)
	for _, s := range ss {
		o := append([]charts.SeriesOpts{charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)})}, s.opts...)
		l.AddSeries(s.name, s.data, o...)
	}
	return l
}

// spectrumChart plots latency by percentile, the HdrHistogram way. Its
// latency axis is linear, as in HdrHistogram's plots, unless logY: for
// cases that differ by orders of magnitude (a disk against tmpfs).
func spectrumChart(title, subtitle string, logY bool, ss []series) *charts.Line {
	x := opts.XAxis{Type: "log", Name: "percentile", NameLocation: "middle", NameGap: 30, Min: 1,
		AxisLabel: &opts.AxisLabel{Formatter: opts.FuncOpts(jsPercentile)}}
	if logY {
		// 0 µs (a tmpfs sync) has no place on a log axis, and one such
		// point leaves the whole chart empty: a gap instead.
		for _, se := range ss {
			for i, d := range se.data {
				if v, ok := d.Value.([]any); ok && len(v) == 2 && v[1] == int64(0) {
					se.data[i] = xy(v[0].(float64), "-")
				}
			}
		}
	}
	return newLine(title, subtitle, x, yAxis(unitMicros, logY), opts.Tooltip{Trigger: "item", Formatter: opts.FuncOpts(jsSpectrumTip)}, ss)
}

// spectrumSeries turns spectrum points into a line.
func spectrumSeries(name string, pts []spectrumPoint, style charts.SeriesOpts) series {
	data := make([]opts.LineData, len(pts))
	for i, p := range pts {
		data[i] = xy(p.X, p.Us)
	}
	return series{name: name, data: data, opts: []charts.SeriesOpts{style}}
}

// timeChart plots values over the seconds of a run; logY suits
// latencies, whose maximum can be a thousand times their median.
func timeChart(title, subtitle, unit string, logY bool, ss []series) *charts.Line {
	// From 0, the start of the measured phase, or earlier if there are
	// points before it, so that marks before the first point (a leader
	// elected at 0.5 s) show.
	x := opts.XAxis{Type: "value", Name: "s", Min: opts.FuncOpts(jsTimeAxisMin), Max: "dataMax"}
	return newLine(title, subtitle, x, yAxis(unit, logY), axisTooltip(unit), ss)
}

// barChart is a bar chart: one bar group per category, one bar per
// series in it.
func barChart(title, subtitle, unit string, categories []string, ss []barSeries) *charts.Bar {
	b := charts.NewBar()
	b.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTitleOpts(opts.Title{Title: title, Subtitle: subtitle}),
		charts.WithLegendOpts(opts.Legend{Type: "scroll", Bottom: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "70", Right: "40", Top: "70", Bottom: "80"}),
		charts.WithTooltipOpts(axisTooltip(unit)),
		charts.WithYAxisOpts(yAxis(unit, false)),
	)
	b.SetXAxis(categories)
	for i, s := range ss {
		b.AddSeries(s.name, s.data, charts.WithItemStyleOpts(opts.ItemStyle{Color: colour(i)}))
	}
	return b
}

type barSeries struct {
	name string
	data []opts.BarData
}

// markItem is one end of a markArea or a markLine, on the x axis.
type markItem struct {
	Name      string          `json:"name,omitempty"`
	XAxis     float64         `json:"xAxis"`
	LineStyle *opts.LineStyle `json:"lineStyle,omitempty"`
	Label     *opts.Label     `json:"label,omitempty"`
	ItemStyle *opts.ItemStyle `json:"itemStyle,omitempty"` // an area's own colour
}

// withMarks marks moments (markLine) and windows (markArea) on the time
// axis of a series.
func withMarks(lines []markItem, areas [][2]markItem) charts.SeriesOpts {
	return func(s *charts.SingleSeries) {
		if len(lines) > 0 {
			s.MarkLines = &opts.MarkLines{MarkLineStyle: opts.MarkLineStyle{
				Symbol: []string{"none", "none"},
				Label:  &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndTop"},
			}}
			for _, l := range lines {
				s.MarkLines.Data = append(s.MarkLines.Data, l)
			}
		}
		if len(areas) > 0 {
			s.MarkAreas = &opts.MarkAreas{MarkAreaStyle: opts.MarkAreaStyle{
				ItemStyle: &opts.ItemStyle{Color: "rgba(154, 96, 180, 0.18)"},
				Label:     &opts.Label{Show: opts.Bool(false)},
			}}
			for _, a := range areas {
				s.MarkAreas.Data = append(s.MarkAreas.Data, a)
			}
		}
	}
}
