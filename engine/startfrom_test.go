package engine

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/persist"
	"zkbench/engine/snap"
	"zkbench/internal/zkfixtures"
	"zkbench/internal/zkref"
)

// TestInitializeFromServesTheSnapshot starts members from snapshots real
// ZooKeeper 3.8.0 wrote, a standalone server's (epoch 0) and a quorum's
// (epoch 2): every member restores the file's zxid and nodes, the
// epoch files match its zxid, and the tree is served as it was.
func TestInitializeFromServesTheSnapshot(t *testing.T) {
	for _, rel := range startingFixtures {
		t.Run(rel, func(t *testing.T) {
			path, s, cfg, want := initializeFromFixture(t, rel)
			if s.Znodes != 12 || s.Sessions != 1 || s.Zxid != want.LastProcessedZxid() || s.Digest == 0 {
				t.Fatalf("read %+v; want the fixture's 12 nodes, 1 session, zxid 0x%x and a digest", s, want.LastProcessedZxid())
			}
			for _, id := range []uint64{1, 2, 3} {
				dir := filepath.Join(cfg.DataDir, "server"+strconv.FormatUint(id, 10), "version-2")
				for _, name := range []string{persist.CurrentEpochFile, persist.AcceptedEpochFile} {
					b, err := os.ReadFile(filepath.Join(dir, name))
					if want := strconv.FormatInt(persist.EpochOf(s.Zxid), 10); err != nil || string(b) != want {
						t.Errorf("member %d %s: %q, %v; want %s", id, name, b, err, want)
					}
				}
				if b, err := os.ReadFile(filepath.Join(dir, filepath.Base(path))); err != nil || !bytes.Equal(b, mustRead(t, path)) {
					t.Errorf("member %d: the snapshot is not the file's bytes (%v)", id, err)
				}
			}
			var mu sync.Mutex
			var up []Event
			cfg.Events = SinkFunc(func(e Event) {
				if e.Kind == EventMemberUp {
					mu.Lock()
					up = append(up, e)
					mu.Unlock()
				}
			})
			e := start(t, cfg)
			mu.Lock()
			for _, ev := range up {
				if ev.Zxid != s.Zxid || ev.Nodes != s.Znodes+4 {
					t.Errorf("member-up %v: want zxid 0x%x, %d nodes", ev, s.Zxid, s.Znodes+4)
				}
			}
			mu.Unlock()
			data, st, err := client(t, e, 2).GetData("/bench/big", false)
			wdata, wst, werr := want.GetData("/bench/big", nil)
			if err != nil || werr != nil || !bytes.Equal(data, wdata) || st != wst {
				t.Errorf("/bench/big: %d bytes, %+v, %v; want the snapshot's %d bytes, %+v", len(data), st, err, len(wdata), wst)
			}
		})
	}
}

// TestReadStartingSnapshotRefuses: a file that is no whole snapshot is
// refused with its byte offset, and so is a tree where the workload's
// nodes would go.
func TestReadStartingSnapshotRefuses(t *testing.T) {
	fix := zkfixtures.Dir()
	good := filepath.Join(fix, "standalone/version-2/snapshot.b9")
	renamed := filepath.Join(t.TempDir(), "prod.snap")
	if err := os.WriteFile(renamed, mustRead(t, good), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, root string
		want             error
		offset           int64 // of the *snap.Error; -1 for none
	}{
		{"truncated", filepath.Join(fix, "corrupt/snapshot-truncated/version-2/snapshot.b9"), "/zkbench", snap.ErrTruncated, 1918},
		{"bad seal", filepath.Join(fix, "corrupt/snapshot-bad-crc/version-2/snapshot.b9"), "/zkbench", snap.ErrCRC, 1877},
		{"not a snapshot", filepath.Join(fix, "README.md"), "/zkbench", snap.ErrBadMagic, 0},
		{"not named by its zxid", renamed, "/zkbench", ErrNotSnapshotName, -1},
		{"the workload's root", good, "/bench", ErrReservedPath, -1},
		{"an ephemeral above the root", good, "/bench/eph-s3/zkbench", ErrReservedPath, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadStartingSnapshot(tc.path, tc.root)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("%v; want %v naming %s", err, tc.want, tc.path)
			}
			var se *snap.Error
			if got := errors.As(err, &se); got != (tc.offset >= 0) || got && se.Offset != tc.offset {
				t.Errorf("%v: want a byte offset of %d", err, tc.offset)
			}
		})
	}
}

// startingFixtures are snapshots of real ZooKeeper 3.8.0 of epoch 0 and
// 2, each holding an ephemeral of an open session.
var startingFixtures = []string{"standalone/version-2/snapshot.b9", "quorum1/version-2/snapshot.20000002f"}

// initializeFromFixture gives a fresh three-member config the fixture at
// rel as its starting database; it returns the file's path, what
// ReadStartingSnapshot made of it, the config and the file's tree.
func initializeFromFixture(t *testing.T, rel string) (string, StartingSnapshot, Config, *datatree.Tree) {
	t.Helper()
	path := filepath.Join(zkfixtures.Dir(), rel)
	s, err := ReadStartingSnapshot(path, "/zkbench")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, 3, 0)
	if _, err := InitializeFrom(cfg, s); err != nil {
		t.Fatal(err)
	}
	want, _, err := persist.LoadSnapshot(disk.OS, path)
	if err != nil {
		t.Fatal(err)
	}
	return path, s, cfg, want
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestZooKeeperStartsFromAnInitializedFromDataDir hands member 1's
// dataDir, made by InitializeFrom of real ZooKeeper snapshots of epoch 0
// and 2, to a real ZooKeeper 3.8 server: it accepts the epoch files
// against the snapshot's zxid and serves the snapshot's tree.
func TestZooKeeperStartsFromAnInitializedFromDataDir(t *testing.T) {
	zkref.Need(t)
	for _, rel := range startingFixtures {
		t.Run(rel, func(t *testing.T) {
			_, _, cfg, want := initializeFromFixture(t, rel)
			dataDir, _ := cfg.MemberDirs(1)
			srv, err := zkref.StartServer(dataDir, zkref.ServerOptions{Quorum: true})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Stop()
			c, err := srv.Connect()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, p := range []string{"/bench/big", "/bench/counter", "/bench/acl"} {
				data, st, err := c.Get(p)
				wdata, wst, werr := want.GetData(p, nil)
				if err != nil || werr != nil || !bytes.Equal(data, wdata) || st.Mzxid != wst.Mzxid || st.Czxid != wst.Czxid {
					t.Errorf("%s: server %d bytes, %+v, %v; the snapshot's %d bytes, %+v, %v", p, len(data), st, err, len(wdata), wst, werr)
				}
			}
		})
	}
}

// A root below a folder of the snapshot is no collision: the folder is
// counted once, as the workload's.
func TestReadStartingSnapshotBesideTheRoot(t *testing.T) {
	path := filepath.Join(zkfixtures.Dir(), startingFixtures[0])
	for root, want := range map[string]int{"/zkbench": 12, "/bench/zkbench": 11} {
		s, err := ReadStartingSnapshot(path, root)
		if err != nil || s.Znodes != want {
			t.Errorf("root %s: %d nodes, %v; want %d", root, s.Znodes, err, want)
		}
	}
}
