package engine

import (
	"bytes"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zkbench/engine/persist"
)

// initCreated is the starting trees' creation time: fixed, so that their
// snapshots are the same bytes every run.
var initCreated = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// initNodes is a starting tree of n leaves under folders of ten: /init,
// /init/dNN, /init/dNN/kNNNN, with data of every kind a snapshot holds
// (null, empty, one shared buffer's prefixes up to 3 KiB).
func initNodes(n int) iter.Seq2[string, []byte] {
	shared := bytes.Repeat([]byte("0123456789abcdef"), 192)
	return func(yield func(string, []byte) bool) {
		if !yield("/init", []byte("root of the starting tree")) {
			return
		}
		for i := range n {
			dir := fmt.Sprintf("/init/d%02d", i/10)
			if i%10 == 0 && !yield(dir, nil) {
				return
			}
			var data []byte
			switch i % 7 {
			case 0: // null
			case 1:
				data = []byte{}
			default:
				data = shared[:i*37%len(shared)]
			}
			if !yield(fmt.Sprintf("%s/k%04d", dir, i), data) {
				return
			}
		}
	}
}

func TestInitializeStartsEveryMemberFromTheTree(t *testing.T) {
	cfg := testConfig(t, 3, 1)
	cfg.DataLogDir = t.TempDir()
	in, err := Initialize(cfg, initCreated, initNodes(500))
	if err != nil {
		t.Fatal(err)
	}
	if in.Znodes != 1+50+500 || in.Zxid != persist.Zxid(1, uint32(in.Znodes)+2) {
		t.Fatalf("Initialize: %+v; want 551 znodes, the closeSession's zxid after a createSession and them", in)
	}
	var up []Event
	cfg.Events = SinkFunc(func(e Event) {
		if e.Kind == EventMemberUp {
			up = append(up, e)
		}
	})
	e := start(t, cfg)
	for _, id := range e.Members() {
		st := e.Status(id)
		if st.Digest != in.Digest || st.Nodes != in.Znodes+4 || persist.EpochOf(st.Zxid) < 1 {
			t.Errorf("member %d: %d nodes, digest %d, zxid 0x%x; want %d nodes (the tree's and ZooKeeper's 4), digest %d",
				id, st.Nodes, st.Digest, st.Zxid, in.Znodes+4, in.Digest)
		}
	}
	if len(up) != 4 {
		t.Fatalf("%d member-up events, want one per member", len(up))
	}
	for _, ev := range up {
		if ev.Nodes != in.Znodes+4 || ev.Zxid != in.Zxid || ev.Duration <= 0 {
			t.Errorf("member-up %v: want %d nodes restored at 0x%x in some time", ev, in.Znodes+4, in.Zxid)
		}
		// The phases: the starting snapshot loaded whole, nothing skipped,
		// nothing to replay, the epochs of the initializing txns checked.
		r := ev.Restore
		if r == nil || r.SnapshotZxid != in.Zxid || r.Nodes != ev.Nodes || r.SnapshotBytes <= 0 || len(r.Skipped) != 0 ||
			r.Replayed != 0 || !r.EpochsChecked || r.Epochs.Current != 1 || r.Total() > ev.Duration {
			t.Errorf("member-up %v: restore phases %+v", ev, r)
		}
	}
	// Folder d03 is the 34th node after /init (zxid 2); k0032 its third child.
	c := client(t, e, 2)
	data, st, err := c.GetData("/init/d03/k0032", false)
	if err != nil || len(data) != 32*37 || st.Czxid != persist.Zxid(1, 3+11*3+1+2) || st.Ctime != initCreated.UnixMilli() {
		t.Errorf("k0032: %d bytes, stat %+v, %v", len(data), st, err)
	}
	// The ensemble goes on from the tree: a write lands in a later epoch.
	if _, err := c.Create("/init/after", nil, 0, OpenACL); err != nil {
		t.Fatal(err)
	}
}

func TestInitializeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes iter.Seq2[string, []byte]
		plant string // a file of member 2's own, relative to its dataDir
		want  string
	}{
		{"a parent that comes later", func(yield func(string, []byte) bool) {
			_ = yield("/a/b", nil) && yield("/a", nil)
		}, "", "create /a/b: KeeperErrorCode = NoNode"},
		{"a node twice", func(yield func(string, []byte) bool) {
			_ = yield("/a", nil) && yield("/a", nil)
		}, "", "create /a: KeeperErrorCode = NodeExists"},
		{"a dataDir with a myid", initNodes(3), "myid", "initialize: member 2: SERVER2 " + errNotFresh.Error()},
		{"a version-2 with a file", initNodes(3), "version-2/log.1", "initialize: member 2: SERVER2/version-2 " + errNotFresh.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, 3, 0)
			var planted string
			if tc.plant != "" {
				planted = plant(t, cfg, tc.plant)
			}
			want := strings.ReplaceAll(tc.want, "SERVER2", filepath.Join(cfg.DataDir, "server2"))
			_, err := Initialize(cfg, initCreated, tc.nodes)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Initialize: %v; want an error with %q", err, want)
			}
			if planted != "" {
				// Member 1 was written before member 2 was refused; member
				// 2's own file is untouched.
				checkPlanted(t, planted)
			}
		})
	}
}

// plantedFile is what plant writes into member 2's dataDir.
const plantedFile = "member 2's own\n"

// plant puts a file of member 2's own at rel in its dataDir and returns
// its path.
func plant(t *testing.T, cfg Config, rel string) string {
	t.Helper()
	dir, _ := memberDirs(&cfg, 2)
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(plantedFile), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkPlanted fails unless the file plant wrote at p is as it was.
func checkPlanted(t *testing.T, p string) {
	t.Helper()
	if b, err := os.ReadFile(p); err != nil || string(b) != plantedFile {
		t.Errorf("%s: %q, %v; want it untouched", p, b, err)
	}
}

// A file that is no database, such as a run's marker, does not keep a
// member from getting its starting database, and stays as it was.
func TestInitializeBesideOtherFiles(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	p := plant(t, cfg, ".zkbench-run")
	if _, err := Initialize(cfg, initCreated, initNodes(3)); err != nil {
		t.Fatal(err)
	}
	checkPlanted(t, p)
}

// BenchmarkInitialize builds a starting tree of 1 KiB values in one
// folder and writes it as one member's database: the cost of a preload
// before the members restore it.
func BenchmarkInitialize(b *testing.B) {
	const znodes = 100_000
	value := bytes.Repeat([]byte{0x5a}, 1024)
	paths := make([]string, znodes)
	for i := range paths {
		paths[i] = fmt.Sprintf("/bench/k%06d", i)
	}
	nodes := func(yield func(string, []byte) bool) {
		if !yield("/bench", nil) {
			return
		}
		for _, p := range paths {
			if !yield(p, value) {
				return
			}
		}
	}
	var size int64
	for b.Loop() {
		b.StopTimer()
		cfg := DefaultConfig(b.TempDir())
		cfg.Servers = 1
		b.StartTimer()
		in, err := Initialize(cfg, initCreated, nodes)
		if err != nil {
			b.Fatal(err)
		}
		size = in.SnapshotBytes
	}
	b.ReportMetric(float64(znodes*b.N)/b.Elapsed().Seconds(), "znodes/s")
	b.ReportMetric(float64(size)/(1<<20), "MiB/snapshot")
}

// Members started together from one starting snapshot hold each value
// once: every member's node points at the same bytes.
func TestMembersShareStartingValues(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	cfg.DataLogDir = t.TempDir()
	if _, err := Initialize(cfg, initCreated, initNodes(20)); err != nil {
		t.Fatal(err)
	}
	e := start(t, cfg)
	const path = "/init/d00/k0002" // 74 bytes of the shared buffer
	var first []byte
	for _, id := range e.Members() {
		data, _, err := e.members[id].tree.Load().GetData(path, nil)
		if err != nil || len(data) != 74 {
			t.Fatalf("member %d: %s holds %d bytes (%v), want 74", id, path, len(data), err)
		}
		if first == nil {
			first = data
		} else if &first[0] != &data[0] {
			t.Errorf("member %d holds its own copy of %s", id, path)
		}
	}
}
