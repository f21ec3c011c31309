package engine

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"zkbench/engine/jute"
)

func TestEphemeralsGoWithTheirSession(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	memFS(&cfg)
	e := start(t, cfg)
	owner, other, lost := client(t, e, 1), client(t, e, 2), client(t, e, 3)
	mustCreate(t, owner, "/e1", jute.FlagEphemeral)
	seq := mustCreate(t, owner, "/s-", jute.FlagEphemeralSequential)
	if seq != "/s-0000000001" {
		t.Errorf("ephemeral sequential got %s", seq)
	}
	mustCreate(t, lost, "/gone", jute.FlagEphemeral)
	if _, err := owner.Create("/e1/child", nil, jute.FlagPersistent, OpenACL); !errors.Is(err, ErrNoChildrenForEphemerals) {
		t.Errorf("child of an ephemeral: %v", err)
	}
	syncRead := func(path string) bool {
		t.Helper()
		if err := other.Sync("/"); err != nil {
			t.Fatal(err)
		}
		_, ok, err := other.Exists(path, false)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !syncRead("/e1") || !syncRead(seq) || !syncRead("/gone") {
		t.Fatal("ephemerals not visible on another member")
	}
	// A clean close removes them at once (closeSession txn).
	if err := owner.Close(); err != nil {
		t.Fatal(err)
	}
	if syncRead("/e1") || syncRead(seq) {
		t.Error("ephemerals survived their session's close")
	}
	if _, _, err := owner.GetData("/", false); !errors.Is(err, ErrClosed) {
		t.Errorf("request after Close: %v", err)
	}
	// A vanished client's session expires after its timeout (the minimum,
	// 2 ticks here) and the leader's closeSession takes its ephemerals.
	lost.Abandon()
	deadline := time.Now().Add(20 * time.Second)
	for syncRead("/gone") {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned session never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Sessions of connected clients stay alive however long they idle.
	time.Sleep(3 * cfg.MinSessionTimeout)
	if _, _, err := other.GetData("/", false); err != nil {
		t.Errorf("idle connected session: %v", err)
	}
}

func mustCreate(t *testing.T, c *Client, path string, flags int32) string {
	t.Helper()
	got, err := c.Create(path, []byte(path), flags, OpenACL)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	return got
}

func TestWatchesFireOnTheWatchingMember(t *testing.T) {
	cfg := testConfig(t, 3, 1)
	memFS(&cfg)
	e := start(t, cfg)
	writer := client(t, e, 1)
	watchers := []*Client{client(t, e, 2), client(t, e, 4)}
	mustCreate(t, writer, "/w", jute.FlagPersistent)
	for _, w := range watchers {
		if err := w.Sync("/"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.GetData("/w", true); err != nil {
			t.Fatal(err)
		}
		if _, err := w.GetChildren("/w", true); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := w.Exists("/w/new", true); ok || err != nil {
			t.Fatalf("exists: %v %v", ok, err)
		}
	}
	if _, err := writer.SetData("/w", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, writer, "/w/new", jute.FlagPersistent)
	want := []WatchEvent{
		{Type: EventNodeDataChanged, Path: "/w"},
		{Type: EventNodeCreated, Path: "/w/new"},
		{Type: EventNodeChildrenChanged, Path: "/w"},
	}
	for _, w := range watchers {
		for i, we := range want {
			select {
			case got := <-w.Watches():
				if got.Type != we.Type || got.Path != we.Path {
					t.Errorf("member %d watch %d: %v %s, want %v %s", w.Member(), i, got.Type, got.Path, we.Type, we.Path)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("member %d: watch %d (%v %s) never fired", w.Member(), i, we.Type, we.Path)
			}
		}
	}
}

func TestCreateFlavoursAndMulti(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	cfg.ContainerCheckInterval = 50 * time.Millisecond
	memFS(&cfg)
	e := start(t, cfg)
	c := client(t, e, 2)
	mustCreate(t, c, "/q", jute.FlagPersistent)
	for i, want := range []string{"/q/n-0000000000", "/q/n-0000000001"} {
		if got := mustCreate(t, c, "/q/n-", jute.FlagPersistentSequential); got != want {
			t.Errorf("sequential %d: %s, want %s", i, got, want)
		}
	}
	if got, err := c.CreateTTL("/ttl", nil, jute.FlagPersistentWithTTL, OpenACL, 100*time.Millisecond); err != nil || got != "/ttl" {
		t.Fatalf("ttl create: %q %v", got, err)
	}
	mustCreate(t, c, "/box", jute.FlagContainer)
	mustCreate(t, c, "/box/item", jute.FlagPersistent)

	// multi: all or nothing.
	res, err := c.Multi(
		jute.Op{Type: jute.OpCreate, Record: &jute.CreateRequest{Path: "/m1", ACL: OpenACL}},
		jute.Op{Type: jute.OpSetData, Record: &jute.SetDataRequest{Path: "/q", Data: []byte("m"), Version: 0}},
		jute.Op{Type: jute.OpDelete, Record: &jute.DeleteRequest{Path: "/nope", Version: -1}},
	)
	if !errors.Is(err, ErrNoNode) || len(res) != 3 {
		t.Fatalf("failing multi: %v, %d results", err, len(res))
	}
	if _, ok, _ := c.Exists("/m1", false); ok {
		t.Error("a failed multi left /m1")
	}
	if _, err := c.Multi(
		jute.Op{Type: jute.OpCreate, Record: &jute.CreateRequest{Path: "/m1", ACL: OpenACL}},
		jute.Op{Type: jute.OpCheck, Record: &jute.CheckVersionRequest{Path: "/q", Version: 0}},
		jute.Op{Type: jute.OpSetData, Record: &jute.SetDataRequest{Path: "/q", Data: []byte("m"), Version: 0}},
	); err != nil {
		t.Fatalf("multi: %v", err)
	}
	if data, st, err := c.GetData("/q", false); err != nil || string(data) != "m" || st.Version != 1 {
		t.Errorf("after multi: %q v%d %v", data, st.Version, err)
	}
	if err := c.Delete("/q", -1); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("delete of a parent: %v", err)
	}

	// The leader's container manager removes the emptied container and the
	// expired TTL node.
	if err := c.Delete("/box/item", -1); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c, "/box")
	waitGone(t, c, "/ttl")
}

func waitGone(t *testing.T, c *Client, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := c.Sync("/"); err != nil {
			t.Fatal(err)
		}
		_, ok, err := c.Exists(path, false)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was never reaped", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEventsReportTheDiskAndTheQuorum(t *testing.T) {
	var mu sync.Mutex
	var events []Event
	cfg := testConfig(t, 3, 0)
	cfg.SnapCount, cfg.SnapRandomize = 20, false
	cfg.PreAllocSize = 4096
	cfg.Events = SinkFunc(func(ev Event) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	})
	e := start(t, cfg)
	c := client(t, e, 1)
	mustCreate(t, c, "/x", jute.FlagPersistent)
	for range 60 {
		if _, err := c.SetData("/x", make([]byte, 200), -1); err != nil {
			t.Fatal(err)
		}
	}
	e.Stop()
	mu.Lock()
	defer mu.Unlock()
	count := map[EventKind]int{}
	for _, ev := range events {
		count[ev.Kind]++
		if ev.Kind == EventFsync && (ev.Duration <= 0 || ev.Txns <= 0 || ev.Bytes <= 0) {
			t.Errorf("fsync event without figures: %v", ev)
		}
		if ev.Kind == EventSnapshotEnd && ev.Err != nil {
			t.Errorf("snapshot failed: %v", ev)
		}
	}
	for _, k := range []EventKind{EventMemberUp, EventLeaderElected, EventLearnerSynced, EventFsync,
		EventLogRoll, EventPreallocExtend, EventSnapshotStart, EventSnapshotEnd, EventMemberDown} {
		if count[k] == 0 {
			t.Errorf("no %s event (%v)", k, count)
		}
	}
	// Every member rolls and snapshots at exactly snapCount without
	// randomization: 62 txns each → 3 background snapshots per member.
	var snaps []string
	for _, ev := range events {
		if ev.Kind == EventSnapshotEnd && strings.Contains(ev.Path, "server1") {
			snaps = append(snaps, ev.Path)
		}
	}
	if len(snaps) < 3 {
		t.Errorf("member 1 wrote snapshots %v, want at least 3", snaps)
	}
}
