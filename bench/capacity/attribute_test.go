package capacity

import (
	"strings"
	"testing"

	"zkbench/results"
)

func TestAttribute(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	p99 := int64(8100)
	for _, tc := range []struct {
		name   string
		st     results.CapacityStep
		target string
		limit  string
		says   string
	}{
		{"sync takes most of the latency", results.CapacityStep{Rate: 3400, SyncShare: f(0.62), CPUPct: 95, DiskUtilPct: f(96), LeaderFsyncP99Us: &p99},
			"embedded", results.LimitDisk, "the leader's log sync is 62% of the mean latency at 3,400 ops/s (fsync p99 8.10 ms, device busy 96%)"},
		{"CPU saturated, sync small", results.CapacityStep{Rate: 12000, SyncShare: f(0.1), CPUPct: 97, ProcCPUPct: 60, DiskUtilPct: f(40)},
			"embedded", results.LimitCPU, "the CPU was 97% busy (all cores; zkbench's own process 60%) at 12,000 ops/s; the log sync is 10% of the latency"},
		{"device busy, CPU not", results.CapacityStep{Rate: 5000, SyncShare: f(0.3), CPUPct: 50, DiskUtilPct: f(93)},
			"embedded", results.LimitDisk, "the log device was busy 93% of the time at 5,000 ops/s"},
		{"remote ensemble, idle here", results.CapacityStep{Rate: 5000, SyncShare: f(0.05), CPUPct: 30},
			"zk://10.0.0.5:2181,10.0.0.6:2181", results.LimitNetwork, "between client and servers"},
		{"loopback ensemble, nothing busy", results.CapacityStep{Rate: 5000, CPUPct: 60},
			"zk://127.0.0.1:2181,127.0.0.1:2182", results.LimitUnknown, "no rule named a limit at 5,000 ops/s: CPU 60%"},
		{"threshold is inclusive", results.CapacityStep{Rate: 100, SyncShare: f(SyncShareDisk), CPUPct: BusyPct},
			"embedded", results.LimitDisk, "50% of the mean latency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit, ev := Attribute(tc.st, tc.target)
			if limit != tc.limit || !strings.Contains(ev, tc.says) {
				t.Errorf("Attribute = %s, %q; want %s, containing %q", limit, ev, tc.limit, tc.says)
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	c := &results.Capacity{Workload: "write", SLA: results.CapacitySLA{Percentile: 99, MaxUs: 10_000}, MaxRateOpsS: 3100,
		Converged: true, Limit: results.LimitDisk, LimitEvidence: "fsync p99 8.1 ms at that rate, device busy 96%"}
	want := "max 3,100 writes/s at p99 ≤ 10.0 ms — limited by the log disk (fsync p99 8.1 ms at that rate, device busy 96%)"
	if got := c.Answer(); got != want {
		t.Errorf("Answer = %q\nwant     %q", got, want)
	}
	c.Steps = []results.CapacityStep{{Rate: 3100, Pass: true}, {Rate: 3300}, {Rate: 3100, Repeat: 2}, {Rate: 3100, Repeat: 3, Pass: true}}
	if got, says := c.Answer(), "max 3,100 writes/s at p99 ≤ 10.0 ms (2 of 3 steps there passed) — limited"; !strings.HasPrefix(got, says) {
		t.Errorf("Answer = %q\nwant it to begin %q", got, says)
	}
	c.Interrupted, c.Converged = true, false
	if got := c.Answer(); !strings.Contains(got, "so far (interrupted") {
		t.Errorf("interrupted: %q", got)
	}
	none := &results.Capacity{Workload: "read", SLA: results.CapacitySLA{Percentile: 99.9, MaxUs: 2000}}
	if got := none.Answer(); got != "no rate met p99.9 ≤ 2.00 ms" {
		t.Errorf("none: %q", got)
	}
}
