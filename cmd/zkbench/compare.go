package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"zkbench/results"
	"zkbench/results/compare"
)

// compareWriters are the --format choices.
var compareWriters = map[string]func(*compare.Report, io.Writer) error{
	"text":     (*compare.Report).WriteText,
	"json":     (*compare.Report).WriteJSON,
	"markdown": (*compare.Report).WriteMarkdown,
	"headline": (*compare.Report).WriteHeadline,
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compare", stderr)
	maxRegression := fs.String("max-regression", "10%", "how much worse a metric may get, significantly, before the compare fails")
	metrics := fs.StringSlice("metric", compare.DefaultMetrics,
		"metrics: throughput, min, mean, p50, p90, p99, p999, max (per op type), OP.STAT such as setData.p99, fsync_STAT such as fsync_p99")
	format := fs.String("format", "text", "output: text, json, markdown, or headline (one line: which side is faster, A the baseline or B)")
	force := fs.Bool("force", false, "compare runs of different experiments (workload, mix, target kind, clients, rate) or interrupted runs anyway")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return usagef("want BASELINE and CANDIDATE (run folders, result.json files or folders of repeated runs), or one sweep of two combinations; got %d arguments", fs.NArg())
	}
	threshold, err := compare.ParseMaxRegression(*maxRegression)
	if err != nil {
		return usagef("--max-regression %v", err)
	}
	if len(*metrics) == 0 {
		return usagef("--metric is empty: name at least one metric, such as p99")
	}
	write, ok := compareWriters[*format]
	if !ok {
		return usagef("--format %q: want text, json, markdown or headline", *format)
	}
	base, cand, err := loadSides(fs.Args())
	if err != nil {
		return err
	}
	rep, err := compare.Compare(base, cand, compare.Options{Metrics: *metrics, MaxRegression: threshold, Force: *force})
	if err != nil {
		return usagef("%v", err) // not one experiment, an unknown metric, or one a run lacks
	}
	if err := write(rep, stdout); err != nil {
		return err
	}
	switch {
	case rep.Regressed():
		return &problemError{errors.New(rep.Conclusion())}
	case rep.Inconclusive():
		return fmt.Errorf("%w: %s", compare.ErrInconclusive, rep.Conclusion())
	}
	return nil
}

// loadSides reads BASELINE and CANDIDATE, or the two combinations of one
// sweep.
func loadSides(args []string) (base, cand *compare.Runs, err error) {
	if len(args) == 1 {
		if _, err := os.Stat(filepath.Join(args[0], results.SweepFile)); err != nil {
			return nil, nil, usagef("want BASELINE and CANDIDATE, or one sweep of two combinations: %s holds no %s", args[0], results.SweepFile)
		}
		base, cand, err = compare.LoadSweepSides(args[0])
		if err != nil {
			return nil, nil, usagef("%v", err)
		}
		return base, cand, nil
	}
	if base, err = compare.Load(args[0]); err != nil {
		return nil, nil, usagef("baseline %v", err)
	}
	if cand, err = compare.Load(args[1]); err != nil {
		return nil, nil, usagef("candidate %v", err)
	}
	return base, cand, nil
}
