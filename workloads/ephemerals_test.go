package workloads_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"zkbench/workloads"
	"zkbench/workloads/memtarget"
)

// owned is a target that remembers which session created each ephemeral,
// and what the tree held when each session closed.
type owned struct {
	*memtarget.Target
	mu       sync.Mutex
	sessions int
	owner    map[string]int // ephemeral path → session number
	closes   []ownedClose
}

type ownedClose struct {
	session            int
	ephemeralsBefore   int // the session's ephemerals in the tree as it closed
	ephemeralsLeftover int // and after
}

func (o *owned) Connect(ctx context.Context) (workloads.Conn, error) {
	c, err := o.Target.Connect(ctx)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sessions++
	return &ownedConn{Conn: c, t: o, id: o.sessions}, nil
}

type ownedConn struct {
	workloads.Conn
	t  *owned
	id int
}

func (c *ownedConn) Multi(ops ...workloads.MultiOp) error {
	err := c.Conn.Multi(ops...)
	if err == nil {
		c.t.mu.Lock()
		for _, op := range ops {
			if op.Kind == workloads.MultiCreate && op.Mode == workloads.Ephemeral {
				c.t.owner[op.Path] = c.id
			}
		}
		c.t.mu.Unlock()
	}
	return err
}

func (c *ownedConn) Close() error {
	before := c.t.present(c.id)
	err := c.Conn.Close()
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	if before > 0 {
		c.t.closes = append(c.t.closes, ownedClose{c.id, before, -1})
	}
	return err
}

// present counts session id's ephemerals that are in the tree.
func (o *owned) present(id int) int {
	o.mu.Lock()
	var paths []string
	for p, owner := range o.owner {
		if owner == id {
			paths = append(paths, p)
		}
	}
	o.mu.Unlock()
	c, err := o.Target.Connect(context.Background())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	n := 0
	for _, p := range paths {
		if ok, _ := c.Exists(p); ok {
			n++
		}
	}
	return n
}

// The ephemerals are spread evenly over their own sessions, not the
// clients', live through the measured phase, and go with their sessions.
func TestEphemeralsOwnedBySessions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg := &owned{Target: memtarget.New(time.Millisecond), owner: map[string]int{}}
		s := spec(t, "workload=read", "clients=2", "duration=1s", "ephemerals=100", "ephemeralSessions=7", "valueSize=uniform:10..20")
		res := run(t, tg, s)
		st := res.Ephemerals
		if st == nil || st.Znodes != 100 || st.Sessions != 7 || len(st.Churn) != 0 {
			t.Fatalf("ephemerals %+v, want 100 over 7 sessions, no churn", st)
		}
		per := map[int]int{}
		for p, id := range tg.owner {
			if !strings.HasPrefix(p, s.Root+"/ephemerals/s") {
				t.Errorf("ephemeral %s outside root/ephemerals/sNNNN", p)
			}
			per[id]++
		}
		if len(tg.owner) != 100 || len(per) != 7 {
			t.Fatalf("%d ephemerals created by %d sessions, want 100 by 7", len(tg.owner), len(per))
		}
		for id, n := range per {
			if n < 100/7 || n > 100/7+1 {
				t.Errorf("session %d owns %d ephemerals, want %d or %d", id, n, 100/7, 100/7+1)
			}
			if id <= s.Clients {
				t.Errorf("session %d, a client's, owns ephemerals", id)
			}
		}
		if len(tg.closes) != 7 {
			t.Errorf("%d owner sessions ended holding ephemerals, want 7", len(tg.closes))
		}
		if n := tg.Len(); n != 1 {
			t.Errorf("%d nodes after cleanup, want only /", n)
		}
	})
}

// Churn ends one owner session per period of the measured phase, in turn:
// its ephemerals go in one close, and a new session registers them again.
func TestEphemeralChurn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg := &owned{Target: memtarget.New(time.Millisecond), owner: map[string]int{}}
		s := spec(t, "workload=write", "clients=2", "warmup=1s", "duration=10s", "ephemerals=60", "ephemeralSessions=2", "ephemeralChurn=3s")
		res := run(t, tg, s)
		st := res.Ephemerals
		if st == nil || len(st.Churn) != 3 {
			t.Fatalf("churn %+v, want 3 events (at 3s, 6s, 9s of 10s)", st)
		}
		for i, e := range st.Churn {
			if want := time.Duration(i+1) * 3 * time.Second; e.At != want || e.Znodes != 30 || e.Err != nil {
				t.Errorf("churn %d: at %v, %d znodes, %v; want at %v, 30 znodes", i, e.At, e.Znodes, e.Err, want)
			}
			if e.Close <= 0 || e.Register <= 0 {
				t.Errorf("churn %d: close %v register %v, want both timed", i, e.Close, e.Register)
			}
		}
		// 2 first owners + 3 new ones, each ending with all of its 30 ephemerals.
		if len(tg.closes) != 5 {
			t.Fatalf("%d owner sessions ended holding ephemerals, want 5: %+v", len(tg.closes), tg.closes)
		}
		for _, c := range tg.closes {
			if c.ephemeralsBefore != 30 {
				t.Errorf("session %d held %d ephemerals as it closed, want 30", c.session, c.ephemeralsBefore)
			}
		}
		if res.Ops[0].Count == 0 {
			t.Error("no writes measured")
		}
	})
}

// Bad values are refused naming the key.
func TestEphemeralKeys(t *testing.T) {
	for _, kv := range []string{"ephemerals=-1", "ephemeralSessions=0", "ephemeralChurn=-1s", "ephemeralChurn=x"} {
		s := workloads.Default()
		k, v, _ := strings.Cut(kv, "=")
		if err := s.Set(k, v); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s: %v, want an error naming %s", kv, err, k)
		}
	}
	s := workloads.Default()
	for _, kv := range [][2]string{{"ephemerals", "5"}, {"ephemeralSessions", "3"}, {"ephemeralChurn", "2s"}} {
		if err := s.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	k := s.Knobs()
	if got := fmt.Sprintf("%v %v %v", k["ephemerals"], k["ephemeralSessions"], k["ephemeralChurn"]); got != "5 3 2s" {
		t.Errorf("knobs %s", got)
	}
}
