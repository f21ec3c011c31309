package startup

import (
	"fmt"
	"io"
	"strings"

	"zkbench/results/table"
)

// WriteText prints the result for a person: per member, one line per
// phase, then the total.
func (r *Result) WriteText(w io.Writer) {
	for i, m := range r.Members {
		if i > 0 {
			fmt.Fprintln(w)
		}
		m.writeText(w)
	}
}

func (m *Report) writeText(w io.Writer) {
	dirs := m.SnapDir
	if m.LogDir != m.SnapDir {
		dirs += ", log " + m.LogDir
	}
	fmt.Fprintf(w, "%s  %s\n", m.Name, dirs)
	s := m.Snapshot
	for _, k := range s.Skipped {
		took := "" // the validity test refused it: no load was tried
		if k.LoadMs > 0 {
			took = " (load failed after " + msText(k.LoadMs) + ")"
		}
		fmt.Fprintf(w, "  skipped   %s%s: %s\n", k.File, took, k.Reason)
	}
	if s.File == "" {
		fmt.Fprintf(w, "  snapshot  none: an empty database (pick %s)\n", msText(s.PickMs))
	} else {
		fmt.Fprintf(w, "  snapshot  %s, %s bytes, %s znodes: load %s (%s MB/s, %s znodes/s), pick %s\n",
			s.File, count(s.Bytes), count(int64(s.Znodes)), msText(s.LoadMs), table.Figure(s.LoadMBs), count(int64(s.LoadZnodesS)), msText(s.PickMs))
	}
	p := m.Replay
	span := ""
	if p.Txns > 0 {
		span = fmt.Sprintf(" %s–%s", p.First, p.Last)
	}
	fmt.Fprintf(w, "  replay    %s txns%s from %d log files: %s (%s txns/s)\n",
		count(int64(p.Txns)), span, p.LogFiles, msText(p.Ms), count(int64(p.TxnsS)))
	for _, t := range p.TornTails {
		fmt.Fprintf(w, "  torn tail %s at offset %d, dropped as ZooKeeper does\n", t.File, t.Offset)
	}
	e := m.Epochs
	fmt.Fprintf(w, "  epochs    current %d, accepted %d (%s)%s\n", e.Current, e.Accepted, msText(e.Ms), epochWrites(e.Writes))
	fmt.Fprintf(w, "  total     %s: %s znodes up to zxid %s, digest %d\n", msText(m.TotalMs), count(int64(m.Znodes)), m.LastZxid, m.Digest)
}

// epochWrites says what a quorum member would write before going on.
func epochWrites(ws []EpochWrite) string {
	if len(ws) == 2 && ws[0].Reason == "missing" && ws[1].Reason == "missing" {
		return fmt.Sprintf("; no epoch files: a standalone server checks none, a quorum member would create both with epoch %d", ws[0].Epoch)
	}
	var parts []string
	for _, w := range ws {
		parts = append(parts, fmt.Sprintf("%s=%d (%s)", w.File, w.Epoch, w.Reason))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; a quorum member would first write " + strings.Join(parts, ", ")
}

// msText is a duration in milliseconds as people read it.
func msText(v float64) string { return table.Micros(v * 1000) }

// count groups thousands with commas.
func count(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
