package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"zkbench/bench"
	"zkbench/internal/size"
	"zkbench/results"
	"zkbench/results/table"
)

// textSink prints a run's or sweep's progress and notices on stderr.
type textSink struct {
	w        io.Writer
	cmd      string
	progress bool // print progress lines, not only notices
}

func (s *textSink) Progress(p bench.Progress) {
	if s.progress {
		fmt.Fprintf(s.w, "run: %-11s %6.1fs  %8.0f ops/s  p99 %-9s  errors %d  snapshots %d\n",
			p.Phase, p.Elapsed.Seconds(), p.OpsPerSec, table.Micros(p.P99.Microseconds()), p.Errors, p.Snapshots)
	}
}

func (s *textSink) Notice(msg string) { fmt.Fprintf(s.w, "zkbench %s: %s\n", s.cmd, msg) }

// isTerminal reports whether w is a terminal, where progress lines are
// welcome.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

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

// writeRunSummary prints the end-of-run tables and where the files are.
func writeRunSummary(w io.Writer, res *results.Result, out string) {
	rows := [][]string{{"OP", "COUNT", "ERRORS", "OPS/S", "P50", "P99", "P99.9", "MAX"}}
	for _, op := range res.Ops {
		l := op.Latency
		rows = append(rows, []string{op.Op, itoa(op.Count), itoa(op.Errors), fmt.Sprintf("%.0f", op.ThroughputOpsS),
			table.Micros(l.P50), table.Micros(l.P99), table.Micros(l.P999), table.Micros(l.Max)})
	}
	rows = append(rows, []string{"total", itoa(res.Total.Count), itoa(res.Total.Errors), fmt.Sprintf("%.0f", res.Total.ThroughputOpsS)})
	table.Write(w, rows, table.Right(1, len(rows[0])))
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
			st.Windows, orNone(st.WriteP99UsInside), orNone(st.WriteP99UsOutside),
			orNone(st.FsyncP99UsInside), orNone(st.FsyncP99UsOutside))
	}
	var names []string
	for _, op := range res.Ops {
		names = append(names, op.Op)
	}
	slices.Sort(names)
	fmt.Fprintf(w, "\nresults: %s (result.json, report.html, %s.hlog)\n", relPath(out), strings.Join(names, ".hlog, "))
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

// orNone prints a latency, or "none" for a side without samples.
func orNone(us int64) string {
	if us == 0 {
		return "none"
	}
	return table.Micros(us)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
