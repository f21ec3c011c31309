package startup

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"zkbench/engine"
	"zkbench/engine/jute"
	"zkbench/internal/zkref"
)

// dirCheckLine are the lines of ZkDirCheck (ZooKeeper 3.8's own restore,
// FileTxnSnapLog.restore) this test compares.
var dirCheckLine = regexp.MustCompile(`(?s)restore OK: highest zxid 0x([0-9a-f]+).*snapshot used: zxid 0x([0-9a-f]+).*` +
	`txns replayed from logs: (\d+).*node count: (\d+).*tree digest \(digest version 2\): (-?\d+)`)

// An ensemble zkbench ran and stopped, restored by zkbench restore under
// its parent folder and by ZooKeeper 3.8's restore path member by member:
// the same snapshot, txns replayed, znodes and digest.
func TestRunMatchesZooKeeperOnEngineFolders(t *testing.T) {
	zkref.Need(t)
	cfg := engine.DefaultConfig(t.TempDir())
	cfg.TickTime, cfg.TickInterval = 100*time.Millisecond, 10*time.Millisecond
	cfg.InitLimit, cfg.SyncLimit = 10, 5
	cfg.PreAllocSize = 1 << 20
	cfg.SnapCount = 50 // several snapshots, and txns after the last
	cfg.Seed = 1
	e, err := engine.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	if err := e.WaitServing(t.Context()); err != nil {
		t.Fatal(err)
	}
	c, err := e.Client(1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 120 {
		if _, err := c.Create(fmt.Sprintf("/k%03d", i), []byte("value"), jute.FlagPersistent, engine.OpenACL); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	res, err := Run(cfg.DataDir, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Members) != 3 {
		t.Fatalf("%d members found under %s, want 3", len(res.Members), cfg.DataDir)
	}
	for _, m := range res.Members {
		out, err := zkref.DirCheck(filepath.Dir(m.SnapDir), false)
		if err != nil {
			t.Fatal(err)
		}
		zk := dirCheckLine.FindStringSubmatch(out)
		if zk == nil {
			t.Fatalf("%s: ZkDirCheck printed\n%s", m.Name, out)
		}
		replayed, _ := strconv.Atoi(zk[3])
		nodes, _ := strconv.Atoi(zk[4])
		got := fmt.Sprintf("highest %s, snapshot %s, replayed %d, nodes %d, digest %d",
			m.LastZxid, m.Snapshot.Zxid, m.Replay.Txns, m.Znodes+1, m.Digest)
		want := fmt.Sprintf("highest 0x%s, snapshot 0x%s, replayed %d, nodes %d, digest %s", zk[1], zk[2], replayed, nodes, zk[5])
		if got != want {
			t.Errorf("%s: zkbench restore: %s\nZooKeeper 3.8:   %s", m.Name, got, want)
		}
		if m.Snapshot.Zxid == "0x0" {
			t.Errorf("%s: want a snapshot taken after the start's: %+v", m.Name, m)
		}
	}
}
