package results

import (
	"fmt"

	"zkbench/results/table"
)

// Thresholds of a run's warnings (result.json's warnings).
const (
	// MinAchievedShare of an open-loop rate: below it the target fell
	// behind the schedule, and the latencies are a backlog's.
	MinAchievedShare = 0.97
	// SaturatedCPUPct of all cores over the measured phase: the figures
	// are the machine's limit, and the load generator shares it.
	SaturatedCPUPct = 90.0
	// BusySessionsPct of an open loop's measured phase: above it, ops due
	// found every session waiting for a reply and waited for one.
	BusySessionsPct = 90.0
)

// RunWarnings are what a reader of a run's figures must not miss: an
// open-loop rate the target did not reach, a saturated CPU, and that a
// closed-loop run's throughput is the clients' pace, not a maximum.
// None is an empty list, never nil, so that result.json says
// "warnings": [].
func RunWarnings(r *Result) []string {
	ws := []string{}
	if rate := r.Config.Rate; rate > 0 && r.DurationS > 0 && r.Total.ThroughputOpsS < MinAchievedShare*rate {
		ws = append(ws, fmt.Sprintf("open-loop rate not reached: offered %s ops/s, achieved %s (%.0f%%); the latencies are of a backlog",
			Thousands(rate), Thousands(r.Total.ThroughputOpsS), 100*r.Total.ThroughputOpsS/rate))
	}
	if w := sessionsWarning(r); w != "" {
		ws = append(ws, w)
	}
	if cpu, ok := meanCPU(r.Timeseries); ok && cpu >= SaturatedCPUPct {
		ws = append(ws, fmt.Sprintf("CPU saturated: %.0f%% of all %d cores over the measured phase; the figures are this machine's limit, load generator included",
			cpu, r.Environment.CPUs))
	}
	if r.Config.Rate == 0 && r.Config.Clients > 0 {
		ws = append(ws, fmt.Sprintf("%d clients, closed loop: not a maximum — see zkbench capacity", r.Config.Clients))
	}
	return ws
}

// sessionsWarning says when an open loop ran out of sessions: its rate
// was then the clients' as much as the target's. Little's law gives the
// sessions the rate keeps busy at the replies' mean time.
func sessionsWarning(r *Result) string {
	busy := r.Total.SessionsBusyPct
	if r.Config.Rate <= 0 || busy == nil || *busy < BusySessionsPct || r.Total.Count == 0 {
		return ""
	}
	reply := *busy / 100 * float64(r.Config.Clients) * r.DurationS / float64(r.Total.Count)
	return fmt.Sprintf("the %d sessions were waiting for replies %.0f%% of the measured phase: ops due waited for a free one, so the clients set the pace; "+
		"%s ops/s at the mean reply of %s keep %.0f sessions busy: give --clients well above that (zkbench capacity gives 2 × rate × its SLA's latency)",
		r.Config.Clients, *busy, Thousands(r.Config.Rate), table.Micros(int64(reply*1e6)), r.Config.Rate*reply)
}

// meanCPU is the machine's mean CPU use over the points; ok is false
// without any.
func meanCPU(ts []TimePoint) (float64, bool) {
	if len(ts) == 0 {
		return 0, false
	}
	var sum float64
	for _, p := range ts {
		sum += p.CPUPct
	}
	return sum / float64(len(ts)), true
}
