package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
	"zkbench/engine/jute"
)

// testConfig is a small, fast ensemble: short ticks so that failures are
// noticed in a fraction of a second.
func testConfig(t testing.TB, servers, observers int) Config {
	cfg := DefaultConfig(t.TempDir())
	cfg.Servers, cfg.Observers = servers, observers
	cfg.TickTime = 100 * time.Millisecond
	cfg.TickInterval = 10 * time.Millisecond
	cfg.InitLimit, cfg.SyncLimit = 10, 5
	cfg.PreAllocSize = 1 << 20
	cfg.Seed = 1
	return cfg
}

// memFS gives every member its own in-memory disk.
func memFS(cfg *Config) map[uint64]*faultfs.FS {
	fss := map[uint64]*faultfs.FS{}
	for i := 1; i <= cfg.Servers+cfg.Observers; i++ {
		fss[uint64(i)] = faultfs.New(faultfs.Options{Seed: int64(i)})
	}
	cfg.FS = func(id uint64) disk.FS { return fss[id] }
	return fss
}

func start(t testing.TB, cfg Config) *Ensemble {
	t.Helper()
	e, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop() })
	waitServing(t, e)
	return e
}

func waitServing(t testing.TB, e *Ensemble) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
}

func client(t testing.TB, e *Ensemble, id uint64) *Client {
	t.Helper()
	c, err := e.Client(id)
	if err != nil {
		t.Fatalf("client on %d: %v", id, err)
	}
	return c
}

func TestWritesAnywhereReadEverywhere(t *testing.T) {
	cfg := testConfig(t, 3, 1)
	memFS(&cfg)
	e := start(t, cfg)
	if l := e.Leader(); l != 3 {
		t.Fatalf("leader %d, want 3 (highest id of a fresh ensemble)", l)
	}
	clients := map[uint64]*Client{}
	for _, id := range e.Members() {
		clients[id] = client(t, e, id)
	}
	for _, id := range e.Members() {
		p := fmt.Sprintf("/n%d", id)
		if got, err := clients[id].Create(p, []byte("v"), jute.FlagPersistent, OpenACL); err != nil || got != p {
			t.Fatalf("create %s on %d: %q %v", p, id, got, err)
		}
		if _, err := clients[id].SetData(p, []byte(fmt.Sprint("x", id)), 0); err != nil {
			t.Fatalf("setData on %d: %v", id, err)
		}
	}
	for _, id := range e.Members() {
		c := clients[id]
		if err := c.Sync("/"); err != nil {
			t.Fatalf("sync on %d: %v", id, err)
		}
		kids, err := c.GetChildren("/", false)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(kids)
		if want := []string{"n1", "n2", "n3", "n4", "zookeeper"}; !slices.Equal(kids, want) {
			t.Errorf("member %d children %v, want %v", id, kids, want)
		}
		for _, w := range e.Members() {
			data, st, err := c.GetData(fmt.Sprintf("/n%d", w), false)
			if err != nil || string(data) != fmt.Sprint("x", w) || st.Version != 1 {
				t.Errorf("member %d reads /n%d: %q v%d %v", id, w, data, st.Version, err)
			}
		}
	}
	if _, err := clients[1].Create("/n1", nil, jute.FlagPersistent, OpenACL); !errors.Is(err, ErrNodeExists) {
		t.Errorf("duplicate create: %v", err)
	}
	if _, err := clients[2].SetData("/n1", nil, 7); !errors.Is(err, ErrBadVersion) {
		t.Errorf("bad version: %v", err)
	}
	if err := clients[4].Delete("/nope", -1); !errors.Is(err, ErrNoNode) {
		t.Errorf("delete missing: %v", err)
	}
}

// The same ensemble over real loopback sockets.
func TestEnsembleOverTCP(t *testing.T) {
	cfg := testConfig(t, 3, 1)
	cfg.Transport = TransportTCP
	memFS(&cfg)
	e := start(t, cfg)
	w, r := client(t, e, 1), client(t, e, 4)
	mustCreate(t, w, "/tcp", jute.FlagPersistent)
	if _, err := w.SetData("/tcp", []byte("over sockets"), 0); err != nil {
		t.Fatal(err)
	}
	if err := r.Sync("/"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := r.GetData("/tcp", false); err != nil || string(data) != "over sockets" {
		t.Fatalf("observer reads %q %v", data, err)
	}
	if err := e.Partition(1, 2); !errors.Is(err, ErrNoPartition) {
		t.Errorf("partition over TCP: %v", err)
	}
}

// TestAutopurge: with a purge interval, each member keeps its newest
// snapRetainCount snapshots and no more, as ZooKeeper's autopurge does.
func TestAutopurge(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	cfg.SnapCount, cfg.SnapRandomize = 10, false
	cfg.SnapRetainCount, cfg.PurgeInterval = 3, time.Millisecond
	e := start(t, cfg)
	c := client(t, e, 1)
	mustCreate(t, c, "/x", jute.FlagPersistent)
	for range 100 {
		if _, err := c.SetData("/x", []byte("v"), -1); err != nil {
			t.Fatal(err)
		}
	}
	dataDir, _ := cfg.MemberDirs(1)
	snaps := func() []string {
		m, _ := filepath.Glob(filepath.Join(dataDir, "version-2", "snapshot.*"))
		return m
	}
	// About ten snapshots were written; wait for the purger to take them
	// down to three (no assertion on how long it takes).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for len(snaps()) > 3 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	if got := snaps(); len(got) != 3 {
		t.Fatalf("member 1 keeps %d snapshots, want 3: %v", len(got), got)
	}
}
