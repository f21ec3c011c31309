package results

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Summary is the fault in one line: what struck whom when, how long
// writes stopped and why they failed, the election, and the member's way
// back (restore, sync, serving again, the writes while it synced).
func (f Fault) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", f.Spec)
	if f.Member != 0 {
		fmt.Fprintf(&b, "member %d (%s) at %.2f s", f.Member, f.Role, f.AtS)
	} else {
		fmt.Fprintf(&b, "at %.2f s", f.AtS)
	}
	if f.Error != "" {
		fmt.Fprintf(&b, " — %s", f.Error)
	}
	if f.InForceGapS > 0 {
		fmt.Fprintf(&b, "; writes stopped %s while it was in force (%.2f–%.2f s)", seconds(f.InForceGapS), f.InForceGapFromS, f.InForceGapToS)
	} else {
		b.WriteString("; writes never stopped 10 ms while it was in force")
	}
	fmt.Fprintf(&b, ", %s at most in its window (%.2f–%.2f s)", seconds(f.UnavailableS), f.GapFromS, f.GapToS)
	if n := errorCount(f.WriteErrors); n > 0 {
		fmt.Fprintf(&b, ", %d failed (%s)", n, errorKinds(f.WriteErrors))
	} else {
		b.WriteString(", none failed")
	}
	if f.ElectionMs != nil {
		fmt.Fprintf(&b, "; member %d led %s after it", f.NewLeader, millis(*f.ElectionMs))
	}
	if f.HealedS != nil {
		fmt.Fprintf(&b, "; healed at %.2f s", *f.HealedS)
	} else {
		b.WriteString("; never healed")
	}
	if r := f.Restore; r != nil {
		b.WriteString("; restore " + millis(r.Ms) + " (")
		if r.Nodes != nil {
			fmt.Fprintf(&b, "%d znodes ", *r.Nodes)
		}
		b.WriteString("to " + r.Zxid)
		if r.Snapshot != "" {
			b.WriteString(": " + r.Snapshot)
			if r.SnapshotBytes != nil {
				fmt.Fprintf(&b, " of %.1f MB", float64(*r.SnapshotBytes)/1e6)
			}
			if r.LoadMs != nil {
				b.WriteString(" loaded in " + millis(*r.LoadMs))
			}
		}
		if len(r.Skipped) > 0 {
			fmt.Fprintf(&b, " after %d newer skipped", len(r.Skipped))
		}
		if r.ReplayedTxns != nil && r.ReplayMs != nil {
			fmt.Fprintf(&b, ", %d txns replayed in %s", *r.ReplayedTxns, millis(*r.ReplayMs))
		}
		b.WriteString(")")
	}
	if s := f.Sync; s != nil {
		fmt.Fprintf(&b, "; synced by %s from member %d in %s", s.Mode, s.Leader, millis(s.Ms))
		if s.Bytes > 0 {
			fmt.Fprintf(&b, " (%.1f MB)", float64(s.Bytes)/1e6)
		} else if s.Txns != nil {
			fmt.Fprintf(&b, " (%d txns)", *s.Txns)
		}
	}
	if f.ServingAgainMs != nil {
		fmt.Fprintf(&b, "; serving %s after the healing", millis(*f.ServingAgainMs))
	}
	if w := f.WritesDuringSync; w != nil {
		fmt.Fprintf(&b, "; write p99 while it synced %s", millis(float64(w.P99)/1000))
	}
	return b.String()
}

func errorCount(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func errorKinds(m map[string]int64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func millis(ms float64) string {
	if ms >= 1000 {
		return seconds(ms / 1000)
	}
	return fmt.Sprintf("%.1f ms", ms)
}

func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0f ms", s*1000)
	}
	return fmt.Sprintf("%.2f s", s)
}

// SafetySummary is the safety check's line; "" for a run that did not
// check.
func (r *Result) SafetySummary() string {
	switch {
	case r.LostAckedWrites == nil:
		return ""
	case *r.LostAckedWrites == 0:
		return "safety: every acknowledged write is on every member (lost_acked_writes 0)"
	}
	return fmt.Sprintf("safety: %d acknowledged writes NOT on every member: %s", *r.LostAckedWrites, strings.Join(r.LostKeys, "; "))
}
