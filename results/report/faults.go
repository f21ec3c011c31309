package report

import (
	"fmt"
	"slices"

	"github.com/go-echarts/go-echarts/v2/opts"

	"zkbench/results"
)

// Fault marks: a black line where a fault struck, a green one where it
// healed, and an orange band over the longest gap without a successful
// write that it caused.
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
	s.note("Marked on every chart over time: a black line where a fault struck, a green one where it healed, an orange band over the longest time without a successful write.")
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
		if f.GapToS > f.GapFromS {
			areas = append(areas, [2]markItem{{Name: "no writes", XAxis: f.GapFromS,
				ItemStyle: &opts.ItemStyle{Color: gapColour}}, {XAxis: f.GapToS}})
		}
	}
	return lines, areas
}
