package embedded

import (
	"bytes"
	"context"
	"testing"
	"time"

	"zkbench/engine"
	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/jute"
	"zkbench/engine/persist"
	"zkbench/workloads"
)

// TestPreloadedTreeIsTheCreatedOne builds a workload's tree both ways —
// the driver's creates through one session of a fresh ensemble, and
// engine.Initialize from workloads.PreloadNodes — and compares the two
// databases node by node: path, data and every Stat field ZooKeeper's
// SnapshotFormatter prints (cZxid, mZxid, pZxid, cversion, dataVersion,
// aclVersion, ephemeralOwner, dataLength), and the ACL.
//
// What cannot be equal: ctime and mtime (the create path stamps each
// create with the leader's clock as it runs, the starting tree with the
// one instant it was built), and the workload root's cversion and pzxid,
// which the create path moves once more when it creates the clients'
// folder beside the keys — a folder a preloaded run creates after start-up,
// so it is not in the starting tree. One session, because the zxids of
// creates from several sessions at once follow their scheduling.
func TestPreloadedTreeIsTheCreatedOne(t *testing.T) {
	for _, tc := range []struct {
		name string
		sets map[string]string
	}{
		{"flat, fixed size", map[string]string{"keys": "300", "valueSize": "1KiB"}},
		{"three levels, uniform sizes", map[string]string{"keys": "500", "depth": "3", "valueSize": "uniform:0..2KiB"}},
		{"a root with ancestors", map[string]string{"keys": "50", "depth": "2", "root": "/team/app/zkbench", "valueSize": "10"}},
		{"a production shape: four levels, a size list", map[string]string{"keys": "800", "depth": "4",
			"valueSize": "100:50,1KiB:40,16KiB:10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := workloads.Default()
			for k, v := range map[string]string{"workload": "read", "clients": "1", "warmup": "0s",
				"duration": "0s", "ops": "1", "cleanup": "false", "seed": "7"} {
				must(t, spec.Set(k, v))
			}
			for k, v := range tc.sets {
				must(t, spec.Set(k, v))
			}
			created := createdTree(t, spec)
			cfg := preloadConfig(t)
			in, err := engine.Initialize(cfg, time.Now(), workloads.PreloadNodes(spec))
			must(t, err)
			preloaded := restoredTree(t, cfg)
			if len(preloaded) != in.Znodes+4 {
				t.Fatalf("the starting tree has %d nodes, Initialize made %d (and ZooKeeper's 4)", len(preloaded), in.Znodes)
			}
			for path, p := range preloaded {
				if path == "/zookeeper/config" {
					continue // each member's own configuration, set when it starts, not a txn's
				}
				c, ok := created[path]
				if !ok {
					t.Errorf("%s: in the starting tree, not created", path)
					continue
				}
				c.Stat.Ctime, c.Stat.Mtime = p.Stat.Ctime, p.Stat.Mtime
				if path == spec.Root {
					c.Stat.Cversion, c.Stat.Pzxid = p.Stat.Cversion, p.Stat.Pzxid
				}
				if c.Stat != p.Stat || !bytes.Equal(c.Data, p.Data) || c.ACLRef != p.ACLRef {
					t.Errorf("%s:\n created   %+v, %d bytes, ACL %d\n preloaded %+v, %d bytes, ACL %d",
						path, c.Stat, len(c.Data), c.ACLRef, p.Stat, len(p.Data), p.ACLRef)
				}
			}
			// Only the clients' folders are the create path's alone.
			if extra := len(created) - len(preloaded); extra != 2 {
				t.Errorf("the create path made %d nodes beyond the starting tree's, want 2 (clients, c0000)", extra)
			}
		})
	}
}

type node struct {
	Data   []byte
	ACLRef int64
	Stat   jute.StatPersisted
}

// createdTree runs spec's preload through the driver on a fresh
// ensemble and returns member 1's database after a clean stop.
func createdTree(t *testing.T, spec workloads.Spec) map[string]node {
	cfg := preloadConfig(t)
	e, err := engine.Start(cfg)
	must(t, err)
	defer e.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	must(t, e.WaitServing(ctx))
	d, err := workloads.NewDriver(spec, New(e))
	must(t, err)
	if _, err := d.Run(ctx); err != nil {
		t.Fatal(err)
	}
	must(t, e.Stop())
	return restoredTree(t, cfg)
}

// restoredTree is member 1's database as a start-up restores it, by path
// ("" for the root).
func restoredTree(t *testing.T, cfg engine.Config) map[string]node {
	dataDir, logDir := cfg.MemberDirs(1)
	res, err := persist.Restore(disk.OS, persist.NewDirs(dataDir, logDir), persist.RestoreOptions{})
	must(t, err)
	nodes := map[string]node{}
	res.Tree.Walk(func(v datatree.NodeView) error {
		nodes[v.Path] = node{Data: v.Data, ACLRef: v.ACLRef, Stat: v.Stat}
		return nil
	})
	return nodes
}

func preloadConfig(t *testing.T) engine.Config {
	cfg := engine.DefaultConfig(t.TempDir())
	cfg.TickTime, cfg.TickInterval = 100*time.Millisecond, 10*time.Millisecond
	cfg.ForceSync = false
	return cfg
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
