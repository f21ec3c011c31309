// Package memtarget is a ZooKeeper-like tree in memory behind
// workloads.Target: the same node semantics (versions, sequential names
// from the parent's cversion, ephemerals that go with their session,
// one-shot data watches, atomic multi), no network, no disk. Tests drive
// it to check the driver, and benchmarks to measure the driver alone.
//
// It is deterministic: the same calls in the same order give the same
// names and versions. Time enters only through the optional per-op
// latency and Pause, both of which follow the testing/synctest clock.
// Container nodes are kept like persistent ones; nothing reaps them.
package memtarget

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"zkbench/workloads"
)

// Target is the tree. Its zero value is not usable; call New.
type Target struct {
	latency time.Duration
	paused  atomic.Pointer[chan struct{}] // non-nil while paused; closed by Resume

	mu       sync.Mutex
	nodes    map[string]*node
	watches  map[string][]*watch // data watches by path
	sessions int64               // the last session id handed out
}

type node struct {
	data     []byte
	version  int32
	cversion int32 // changes to the children; numbers sequential children
	owner    *conn // the session of an ephemeral node
	children map[string]struct{}
}

type watch struct {
	ch    chan error // buffered: firing never blocks
	path  string
	owner *conn
}

// New returns a tree holding only "/". Every op takes latency (0: none)
// before it is applied.
func New(latency time.Duration) *Target {
	return &Target{
		latency: latency,
		nodes:   map[string]*node{"/": {children: map[string]struct{}{}}},
		watches: map[string][]*watch{},
	}
}

// Pause makes every op wait, as a stalled server would, until Resume.
func (t *Target) Pause() {
	ch := make(chan struct{})
	t.paused.CompareAndSwap(nil, &ch)
}

// Resume lets the waiting ops through.
func (t *Target) Resume() {
	if ch := t.paused.Swap(nil); ch != nil {
		close(*ch)
	}
}

// Len is the number of nodes, "/" included.
func (t *Target) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.nodes)
}

// Connect opens a session.
func (t *Target) Connect(ctx context.Context) (workloads.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sessions++
	return &conn{
		t: t, id: t.sessions, closed: make(chan struct{}),
		ephemerals: map[string]struct{}{}, watches: map[*watch]struct{}{},
	}, nil
}

// conn is one session.
type conn struct {
	t      *Target
	id     int64
	closed chan struct{}
	once   sync.Once
	// Guarded by t.mu.
	ephemerals map[string]struct{}
	watches    map[*watch]struct{}
}

// enter waits out the latency and a pause, and fails once the session is
// closed, also while waiting.
func (c *conn) enter() error {
	if c.t.latency > 0 {
		timer := time.NewTimer(c.t.latency)
		select {
		case <-timer.C:
		case <-c.closed:
			timer.Stop()
			return workloads.ErrClosed
		}
	}
	if p := c.t.paused.Load(); p != nil {
		select {
		case <-*p:
		case <-c.closed:
			return workloads.ErrClosed
		}
	}
	select {
	case <-c.closed:
		return workloads.ErrClosed
	default:
		return nil
	}
}

// apply runs fn under the tree's lock after enter, then fires the data
// watches of the paths fn changed.
func (c *conn) apply(fn func(tx *txn) error) error {
	if err := c.enter(); err != nil {
		return err
	}
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	tx := &txn{t: t, session: c}
	if err := fn(tx); err != nil {
		tx.rollback()
		return err
	}
	t.fire(tx.changed, nil)
	return nil
}

func (c *conn) Create(path string, data []byte, mode workloads.CreateMode) (name string, err error) {
	err = c.apply(func(tx *txn) error {
		name, err = tx.create(path, data, mode)
		return err
	})
	return name, err
}

func (c *conn) Delete(path string, version int32) error {
	return c.apply(func(tx *txn) error { return tx.delete(path, version) })
}

func (c *conn) SetData(path string, data []byte, version int32) error {
	return c.apply(func(tx *txn) error { return tx.setData(path, data, version) })
}

// SetDataVersion is SetData with the version it gave the node.
func (c *conn) SetDataVersion(path string, data []byte, version int32) (v int32, err error) {
	err = c.apply(func(tx *txn) error {
		v, err = tx.setDataVersion(path, data, version)
		return err
	})
	return v, err
}

func (c *conn) GetData(path string) (data []byte, err error) {
	err = c.apply(func(tx *txn) error {
		data, err = tx.getData(path)
		return err
	})
	return data, err
}

// GetDataW leaves the watch only when the node exists, as ZooKeeper does
// for getData.
func (c *conn) GetDataW(path string) (data []byte, fired <-chan error, err error) {
	err = c.apply(func(tx *txn) error {
		if data, err = tx.getData(path); err != nil {
			return err
		}
		w := &watch{ch: make(chan error, 1), path: path, owner: c}
		tx.t.watches[path] = append(tx.t.watches[path], w)
		c.watches[w] = struct{}{}
		fired = w.ch
		return nil
	})
	return data, fired, err
}

func (c *conn) Exists(path string) (ok bool, err error) {
	err = c.apply(func(tx *txn) error {
		_, ok = tx.t.nodes[path]
		return nil
	})
	return ok, err
}

// GetChildren returns the names sorted: ZooKeeper promises no order, a
// deterministic fake should pick one.
func (c *conn) GetChildren(path string) (names []string, err error) {
	err = c.apply(func(tx *txn) error {
		n, ok := tx.t.nodes[path]
		if !ok {
			return workloads.ErrNoNode
		}
		names = make([]string, 0, len(n.children))
		for name := range n.children {
			names = append(names, name)
		}
		slices.Sort(names)
		return nil
	})
	return names, err
}

func (c *conn) Multi(ops ...workloads.MultiOp) error {
	return c.apply(func(tx *txn) error {
		for i, op := range ops {
			if err := tx.multiOp(op); err != nil {
				return fmt.Errorf("multi op %d (%s): %w", i, op.Path, err)
			}
		}
		return nil
	})
}

// Close ends the session: its ephemerals are deleted (firing their
// watches), its own pending watches get ErrClosed, and calls waiting in
// enter return.
func (c *conn) Close() error {
	c.once.Do(func() {
		t := c.t
		t.mu.Lock()
		tx := &txn{t: t, session: c}
		for _, p := range slices.Sorted(maps.Keys(c.ephemerals)) {
			_ = tx.delete(p, workloads.AnyVersion) // an ephemeral has no children
		}
		t.fire(tx.changed, nil)
		for w := range c.watches {
			t.unwatch(w)
			w.ch <- workloads.ErrClosed
		}
		t.mu.Unlock()
		close(c.closed)
	})
	return nil
}

// fire sends err to every data watch on paths and drops them.
func (t *Target) fire(paths []string, err error) {
	for _, p := range paths {
		for _, w := range t.watches[p] {
			delete(w.owner.watches, w)
			w.ch <- err
		}
		delete(t.watches, p)
	}
}

// unwatch removes w from its path's list.
func (t *Target) unwatch(w *watch) {
	ws := slices.DeleteFunc(t.watches[w.path], func(x *watch) bool { return x == w })
	if len(ws) == 0 {
		delete(t.watches, w.path)
	} else {
		t.watches[w.path] = ws
	}
}

// parentOf splits a valid path into its parent and name.
func parentOf(path string) (parent, name string) {
	i := strings.LastIndexByte(path, '/')
	if i == 0 {
		return "/", path[1:]
	}
	return path[:i], path[i+1:]
}
