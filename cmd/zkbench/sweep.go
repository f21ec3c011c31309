package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"zkbench/bench"
	"zkbench/profiles"
	"zkbench/results"
	"zkbench/results/table"
)

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
	sw, err := planSweep(p, fs, o, values, stderr)
	if err != nil {
		return err
	}
	sw.Out = cmp.Or(o.out, bench.DefaultOut(p.Name))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sink := newProgress(stderr, "sweep", o.progress)
	index, err := sw.Run(ctx, sink)
	sink.Close()
	if index == nil || (err != nil && !errors.Is(err, bench.ErrInterrupted)) {
		return err
	}
	if index.Interrupted {
		fmt.Fprintf(stdout, "INTERRUPTED after %d of %d runs: sweep.json lists the complete ones and is marked interrupted\n\n",
			len(index.Runs), index.Planned)
	}
	if werr := writeSweepTable(stdout, sw.Out, index); werr != nil {
		return werr
	}
	fmt.Fprintf(stdout, "\nresults: %s\n", written(sw.Out))
	return err
}

// planSweep resolves every run of the sweep from the profile, the flags
// and --vary before the first starts.
func planSweep(p *profiles.Profile, fs *pflag.FlagSet, o sweepOptions, values map[string]*string, stderr io.Writer) (*bench.Sweep, error) {
	var more []bench.Dimension
	for _, v := range o.vary {
		d, err := parseVary(v)
		if err != nil {
			return nil, err
		}
		more = append(more, d)
	}
	dims, err := bench.Dimensions(p, more)
	if err != nil {
		return nil, usagef("%v", err)
	}
	if err := checkNotAlsoSet(dims, fs, o.sets); err != nil {
		return nil, err
	}
	repeat := max(p.Repeat, 1)
	if fs.Changed("repeat") {
		if o.repeat < 1 {
			return nil, usagef("--repeat %d: want at least 1", o.repeat)
		}
		repeat = o.repeat
	}
	base, err := resolvePlan(p, fs, o.runOptions, values, stderr)
	if err != nil {
		return nil, err
	}
	sw, err := bench.NewSweep(base, dims, repeat)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return sw, nil
}

// parseVary reads key=v1,v2,... The key is a profile key or a run flag's
// name (snapCount or snap-count).
func parseVary(s string) (bench.Dimension, error) {
	k, list, ok := strings.Cut(s, "=")
	if !ok || k == "" || list == "" {
		return bench.Dimension{}, usagef("--vary %q: want key=v1,v2,...", s)
	}
	if i := slices.IndexFunc(runFlagKeys, func(f runFlagKey) bool { return f.flag == k }); i >= 0 {
		k = runFlagKeys[i].key
	}
	d := bench.Dimension{Key: k}
	for _, v := range strings.Split(list, ",") {
		if v = strings.TrimSpace(v); v == "" {
			return bench.Dimension{}, usagef("--vary %q: empty value", s)
		}
		if slices.Contains(d.Values, v) {
			return bench.Dimension{}, usagef("--vary %s: %s given twice", k, v)
		}
		d.Values = append(d.Values, v)
	}
	return d, nil
}

// checkNotAlsoSet refuses a varied key that a flag or --set also sets:
// which one wins would be a guess.
func checkNotAlsoSet(dims []bench.Dimension, fs *pflag.FlagSet, sets []string) error {
	for _, d := range dims {
		for _, f := range runFlagKeys {
			if f.key == d.Key && fs.Changed(f.flag) {
				return usagef("--%s: %s is also varied", f.flag, d.Key)
			}
		}
		for _, s := range sets {
			if k, _, _ := strings.Cut(s, "="); k == d.Key {
				return usagef("--set %s: %s is also varied", s, d.Key)
			}
		}
	}
	return nil
}

// table prints one row per combination: the median of its repeats.
func writeSweepTable(w io.Writer, out string, index *results.Sweep) error {
	type row struct {
		label                 string
		ops, p99, fsync, runs []float64
	}
	var rows []*row
	byLabel := map[string]*row{}
	for _, r := range index.Runs {
		res, err := results.ReadFile(filepath.Join(out, r.Dir, results.ResultFile))
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
		rw.p99 = append(rw.p99, float64(res.HeadlineP99()))
		if f := res.LeaderFsyncP99(); f >= 0 {
			rw.fsync = append(rw.fsync, float64(f))
		}
	}
	t := [][]string{{"RUN", "REPEATS", "OPS/S", "P99", "LEADER FSYNC P99"}}
	for _, rw := range rows {
		fsync := "-"
		if len(rw.fsync) > 0 {
			fsync = table.Micros(int64(medianOf(rw.fsync)))
		}
		t = append(t, []string{rw.label, fmt.Sprint(len(rw.ops)), fmt.Sprintf("%.0f", medianOf(rw.ops)),
			table.Micros(int64(medianOf(rw.p99))), fsync})
	}
	return table.Write(w, t, table.Right(1, 5))
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
