package summary

import (
	"fmt"
	"strconv"

	"zkbench/results"
	"zkbench/results/table"
)

// servers is a run's server table, with the alignment of its columns and
// a note to print under it ("" for none). Embedded members have every
// sync timed; real servers' syncs are mntr's (count, mean, the slow
// ones), with their snapshots and log rolls where their files were
// watched and "-" where they were not.
func servers(res *results.Result) (rows [][]string, right []bool, note string) {
	if !res.MntrFsync() {
		rows = [][]string{{"SERVER", "ROLE", "FSYNCS", "TXNS/SYNC", "FSYNC P50", "FSYNC P99", "SNAPSHOTS", "ROLLS"}}
		for _, s := range res.Servers {
			perSync := 0.0
			if s.Fsync.Count > 0 {
				perSync = float64(s.Fsync.Txns) / float64(s.Fsync.Count)
			}
			rows = append(rows, []string{strconv.Itoa(s.ID), s.Role, itoa(s.Fsync.Count), fmt.Sprintf("%.1f", perSync),
				table.Micros(s.Fsync.Latency.P50), table.Micros(s.Fsync.Latency.P99), strconv.Itoa(len(s.Snapshots)), strconv.Itoa(s.LogRolls)})
		}
		return rows, []bool{true, false, true, true, true, true, true, true}, ""
	}
	rows = [][]string{{"SERVER", "ROLE", "FSYNCS", "FSYNC MEAN", "OVER WARNING THRESHOLD", "SNAPSHOTS", "ROLLS"}}
	for _, s := range res.Servers {
		snaps, rolls := "-", "-"
		if s.FilesWatched() {
			snaps, rolls = strconv.Itoa(len(s.Snapshots)), strconv.Itoa(s.LogRolls)
		}
		rows = append(rows, []string{strconv.Itoa(s.ID), s.Role, itoa(s.Fsync.Count),
			table.Micros(int64(s.Fsync.Latency.Mean)), itoa(s.Fsync.OverWarningThreshold), snaps, rolls})
	}
	note = "(syncs from mntr, which keeps their times in whole ms; snapshots and rolls from the servers' files, - where not watched)"
	return rows, []bool{true, false, true, true, true, true, true}, note
}

// stall is the snapshot stall's line, "" without a window: the write p99
// inside snapshot windows and outside them, and the fsync p99 likewise
// where every sync was timed.
func stall(res *results.Result) string {
	st := res.SnapshotStall
	if st.Windows == 0 {
		return ""
	}
	line := fmt.Sprintf("snapshot windows: %d; write p99 inside %s vs outside %s", st.Windows,
		stallFigure(st, false, true), stallFigure(st, false, false))
	if res.MntrFsync() {
		return line + "; fsync p99 not measured on this target"
	}
	return line + fmt.Sprintf("; fsync p99 inside %s vs outside %s", stallFigure(st, true, true), stallFigure(st, true, false))
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
