package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"zkbench/internal/size"
	"zkbench/results"
	"zkbench/results/device"
)

// Guidance for a probe.json that lacks it (the values zkbench probe
// writes).
const (
	defaultGoodP99Us      = 10_000
	defaultZKWarnThreshMs = 1000
)

// addProbes adds the sections about probe folders: the verdict per
// directory, every measured case, the spectra and, with several
// folders, a comparison with the first.
func (p *page) addProbes(probes []*probe) {
	s := p.section("Disk probe")
	if len(probes) > 1 {
		s.Title = fmt.Sprintf("%d disk probes", len(probes))
	}
	s.heading("Verdict")
	s.table(verdictTable(probes))
	s.heading("Sync latency per case")
	s.table(probeCasesTable(probes))
	s.heading("Devices")
	s.table(probeDevicesTable(probes))
	var ss []series
	for _, pr := range probes {
		for i, e := range pr.doc.Probes {
			pts := summarySpectrum(e.Latency, int64(e.Count))
			if h := pr.hists[i]; h != nil {
				pts = spectrum(h)
			}
			if len(pts) > 0 {
				ss = append(ss, spectrumSeries(caseLabel(probes, pr, e), pts, lineStyle(colour(len(ss)), "")))
			}
		}
	}
	if len(ss) > 0 {
		p.chart(s, spectrumChart("Sync latency by percentile", "time to make one write durable, per directory and mode (log scale)", true, ss))
	} else {
		s.note("Nothing was measured.")
	}
	if len(probes) > 1 {
		p.probeComparison(probes)
	}
}

// caseLabel names a probe case: "/data fdatasync/zookeeper", with
// " +64MiB/s background", " ×3" (writers), " 18400B" (a batch block) and
// the folder's label where they tell cases apart.
func caseLabel(probes []*probe, pr *probe, e results.ProbeEntry) string {
	l := e.Dir + " " + caseMode(e)
	if len(probes) > 1 {
		l = pr.label + ": " + l
	}
	return l
}

func caseMode(e results.ProbeEntry) string {
	m := e.Sync + "/" + e.PreallocMode
	if e.Background > 0 {
		m += " +" + size.Format(e.Background) + "/s background"
	}
	if w := e.WriterCount(); w > 1 {
		m += fmt.Sprintf(" ×%d", w)
	}
	if e.Batch {
		m += fmt.Sprintf(" %dB", e.BlockSize)
	}
	return m
}

// syncs reports whether e timed syncs: sync none times plain writes,
// which no verdict is about.
func syncs(e results.ProbeEntry) bool { return e.Sync != "none" && e.Count > 0 }

// judged reports whether the verdict judges e, as zkbench probe's does:
// a case that syncs with one writer at the probe's block (one server
// writes one log), or any that syncs when the probe has no one-writer
// case.
func judged(doc *results.Probe, e results.ProbeEntry) bool {
	if !syncs(e) {
		return false
	}
	oneWriter := func(e results.ProbeEntry) bool { return e.WriterCount() == 1 && !e.Batch }
	return oneWriter(e) || !slices.ContainsFunc(doc.Probes, oneWriter)
}

