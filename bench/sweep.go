package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"zkbench/profiles"
	"zkbench/results"
	"zkbench/results/report"
	"zkbench/results/table"
)

// A sweep is the cross product of its varied keys' values, each
// combination run repeat times, one run folder each, and sweep.json
// indexing them. Repeats are interleaved (every combination once, then
// again): a drift of the machine during the sweep then falls on every
// combination alike instead of on the last one.

// Dimension is one key a sweep varies and its values, in order.
type Dimension struct {
	Key    string
	Values []string
}

// Sweep is every run of a sweep, planned.
type Sweep struct {
	// Out is the sweep's folder, one run folder in it each; empty means
	// DefaultOut(profile).
	Out string

	profile string
	vary    []string
	repeat  int
	runs    []sweepRun
}

// sweepRun is one run of the sweep, planned.
type sweepRun struct {
	plan   *Plan
	values map[string]string
	repeat int
	dir    string // under the sweep folder
}

// setting is one key = value of a combination.
type setting struct{ key, value string }

// NewSweep plans base varied along dims, every combination repeat times.
// Every run is resolved and checked before the first starts, so that a
// bad value in the last combination is refused before an hour of runs.
func NewSweep(base *Plan, dims []Dimension, repeat int) (*Sweep, error) {
	if repeat < 1 {
		return nil, fmt.Errorf("repeat %d: want at least 1", repeat)
	}
	sw := &Sweep{Out: base.Out, profile: base.profile, repeat: repeat}
	for _, d := range dims {
		sw.vary = append(sw.vary, d.Key)
	}
	combos := crossProduct(dims)
	width := len(strconv.Itoa(len(combos) * repeat))
	for rep := 1; rep <= repeat; rep++ {
		for _, c := range combos {
			// A plan per run, even for a repeat: the run fills in its folders.
			plan, err := vary(base, c)
			if err != nil {
				return nil, err
			}
			n := len(sw.runs) + 1
			sw.runs = append(sw.runs, sweepRun{plan: plan, values: settingMap(c), repeat: rep,
				dir: runDirName(n, width, c, rep, repeat)})
		}
	}
	return sw, nil
}

// vary is base with one combination's values set, checked.
func vary(base *Plan, c []setting) (*Plan, error) {
	plan := base.clone()
	for _, s := range c {
		if err := plan.Set(s.key, s.value); err != nil {
			return nil, fmt.Errorf("--vary %w", err)
		}
	}
	return plan, plan.Check()
}

// Dimensions merges profile p's vary lines with more: a dimension of a
// key p varies replaces p's values, of another key adds one.
func Dimensions(p *profiles.Profile, more []Dimension) ([]Dimension, error) {
	var dims []Dimension
	for _, v := range p.Vary {
		if err := CheckKey(v.Key); err != nil {
			return nil, fmt.Errorf("%s: vary %w", v.Where, err)
		}
		dims = append(dims, Dimension{Key: v.Key, Values: v.Values})
	}
	for _, d := range more {
		if err := CheckKey(d.Key); err != nil {
			return nil, fmt.Errorf("--vary %w", err)
		}
		if i := slices.IndexFunc(dims, func(x Dimension) bool { return x.Key == d.Key }); i >= 0 {
			dims[i] = d
		} else {
			dims = append(dims, d)
		}
	}
	if len(dims) == 0 && p.Repeat <= 1 {
		return nil, fmt.Errorf("--vary: nothing to vary (give --vary key=v1,v2 or a sweep profile)")
	}
	return dims, nil
}

// crossProduct lists every combination, the first dimension varying
// slowest.
func crossProduct(dims []Dimension) [][]setting {
	combos := [][]setting{nil}
	for _, d := range dims {
		var next [][]setting
		for _, c := range combos {
			for _, v := range d.Values {
				next = append(next, append(slices.Clip(c), setting{d.Key, v}))
			}
		}
		combos = next
	}
	return combos
}

