package main

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"

	// Named apart from main's report, which reports a command's error.
	htmlreport "zkbench/results/report"
)

// trendFile is the name of a trend report, in the current directory: a
// trend belongs to none of its folders, as a report of several does not.
const trendFile = "trend.html"

// runReport is `zkbench report DIR... [--out FILE.html]`: one HTML report
// of any mix of run, sweep and probe folders, self-contained so that it
// opens offline; with --trend, the trend of a history of runs, one point
// per folder. Any unreadable folder or file is bad input (exit 2).
func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", stderr)
	out := fs.String("out", "", "the HTML file to write (default: DIR/"+htmlreport.File+" for one folder, ./"+htmlreport.File+
		" for several; with --trend ./"+trendFile+")")
	trend := fs.Bool("trend", false, "draw the trend of a history instead: each DIR one point in time, in the order given "+
		"(a run folder, a sweep of repeats of one combination, or a folder of repeated runs)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dirs := fs.Args()
	if *trend {
		return writeTrend(dirs, *out, stdout)
	}
	if len(dirs) == 0 {
		return usagef("no folder given: zkbench report DIR [DIR...] [--out FILE.html]")
	}
	path := *out
	switch {
	case path != "":
	case len(dirs) == 1 && filepath.Ext(dirs[0]) == ".json":
		path = filepath.Join(filepath.Dir(dirs[0]), htmlreport.File) // a result.json given by name
	case len(dirs) == 1:
		path = filepath.Join(dirs[0], htmlreport.File)
	default:
		// A comparison belongs to none of its folders.
		path = htmlreport.File
	}
	if err := htmlreport.WriteFile(path, dirs); err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintf(stdout, "report: %s\n", path)
	return nil
}

// writeTrend is `zkbench report --trend DIR... [--out FILE.html]`.
func writeTrend(dirs []string, out string, stdout io.Writer) error {
	if len(dirs) == 0 {
		return usagef("no folder given: zkbench report --trend DIR [DIR...] [--out FILE.html]")
	}
	path := cmp.Or(out, trendFile)
	if err := htmlreport.WriteTrendFile(path, dirs); err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintf(stdout, "report: %s\n", path)
	return nil
}