// verdictTable judges each directory by its worst p99 among the cases
// judged, as zkbench probe's verdict line does.
func verdictTable(probes []*probe) *table {
	t := &table{Head: []string{"directory", "worst p99", "verdict", "max", "ZooKeeper's fsync warning"}}
	if len(probes) > 1 {
		t.Head = append([]string{"probe"}, t.Head...)
	}
	for _, pr := range probes {
		good, warn := pr.doc.Guidance.GoodP99Us, pr.doc.Guidance.ZKWarningThreshMs
		if good == 0 {
			good = defaultGoodP99Us
		}
		if warn == 0 {
			warn = defaultZKWarnThreshMs
		}
		for _, dir := range probeDirs(pr.doc) {
			var row []cell
			if len(probes) > 1 {
				row = append(row, text(pr.label))
			}
			row = append(row, text(dir))
			var worst, slowest *results.ProbeEntry
			for i := range pr.doc.Probes {
				e := &pr.doc.Probes[i]
				if e.Dir != dir || !judged(pr.doc, *e) {
					continue
				}
				if worst == nil || e.Latency.P99 > worst.Latency.P99 {
					worst = e
				}
				if slowest == nil || e.Latency.Max > slowest.Latency.Max {
					slowest = e
				}
			}
			if worst == nil {
				t.Rows = append(t.Rows, append(row, text("—"), text("no sync measured (sync none times plain writes)")))
				continue
			}
			verdict := probeVerdict(pr.doc, dir, worst.Latency.P99, good)
			warning := cell{Text: fmt.Sprintf("below fsync.warningthresholdms = %d ms", warn), Class: "good"}
			if slowest.Latency.Max >= warn*1000 {
				warning = cell{Text: fmt.Sprintf("at or above fsync.warningthresholdms = %d ms: ZooKeeper would log \"fsync-ing the write ahead log … took …ms\"", warn), Class: "bad"}
			}
			t.Rows = append(t.Rows, append(row,
				text(fmt.Sprintf("%s (%s)", micros(worst.Latency.P99), caseMode(*worst))), verdict,
				text(fmt.Sprintf("%s (%s)", micros(slowest.Latency.Max), caseMode(*slowest))), warning))
		}
	}
	return t
}

// probeVerdict judges dir on its worst p99 against good (µs) and on its
// device, as zkbench probe's verdict line does: memory is not durable,
// and syncs faster than stable storage may not be.
func probeVerdict(doc *results.Probe, dir string, p99, good int64) cell {
	var facts device.Facts
	for _, d := range doc.Dirs {
		if d.Dir == dir {
			facts = d.Device
		}
	}
	if why := facts.NotDurable(); why != "" {
		return cell{Text: "not durable, so no place for a ZooKeeper transaction log: " + why, Class: "bad"}
	}
	v := cell{Text: fmt.Sprintf("good for a ZooKeeper transaction log (p99 under %s)", micros(good)), Class: "good"}
	if p99 > good {
		v = cell{Text: fmt.Sprintf("too slow for a ZooKeeper transaction log (a good log device keeps the p99 of its syncs under %s)", micros(good)), Class: "bad"}
	}
	fastest := time.Duration(math.MaxInt64)
	for _, e := range doc.Probes {
		if e.Dir == dir && judged(doc, e) {
			ns := cmp.Or(e.LatencyNs.P50, e.Latency.P50*1000) // files from before latency_ns
			fastest = min(fastest, time.Duration(ns))
		}
	}
	if doubt := facts.FlushDoubt(fastest); doubt != "" {
		v.Text += "; but " + doubt
		v.Class = "caution" // neither good nor bad: it depends on the cache
	}
	return v
}

// probeDirs are the probed directories in the order given.
func probeDirs(doc *results.Probe) []string {
	dirs := slices.Clone(doc.Config.Dirs)
	for _, e := range doc.Probes {
		if !slices.Contains(dirs, e.Dir) {
			dirs = append(dirs, e.Dir)
		}
	}
	return dirs
}

func probeCasesTable(probes []*probe) *table {
	t := &table{Head: []string{"directory", "device", "fs", "sync", "prealloc", "background", "writers", "block", "count",
		"p50", "p90", "p99", "p99.9", "max", "IOPS", "extends", "note"}}
	if len(probes) > 1 {
		t.Head = append([]string{"probe"}, t.Head...)
	}
	for _, pr := range probes {
		for _, e := range pr.doc.Probes {
			var row []cell
			if len(probes) > 1 {
				row = append(row, text(pr.label))
			}
			bg := "-"
			if e.Background > 0 {
				bg = size.Format(e.Background) + "/s"
			}
			note := cell{}
			switch {
			case e.Error != "":
				note = cell{Text: "failed: " + e.Error, Class: "bad"}
			case e.OverMaxP99:
				note = cell{Text: "p99 above --max-p99", Class: "bad"}
			case e.Interrupted:
				note = text("interrupted")
			}
			l := e.Latency
			t.Rows = append(t.Rows, append(row, text(e.Dir), text(orUnknown(e.Device)), text(orUnknown(e.FSType)),
				text(e.Sync), text(e.PreallocMode), text(bg), integer(int64(e.WriterCount())), integer(int64(e.BlockSize)), integer(int64(e.Count)),
				latency(l.P50), latency(l.P90), latency(l.P99), latency(l.P999), latency(l.Max),
				decimal(e.IOPS), integer(int64(e.Extends.Count)), note))
		}
	}
	return t
}

