package workloads_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"zkbench/workloads"
	"zkbench/workloads/memtarget"
)

// preloadSpec is a read workload that only preloads: one op, no
// cleanup, so that the tree stays to be looked at.
func preloadSpec(t *testing.T, settings ...string) workloads.Spec {
	t.Helper()
	return spec(t, append([]string{"workload=read", "clients=4", "duration=0s", "ops=1", "cleanup=false"}, settings...)...)
}

// counting is a target whose sessions count the creates and multis they
// send and how many creates each multi held, and can look at the driver
// as a multi goes out.
type counting struct {
	workloads.Target
	mu      sync.Mutex
	creates int
	multis  []int
	onMulti func()
}

func (c *counting) Connect(ctx context.Context) (workloads.Conn, error) {
	conn, err := c.Target.Connect(ctx)
	return &countingConn{Conn: conn, t: c}, err
}

type countingConn struct {
	workloads.Conn
	t *counting
}

func (c *countingConn) Create(path string, data []byte, mode workloads.CreateMode) (string, error) {
	c.t.mu.Lock()
	c.t.creates++
	c.t.mu.Unlock()
	return c.Conn.Create(path, data, mode)
}

func (c *countingConn) Multi(ops ...workloads.MultiOp) error {
	c.t.mu.Lock()
	c.t.multis = append(c.t.multis, len(ops))
	on := c.t.onMulti
	c.t.mu.Unlock()
	if on != nil {
		on()
	}
	return c.Conn.Multi(ops...)
}

