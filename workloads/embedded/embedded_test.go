package embedded

import (
	"context"
	"errors"
	"testing"
	"time"

	"zkbench/engine"
	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
	"zkbench/workloads"
)

func startEnsemble(t *testing.T) *engine.Ensemble {
	t.Helper()
	cfg := engine.DefaultConfig(t.TempDir())
	cfg.TickTime, cfg.TickInterval = 100*time.Millisecond, 10*time.Millisecond
	fss := map[uint64]disk.FS{}
	cfg.FS = func(id uint64) disk.FS {
		if fss[id] == nil {
			fss[id] = faultfs.New(faultfs.Options{Seed: int64(id)})
		}
		return fss[id]
	}
	e, err := engine.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestConnOps(t *testing.T) {
	e := startEnsemble(t)
	tg := New(e)
	ctx := context.Background()
	var conns []workloads.Conn
	seen := map[uint64]bool{}
	for range 3 {
		c, err := tg.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		seen[c.(*conn).c.Member()] = true
	}
	if len(seen) != 3 {
		t.Errorf("three sessions went to members %v, want one each", seen)
	}
	a, b := conns[0], conns[1]
	buf := []byte("value")
	if p, err := a.Create("/k", buf, workloads.Persistent); err != nil || p != "/k" {
		t.Fatalf("create: %q %v", p, err)
	}
	copy(buf, "XXXXX") // the caller may reuse its buffer
	if p, err := a.Create("/k/s-", nil, workloads.Sequential); err != nil || p != "/k/s-0000000000" {
		t.Fatalf("sequential: %q %v", p, err)
	}
	if _, err := a.Create("/k", nil, workloads.Persistent); !errors.Is(err, workloads.ErrNodeExists) {
		t.Errorf("duplicate: %v", err)
	}
	if err := a.SetData("/k", []byte("v2"), 7); !errors.Is(err, workloads.ErrBadVersion) {
		t.Errorf("bad version: %v", err)
	}
	if err := a.Multi(workloads.MultiOp{Kind: workloads.MultiCheck, Path: "/k", Version: 0},
		workloads.MultiOp{Kind: workloads.MultiSetData, Path: "/k", Data: []byte("m"), Version: 0},
		workloads.MultiOp{Kind: workloads.MultiCreate, Path: "/k/c", Mode: workloads.Ephemeral}); err != nil {
		t.Fatalf("multi: %v", err)
	}
	if err := a.Multi(workloads.MultiOp{Kind: workloads.MultiDelete, Path: "/none", Version: -1}); !errors.Is(err, workloads.ErrNoNode) {
		t.Errorf("failing multi: %v", err)
	}
	// b reads on another member, once it has applied the multi; a watch
	// there fires when a writes.
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := b.GetData("/k")
		if err == nil && string(d) == "m" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("member never caught up: %q %v", d, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, fired, err := b.GetDataW("/k")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetData("/k", []byte("v3"), workloads.AnyVersion); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-fired:
		if err != nil {
			t.Errorf("watch: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch never fired")
	}
	if kids, err := a.GetChildren("/k"); err != nil || len(kids) != 2 {
		t.Errorf("children %v %v", kids, err)
	}
	if ok, err := a.Exists("/nope"); ok || err != nil {
		t.Errorf("exists: %v %v", ok, err)
	}
	if _, err := a.GetData("/nope"); !errors.Is(err, workloads.ErrNoNode) {
		t.Errorf("getData missing: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetData("/k"); !errors.Is(err, workloads.ErrClosed) {
		t.Errorf("after close: %v", err)
	}
	if err := a.Delete("/k", -1); !errors.Is(err, workloads.ErrClosed) {
		t.Errorf("delete after close: %v", err)
	}
}

// Ephemerals live under sessions of their own on the members, and a
// churned session's end deletes them on the ensemble (a closeSession txn)
// before a new session registers them again.
func TestEphemeralChurnOnEnsemble(t *testing.T) {
	e := startEnsemble(t)
	s := workloads.Default()
	for _, kv := range [][2]string{{"workload", "write"}, {"keys", "10"}, {"clients", "2"}, {"warmup", "0s"}, {"duration", "1s"},
		{"ephemerals", "300"}, {"ephemeralSessions", "3"}, {"ephemeralChurn", "300ms"}, {"valueSize", "100"}} {
		if err := s.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	d, err := workloads.NewDriver(s, New(e))
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st := res.Ephemerals
	if st == nil || st.Znodes != 300 || st.Sessions != 3 || len(st.Churn) == 0 {
		t.Fatalf("ephemerals %+v, want 300 over 3 sessions and churn", st)
	}
	for i, c := range st.Churn {
		if c.Err != nil || c.Znodes != 100 {
			t.Errorf("churn %d: %d znodes, %v", i, c.Znodes, c.Err)
		}
	}
	c, err := e.Client(e.Members()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok, err := c.Exists(s.Root, false); err != nil || ok {
		t.Errorf("%s after cleanup: exists %v, %v", s.Root, ok, err)
	}
}
