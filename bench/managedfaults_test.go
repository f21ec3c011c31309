package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zkbench/internal/zkref"
)

// The leader of three real ZooKeeper servers is killed (SIGKILL of its
// JVM) 2 s into a write run at a fixed rate and started again 2 s later:
// faults[0] names it and its role, another server was elected, the
// restarted one's restore and learner sync come from its own log, it
// served again, and every acknowledged write is on every server.
func TestRunManagedWithAKilledLeader(t *testing.T) {
	zkref.Need(t)
	plan := quickPlan(t, "target", "zookeeper", "workload", "write", "clients", "4", "keys", "50", "rate", "100",
		"warmup", "0s", "duration", "7s", "jvmHeap", "256m", "dataDir", t.TempDir(), "faults", "kill:leader@2s+2s")
	plan.Out = filepath.Join(t.TempDir(), "out")
	res, err := Run(context.Background(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Faults) != 1 {
		t.Fatalf("faults %+v", res.Faults)
	}
	f := res.Faults[0]
	t.Log(f.Summary())
	if f.Error != "" || f.Member == 0 || f.Role != "leader" || f.HealedS == nil {
		t.Errorf("fault %s: want the leader killed and started again", f.Summary())
	}
	if f.ElectionMs == nil || f.NewLeader == 0 || f.NewLeader == f.Member || f.ServingAgainMs == nil {
		t.Errorf("fault %s: want another server elected and the killed one serving again", f.Summary())
	}
	if f.Restore == nil || f.Restore.Zxid == "" || f.Restore.Nodes != nil || f.Sync == nil || f.Sync.Mode == "" || f.Sync.Txns != nil {
		t.Errorf("fault %s: want the restore and the sync from its log, the znodes and txns it does not log null", f.Summary())
	}
	if res.LostAckedWrites == nil || *res.LostAckedWrites != 0 {
		t.Errorf("lost_acked_writes %v, want 0 (%v)", res.LostAckedWrites, res.LostKeys)
	}
	raw, _ := os.ReadFile(filepath.Join(plan.Out, "result.json"))
	if !strings.Contains(string(raw), `"nodes": null`) {
		t.Error(`result.json: the restore's znodes, which a real server does not log, are not null`)
	}
}

// Faults a JVM cannot take honestly are refused before anything starts,
// whether or not ZooKeeper is installed.
func TestManagedRefusesWhatAJVMCannotTake(t *testing.T) {
	for _, spec := range []string{"partition:leader@1s+1s", "crash:follower@1s", "slow-disk=50ms:1@0s", "disk-full:2@0s"} {
		plan := quickPlan(t, "target", "zookeeper", "faults", spec)
		plan.Out = filepath.Join(t.TempDir(), "out")
		_, err := Run(context.Background(), plan, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "fault "+spec+": ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line naming the fault", spec, err)
		}
		if _, err := os.Stat(plan.Out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: the refused run created %s", spec, plan.Out)
		}
	}
}
