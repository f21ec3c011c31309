package main

import (
	"io"

	"zkbench/results/merge"
	"zkbench/results/summary"
)

// runMerge is `zkbench merge DIR... --out DIR`: the runs of the N
// drivers of one shared workload (run --driver I/N) added up into one
// result folder (results/merge); unlike runs are refused (exit 2).
func runMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("merge", stderr)
	out := fs.String("out", "", "the merged run's folder (new or empty)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 || *out == "" {
		return usagef("want the drivers' run folders and --out: zkbench merge DIR... --out DIR")
	}
	res, err := merge.Merge(fs.Args(), *out)
	if err != nil {
		return err
	}
	summary.Run(stdout, res, *out)
	return nil
}
