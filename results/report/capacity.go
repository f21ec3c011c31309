package report

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"zkbench/results"
)

// capacity is a capacity folder: capacity.json, its steps' run folders
// beside it.
type capacity struct {
	label string
	dir   string
	doc   *results.Capacity
}

func loadCapacity(dir, label string) (*capacity, error) {
	doc, err := results.ReadCapacity(filepath.Join(dir, results.CapacityFile))
	if err != nil {
		return nil, err
	}
	return &capacity{label: label, dir: dir, doc: doc}, nil
}

// addCapacities puts each search's answer and its latency–throughput
// curve first, then every step's figures.
func (p *page) addCapacities(cs []*capacity) {
	for _, c := range cs {
		s := p.section("Capacity " + c.label)
		s.note("%s", c.doc.Answer())
		for _, w := range c.doc.Warnings {
			p.warn("Capacity %s: %s.", c.label, w)
		}
		if c.doc.PrimeS > 0 {
			s.note("Before the first step the target was primed: %.0f s closed loop, in %s/ (not a step).", c.doc.PrimeS, results.PrimeFolder)
		}
		if c.doc.Interrupted {
			p.warn("Interrupted: the capacity search %s was stopped after %d steps; its maximum is the highest rate that passed until then.",
				c.label, len(c.doc.Steps))
		}
		if len(c.doc.Steps) > 0 {
			p.chart(s, curveChart(c.doc))
		}
		if pr := c.doc.Prediction; pr != nil {
			s.note("Predicted from the probe %s: %s writes/s (measured %s). %s", pr.Probe,
				results.Thousands(pr.MaxRateOpsS), results.Thousands(c.doc.MaxRateOpsS), pr.Note)
		}
		s.note("A step passes when its p%v is within %s, it achieved at least %.0f%% of the offered rate and no op failed. "+
			"Each step is a run of its own (warm-up, measured phase, drained before the next); its folder holds its report.",
			c.doc.SLA.Percentile, micros(c.doc.SLA.MaxUs), 100*c.doc.SLA.MinAchieved)
		s.table(stepsTable(c.doc))
	}
}

// curveChart is latency (p50, p99, p99.9) against achieved throughput,
// one point an offered rate, with the SLA and the knee (the maximum)
// marked.
func curveChart(doc *results.Capacity) *charts.Line {
	steps := ratePoints(doc.Steps)
	stat := []struct {
		name string
		v    func(results.CapacityStep) int64
		dash string
	}{
		{"p50", func(s results.CapacityStep) int64 { return s.P50Us }, "dotted"},
		{"p99", func(s results.CapacityStep) int64 { return s.P99Us }, ""},
		{"p99.9", func(s results.CapacityStep) int64 { return s.P999Us }, "dashed"},
	}
	var ss []series
	for i, st := range stat {
		se := series{name: st.name, opts: []charts.SeriesOpts{lineStyle(colour(i), st.dash),
			charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)})}}
		for _, s := range steps {
			se.data = append(se.data, xy(s.AchievedOpsS, logValue(st.v(s))))
		}
		ss = append(ss, se)
	}
	ss[1].opts = append(ss[1].opts, kneeMarks(doc, steps))
	x := opts.XAxis{Type: "value", Name: "achieved ops/s", NameLocation: "middle", NameGap: 30}
	sub := fmt.Sprintf("one point per offered rate (the median of its steps where it ran again); the SLA p%v ≤ %s and the maximum marked",
		doc.SLA.Percentile, micros(doc.SLA.MaxUs))
	return newLine("Latency against throughput", sub, x, yAxis(unitMicros, true),
		opts.Tooltip{Trigger: "axis", ValueFormatter: opts.FuncOpts(jsMicros)}, ss)
}

