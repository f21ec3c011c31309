package report

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"zkbench/results/compare"
)

// RenderTrend writes the trend of a history of runs to w: each folder
// in dirs is one point in time, in the order given (a nightly job's
// folders, named by date), and the page follows the headline figures
// from point to point. A folder is what zkbench compare reads as one
// side: a run folder, a sweep of repeats of one combination, or a folder
// of repeated run subfolders. Every error names the folder or file at
// fault.
func RenderTrend(w io.Writer, dirs []string) error {
	t, err := loadTrend(dirs)
	if err != nil {
		return err
	}
	return trendPage(t).write(w)
}

// WriteTrendFile renders the trend of dirs into the file at path,
// replacing it. The folders are read first, so that a bad one leaves no
// file.
func WriteTrendFile(path string, dirs []string) error {
	t, err := loadTrend(dirs)
	if err != nil {
		return err
	}
	return writePage(path, trendPage(t))
}

// loadTrend tallies the runs of each folder as one category (a point),
// labelled by the folder's base name. compare.Load reads them, so that
// the trend takes as one point exactly what zkbench compare takes as one
// side.
func loadTrend(dirs []string) (*tally, error) {
	if len(dirs) == 0 {
		return nil, errors.New("no folder to draw a trend of")
	}
	labels := folderLabels(dirs)
	var t tally
	for i, dir := range dirs {
		if slices.Contains(t.categories, labels[i]) {
			return nil, fmt.Errorf("%s: given twice", dir)
		}
		rs, err := compare.Load(dir) // its errors name the path
		if err != nil {
			return nil, err
		}
		for j, res := range rs.Results() {
			t.add("", labels[i], labelled{label: trendRunLabel(labels[i], rs.Files[j], len(rs.Files)), res: res})
		}
	}
	return &t, nil
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
func trendPage(t *tally) *page {
	p := &page{Title: "zkbench trend: " + plural(len(t.categories), "point")}
	s := p.section("Trend")
	s.note("One point per folder, in the order given. The line joins the median of each point's runs; where a point has several (repeats), each run is a dot too, so that the spread shows. Figures from result.json, as zkbench compare reads them: latencies per op type, fsync p99 of the slowest member.")
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
