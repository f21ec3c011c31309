package report

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"zkbench/results"
	"zkbench/results/compare"
)

// RenderTrend writes the trend of a history of runs to w: each folder
// in dirs is one point in time, and the page follows the headline
// figures from point to point. The points are in the order they were
// recorded (each folder's earliest result.json "started"), not the order
// given: a folder's name, DATE.2 beside DATE, says little about when it
// ran. A folder is what zkbench compare reads as one side: a run folder,
// a sweep of repeats of one combination, or a folder of repeated run
// subfolders. A point with an interrupted run or sweep is labelled so.
// Every error names the folder or file at fault.
func RenderTrend(w io.Writer, dirs []string) error {
	t, warnings, err := loadTrend(dirs)
	if err != nil {
		return err
	}
	return trendPage(t, warnings).write(w)
}

// WriteTrendFile renders the trend of dirs into the file at path,
// replacing it. The folders are read first, so that a bad one leaves no
// file.
func WriteTrendFile(path string, dirs []string) error {
	t, warnings, err := loadTrend(dirs)
	if err != nil {
		return err
	}
	return writePage(path, trendPage(t, warnings))
}

// trendPoint is one folder of a trend.
type trendPoint struct {
	label   string
	runs    *compare.Runs
	started time.Time // the earliest run's
}

// loadTrend tallies the runs of each folder as one category (a point),
// labelled by the folder's base name, in the order the points started.
// compare.Load reads them, so that the trend takes as one point exactly
// what zkbench compare takes as one side. The warnings name the
// interrupted runs.
func loadTrend(dirs []string) (*tally, []string, error) {
	if len(dirs) == 0 {
		return nil, nil, errors.New("no folder to draw a trend of")
	}
	labels := folderLabels(dirs)
	points := make([]trendPoint, 0, len(dirs))
	for i, dir := range dirs {
		if slices.ContainsFunc(points, func(p trendPoint) bool { return p.label == labels[i] }) {
			return nil, nil, fmt.Errorf("%s: given twice", dir)
		}
		rs, err := compare.Load(dir) // its errors name the path
		if err != nil {
			return nil, nil, err
		}
		points = append(points, trendPoint{label: labels[i], runs: rs, started: earliestStart(rs.Results())})
	}
	slices.SortStableFunc(points, func(a, b trendPoint) int { return a.started.Compare(b.started) })
	var t tally
	var warnings []string
	for _, p := range points {
		label := p.label
		if cut := p.runs.Interruptions(); len(cut) > 0 {
			label += " (interrupted)"
			warnings = append(warnings, cut...)
		}
		for j, res := range p.runs.Results() {
			t.add("", label, labelled{label: trendRunLabel(label, p.runs.Files[j], len(p.runs.Files)), res: res})
		}
	}
	return &t, warnings, nil
}

func earliestStart(rs []*results.Result) time.Time {
	var first time.Time
	for _, r := range rs {
		if first.IsZero() || r.Started.Before(first) {
			first = r.Started
		}
	}
	return first
}

// trendRunLabel names one run of a point: the point, and the run's
// folder where the point has several.
func trendRunLabel(point, file string, runs int) string {
	if runs == 1 {
		return point
	}
	return point + " " + filepath.Base(filepath.Dir(file))
}

// trendPage charts each headline figure over the points, then tables
// the medians with their change from the previous point and from the
// first.
func trendPage(t *tally, warnings []string) *page {
	p := &page{Title: "zkbench trend: " + plural(len(t.categories), "point")}
	for _, w := range warnings {
		p.warn("Not a complete sample: %s.", w)
	}
	s := p.section("Trend")
	s.note("One point per folder, in the order they ran (each folder's earliest run). The line joins the median of each point's runs; where a point has several (repeats), each run is a dot too, so that the spread shows. Figures from result.json, as zkbench compare reads them: latencies per op type, fsync p99 of the slowest member.")
	figs := headlineFigures(t.all(), []latencyStat{statP99, statP999}, false)
	for _, f := range figs {
		if ls := t.lines(f); len(ls) > 0 {
			p.chart(s, medianChart(f.title, f.subtitle, "", f.unit, t.categories, ls))
		}
	}
	s = p.section("Per point")
	s.note("The median of each point's runs, with its change from the previous point and from the first; green is better, red is worse (changes under 1%% are not coloured).")
	s.table(trendTable(t, tableHeadlines(figs)))
	return p
}

// trendTable has a row per point: its run count and, per headline, the
// median and its change from the previous point and from the first.
func trendTable(t *tally, hs []headline) *table {
	tb := &table{Head: []string{"point", "runs"}}
	for _, h := range hs {
		tb.Head = append(tb.Head, h.name, "vs previous", "vs first")
	}
	medians := func(i int, h headline) (float64, bool) {
		return median(sample(t.runs("", t.categories[i]), h))
	}
	for i, c := range t.categories {
		row := []cell{text(c), integer(int64(len(t.runs("", c))))}
		for _, h := range hs {
			m, ok := medians(i, h)
			if !ok {
				row = append(row, missing(), text(""), text(""))
				continue
			}
			if i == 0 {
				row = append(row, value(h.unit, m), text(""), text(""))
				continue
			}
			row = append(row, value(h.unit, m), changeFrom(m, i-1, h, medians), changeFrom(m, 0, h, medians))
		}
		tb.Rows = append(tb.Rows, row)
	}
	return tb
}

// changeFrom is the change of v from point i's median of h; a dash
// where point i lacks h.
func changeFrom(v float64, i int, h headline, medians func(int, headline) (float64, bool)) cell {
	base, ok := medians(i, h)
	if !ok {
		return missing()
	}
	return change(v, base, h.higherIsBetter)
}
