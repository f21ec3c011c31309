package results

import (
	"reflect"
	"testing"
)

func TestRunWarnings(t *testing.T) {
	busy := []TimePoint{{CPUPct: 97}, {CPUPct: 99}}
	pct := func(v float64) *float64 { return &v }
	idle := []TimePoint{{CPUPct: 30}, {CPUPct: 40}}
	for _, tc := range []struct {
		name string
		r    Result
		want []string
	}{
		{"open loop met, CPU idle", Result{DurationS: 10, Config: Config{Rate: 1000, Clients: 16}, Total: Total{ThroughputOpsS: 995}, Timeseries: idle},
			[]string{}},
		{"open loop behind, CPU saturated", Result{DurationS: 10, Config: Config{Rate: 20000, Clients: 16}, Total: Total{ThroughputOpsS: 2302},
			Timeseries: busy, Environment: Environment{CPUs: 2}},
			[]string{"open-loop rate not reached: offered 20,000 ops/s, achieved 2,302 (12%); the latencies are of a backlog",
				"CPU saturated: 98% of all 2 cores over the measured phase; the figures are this machine's limit, load generator included"}},
		{"just under 97%", Result{DurationS: 10, Config: Config{Rate: 1000, Clients: 16}, Total: Total{ThroughputOpsS: 969.9}},
			[]string{"open-loop rate not reached: offered 1,000 ops/s, achieved 970 (97%); the latencies are of a backlog"}},
		// 16 sessions busy 99% of 10 s for 163,120 replies: 0.97 ms each,
		// and 17,550 ops/s at that keep 17 busy.
		{"open loop out of sessions", Result{DurationS: 10, Config: Config{Rate: 17550, Clients: 16},
			Total: Total{Count: 163120, ThroughputOpsS: 16312, SessionsBusyPct: pct(99)}, Timeseries: idle},
			[]string{"open-loop rate not reached: offered 17,550 ops/s, achieved 16,312 (93%); the latencies are of a backlog",
				"the 16 sessions were waiting for replies 99% of the measured phase: ops due waited for a free one, so the clients set the pace; " +
					"17,550 ops/s at the mean reply of 971 µs keep 17 sessions busy: give --clients well above that (zkbench capacity gives 2 × rate × its SLA's latency)"}},
		{"open loop with sessions to spare", Result{DurationS: 10, Config: Config{Rate: 17550, Clients: 351},
			Total: Total{Count: 175500, ThroughputOpsS: 17550, SessionsBusyPct: pct(5)}, Timeseries: idle},
			[]string{}},
		{"closed loop", Result{DurationS: 10, Config: Config{Clients: 16}, Total: Total{ThroughputOpsS: 5000}, Timeseries: idle},
			[]string{"16 clients, closed loop: not a maximum — see zkbench capacity"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RunWarnings(&tc.r); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("RunWarnings = %q\nwant %q", got, tc.want)
			}
		})
	}
}
