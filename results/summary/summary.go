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
		fmt.Fprintln(w)
		if res.Target == "embedded" {
			writeServers(w, res.Servers)
		} else {
			writeExternalServers(w, res.Servers)
		}
	}
	if s := res.Setup; s != nil {
		fmt.Fprintf(w, "\npreload: %d znodes, %s of values, by %s in %.1f s%s\n",
			s.Znodes, size.Human(s.Bytes), s.Method, s.PreloadS, restores(s.RestoreMs))
	}
	if st := res.SnapshotStall; st.Windows > 0 {
		fmt.Fprintf(w, "\nsnapshot windows: %d; write p99 inside %s vs outside %s; fsync p99 inside %s vs outside %s\n",
			st.Windows, stallFigure(st, false, true), stallFigure(st, false, false),
			stallFigure(st, true, true), stallFigure(st, true, false))
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

func writeServers(w io.Writer, servers []results.Server) {
	rows := [][]string{{"SERVER", "ROLE", "FSYNCS", "TXNS/SYNC", "FSYNC P50", "FSYNC P99", "SNAPSHOTS", "ROLLS"}}
	for _, s := range servers {
		perSync := 0.0
		if s.Fsync.Count > 0 {
			perSync = float64(s.Fsync.Txns) / float64(s.Fsync.Count)
		}
		rows = append(rows, []string{strconv.Itoa(s.ID), s.Role, itoa(s.Fsync.Count), fmt.Sprintf("%.1f", perSync),
			table.Micros(s.Fsync.Latency.P50), table.Micros(s.Fsync.Latency.P99), strconv.Itoa(len(s.Snapshots)), strconv.Itoa(s.LogRolls)})
	}
	table.Write(w, rows, []bool{true, false, true, true, true, true, true, true})
}

// writeExternalServers is the server table of a real ensemble: mntr has
// no fsync percentiles, bytes or txns, only a count and a sum (in ms).
func writeExternalServers(w io.Writer, servers []results.Server) {
	rows := [][]string{{"SERVER", "ROLE", "FSYNCS", "FSYNC MEAN", "OVER WARNING THRESHOLD"}}
	for _, s := range servers {
		rows = append(rows, []string{strconv.Itoa(s.ID), s.Role, itoa(s.Fsync.Count),
			table.Micros(int64(s.Fsync.Latency.Mean)), itoa(s.Fsync.OverWarningThreshold)})
	}
	table.Write(w, rows, []bool{true, false, true, true, true})
	fmt.Fprintln(w, "(from mntr: ZooKeeper keeps fsync times in whole ms)")
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

// stallFigure is one p99 of a snapshot stall with the samples behind it:
// "6.74 ms (n=812)", or "none" when no sample fell on that side.
func stallFigure(st results.SnapshotStall, fsync, inside bool) string {
	f, ok := st.StallP99(fsync, inside)
	switch {
	case !ok:
		return "none"
	case f.Samples == 0:
		return table.Micros(f.P99Us)
	}
	return fmt.Sprintf("%s (n=%d)", table.Micros(f.P99Us), f.Samples)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
