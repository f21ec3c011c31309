package memtarget

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"zkbench/workloads"
)

func connect(t *testing.T, tg *Target) workloads.Conn {
	t.Helper()
	c, err := tg.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestOps(t *testing.T) {
	a, b := []byte("a"), []byte("b")
	tests := []struct {
		name string
		do   func(c workloads.Conn) (any, error)
		want any
		err  error
	}{
		{"create", func(c workloads.Conn) (any, error) { return c.Create("/x", a, workloads.Persistent) }, "/x", nil},
		{"create twice", func(c workloads.Conn) (any, error) {
			c.Create("/x", a, workloads.Persistent)
			return c.Create("/x", a, workloads.Persistent)
		}, "", workloads.ErrNodeExists},
		{"create without parent", func(c workloads.Conn) (any, error) { return c.Create("/x/y", a, workloads.Persistent) }, "", workloads.ErrNoNode},
		{"create under ephemeral", func(c workloads.Conn) (any, error) {
			c.Create("/e", a, workloads.Ephemeral)
			return c.Create("/e/y", a, workloads.Persistent)
		}, "", workloads.ErrNoChildrenForEphemerals},
		{"sequential numbers from the parent's cversion", func(c workloads.Conn) (any, error) {
			c.Create("/p", nil, workloads.Persistent)
			c.Create("/p/x", nil, workloads.Persistent)
			c.Delete("/p/x", workloads.AnyVersion)
			return c.Create("/p/s-", nil, workloads.Sequential)
		}, "/p/s-0000000002", nil},
		{"sequential with a trailing slash", func(c workloads.Conn) (any, error) {
			c.Create("/p", nil, workloads.Persistent)
			return c.Create("/p/", nil, workloads.EphemeralSequential)
		}, "/p/0000000000", nil},
		{"bad path", func(c workloads.Conn) (any, error) { return c.Create("x", a, workloads.Persistent) }, "", workloads.ErrBadArguments},
		{"empty element", func(c workloads.Conn) (any, error) { return c.Create("/a//b", a, workloads.Persistent) }, "", workloads.ErrBadArguments},
		{"getData copies", func(c workloads.Conn) (any, error) {
			buf := []byte("abc")
			c.Create("/x", buf, workloads.Persistent)
			buf[0] = 'z'
			d, err := c.GetData("/x")
			return string(d), err
		}, "abc", nil},
		{"setData", func(c workloads.Conn) (any, error) {
			c.Create("/x", a, workloads.Persistent)
			if err := c.SetData("/x", b, 0); err != nil {
				return nil, err
			}
			d, err := c.GetData("/x")
			return string(d), err
		}, "b", nil},
		{"setData bad version", func(c workloads.Conn) (any, error) {
			c.Create("/x", a, workloads.Persistent)
			return nil, c.SetData("/x", b, 1)
		}, nil, workloads.ErrBadVersion},
		{"delete bad version", func(c workloads.Conn) (any, error) {
			c.Create("/x", a, workloads.Persistent)
			c.SetData("/x", b, workloads.AnyVersion)
			return nil, c.Delete("/x", 0)
		}, nil, workloads.ErrBadVersion},
		{"delete not empty", func(c workloads.Conn) (any, error) {
			c.Create("/x", a, workloads.Persistent)
			c.Create("/x/y", a, workloads.Persistent)
			return nil, c.Delete("/x", workloads.AnyVersion)
		}, nil, workloads.ErrNotEmpty},
		{"delete missing", func(c workloads.Conn) (any, error) { return nil, c.Delete("/x", workloads.AnyVersion) }, nil, workloads.ErrNoNode},
		{"exists", func(c workloads.Conn) (any, error) {
			c.Create("/x", a, workloads.Persistent)
			x, _ := c.Exists("/x")
			y, err := c.Exists("/y")
			return [2]bool{x, y}, err
		}, [2]bool{true, false}, nil},
		{"children sorted", func(c workloads.Conn) (any, error) {
			for _, n := range []string{"/c", "/a", "/b"} {
				c.Create(n, nil, workloads.Persistent)
			}
			kids, err := c.GetChildren("/")
			return slices.Clone(kids), err
		}, []string{"a", "b", "c"}, nil},
		{"multi applies all", func(c workloads.Conn) (any, error) {
			err := c.Multi(
				workloads.MultiOp{Kind: workloads.MultiCreate, Path: "/m", Data: a},
				workloads.MultiOp{Kind: workloads.MultiSetData, Path: "/m", Data: b, Version: 0},
				workloads.MultiOp{Kind: workloads.MultiCheck, Path: "/m", Version: 1},
			)
			d, _ := c.GetData("/m")
			return string(d), err
		}, "b", nil},
		{"failed multi applies none", func(c workloads.Conn) (any, error) {
			c.Create("/keep", a, workloads.Persistent)
			err := c.Multi(
				workloads.MultiOp{Kind: workloads.MultiCreate, Path: "/m", Data: a},
				workloads.MultiOp{Kind: workloads.MultiSetData, Path: "/keep", Data: b, Version: workloads.AnyVersion},
				workloads.MultiOp{Kind: workloads.MultiDelete, Path: "/keep", Version: 0}, // version is 1 by now
			)
			m, _ := c.Exists("/m")
			d, _ := c.GetData("/keep")
			return [2]any{m, string(d)}, err
		}, [2]any{false, "a"}, workloads.ErrBadVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.do(connect(t, New(0)))
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if tt.want != nil && !equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func equal(a, b any) bool {
	if as, ok := a.([]string); ok {
		return slices.Equal(as, b.([]string))
	}
	return a == b
}

func TestEphemeralsGoWithTheirSession(t *testing.T) {
	tg := New(0)
	owner, other := connect(t, tg), connect(t, tg)
	if _, err := owner.Create("/e", nil, workloads.Ephemeral); err != nil {
		t.Fatal(err)
	}
	_, fired, err := other.GetDataW("/e")
	if err != nil {
		t.Fatal(err)
	}
	owner.Close()
	if err := <-fired; err != nil {
		t.Errorf("watch on a deleted ephemeral fired with %v, want nil", err)
	}
	if ok, _ := other.Exists("/e"); ok {
		t.Error("ephemeral outlived its session")
	}
	if _, err := owner.GetData("/"); !errors.Is(err, workloads.ErrClosed) {
		t.Errorf("op on a closed session: %v, want ErrClosed", err)
	}
}

func TestWatches(t *testing.T) {
	tg := New(0)
	c := connect(t, tg)
	c.Create("/w", nil, workloads.Persistent)
	if _, _, err := c.GetDataW("/missing"); !errors.Is(err, workloads.ErrNoNode) {
		t.Errorf("watch on a missing node: %v, want ErrNoNode", err)
	}
	_, first, _ := c.GetDataW("/w")
	_, second, _ := c.GetDataW("/w")
	c.SetData("/w", []byte("x"), workloads.AnyVersion)
	for i, ch := range []<-chan error{first, second} {
		if err := <-ch; err != nil {
			t.Errorf("watch %d: %v", i, err)
		}
	}
	// One-shot: a second change finds no watch left.
	c.SetData("/w", []byte("y"), workloads.AnyVersion)
	if tg.watches["/w"] != nil {
		t.Error("fired watches still registered")
	}
	_, lost, _ := c.GetDataW("/w")
	c.Close()
	if err := <-lost; !errors.Is(err, workloads.ErrClosed) {
		t.Errorf("pending watch at close: %v, want ErrClosed", err)
	}
}

// A failed multi fires no watch: nothing changed.
func TestFailedMultiFiresNothing(t *testing.T) {
	c := connect(t, New(0))
	c.Create("/w", nil, workloads.Persistent)
	_, fired, _ := c.GetDataW("/w")
	err := c.Multi(
		workloads.MultiOp{Kind: workloads.MultiSetData, Path: "/w", Version: workloads.AnyVersion},
		workloads.MultiOp{Kind: workloads.MultiCheck, Path: "/missing", Version: workloads.AnyVersion},
	)
	if !errors.Is(err, workloads.ErrNoNode) {
		t.Fatalf("multi: %v", err)
	}
	select {
	case err := <-fired:
		t.Errorf("watch fired (%v) by a multi that failed", err)
	default:
	}
}

func TestLatencyAndPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg := New(3 * time.Millisecond)
		c := connect(t, tg)
		start := time.Now()
		c.Exists("/")
		if d := time.Since(start); d != 3*time.Millisecond {
			t.Errorf("op took %v, want the 3ms latency", d)
		}
		tg.Pause()
		go func() {
			time.Sleep(time.Second)
			tg.Resume()
		}()
		start = time.Now()
		c.Exists("/")
		if d := time.Since(start); d != time.Second {
			t.Errorf("paused op took %v, want until Resume (1s)", d)
		}
		// Close releases an op waiting out a pause.
		tg.Pause()
		go func() {
			time.Sleep(time.Second)
			c.Close()
		}()
		if _, err := c.Exists("/"); !errors.Is(err, workloads.ErrClosed) {
			t.Errorf("op cut by Close: %v, want ErrClosed", err)
		}
		tg.Resume()
	})
}
