package bench

import (
	"fmt"
	"strings"
	"testing"

	"zkbench/profiles"
)

// The preload key takes the workload's switch or a method; a run's
// method follows from it, the workload and the target, the last setting
// winning as for every key.
func TestPreloadMethod(t *testing.T) {
	for _, tc := range []struct {
		settings string
		want     string // the method, or the error Check gives
	}{
		{"workload = write", "snapshot"},
		{"workload = create-delete", ""},
		{"workload = write\npreload = false", ""},
		{"workload = write\npreload = create", "create"},
		{"preload = create\npreload = true", "snapshot"},
		{"workload = create-delete\npreload = snapshot", "snapshot"},
		{"workload = write\ntarget = zk://127.0.0.1:2181", "multi"},
		{"workload = write\npreload = create\ntarget = zk://127.0.0.1:2181", "create"},
		{"workload = write\npreload = multi", "multi"},
		{"preload = snapshot\npreload = false\ntarget = zk://127.0.0.1:2181", ""},
		{"preload = snapshot\ntarget = zk://127.0.0.1:2181", "error: preload=snapshot: a zk://127.0.0.1:2181 target can only be preloaded through its clients (preload=multi or create)"},
		{"workload = write\npreloadFrom = /p/snapshot.1", "from-snapshot"},
		{"workload = write\npreload = false\npreloadFrom = /p/snapshot.1", "from-snapshot"},
		{"preloadFrom = /p/snapshot.1\ntarget = zk://127.0.0.1:2181", "error: preloadFrom=/p/snapshot.1: a zk://127.0.0.1:2181 target's disks are not zkbench's"},
	} {
		plan := planFrom(t, tc.settings)
		got := plan.preloadMethod()
		if err := plan.Check(); err != nil {
			got = "error: " + err.Error()
		}
		if !strings.HasPrefix(got, tc.want) || (tc.want == "") != (got == "") {
			t.Errorf("%q: %q, want %q", tc.settings, got, tc.want)
		}
	}
	p, _ := profiles.Parse("p", "p.profile", strings.NewReader(""))
	plan, _ := NewPlan(p)
	if err := plan.Set("preload", "often"); err == nil || !strings.Contains(err.Error(), `preload=often: "often": want true, false, snapshot, multi or create`) {
		t.Errorf("preload=often: %v", err)
	}
}

// A run's sessions all connect from this host: unless maxClientCnxns is
// set, a run raises it to what they need on one member; set too low, the
// run is refused before it starts.
func TestPlanMaxClientCnxnsForARun(t *testing.T) {
	for _, tc := range []struct {
		settings string
		want     string // the run's maxClientCnxns, or the error
	}{
		{"", "60"},
		{"clients = 200", "71"}, // 67 a member and the run's own 4
		{"clients = 200\nservers = 5", "60"},
		{"clients = 200\nmaxClientCnxns = 0", "0"},
		{"clients = 200\nmaxClientCnxns = 100", "100"},
		{"clients = 200\nmaxClientCnxns = 60", "error: maxClientCnxns=60: a member would refuse some of the run's 200 sessions"},
		{"clients = 200\nmaxClientCnxns = 60\nclientTransport = direct", "60"},
	} {
		plan := planFrom(t, tc.settings)
		got := fmt.Sprint(plan.runEngine().MaxClientCnxns)
		if err := plan.checkSessions(); err != nil {
			got = "error: " + err.Error()
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%q: %s, want %s", tc.settings, got, tc.want)
		}
	}
}

// planFrom is the plan of a profile whose text is settings.
func planFrom(t *testing.T, settings string) *Plan {
	t.Helper()
	p, err := profiles.Parse("p", "p.profile", strings.NewReader(settings))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := NewPlan(p)
	if err != nil {
		t.Fatalf("%q: %v", settings, err)
	}
	return plan
}
