package report

import (
	"fmt"
	"slices"
	"strings"

	"zkbench/results"
)

// addSweep answers the question a sweep asks: how does each headline
// figure change with each varied key? A table of the median per
// combination, then, per key, the figures against the key's values, one
// line per combination of the other keys.
func (p *page) addSweep(sw *sweep) {
	if len(sw.index.Vary) == 0 {
		return // nothing was varied: the run sections say it all
	}
	s := p.section(sweepTitle(sw))
	figs := headlineFigures(resultsOf(sw.runs), []latencyStat{statP50, statP99, statP999}, true)
	s.note("Each figure is the median of a combination's runs; where there are repeats, the charts also show each run as a dot, so that the spread shows. Latencies are per op type, as in the runs' per-op tables; fsync p99 is the slowest member's; the snapshot stall is the client write p99 inside snapshot windows and outside them, with n the writes behind it (all repeats together); a dash where no write fell on that side.")
	s.heading("Median per combination, with the change from the first")
	s.table(combinationTable(combinations(sw), tableHeadlines(figs)))
	for _, key := range sw.index.Vary {
		s.heading("Against " + key)
		if others := otherKeys(sw.index.Vary, key); len(others) > 0 {
			s.note("The x axis has %s's values in the order the sweep ran them; one line per combination of %s.", key, strings.Join(others, ", "))
		}
		t := againstKey(sw, key)
		var cs []charter
		for _, f := range chartFigures(figs, len(t.series)) {
			if ls := t.lines(f); len(ls) > 0 {
				cs = append(cs, medianChart(f.title+" against "+key, f.subtitle, key, f.unit, t.categories, ls))
			}
		}
		p.chartGrid(s, cs)
	}
}

// sweepTitle is "Sweep of snapCount × preAllocSize", after the folder's
// label where the report has other folders too.
func sweepTitle(sw *sweep) string {
	keys := strings.Join(sw.index.Vary, " × ")
	if sw.label == "" {
		return "Sweep of " + keys
	}
	return sw.label + ": sweep of " + keys
}

// chartFigures are the figures to draw with series lines each.
func chartFigures(figs []figure, series int) []figure {
	var out []figure
	for _, f := range figs {
		if f.splits && series > 1 {
			out = append(out, f.perCurve()...)
		} else {
			out = append(out, f)
		}
	}
	return out
}

func otherKeys(vary []string, key string) []string {
	return slices.DeleteFunc(slices.Clone(vary), func(k string) bool { return k == key })
}

// combinations tallies a sweep's runs by combination (one series), each
// combination's repeats together, labelled as Sweep.Label labels them.
func combinations(sw *sweep) *tally {
	var t tally
	for i, sr := range sw.index.Runs {
		t.add("", sw.index.Label(results.SweepRun{Values: sr.Values}), labelled{label: sw.index.Label(sr), res: sw.runs[i].res})
	}
	return &t
}

// againstKey tallies a sweep's runs by key's value (the categories) and
// the values of the other keys (the series, labelled as Sweep.Label
// would label a sweep of those keys alone).
func againstKey(sw *sweep, key string) *tally {
	others := &results.Sweep{Vary: otherKeys(sw.index.Vary, key)}
	var t tally
	for i, sr := range sw.index.Runs {
		t.add(others.Label(results.SweepRun{Values: sr.Values}), sr.Values[key], labelled{label: sw.index.Label(sr), res: sw.runs[i].res})
	}
	return &t
}

// combinationTable has a row per combination (t's categories): its run
// count and the median of each headline, with the change from the
// first combination's.
func combinationTable(t *tally, hs []headline) *table {
	tb := &table{Head: []string{"combination", "runs"}}
	for _, h := range hs {
		tb.Head = append(tb.Head, h.name)
	}
	first := t.runs("", t.categories[0])
	for i, c := range t.categories {
		runs := t.runs("", c)
		row := []cell{text(c), integer(int64(len(runs)))}
		for _, h := range hs {
			m, ok := median(sample(runs, h))
			if !ok {
				row = append(row, missing())
				continue
			}
			base, baseOK := median(sample(first, h))
			if i == 0 || !baseOK {
				base = 0 // no change to show
			}
			c := delta(h.unit, m, base, h.higherIsBetter)
			if h.samples != nil {
				c.Text += fmt.Sprintf(", n=%d", sampleCount(runs, h))
			}
			row = append(row, c)
		}
		tb.Rows = append(tb.Rows, row)
	}
	return tb
}

// sampleCount is how many samples h's values in rs were computed from,
// all runs together.
func sampleCount(rs []labelled, h headline) int64 {
	var n int64
	for _, r := range rs {
		n += h.samples(r.res)
	}
	return n
}
