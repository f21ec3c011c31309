package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"zkbench/engine"
	"zkbench/results"
)

// minWindowShare is the narrowest a snapshot window is drawn, as a share
// of the run's length: a 5 ms window of a 60 s run would be a sliver no
// screen shows.
const minWindowShare = 0.004

// runEnd is the last second a run's charts show.
func runEnd(res *results.Result) float64 {
	end := res.DurationS
	if n := len(res.Timeseries); n > 0 {
		end = max(end, res.Timeseries[n-1].T)
	}
	return end
}

// visible widens w to the narrowest width a chart of a run of end
// seconds shows; the window keeps its start.
func (w window) visible(end float64) window {
	w.to = max(w.to, w.from+end*minWindowShare)
	return w
}

// lane is one member of one run: its row in the lane chart.
type lane struct {
	name    string
	server  int
	res     *results.Result
	windows []window
}

// memberLanes are the members of runs, in run order; a real ensemble's
// are not observed, so they have none.
func memberLanes(runs []*run) []lane {
	var lanes []lane
	for _, r := range runs {
		if r.res.External() {
			continue
		}
		ids := map[int]bool{}
		for _, srv := range r.res.Servers {
			ids[srv.ID] = true
		}
		for _, e := range r.res.Events {
			ids[e.Server] = true
		}
		ws := snapshotWindows(r.res)
		for _, srv := range slices.Sorted(maps.Keys(ids)) {
			l := lane{name: name(runs, r, fmt.Sprintf("s%d", srv)), server: srv, res: r.res}
			for _, w := range ws {
				if w.server == srv {
					l.windows = append(l.windows, w)
				}
			}
			lanes = append(lanes, l)
		}
	}
	return lanes
}

// marked reports whether l has anything to draw: a window, or an event
// the lanes show.
func (l lane) marked() bool {
	return len(l.windows) > 0 || slices.ContainsFunc(l.res.Events, func(e results.Event) bool {
		return e.Server == l.server && laneTick(e.Kind) != nil
	})
}

// laneChart draws one lane per member: its snapshot windows as blocks
// (never narrower than minWindowShare of the run), its log rolls as
// dashed ticks and the elections it won as red ticks. A member's marks
// stay in its own lane, so that no label lands on another's.
func laneChart(lanes []lane) *charts.Line {
	names := make([]string, len(lanes))
	ss := make([]series, len(lanes))
	for i, l := range lanes {
		names[i] = l.name
		y := float64(i + 1)
		end := runEnd(l.res)
		var ticks []any
		for _, e := range l.res.Events {
			if e.Server != l.server {
				continue
			}
			style := laneTick(e.Kind)
			if style == nil {
				continue
			}
			ticks = append(ticks, [2]laneCoord{{Coord: []float64{e.T, y - 0.4}, LineStyle: style}, {Coord: []float64{e.T, y + 0.4}}})
		}
		for _, f := range l.res.Faults {
			if f.Member != l.server {
				continue
			}
			ticks = append(ticks, [2]laneCoord{{Coord: []float64{f.AtS, y - 0.5},
				LineStyle: &opts.LineStyle{Color: faultColour, Width: 3}}, {Coord: []float64{f.AtS, y + 0.5}}})
			if f.HealedS != nil {
				ticks = append(ticks, [2]laneCoord{{Coord: []float64{*f.HealedS, y - 0.5},
					LineStyle: &opts.LineStyle{Color: healColour, Type: "dashed", Width: 3}}, {Coord: []float64{*f.HealedS, y + 0.5}}})
			}
		}
		var areas []any
		for _, w := range l.windows {
			w = w.visible(end)
			areas = append(areas, [2]laneCoord{
				{Name: fmt.Sprintf("snapshot at %s s", formatFloat(w.from)), XAxis: ptrTo(w.from), YAxis: ptrTo(y - 0.3)},
				{XAxis: ptrTo(w.to), YAxis: ptrTo(y + 0.3)}})
		}
		ss[i] = series{name: l.name, data: []opts.LineData{xy(0, y), xy(end, y)},
			opts: []charts.SeriesOpts{lineStyle("#bbb", ""), laneMarks(colour(i), ticks, areas)}}
	}
	x := opts.XAxis{Type: "value", Name: "s", Min: opts.FuncOpts(jsTimeAxisMin), Max: "dataMax"}
	// A tick, and so a label, at each lane and nowhere else.
	y := opts.YAxis{Type: "value", Min: 0.5, Max: float64(len(lanes)) + 0.5, Inverse: opts.Bool(true),
		MinInterval: 1, MaxInterval: 1, SplitLine: &opts.SplitLine{Show: opts.Bool(false)},
		AxisLabel: &opts.AxisLabel{Formatter: opts.FuncOpts(laneLabels(names))}}
	c := newLine("Snapshots and log rolls per member", "blocks: snapshot windows (at least "+
		formatFloat(minWindowShare*100)+"% of the run wide); dashed: log rolls; red: elections won", x, y,
		opts.Tooltip{Trigger: "item"}, ss)
	// Room for the longest lane name beside the axis (about 7 px a
	// character at the axis' 12 px).
	longest := 0
	for _, n := range names {
		longest = max(longest, len([]rune(n)))
	}
	c.GridList[0].Left = fmt.Sprint(max(70, 7*longest+20))
	// The axis names the lanes; a legend would name them again.
	c.SetGlobalOptions(charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}))
	return c
}

// laneTick styles an event's tick in its member's lane; nil for events
// the lanes do not show.
func laneTick(kind string) *opts.LineStyle {
	switch kind {
	case engine.EventLogRoll.String():
		return &opts.LineStyle{Color: "#888", Type: "dashed", Width: 1}
	case engine.EventLeaderElected.String():
		return &opts.LineStyle{Color: "#c62828", Type: "solid", Width: 2}
	}
	return nil
}

// laneCoord is one end of a mark in the lane chart, in data coordinates.
type laneCoord struct {
	Name      string          `json:"name,omitempty"`
	Coord     []float64       `json:"coord,omitempty"`
	XAxis     *float64        `json:"xAxis,omitempty"`
	YAxis     *float64        `json:"yAxis,omitempty"`
	LineStyle *opts.LineStyle `json:"lineStyle,omitempty"`
}

func ptrTo(v float64) *float64 { return &v }

func laneMarks(c string, ticks, areas []any) charts.SeriesOpts {
	return func(s *charts.SingleSeries) {
		if len(ticks) > 0 {
			s.MarkLines = &opts.MarkLines{Data: ticks, MarkLineStyle: opts.MarkLineStyle{
				Symbol: []string{"none", "none"}, Label: &opts.Label{Show: opts.Bool(false)}}}
		}
		if len(areas) > 0 {
			s.MarkAreas = &opts.MarkAreas{Data: areas, MarkAreaStyle: opts.MarkAreaStyle{
				ItemStyle: &opts.ItemStyle{Color: c, Opacity: opts.Float(0.55)},
				Label:     &opts.Label{Show: opts.Bool(false)}}}
		}
	}
}

// laneLabels names the lanes on the y axis. The names go into
// JavaScript source inside a JSON string, where neither a quote nor a
// backslash survives: anything but letters, digits and " .:=#_-" is
// replaced.
func laneLabels(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + strings.Map(func(r rune) rune {
			if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" .:=#_-", r)) {
				return r
			}
			return '?'
		}, n) + "'"
	}
	return "function (v) { return [" + strings.Join(quoted, ", ") + "][v - 1] || ''; }"
}

// maxLanes is the most member lanes one chart holds legibly.
const maxLanes = 12
