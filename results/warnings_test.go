package results

import (
	"reflect"
	"testing"
)

func TestRunWarnings(t *testing.T) {
	busy := []TimePoint{{CPUPct: 97}, {CPUPct: 99}}
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
