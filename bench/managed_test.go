package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zkbench/internal/zkref"
	"zkbench/results"
	"zkbench/workloads/zkmanaged"
)

// A write run on three real ZooKeeper servers zkbench starts: every
// member synced and took a snapshot, the leader is named, result.json's
// config is what the servers ran with, and the report fills its fsync
// and snapshot sections. The run is bounded by its op count, not by
// time: 6,000 setData ops pass every member's snapshot threshold
// (at most snapCount = 2,000 txns) at least twice.
func TestRunManaged(t *testing.T) {
	zkref.Need(t)
	data := t.TempDir()
	plan := quickPlan(t, "target", "zookeeper", "workload", "write", "snapCount", "2000", "warmup", "0s",
		"duration", "0s", "ops", "6000", "clients", "8", "jvmHeap", "256m", "dataDir", data)
	plan.Out = filepath.Join(t.TempDir(), "out")
	res, err := Run(context.Background(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Config
	if c.SnapCount != 2000 || !c.ForceSync || c.Servers != 3 || c.Other["tickTimeMs"] != float64(2000) && c.Other["tickTimeMs"] != int64(2000) {
		t.Errorf("config %+v", c)
	}
	leaders := 0
	for _, s := range res.Servers {
		if s.Role == "leader" {
			leaders++
		}
		if s.Fsync.Count == 0 || len(s.Snapshots) == 0 || s.Fsync.Source != results.SourceMntr {
			t.Errorf("server %d: %d fsyncs, %d snapshots (%+v)", s.ID, s.Fsync.Count, len(s.Snapshots), s)
		}
		// Read back by zkbench's reader: the tree of 1,002 znodes and
		// ZooKeeper's own, whatever of the run's writes are in it.
		for _, sn := range s.Snapshots {
			if sn.Nodes == nil || *sn.Nodes < 1002 {
				t.Errorf("server %d: snapshot %s nodes %v", s.ID, sn.Zxid, sn.Nodes)
			}
		}
	}
	if len(res.Servers) != 3 || leaders != 1 || res.SnapshotStall.Windows == 0 {
		t.Errorf("servers %+v, stall %+v", res.Servers, res.SnapshotStall)
	}
	raw, _ := os.ReadFile(filepath.Join(plan.Out, results.ResultFile))
	if !strings.Contains(string(raw), `"p99": null`) || !strings.Contains(string(raw), `"target": "zookeeper"`) {
		t.Error("result.json: an fsync p99 mntr cannot tell is not null")
	}
	page, _ := os.ReadFile(filepath.Join(plan.Out, "report.html"))
	for _, want := range []string{"fsync per member", "Snapshot stall", "not measured on this target"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, f := range []string{"conf.json", "mntr.json", "zookeeper/server1/server.log", "zookeeper/server3/zoo.cfg"} {
		if _, err := os.Stat(filepath.Join(plan.Out, f)); err != nil {
			t.Errorf("the result folder lacks %s", f)
		}
	}
	if left, _ := os.ReadDir(data); len(left) != 0 {
		t.Errorf("the data folders stay after the run: %v", left)
	}
}

// Without Java nothing is created, and the error says how to install.
func TestRunManagedWithoutJava(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("JAVA_HOME", "")
	plan := quickPlan(t, "target", "zookeeper")
	plan.Out = filepath.Join(t.TempDir(), "out")
	_, err := Run(context.Background(), plan, nil)
	if !errors.Is(err, zkmanaged.ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install") {
		t.Fatalf("err %v", err)
	}
	if _, err := os.Stat(plan.Out); !os.IsNotExist(err) {
		t.Errorf("the run created %s", plan.Out)
	}
}

// What real servers cannot do is refused before the run, in one line.
func TestCheckManaged(t *testing.T) {
	for _, tc := range []struct {
		key, value, want string
	}{
		{"preallocMode", "zero", "preallocMode=zero: not possible with target zookeeper"},
		{"snapRandomize", "false", "always randomizes"},
		{"transport", "tcp", "loopback TCP"},
		{"clientTransport", "direct", "client ports"},
		{"preloadFrom", "/x/snapshot.1", "not yet with target zookeeper"},
		{"spareMembers", "1", "no others"},
	} {
		plan := quickPlan(t, "target", "zookeeper", tc.key, tc.value)
		if err := plan.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%s: %v, want %q", tc.key, tc.value, err, tc.want)
		}
	}
	plan := quickPlan(t, "target", "zookeeper:/opt/zk")
	if err := plan.Check(); err != nil || plan.zkHome() != "/opt/zk" || plan.preloadMethod() != preloadSnapshot {
		t.Errorf("zookeeper:/opt/zk: %v, home %q, preload %q", err, plan.zkHome(), plan.preloadMethod())
	}
	for _, v := range []string{"", "1x", "m", "10mm"} {
		if err := plan.Set("jvmHeap", v); err == nil {
			t.Errorf("jvmHeap=%q taken", v)
		}
	}
	if err := plan.Set("target", "zookeper"); err == nil {
		t.Error("target zookeper taken")
	}
}
