// Package report renders zkbench result folders as one self-contained
// HTML file: tables and go-echarts charts, with Apache ECharts inlined so
// that the file renders offline, from a file://, years later.
//
// A folder is a run (result.json and its .hlog files), a sweep (sweep.json
// and a run folder per combination) or a disk probe (probe.json and an
// .hlog per case). A run's report puts the answer first: its verdict
// (throughput, p99 per op, the slowest member's fsync p99, the snapshot
// stall with its sample counts, warnings); then per-op numbers and
// latency spectra; latency and throughput per interval with snapshot
// windows and leader elections marked, and a lane per member of its
// windows, log rolls and elections; fsync latency per member; the
// snapshot stall; CPU and disks; last the configuration, what differs
// from the defaults first, and the machine. Latencies read as the
// terminal prints them, and a figure not measured is a dash or a gap,
// never 0. A probe's has the verdict
// per directory, every case and the sync latency spectra. Given several
// folders (or a sweep), every chart overlays them and tables compare each
// with the first; a sweep also has its headline figures plotted against
// each varied key.
//
// A trend (RenderTrend) is another page: the headline figures of a
// history of runs, one point per folder, such as a nightly job's.
package report

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// File is a report's name in a result folder.
const File = "report.html"

// Render writes the report of the folders in dirs to w. Every error
// names the folder or file at fault.
func Render(w io.Writer, dirs []string) error {
	f, err := load(dirs)
	if err != nil {
		return err
	}
	return foldersPage(f).write(w)
}

// WriteFile renders the report of dirs into the file at path, replacing
// it. The folders are read first, so that a bad one leaves no file.
func WriteFile(path string, dirs []string) error {
	f, err := load(dirs)
	if err != nil {
		return err
	}
	return writePage(path, foldersPage(f))
}

// writePage writes p into the file at path, replacing it; a write that
// fails leaves no file behind.
func writePage(path string, p *page) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(out)
	err = p.write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func foldersPage(f *folders) *page {
	p := &page{Title: title(f)}
	p.warnInterrupted(f)
	if len(f.capacities) > 0 {
		p.addCapacities(f.capacities)
	}
	if len(f.runs) > 0 {
		p.addRuns(f.runs, f.sweeps)
	}
	if len(f.probes) > 0 {
		p.addProbes(f.probes)
	}
	return p
}

// warnInterrupted puts the interrupted runs and sweeps first: their
// figures cover less than was planned.
func (p *page) warnInterrupted(f *folders) {
	for _, r := range f.runs {
		if r.res.Interrupted {
			p.warn("Interrupted: %s was stopped after %s s of measuring; its figures are not a complete run's.",
				r.label, formatFloat(r.res.DurationS))
		}
	}
	for _, sw := range f.sweeps {
		if sw.index.Interrupted {
			name := strings.TrimSpace("the sweep " + sw.label)
			p.warn("Interrupted: %s was stopped after %d of its %d runs; the runs below are the complete ones.",
				name, len(sw.index.Runs), sw.index.Planned)
		}
	}
}

// title says what the report is about: "zkbench run quick-1",
// "zkbench: 3 runs compared", "zkbench sweep of snapCount: 3 runs",
// "zkbench probe p1".
func title(f *folders) string {
	switch {
	case len(f.capacities) == 1 && len(f.runs) == 0 && len(f.probes) == 0:
		return "zkbench capacity " + f.capacities[0].label
	case len(f.capacities) > 0 && len(f.runs) == 0 && len(f.probes) == 0:
		return fmt.Sprintf("zkbench: %d capacity searches compared", len(f.capacities))
	case len(f.sweeps) == 1 && len(f.sweeps[0].runs) == len(f.runs) && len(f.probes) == 0:
		return fmt.Sprintf("zkbench sweep of %s: %d runs", strings.Join(f.sweeps[0].index.Vary, " × "), len(f.runs))
	case len(f.runs) == 1 && len(f.probes) == 0:
		return "zkbench run " + f.runs[0].label
	case len(f.probes) == 1 && len(f.runs) == 0:
		return "zkbench probe " + f.probes[0].label
	case len(f.probes) == 0:
		return fmt.Sprintf("zkbench: %d runs compared", len(f.runs))
	case len(f.runs) == 0:
		return fmt.Sprintf("zkbench: %d probes compared", len(f.probes))
	}
	return fmt.Sprintf("zkbench: %s and %s", plural(len(f.runs), "run"), plural(len(f.probes), "probe"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
