package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"zkbench/profiles"
	"zkbench/results"
	htmlreport "zkbench/results/report"
)

// A sweep is the cross product of its varied keys' values, each
// combination run --repeat times, one run folder each, and sweep.json
// indexing them. Repeats are interleaved (every combination once, then
// again): a drift of the machine during the sweep then falls on every
// combination alike instead of on the last one.

type sweepOptions struct {
	runOptions
	vary   []string
	repeat int
}

func runSweep(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sweep", stderr)
	var o sweepOptions
	values := addRunFlags(fs, &o.runOptions)
	fs.StringArrayVar(&o.vary, "vary", nil, "key=v1,v2,... a profile key and its values (repeatable: the cross product runs)")
	fs.IntVar(&o.repeat, "repeat", 0, "runs per combination (default: the profile's repeat, else 1)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	p, err := profiles.Load(o.profile)
	if err != nil {
		return usagef("--profile: %v", err)
	}
	sw, err := planSweep(p, fs, o, values)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sw.stdout, sw.stderr = stdout, stderr
	sw.progress = o.progress || probeIsTerminal(stderr)
	return sw.run(ctx)
}

// dimension is one varied key and its values.
type dimension struct {
	key    string
	values []string
}

// sweepRun is one run of the sweep, planned.
type sweepRun struct {
	plan   *runPlan
	values map[string]string
	repeat int
	dir    string // under the sweep folder
}

type sweeper struct {
	profile  string
	out      string
	vary     []string
	repeat   int
	runs     []sweepRun
	stdout   io.Writer
	stderr   io.Writer
	progress bool
}

// planSweep resolves every run before the first starts, so that a bad
// value in the last combination is refused before an hour of runs.
func planSweep(p *profiles.Profile, fs *pflag.FlagSet, o sweepOptions, values map[string]*string) (*sweeper, error) {
	dims, err := sweepDimensions(p, o.vary)
	if err != nil {
		return nil, err
	}
	if err := checkNotAlsoSet(dims, fs, o.sets); err != nil {
		return nil, err
	}
	repeat := p.Repeat
	if fs.Changed("repeat") {
		if o.repeat < 1 {
			return nil, usagef("--repeat %d: want at least 1", o.repeat)
		}
		repeat = o.repeat
	}
	sw := &sweeper{profile: p.Name, out: o.out, repeat: repeat}
	for _, d := range dims {
		sw.vary = append(sw.vary, d.key)
	}
	combos := crossProduct(dims)
	width := len(strconv.Itoa(len(combos) * repeat))
	for rep := 1; rep <= repeat; rep++ {
		for _, c := range combos {
			// A plan per run, even for a repeat: the runner fills in its folders.
			plan, err := resolvePlan(p, fs, o.runOptions, values, c)
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

// sweepDimensions merges the profile's vary lines with --vary: a --vary
// of a key the profile varies replaces the profile's values.
func sweepDimensions(p *profiles.Profile, flags []string) ([]dimension, error) {
	var dims []dimension
	for _, v := range p.Vary {
		if !knownKey(v.Key) {
			return nil, usagef("%s: vary %s: unknown key", v.Where, v.Key)
		}
		dims = append(dims, dimension{key: v.Key, values: v.Values})
	}
	for _, f := range flags {
		d, err := parseVary(f)
		if err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(dims, func(x dimension) bool { return x.key == d.key }); i >= 0 {
			dims[i] = d
		} else {
			dims = append(dims, d)
		}
	}
	if len(dims) == 0 && p.Repeat <= 1 {
		return nil, usagef("--vary: nothing to vary (give --vary key=v1,v2 or a sweep profile)")
	}
	return dims, nil
}

// parseVary reads key=v1,v2,... The key is a profile key or a run flag's
// name (snapCount or snap-count).
func parseVary(s string) (dimension, error) {
	k, list, ok := strings.Cut(s, "=")
	if !ok || k == "" || list == "" {
		return dimension{}, usagef("--vary %q: want key=v1,v2,...", s)
	}
	if i := slices.IndexFunc(runFlagKeys, func(f runFlagKey) bool { return f.flag == k }); i >= 0 {
		k = runFlagKeys[i].key
	}
	if !knownKey(k) {
		return dimension{}, usagef("--vary %s: unknown key", k)
	}
	d := dimension{key: k}
	for _, v := range strings.Split(list, ",") {
		if v = strings.TrimSpace(v); v == "" {
			return dimension{}, usagef("--vary %q: empty value", s)
		}
		if slices.Contains(d.values, v) {
			return dimension{}, usagef("--vary %s: %s given twice", k, v)
		}
		d.values = append(d.values, v)
	}
	return d, nil
}

// checkNotAlsoSet refuses a varied key that a flag or --set also sets:
// which one wins would be a guess.
func checkNotAlsoSet(dims []dimension, fs *pflag.FlagSet, sets []string) error {
	for _, d := range dims {
		for _, f := range runFlagKeys {
			if f.key == d.key && fs.Changed(f.flag) {
				return usagef("--%s: %s is also varied", f.flag, d.key)
			}
		}
		for _, s := range sets {
			if k, _, _ := strings.Cut(s, "="); k == d.key {
				return usagef("--set %s: %s is also varied", s, d.key)
			}
		}
	}
	return nil
}

// crossProduct lists every combination, the first dimension varying
// slowest.
func crossProduct(dims []dimension) [][]setting {
	combos := [][]setting{nil}
	for _, d := range dims {
		var next [][]setting
		for _, c := range combos {
			for _, v := range d.values {
				next = append(next, append(slices.Clip(c), setting{d.key, v}))
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

func (sw *sweeper) run(ctx context.Context) error {
	var err error
	if sw.out, err = prepareOutDir(sw.out, sw.profile); err != nil {
		return err
	}
	index := &results.Sweep{ZkbenchVersion: zkbenchVersion(), Profile: sw.profile, Started: time.Now().UTC(),
		Vary: sw.vary, Repeat: sw.repeat, Runs: []results.SweepRun{}}
	for i, sr := range sw.runs {
		label := index.Label(results.SweepRun{Values: sr.values, Repeat: sr.repeat})
		fmt.Fprintf(sw.stderr, "zkbench sweep: run %d/%d: %s\n", i+1, len(sw.runs), label)
		r := &runner{plan: sr.plan, out: filepath.Join(sw.out, sr.dir), stdout: io.Discard,
			stderr: sw.stderr, progress: sw.progress}
		if err := r.run(ctx); err != nil {
			return fmt.Errorf("run %s: %w", label, err)
		}
		if ctx.Err() != nil {
			return sw.interrupted(index, sr)
		}
		index.Runs = append(index.Runs, results.SweepRun{Dir: sr.dir, Values: sr.values, Repeat: sr.repeat})
		if err := index.WriteFile(filepath.Join(sw.out, results.SweepFile)); err != nil {
			return err
		}
		sw.line(index, sr)
	}
	return sw.finish(index)
}

// interrupted ends a sweep on Ctrl-C. The run that was cut short keeps
// its folder with what it measured, but sweep.json leaves it out: a
// shorter run is not a repeat of the others.
func (sw *sweeper) interrupted(index *results.Sweep, cut sweepRun) error {
	if len(index.Runs) > 0 {
		if err := htmlreport.WriteFile(filepath.Join(sw.out, reportFile), []string{sw.out}); err != nil {
			return err
		}
	}
	return usagef("interrupted: %s holds what run %s measured; %s lists the %d complete runs",
		filepath.Join(sw.out, cut.dir), cut.dir, filepath.Join(sw.out, results.SweepFile), len(index.Runs))
}

// line prints one finished run's headline figures.
func (sw *sweeper) line(index *results.Sweep, sr sweepRun) {
	res, err := results.ReadFile(filepath.Join(sw.out, sr.dir, results.ResultFile))
	if err != nil {
		fmt.Fprintf(sw.stderr, "zkbench sweep: %v\n", err)
		return
	}
	fmt.Fprintf(sw.stderr, "zkbench sweep: %s: %.0f ops/s, p99 %s, leader fsync p99 %s\n",
		index.Label(results.SweepRun{Values: sr.values, Repeat: sr.repeat}),
		res.Total.ThroughputOpsS, probeMicros(headlineP99(res)), orDash(leaderFsyncP99(res)))
}

// finish writes the report and the table of every combination.
func (sw *sweeper) finish(index *results.Sweep) error {
	reportPath := filepath.Join(sw.out, reportFile)
	if err := htmlreport.WriteFile(reportPath, []string{sw.out}); err != nil {
		return err
	}
	if err := sw.table(index); err != nil {
		return err
	}
	fmt.Fprintf(sw.stdout, "\nresults: %s (sweep.json, report.html, one folder per run)\n", relPath(sw.out))
	return nil
}

// table prints one row per combination: the median of its repeats.
func (sw *sweeper) table(index *results.Sweep) error {
	type row struct {
		label                 string
		ops, p99, fsync, runs []float64
	}
	var rows []*row
	byLabel := map[string]*row{}
	for _, r := range index.Runs {
		res, err := results.ReadFile(filepath.Join(sw.out, r.Dir, results.ResultFile))
		if err != nil {
			return err
		}
		label := index.Label(results.SweepRun{Values: r.Values})
		rw := byLabel[label]
		if rw == nil {
			rw = &row{label: label}
			byLabel[label] = rw
			rows = append(rows, rw)
		}
		rw.ops = append(rw.ops, res.Total.ThroughputOpsS)
		rw.p99 = append(rw.p99, float64(headlineP99(res)))
		if f := leaderFsyncP99(res); f >= 0 {
			rw.fsync = append(rw.fsync, float64(f))
		}
	}
	w := tabwriter.NewWriter(sw.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "RUN\tREPEATS\tOPS/S\tP99\tLEADER FSYNC P99\t")
	for _, rw := range rows {
		fsync := "-"
		if len(rw.fsync) > 0 {
			fsync = probeMicros(int64(medianOf(rw.fsync)))
		}
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%s\t%s\t\n", rw.label, len(rw.ops), medianOf(rw.ops), probeMicros(int64(medianOf(rw.p99))), fsync)
	}
	return w.Flush()
}

// headlineP99 is the p99 of the run's most frequent op, in µs: the op
// the workload is about (setData for write, getData for read).
func headlineP99(res *results.Result) int64 {
	var best results.OpStats
	for _, op := range res.Ops {
		if op.Count > best.Count {
			best = op
		}
	}
	return best.Latency.P99
}

// leaderFsyncP99 is the leader's fsync p99 in µs, or -1 without one (an
// external target): its log's syncs are on every write's commit path.
func leaderFsyncP99(res *results.Result) int64 {
	for _, s := range res.Servers {
		if s.Role == "leader" {
			return s.Fsync.Latency.P99
		}
	}
	return -1
}

func orDash(us int64) string {
	if us < 0 {
		return "-"
	}
	return probeMicros(us)
}

func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
