package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/hlog"
	"zkbench/results"
)

// run is one run folder: its result.json and the histograms of its .hlog
// files.
type run struct {
	label string
	dir   string
	res   *results.Result
	// ops holds each op's whole histogram, by index of res.Ops; nil for
	// an op without an .hlog.
	ops []*hdrhistogram.Histogram
	// fsync holds each member's fsync intervals, by index of res.Servers;
	// nil for a member without an .hlog.
	fsync [][]*hdrhistogram.Histogram
}

// probe is one probe folder: its probe.json and the histogram of each
// entry's .hlog (by index of doc.Probes; nil without one).
type probe struct {
	label string
	dir   string
	doc   *results.Probe
	hists []*hdrhistogram.Histogram
}

// sweep is a sweep folder: its sweep.json and its runs, in the order
// of Index.Runs.
type sweep struct {
	// label names the folder where the report has others too; "" alone.
	label string
	index *results.Sweep
	runs  []*run
}

// folders is everything a report shows: run folders (a sweep's runs
// among them) and probe folders, in the order given, and the sweeps
// again as such.
type folders struct {
	capacities []*capacity
	runs       []*run
	probes     []*probe
	sweeps     []*sweep
}

// load reads every folder in dirs, telling a run, a sweep and a probe
// apart by the JSON file each holds. Every error names the folder or
// file at fault.
func load(dirs []string) (*folders, error) {
	if len(dirs) == 0 {
		return nil, errors.New("no folder to report on")
	}
	var f folders
	labels := folderLabels(dirs)
	for i, arg := range dirs {
		dir, kind, err := folderKind(arg)
		if err != nil {
			return nil, err
		}
		switch kind {
		case results.ResultFile:
			r, err := loadRun(dir, labels[i])
			if err != nil {
				return nil, err
			}
			f.runs = append(f.runs, r)
		case results.SweepFile:
			label := labels[i]
			if len(dirs) == 1 {
				label = ""
			}
			sw, err := loadSweep(dir, label)
			if err != nil {
				return nil, err
			}
			f.runs = append(f.runs, sw.runs...)
			f.sweeps = append(f.sweeps, sw)
		case results.CapacityFile:
			c, err := loadCapacity(dir, labels[i])
			if err != nil {
				return nil, err
			}
			f.capacities = append(f.capacities, c)
		case results.ProbeFile:
			p, err := loadProbe(dir, labels[i])
			if err != nil {
				return nil, err
			}
			f.probes = append(f.probes, p)
		}
	}
	return &f, nil
}

// folderKind returns the folder arg names and which of result.json,
// sweep.json and probe.json it holds. arg may also name one of those
// files.
func folderKind(arg string) (dir, kind string, err error) {
	st, err := os.Stat(arg)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("%s: no such folder", arg)
	}
	if err != nil {
		return "", "", err
	}
	if !st.IsDir() {
		switch base := filepath.Base(arg); base {
		case results.ResultFile, results.SweepFile, results.ProbeFile, results.CapacityFile:
			return filepath.Dir(arg), base, nil
		}
		return "", "", fmt.Errorf("%s: not a folder", arg)
	}
	for _, name := range []string{results.ResultFile, results.SweepFile, results.ProbeFile, results.CapacityFile} {
		if _, err := os.Stat(filepath.Join(arg, name)); err == nil {
			return arg, name, nil
		}
	}
	return "", "", fmt.Errorf("%s: no %s, %s, %s or %s in it: not a zkbench result folder",
		arg, results.ResultFile, results.SweepFile, results.ProbeFile, results.CapacityFile)
}

// folderLabels names each folder in charts and tables: its base name,
// or the path as given where two base names are the same.
func folderLabels(dirs []string) []string {
	labels := make([]string, len(dirs))
	seen := map[string]int{}
	for i, d := range dirs {
		labels[i] = folderBase(d)
		seen[labels[i]]++
	}
	for i, d := range dirs {
		if seen[labels[i]] > 1 {
			labels[i] = filepath.Clean(d)
		}
	}
	return labels
}

func folderBase(arg string) string {
	switch base := filepath.Base(arg); base {
	case results.ResultFile, results.SweepFile, results.ProbeFile, results.CapacityFile:
		arg = filepath.Dir(arg)
	}
	if abs, err := filepath.Abs(arg); err == nil {
		arg = abs
	}
	return filepath.Base(arg)
}

func loadRun(dir, label string) (*run, error) {
	res, err := results.ReadFile(filepath.Join(dir, results.ResultFile))
	if err != nil {
		return nil, err
	}
	r := &run{label: label, dir: dir, res: res,
		ops: make([]*hdrhistogram.Histogram, len(res.Ops)), fsync: make([][]*hdrhistogram.Histogram, len(res.Servers))}
	for i, op := range res.Ops {
		hs, err := readHlog(dir, op.Hlog)
		if err != nil {
			return nil, err
		}
		if hs != nil {
			r.ops[i] = hlog.Merge(hs)
		}
	}
	for i, s := range res.Servers {
		if r.fsync[i], err = readHlog(dir, s.Fsync.Hlog); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// loadSweep loads every run of a sweep, each labelled by its varied
// values after the sweep's label, if it has one.
func loadSweep(dir, label string) (*sweep, error) {
	index, err := results.ReadSweep(filepath.Join(dir, results.SweepFile))
	if err != nil {
		return nil, err
	}
	if len(index.Runs) == 0 {
		return nil, fmt.Errorf("%s: no runs", filepath.Join(dir, results.SweepFile))
	}
	prefix := ""
	if label != "" {
		prefix = label + ": "
	}
	sw := &sweep{label: label, index: index, runs: make([]*run, 0, len(index.Runs))}
	for _, sr := range index.Runs {
		r, err := loadRun(filepath.Join(dir, sr.Dir), prefix+index.Label(sr))
		if err != nil {
			return nil, err
		}
		sw.runs = append(sw.runs, r)
	}
	return sw, nil
}

func loadProbe(dir, label string) (*probe, error) {
	doc, err := results.ReadProbe(filepath.Join(dir, results.ProbeFile))
	if err != nil {
		return nil, err
	}
	p := &probe{label: label, dir: dir, doc: doc, hists: make([]*hdrhistogram.Histogram, len(doc.Probes))}
	for i, e := range doc.Probes {
		hs, err := readHlog(dir, e.Hlog)
		if err != nil {
			return nil, err
		}
		if hs != nil {
			p.hists[i] = hlog.Merge(hs)
		}
	}
	return p, nil
}

// readHlog reads the interval log a JSON file names, relative to its
// folder; no name means no log.
func readHlog(dir, name string) ([]*hdrhistogram.Histogram, error) {
	if name == "" {
		return nil, nil
	}
	// hlog.ReadFile's errors name the file.
	return hlog.ReadFile(filepath.Join(dir, name))
}