// preload runs s's preload on tg with method m.
func preload(t *testing.T, tg workloads.Target, s workloads.Spec, m workloads.PreloadMethod) {
	t.Helper()
	d, err := workloads.NewDriver(s, tg)
	if err != nil {
		t.Fatal(err)
	}
	d.PreloadBy(m)
	if _, err := d.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// tree is every node under root: path → data.
func tree(t *testing.T, tg workloads.Target, root string) map[string][]byte {
	t.Helper()
	c, err := tg.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	nodes := map[string][]byte{}
	var walk func(string)
	walk = func(p string) {
		data, err := c.GetData(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		nodes[p] = data
		names, err := c.GetChildren(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, n := range names {
			walk(strings.TrimSuffix(p, "/") + "/" + n)
		}
	}
	walk(root)
	return nodes
}

// The multi preload builds the tree the create path builds — paths and
// data, which are PreloadNodes' — in batches of many creates, and still
// with values too big to share a batch.
func TestMultiPreloadBuildsTheCreatedTree(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings []string
		batched  bool // some multi holds more than one create
	}{
		{"1 KiB values", []string{"keys=3000", "depth=2", "valueSize=1KiB"}, true},
		{"three levels, uniform sizes", []string{"keys=2000", "depth=3", "valueSize=uniform:0..2KiB"}, true},
		{"values above a batch", []string{"keys=6", "valueSize=300KiB"}, false},
		{"small and big values", []string{"keys=40", "valueSize=uniform:1KiB..700KiB", "root=/team/app/zkbench"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := preloadSpec(t, tc.settings...)
			created, multi := memtarget.New(0), &counting{Target: memtarget.New(0)}
			preload(t, created, s, workloads.PreloadCreate)
			preload(t, multi, s, workloads.PreloadMulti)
			want := tree(t, created, "/")
			got := tree(t, multi, "/")
			if !maps.EqualFunc(got, want, bytes.Equal) {
				t.Errorf("the multi preload's tree differs from the create path's: %s", diff(got, want))
			}
			for p, data := range workloads.PreloadNodes(s) {
				if g, ok := got[p]; !ok || !bytes.Equal(g, data) {
					t.Errorf("%s: %d bytes, present %v; PreloadNodes has %d bytes", p, len(g), ok, len(data))
				}
			}
			if max := slices.Max(append(multi.multis, 0)); (max > 1) != tc.batched {
				t.Errorf("the largest multi held %d creates", max)
			}
		})
	}
}

// diff names a few paths where two trees differ.
func diff(got, want map[string][]byte) string {
	var out []string
	for p := range maps.Keys(want) {
		if g, ok := got[p]; !ok || !bytes.Equal(g, want[p]) {
			out = append(out, fmt.Sprintf("%s (%d bytes, present %v, want %d)", p, len(g), ok, len(want[p])))
		}
	}
	for p := range maps.Keys(got) {
		if _, ok := want[p]; !ok {
			out = append(out, p+" (extra)")
		}
	}
	slices.Sort(out)
	return strings.Join(out[:min(len(out), 5)], ", ")
}

// Nodes an earlier run left are reused as they are, as the create path
// reuses them: a part of the tree already there, with other data, stays
// so, and the rest is created in batches; the same preload again finds
// everything in place.
func TestMultiPreloadReusesNodes(t *testing.T) {
	s := preloadSpec(t, "keys=1000", "depth=2", "valueSize=1KiB")
	tg := &counting{Target: memtarget.New(0)}
	c, err := tg.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	earlier := map[string][]byte{}
	i := 0
	for p, data := range workloads.PreloadNodes(s) {
		if data == nil || i%7 == 0 { // the folders, and every 7th key with data of its own
			earlier[p] = []byte(nil)
			if data != nil {
				earlier[p] = []byte("an earlier run's")
			}
			if _, err := c.Create(p, earlier[p], workloads.Persistent); err != nil {
				t.Fatal(err)
			}
		}
		if data != nil {
			i++
		}
	}
	c.Close()
	for run := range 2 {
		preload(t, tg, s, workloads.PreloadMulti)
		got := tree(t, tg, s.Root)
		for p, data := range workloads.PreloadNodes(s) {
			want, ok := earlier[p]
			if !ok {
				want = data
			}
			if !bytes.Equal(got[p], want) {
				t.Errorf("run %d: %s has %q…, want %q…", run+1, p, head(got[p]), head(want))
			}
		}
	}
	if slices.Max(tg.multis) < 100 {
		t.Errorf("multis of at most %d creates: the missing keys were not batched", slices.Max(tg.multis))
	}
}

func head(b []byte) []byte { return b[:min(len(b), 16)] }

// While the preload runs, Live says how many znodes of how many are in
// place, and the count only grows.
func TestPreloadProgress(t *testing.T) {
	s := preloadSpec(t, "keys=5000", "depth=2", "valueSize=100", "clients=2")
	var total int64
	for range workloads.PreloadNodes(s) {
		total++
	}
	tg := &counting{Target: memtarget.New(0)}
	d, err := workloads.NewDriver(s, tg)
	if err != nil {
		t.Fatal(err)
	}
	d.PreloadBy(workloads.PreloadMulti)
	var seen []workloads.Live
	var mu sync.Mutex
	tg.onMulti = func() {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, d.Live())
	}
	if _, err := d.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 {
		t.Fatalf("%d multis", len(seen))
	}
	for _, l := range seen {
		if l.Phase != workloads.Preloading || l.PreloadTotal != total || l.Preloaded >= total {
			t.Errorf("live during the preload: %s, %d of %d znodes; want preloading, fewer than %d of %d",
				l.Phase, l.Preloaded, l.PreloadTotal, total, total)
		}
	}
	if last := seen[len(seen)-1].Preloaded; last < total/2 {
		t.Errorf("the last multi went out with %d of %d znodes in place", last, total)
	}
}

// Cleanup deletes the tree a level at a time in multi batches, a quorum
// round per batch rather than per znode, and still when someone else
// deletes a node of a batch meanwhile.
func TestCleanupDeletesInBatches(t *testing.T) {
	for _, interfering := range []bool{false, true} {
		t.Run(fmt.Sprintf("another cleaner=%v", interfering), func(t *testing.T) {
			const keys = 3000
			s := spec(t, "workload=read", "clients=4", "duration=0s", "ops=1", fmt.Sprint("keys=", keys), "depth=2", "valueSize=16")
			mem := memtarget.New(0)
			tg := &counting{Target: mem}
			var key string // a key of the deepest level, which cleanup deletes first
			for p, data := range workloads.PreloadNodes(s) {
				if data != nil {
					key = p
				}
			}
			other, err := mem.Connect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			var once sync.Once
			tg.onMulti = func() {
				if interfering {
					once.Do(func() {
						if err := other.Delete(key, workloads.AnyVersion); err != nil {
							t.Errorf("delete %s meanwhile: %v", key, err)
						}
					})
				}
			}
			preload(t, tg, s, workloads.PreloadCreate) // no multis: each one counted is cleanup's
			if n := mem.Len(); n != 1 {
				t.Errorf("%d nodes after cleanup, want only /", n)
			}
			if len(tg.multis) == 0 || len(tg.multis) > keys/100 {
				t.Errorf("cleanup of %d keys sent %d multis, want a few batches", keys, len(tg.multis))
			}
		})
	}
}