func probeDevicesTable(probes []*probe) *table {
	t := &table{Head: []string{"directory", "storage", "sequential write"}}
	if len(probes) > 1 {
		t.Head = append([]string{"probe"}, t.Head...)
	}
	for _, pr := range probes {
		for _, d := range pr.doc.Dirs {
			var row []cell
			if len(probes) > 1 {
				row = append(row, text(pr.label))
			}
			bw := text("not measured")
			switch b := d.Bandwidth; {
			case b == nil:
			case b.Error != "":
				bw = cell{Text: "failed: " + b.Error, Class: "bad"}
			default:
				bw = text(fmt.Sprintf("%s MB/s (%s)", formatFloat(b.MBs), size.Human(b.Bytes)))
			}
			row = append(row, text(d.Dir), text(describeDevice(results.Device{Facts: d.Device})), bw)
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

// probeComparison compares each probe folder's cases with the first
// folder's: a case is matched by its directory's position on the
// command line (probes of different mounts are the point) and its mode.
func (p *page) probeComparison(probes []*probe) {
	base := probes[0]
	s := p.section("Probes compared with " + base.label)
	s.note("Cases are matched by directory position and mode; each value with its change from %s (lower latency and higher IOPS are better).", base.label)
	t := &table{Head: append([]string{"case", "metric"}, probeLabels(probes)...)}
	for _, be := range base.doc.Probes {
		pos := slices.Index(probeDirs(base.doc), be.Dir)
		metric := func(label, unit string, higherIsBetter bool, v func(results.ProbeEntry) float64) {
			row := []cell{text(fmt.Sprintf("dir %d %s", pos+1, caseMode(be))), text(label), value(unit, v(be))}
			for _, pr := range probes[1:] {
				e, ok := matchCase(pr.doc, pos, be)
				if !ok {
					row = append(row, text("—"))
					continue
				}
				row = append(row, delta(unit, v(e), v(be), higherIsBetter))
			}
			t.Rows = append(t.Rows, row)
		}
		metric("p50", unitMicros, false, func(e results.ProbeEntry) float64 { return float64(e.Latency.P50) })
		metric("p99", unitMicros, false, func(e results.ProbeEntry) float64 { return float64(e.Latency.P99) })
		metric("p99.9", unitMicros, false, func(e results.ProbeEntry) float64 { return float64(e.Latency.P999) })
		metric("max", unitMicros, false, func(e results.ProbeEntry) float64 { return float64(e.Latency.Max) })
		metric("IOPS", "", true, func(e results.ProbeEntry) float64 { return e.IOPS })
	}
	s.table(t)
}

func probeLabels(probes []*probe) []string {
	labels := make([]string, len(probes))
	for i, pr := range probes {
		labels[i] = pr.label
	}
	return labels
}

// matchCase finds doc's case of the same mode in its directory at pos.
func matchCase(doc *results.Probe, pos int, like results.ProbeEntry) (results.ProbeEntry, bool) {
	dirs := probeDirs(doc)
	if pos >= len(dirs) {
		return results.ProbeEntry{}, false
	}
	for _, e := range doc.Probes {
		if e.Dir == dirs[pos] && caseMode(e) == caseMode(like) {
			return e, true
		}
	}
	return results.ProbeEntry{}, false
}
