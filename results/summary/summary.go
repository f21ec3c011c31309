// Package summary writes what a command prints when it ends: a run's
// tables, a capacity search's answer and steps, and where the files are.
package summary

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"zkbench/internal/size"
	"zkbench/results"
	"zkbench/results/table"
)

// relPath shortens p to a path relative to the working directory when it
// is under it.
func relPath(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return p
}

// Run prints a run's end-of-run tables, its warnings and where its
// files are.
func Run(w io.Writer, res *results.Result, out string) {
	if res.Interrupted {
		fmt.Fprintf(w, "INTERRUPTED after %.2f s of measuring: these figures are not a complete run's\n\n", res.DurationS)
	}
	rows := [][]string{{"OP", "COUNT", "ERRORS", "OPS/S", "P50", "P99", "P99.9", "MAX"}}
	for _, op := range res.Ops {
		l := op.Latency
		rows = append(rows, []string{op.Op, itoa(op.Count), itoa(op.Errors), fmt.Sprintf("%.0f", op.ThroughputOpsS),
			table.Micros(l.P50), table.Micros(l.P99), table.Micros(l.P999), table.Micros(l.Max)})
	}
	rows = append(rows, []string{"total", itoa(res.Total.Count), itoa(res.Total.Errors), fmt.Sprintf("%.0f", res.Total.ThroughputOpsS)})
	table.Write(w, rows, table.Right(1, len(rows[0])))
	for _, warning := range res.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	if len(res.Servers) > 0 {
		rows, right, note := servers(res)
		fmt.Fprintln(w)
		table.Write(w, rows, right)
		if note != "" {
			fmt.Fprintln(w, note)
		}
	}
	if s := res.Setup; s != nil {
		fmt.Fprintf(w, "\npreload: %d znodes, %s of values, by %s in %.1f s%s\n",
			s.Znodes, size.Human(s.Bytes), s.Method, s.PreloadS, restores(s.RestoreMs))
	}
	if e := res.Ephemerals; e != nil {
		fmt.Fprintf(w, "\n%s\n", e.Summary())
	}
	if line := stall(res); line != "" {
		fmt.Fprintf(w, "\n%s\n", line)
	}
	for _, f := range res.Faults {
		fmt.Fprintf(w, "\nfault %s", f.Summary())
	}
	if line := res.SafetySummary(); line != "" {
		fmt.Fprintf(w, "\n%s\n", line)
	}
	fmt.Fprintf(w, "\nresults: %s\n", Written(out))
}

// Written is out and what it holds: "DIR (result.json, report.html, …
// and 3 more)".
func Written(out string) string {
	names, err := results.Written(out)
	if err != nil {
		return fmt.Sprintf("%s (cannot list it: %v)", relPath(out), err)
	}
	return fmt.Sprintf("%s (%s)", relPath(out), table.Names(names, 8))
}

// restores words the members' start-up restores of a preload.
func restores(ms []float64) string {
	if len(ms) == 0 {
		return ""
	}
	parts := make([]string, len(ms))
	for i, v := range ms {
		parts[i] = table.Micros(int64(v * 1000))
	}
	return "; start-up restore " + strings.Join(parts, ", ")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
