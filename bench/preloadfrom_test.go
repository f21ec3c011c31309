package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/persist"
	"zkbench/internal/zkfixtures"
	"zkbench/results"
)

// A run from a real ZooKeeper 3.8.0 snapshot: every member restores the
// fixture's tree, the workload's keys are created beside it, and
// result.json says so.
func TestRunFromASnapshot(t *testing.T) {
	fixture := filepath.Join(zkfixtures.Dir(), "quorum1/version-2/snapshot.20000002f")
	want, _, err := persist.LoadSnapshot(disk.OS, fixture)
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	plan := quickPlan(t, append(slices.Clone(shortRun), "servers", "3", "dataDir", data,
		"keepData", "true", "cleanup", "false", "preloadFrom", fixture)...)
	plan.Out = filepath.Join(t.TempDir(), "out")
	res, err := Run(context.Background(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's 12 nodes, then /zkbench, /zkbench/keys and 10 keys.
	if s := res.Setup; s == nil || s.Method != results.SetupFromSnapshot || s.Znodes != 12+12 || len(s.RestoreMs) != 3 {
		t.Fatalf("setup %+v; want from-snapshot, 24 znodes, 3 restores", s)
	}
	for id := 1; id <= 3; id++ {
		dir := filepath.Join(data, "server"+strconv.Itoa(id))
		got, err := persist.Restore(disk.OS, persist.NewDirs(dir, dir), persist.RestoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sameTree(t, id, got.Tree, want)
		if _, _, err := got.Tree.GetData("/zkbench/keys/k9", nil); err != nil {
			t.Errorf("member %d: the workload's key: %v", id, err)
		}
	}
}

// sameTree checks that got holds want's persistent nodes with their
// data and creation: its ephemerals go when their restored session
// expires, as in ZooKeeper, and /zookeeper/config holds each member's own
// view of its ensemble, set at start and whenever it leads or syncs (as
// ZooKeeper 3.8's initConfigInZKDatabase does), whichever a snapshot
// caught.
func sameTree(t *testing.T, id int, got, want *datatree.Tree) {
	t.Helper()
	n := 0
	want.Walk(func(v datatree.NodeView) error {
		if v.Stat.EphemeralOwner != 0 || v.Path == "/zookeeper/config" {
			return nil
		}
		n++
		data, st, err := got.GetData(v.Path, nil)
		if err != nil || !bytes.Equal(data, v.Data) || st.Czxid != v.Stat.Czxid {
			t.Errorf("member %d: %s: %q czxid 0x%x, %v; want the snapshot's %q czxid 0x%x", id, v.Path, data, st.Czxid, err, v.Data, v.Stat.Czxid)
		}
		return nil
	})
	if n < 10 {
		t.Fatalf("compared %d nodes only", n)
	}
}

// A file that is no whole snapshot refuses the run in one line naming
// the file and the byte offset, before anything is created: no output
// folder, no data folders.
func TestRunFromABadSnapshotLeavesNothing(t *testing.T) {
	fix := zkfixtures.Dir()
	for _, tc := range []struct{ name, file, root, want string }{
		{"truncated", "corrupt/snapshot-truncated/version-2/snapshot.b9", "/zkbench", "offset 1918: truncated snapshot"},
		{"not a snapshot", "README.md", "/zkbench", "offset 0: bad magic, not a snapshot"},
		{"the workload's root", "standalone/version-2/snapshot.b9", "/bench", "holds the workload's root /bench at /bench"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			file := filepath.Join(fix, tc.file)
			plan := quickPlan(t, append(slices.Clone(shortRun), "root", tc.root,
				"dataDir", filepath.Join(base, "data"), "preloadFrom", file)...)
			plan.Out = filepath.Join(base, "out")
			_, err := Run(context.Background(), plan, nil)
			if err == nil || !strings.Contains(err.Error(), file+": "+tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%v; want one line naming %s and %q", err, file, tc.want)
			}
			if ents, _ := os.ReadDir(base); len(ents) != 0 {
				t.Errorf("left %v behind", ents)
			}
		})
	}
}
