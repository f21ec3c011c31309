package capacity

import (
	"fmt"
	"net"
	"strings"

	"zkbench/results"
	"zkbench/results/table"
)

// The attribution rule's thresholds (docs/capacity.md).
const (
	// SyncShareDisk: the leader's log sync takes at least half of the
	// main op's mean latency.
	SyncShareDisk = 0.5
	// BusyPct: CPU (of all cores) or log device utilization at which it
	// counts as saturated.
	BusyPct = 90.0
	// SyncShareLow: below it, the log sync explains little of a remote
	// ensemble's latency.
	SyncShareLow = 0.2
)

// Attribute names what ran out first, judged on the knee step (the
// failing step just above the maximum; with none, the last step), and
// says why in one sentence. The rule, first match wins:
//
//  1. disk: the leader's log sync is at least SyncShareDisk of the main
//     op's mean latency;
//  2. cpu: the machine's CPU is at least BusyPct busy, all cores;
//  3. disk: the log device is at least BusyPct busy;
//  4. network: the target is an ensemble on another host, the CPU here
//     is below BusyPct and the log sync (where mntr says) below
//     SyncShareLow of the latency;
//  5. unknown, with the figures that cleared the others.
//
// The sync share comes first because a write waits for its sync
// whatever else is busy: a disk that takes most of the latency is the
// limit even on a busy machine.
func Attribute(st results.CapacityStep, target string) (limit, evidence string) {
	at := fmt.Sprintf("at %s ops/s", thousands(st.Rate))
	switch {
	case st.SyncShare != nil && *st.SyncShare >= SyncShareDisk:
		return results.LimitDisk, fmt.Sprintf("the leader's log sync is %.0f%% of the mean latency %s%s", 100**st.SyncShare, at, diskFigures(st))
	case st.CPUPct >= BusyPct:
		return results.LimitCPU, fmt.Sprintf("the CPU was %.0f%% busy (all cores; zkbench's own process %.0f%%) %s%s", st.CPUPct, st.ProcCPUPct, at, shareFigure(st))
	case st.DiskUtilPct != nil && *st.DiskUtilPct >= BusyPct:
		return results.LimitDisk, fmt.Sprintf("the log device was busy %.0f%% of the time %s%s", *st.DiskUtilPct, at, diskFigures(st))
	case remote(target) && (st.SyncShare == nil || *st.SyncShare < SyncShareLow):
		return results.LimitNetwork, fmt.Sprintf("neither the CPU here (%.0f%%) nor the log sync%s explains the latency %s of an ensemble on another host: "+
			"the time is between client and servers (the network, or the servers' CPU, which zkbench does not see)", st.CPUPct, shareOf(st), at)
	}
	return results.LimitUnknown, fmt.Sprintf("no rule named a limit %s: CPU %.0f%%%s%s", at, st.CPUPct, shareFigure(st), utilFigure(st))
}

// diskFigures are the log sync's p99 and the device's utilization.
func diskFigures(st results.CapacityStep) string {
	var parts []string
	if st.LeaderFsyncP99Us != nil {
		parts = append(parts, "fsync p99 "+table.Micros(*st.LeaderFsyncP99Us))
	}
	if st.DiskUtilPct != nil {
		parts = append(parts, fmt.Sprintf("device busy %.0f%%", *st.DiskUtilPct))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func shareFigure(st results.CapacityStep) string {
	if st.SyncShare == nil {
		return ""
	}
	return fmt.Sprintf("; the log sync is %.0f%% of the latency", 100**st.SyncShare)
}

func shareOf(st results.CapacityStep) string {
	if st.SyncShare == nil {
		return " (not measured)"
	}
	return fmt.Sprintf(" (%.0f%%)", 100**st.SyncShare)
}

func utilFigure(st results.CapacityStep) string {
	if st.DiskUtilPct == nil {
		return ""
	}
	return fmt.Sprintf("; log device busy %.0f%%", *st.DiskUtilPct)
}

// remote reports whether a zk:// target has a server on another host.
func remote(target string) bool {
	hosts, ok := strings.CutPrefix(target, "zk://")
	if !ok {
		return false
	}
	for _, hp := range strings.Split(hosts, ",") {
		h, _, err := net.SplitHostPort(hp)
		if err != nil {
			h = hp
		}
		if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return true
		}
	}
	return false
}

func thousands(v float64) string { return results.Thousands(v) }