func settingMap(c []setting) map[string]string {
	m := make(map[string]string, len(c))
	for _, s := range c {
		m[s.key] = s.value
	}
	return m
}

// runDirName names a run's folder after its position and values, e.g.
// 03-snapCount=2000-r2; characters a path would misread become _.
func runDirName(n, width int, c []setting, rep, repeat int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%0*d", width, n)
	for _, s := range c {
		b.WriteString("-" + s.key + "=" + folderSafe(s.value))
	}
	if repeat > 1 {
		fmt.Fprintf(&b, "-r%d", rep)
	}
	return b.String()
}

func folderSafe(v string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, strings.Trim(v, "/"))
}

// Run runs every planned run in turn, each into its folder under
// sw.Out, and keeps sweep.json listing the complete ones and report.html
// comparing them. Interrupted, it returns the index so far with an error
// wrapping ErrInterrupted: sweep.json is marked interrupted, and the run
// that was cut short keeps its folder (its result.json marked too) but
// is left out of the index, since a shorter run is not a repeat of the
// others. sink may be nil.
func (sw *Sweep) Run(ctx context.Context, sink Sink) (*results.Sweep, error) {
	if sink == nil {
		sink = discard{}
	}
	var err error
	if sw.Out, err = prepareOut(sw.Out, sw.profile); err != nil {
		return nil, err
	}
	nameStale(sink)
	index := &results.Sweep{ZkbenchVersion: Version(), Profile: sw.profile, Started: time.Now().UTC(),
		Vary: sw.vary, Repeat: sw.repeat, Planned: len(sw.runs), Runs: []results.SweepRun{}}
	for i, sr := range sw.runs {
		label := index.Label(results.SweepRun{Values: sr.values, Repeat: sr.repeat})
		sink.Notice(fmt.Sprintf("run %d/%d: %s", i+1, len(sw.runs), label))
		sr.plan.Out = filepath.Join(sw.Out, sr.dir)
		sr.plan.staleNamed = true
		res, err := Run(ctx, sr.plan, sink)
		if errors.Is(err, ErrInterrupted) {
			return index, sw.interrupted(index, sr, res != nil)
		}
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", label, err)
		}
		index.Runs = append(index.Runs, results.SweepRun{Dir: sr.dir, Values: sr.values, Repeat: sr.repeat})
		if err := index.WriteFile(filepath.Join(sw.Out, results.SweepFile)); err != nil {
			return nil, err
		}
		sink.Notice(fmt.Sprintf("%s: %.0f ops/s, p99 %s, leader fsync p99 %s", label,
			res.Total.ThroughputOpsS, table.Micros(res.HeadlineP99()), orDash(res.LeaderFsyncP99())))
	}
	return index, report.WriteFile(filepath.Join(sw.Out, report.File), []string{sw.Out})
}

// interrupted ends a sweep on Ctrl-C: sweep.json is marked interrupted
// (even with no complete run, so that the folder says what it is), and
// the report covers the complete runs.
func (sw *Sweep) interrupted(index *results.Sweep, cut sweepRun, measured bool) error {
	index.Interrupted = true
	if err := index.WriteFile(filepath.Join(sw.Out, results.SweepFile)); err != nil {
		return err
	}
	if len(index.Runs) > 0 {
		if err := report.WriteFile(filepath.Join(sw.Out, report.File), []string{sw.Out}); err != nil {
			return err
		}
	}
	what := fmt.Sprintf("run %s was cut short before it measured anything", cut.dir)
	if measured {
		what = fmt.Sprintf("%s holds what run %s measured, marked interrupted", filepath.Join(sw.Out, cut.dir), cut.dir)
	}
	return fmt.Errorf("%w during run %d of %d: %s; %s lists the %d complete runs", ErrInterrupted,
		len(index.Runs)+1, len(sw.runs), what, filepath.Join(sw.Out, results.SweepFile), len(index.Runs))
}

func orDash(us int64) string {
	if us < 0 {
		return "-"
	}
	return table.Micros(us)
}