// ratePoints is a point per offered rate, in rising order: the median of
// each figure over the rate's steps (a search runs the rates near its
// answer again), passing when most of them passed. Interrupted steps
// are left out.
func ratePoints(steps []results.CapacityStep) []results.CapacityStep {
	byRate := map[float64][]results.CapacityStep{}
	for _, st := range steps {
		if !st.Interrupted {
			byRate[st.Rate] = append(byRate[st.Rate], st)
		}
	}
	var points []results.CapacityStep
	for _, rate := range slices.Sorted(maps.Keys(byRate)) {
		at := byRate[rate]
		passed := 0
		for _, st := range at {
			if st.Pass {
				passed++
			}
		}
		points = append(points, results.CapacityStep{Rate: rate, Pass: 2*passed > len(at),
			AchievedOpsS: medianOf(at, func(s results.CapacityStep) float64 { return s.AchievedOpsS }),
			P50Us:        int64(medianOf(at, func(s results.CapacityStep) float64 { return float64(s.P50Us) })),
			P99Us:        int64(medianOf(at, func(s results.CapacityStep) float64 { return float64(s.P99Us) })),
			P999Us:       int64(medianOf(at, func(s results.CapacityStep) float64 { return float64(s.P999Us) }))})
	}
	return points
}

// medianOf is the median of v over steps.
func medianOf(steps []results.CapacityStep, v func(results.CapacityStep) float64) float64 {
	vs := make([]float64, len(steps))
	for i, st := range steps {
		vs[i] = v(st)
	}
	m, _ := median(vs)
	return m
}

// capacityMark is a markLine end on either axis.
type capacityMark struct {
	Name  string   `json:"name"`
	XAxis *float64 `json:"xAxis,omitempty"`
	YAxis *float64 `json:"yAxis,omitempty"`
}

// kneeMarks draws the SLA across and the maximum's achieved rate up.
func kneeMarks(doc *results.Capacity, steps []results.CapacityStep) charts.SeriesOpts {
	return func(s *charts.SingleSeries) {
		s.MarkLines = &opts.MarkLines{MarkLineStyle: opts.MarkLineStyle{
			Symbol: []string{"none", "none"},
			Label:  &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndTop"},
		}}
		sla := float64(doc.SLA.MaxUs)
		s.MarkLines.Data = append(s.MarkLines.Data, capacityMark{Name: "SLA " + micros(doc.SLA.MaxUs), YAxis: &sla})
		for _, st := range steps {
			if st.Rate == doc.MaxRateOpsS && st.Pass {
				x := st.AchievedOpsS
				s.MarkLines.Data = append(s.MarkLines.Data, capacityMark{Name: "max " + results.Thousands(doc.MaxRateOpsS) + " ops/s", XAxis: &x})
			}
		}
	}
}

// stepsTable is every step in the order it ran.
func stepsTable(doc *results.Capacity) *table {
	t := &table{Head: []string{"step", "offered ops/s", "run at it", "clients", "achieved ops/s", "p50", "p99", "p99.9", "errors", "CPU (zkbench)",
		"log device busy", "leader fsync p99", "txns/sync", "log sync share", "verdict", "why it failed", "folder"}}
	for i, st := range doc.Steps {
		verdict, why := cell{Text: "pass", Class: "good"}, text("")
		if !st.Pass {
			verdict, why = cell{Text: "fail", Class: "bad"}, cell{Text: st.Why, Class: "wrap"}
		}
		t.Rows = append(t.Rows, []cell{integer(int64(i + 1)), decimal(st.Rate), integer(int64(max(st.Repeat, 1))), integer(int64(st.Clients)), decimal(st.AchievedOpsS),
			latency(st.P50Us), latency(st.P99Us), latency(st.P999Us), integer(st.Errors), cell{Text: fmt.Sprintf("%.0f%% (%.0f%%)", st.CPUPct, st.ProcCPUPct), Class: "num"},
			optional(st.DiskUtilPct, "%"), optionalLatency(st.LeaderFsyncP99Us), optional(st.TxnsPerSync, ""),
			optionalShare(st.SyncShare), verdict, why, text(st.Dir)})
	}
	return t
}

func optional(v *float64, unit string) cell {
	if v == nil {
		return missing()
	}
	if unit == "%" {
		return pct(*v)
	}
	return value(unit, *v)
}

func pct(v float64) cell { return cell{Text: fmt.Sprintf("%.0f%%", v), Class: "num"} }

func optionalLatency(v *int64) cell {
	if v == nil {
		return missing()
	}
	return latency(*v)
}

func optionalShare(v *float64) cell {
	if v == nil {
		return missing()
	}
	return pct(100 * *v)
}
