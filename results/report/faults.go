package report

import (
	"fmt"
	"slices"

	"github.com/go-echarts/go-echarts/v2/opts"

	"zkbench/results"
)

// Fault marks: a black line where a fault struck, a green one where it
// healed, and orange bands over the longest gap without a successful
// write while it was in force and the longest of its window.
const (
	faultColour = "#212121"
	healColour  = "#2e7d32"
	gapColour   = "rgba(239, 108, 0, 0.22)"
)

// runFaults is a line per fault of every run that had any, and the
// safety check's.
func (p *page) runFaults(runs []*run) {
	if !slices.ContainsFunc(runs, func(r *run) bool { return len(r.res.Faults) > 0 || r.res.LostAckedWrites != nil }) {
		return
	}
	s := p.section("Faults")
	s.note("Marked on every chart over time: a black line where a fault struck, a green one where it healed, orange bands over the longest time without a successful write while it was in force and in its window (to the next fault or the end).")
	for _, r := range runs {
		prefix := ""
		if len(runs) > 1 {
			prefix = r.label + ": "
		}
		for _, f := range r.res.Faults {
			s.note("%s%s", prefix, f.Summary())
		}
		if line := r.res.SafetySummary(); line != "" {
			s.note("%s%s", prefix, line)
		}
	}
}

// faultMarks are a run's fault lines and gap bands for a chart over time.
func faultMarks(res *results.Result) (lines []markItem, areas [][2]markItem) {
	for _, f := range res.Faults {
		who := fmt.Sprintf("s%d", f.Member)
		if f.Member == 0 {
			who = "?"
		}
		lines = append(lines, markItem{Name: fmt.Sprintf("%s %s", f.Kind, who), XAxis: f.AtS,
			LineStyle: &opts.LineStyle{Color: faultColour, Type: "solid", Width: 3},
			Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndBottom"}})
		if f.HealedS != nil {
			lines = append(lines, markItem{Name: "healed " + who, XAxis: *f.HealedS,
				LineStyle: &opts.LineStyle{Color: healColour, Type: "dashed", Width: 3},
				Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndBottom"}})
		}
		for _, g := range [][2]float64{{f.InForceGapFromS, f.InForceGapToS}, {f.GapFromS, f.GapToS}} {
			if g[1] > g[0] && !slices.ContainsFunc(areas, func(a [2]markItem) bool { return a[0].XAxis == g[0] && a[1].XAxis == g[1] }) {
				areas = append(areas, [2]markItem{{Name: "no writes", XAxis: g[0],
					ItemStyle: &opts.ItemStyle{Color: gapColour}}, {XAxis: g[1]}})
			}
		}
	}
	return lines, areas
}
