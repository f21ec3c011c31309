package capacity

import (
	"fmt"
	"slices"

	"zkbench/results"
	"zkbench/results/table"
)

// Percentiles are the latency percentiles an SLA may name.
var Percentiles = []float64{99, 99.9}

// ParsePercentile reads --percentile: 99 or 99.9.
func ParsePercentile(s string) (float64, error) {
	for _, p := range Percentiles {
		if s == fmt.Sprint(p) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("%q: want 99 or 99.9", s)
}

// StepOf is the step of rate that run res measured, judged against sla:
// the latencies of its main op (the most frequent: setData for the write
// workload), the machine's CPU and the log device's utilization over the
// measured phase, the leader's log syncs.
func StepOf(res *results.Result, rate float64, clients int, sla results.CapacitySLA) results.CapacityStep {
	op := mainOp(res)
	st := results.CapacityStep{
		Rate: rate, Clients: clients, AchievedOpsS: res.Total.ThroughputOpsS, Errors: res.Total.Errors,
		Samples: op.Count, P50Us: op.Latency.P50, P99Us: op.Latency.P99, P999Us: op.Latency.P999,
		CPUPct: meanCPU(res, false), ProcCPUPct: meanCPU(res, true), DiskUtilPct: logDeviceUtil(res), Interrupted: res.Interrupted,
	}
	if leader, ok := leaderOf(res); ok {
		if !res.External() {
			p99 := leader.Fsync.Latency.P99
			st.LeaderFsyncP99Us = &p99
			if leader.Fsync.Count > 0 {
				per := float64(leader.Fsync.Txns) / float64(leader.Fsync.Count)
				st.TxnsPerSync = &per
			}
		}
		if mean := leader.Fsync.Latency.Mean; leader.Fsync.Count > 0 {
			st.LeaderFsyncMeanUs = &mean
			if op.Latency.Mean > 0 {
				share := min(1, mean/op.Latency.Mean)
				st.SyncShare = &share
			}
		}
	}
	st.Pass, st.Why = Judge(st, sla)
	return st
}

// Judge applies the pass rule: the SLA's percentile within its bound,
// at least MinAchieved of the offered rate achieved, no errors. why
// names every rule a failing step broke.
func Judge(st results.CapacityStep, sla results.CapacitySLA) (pass bool, why string) {
	var broke []string
	if st.Interrupted {
		return false, "interrupted"
	}
	if v := percentileOf(st, sla.Percentile); v > sla.MaxUs {
		broke = append(broke, fmt.Sprintf("p%v %s over %s", sla.Percentile, table.Micros(v), table.Micros(sla.MaxUs)))
	}
	if !achieved(st, sla) {
		broke = append(broke, fmt.Sprintf("achieved %.0f of %.0f ops/s (%.0f%%)", st.AchievedOpsS, st.Rate, 100*st.AchievedOpsS/st.Rate))
	}
	if st.Errors > 0 {
		broke = append(broke, fmt.Sprintf("%d errors", st.Errors))
	}
	if len(broke) == 0 {
		return true, ""
	}
	return false, joinAnd(broke)
}

// achieved reports whether st reached the share of its offered rate the
// SLA asks for (MinAchieved when it names none).
func achieved(st results.CapacityStep, sla results.CapacitySLA) bool {
	share := sla.MinAchieved
	if share == 0 {
		share = MinAchieved
	}
	return st.AchievedOpsS >= share*st.Rate
}

func percentileOf(st results.CapacityStep, p float64) int64 {
	if p == 99.9 {
		return st.P999Us
	}
	return st.P99Us
}

// mainOp is the run's most frequent op, the one the workload is about.
func mainOp(res *results.Result) results.OpStats {
	var best results.OpStats
	for _, op := range res.Ops {
		if op.Count > best.Count {
			best = op
		}
	}
	return best
}

func leaderOf(res *results.Result) (results.Server, bool) {
	i := slices.IndexFunc(res.Servers, func(s results.Server) bool { return s.Role == "leader" })
	if i < 0 {
		return results.Server{}, false
	}
	return res.Servers[i], true
}

// meanCPU is the machine's (or with proc, zkbench's own process's) CPU
// use over the measured phase, in percent of all cores.
func meanCPU(res *results.Result, proc bool) float64 {
	var sum float64
	for _, p := range res.Timeseries {
		if proc {
			sum += p.ProcCPUPct
		} else {
			sum += p.CPUPct
		}
	}
	if len(res.Timeseries) == 0 {
		return 0
	}
	return sum / float64(len(res.Timeseries))
}

// logDevice is the device of the members' transaction logs: the
// dataLogDir's, else the dataDir's; "" when none was sampled (a real
// ensemble's disks are not zkbench's to find).
func logDevice(res *results.Result) string {
	name := ""
	for _, d := range res.Environment.Devices {
		if d.Virtual || d.Disk == "" {
			continue
		}
		if d.Role == "dataLogDir" || name == "" {
			name = d.Disk
		}
	}
	return name
}

// logDeviceUtil is the log device's mean utilization over the measured
// phase, nil when no device was sampled.
func logDeviceUtil(res *results.Result) *float64 {
	dev := logDevice(res)
	if dev == "" {
		return nil
	}
	var sum float64
	n := 0
	for _, p := range res.Timeseries {
		if d, ok := p.Disk[dev]; ok {
			sum += d.UtilPct
			n++
		}
	}
	if n == 0 {
		return nil
	}
	u := sum / float64(n)
	return &u
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	s := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		s += ", " + p
	}
	return s + " and " + parts[len(parts)-1]
}
