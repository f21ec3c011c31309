package workloads

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"
)

// connectParallelism bounds the sessions being opened at once: a real
// ensemble throttles a burst of connection requests
// (zookeeper.connection_throttle_*), and a thousand simultaneous
// handshakes measure nothing useful.
const connectParallelism = 32

// sessions are a run's Conns, one per client.
type sessions struct {
	conns []Conn
	once  sync.Once
}

// connect opens n sessions. On error it closes the ones it opened.
func connect(ctx context.Context, t Target, n int) (*sessions, error) {
	s := &sessions{conns: make([]Conn, n)}
	err := each(ctx, connectParallelism, n, func(ctx context.Context, _, i int) error {
		c, err := t.Connect(ctx)
		if err != nil {
			return fmt.Errorf("session %d of %d: %w", i+1, n, err)
		}
		s.conns[i] = c
		return nil
	})
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// close closes every session once. Calls in flight return (Conn's
// contract), so close also cuts off a stuck run.
func (s *sessions) close() {
	s.once.Do(func() {
		var wg sync.WaitGroup
		for _, c := range s.conns {
			if c != nil {
				wg.Go(func() { c.Close() })
			}
		}
		wg.Wait()
	})
}

// each calls fn(ctx, slot, i) for i in [0, n) from `slots` goroutines at
// once, slot being the goroutine's number. It stops at the first error or
// when ctx ends, and returns that error; the ctx fn gets ends then too,
// so that the calls in flight can give up.
func each(ctx context.Context, slots, n int, fn func(ctx context.Context, slot, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for slot := range min(slots, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, slot, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// eachPath runs fn on every path over all sessions at once, one path per
// session at a time.
func (s *sessions) eachPath(ctx context.Context, paths []string, fn func(c Conn, slot int, path string) error) error {
	return each(ctx, len(s.conns), len(paths), func(_ context.Context, slot, i int) error {
		return fn(s.conns[slot], slot, paths[i])
	})
}

// ensure creates path with data unless it exists: a preload may find the
// nodes of an earlier run that did not clean up, and they serve as well.
func ensure(c Conn, path string, data []byte) error {
	_, err := c.Create(path, data, Persistent)
	if err != nil && !errors.Is(err, ErrNodeExists) {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return nil
}

// prepare builds the tree the workload runs on: unless the target
// started with it (Preloaded), the root and its ancestors and, with
// preload, the keys' folders and the keys themselves, each with a value;
// then an empty folder per client (leftovers of an interrupted run are
// removed first, so that names do not collide). It returns what the
// preload created, found in place, or was told is there.
func (d *Driver) prepare(ctx context.Context, s *sessions, l *layout, v *values) (PreloadStats, error) {
	spec := &d.spec
	start := time.Now()
	var st PreloadStats
	if spec.Preload {
		st = preloadStats(l, v)
	}
	if !d.preloaded {
		if spec.Preload {
			// A driver creates its part of the keys and every folder.
			d.preloadTotal.Store(int64(st.Znodes - len(l.keys) + d.part.keyHi - d.part.keyLo))
		}
		if err := d.createTree(ctx, s, l, v, spec.Preload); err != nil {
			return st, err
		}
		if spec.Preload {
			st.Duration = time.Since(start)
		}
	}
	return st, d.clientFolders(ctx, s, l)
}

// createTree creates what folders lists level by level, each level over
// all sessions at once, then with keys the driver's part of the keys and
// their values.
func (d *Driver) createTree(ctx context.Context, s *sessions, l *layout, v *values, keys bool) error {
	for _, level := range l.folders(keys) {
		if err := d.createLevel(ctx, s, level, noData); err != nil {
			return err
		}
	}
	if !keys {
		return nil
	}
	lo, hi := d.part.keyLo, d.part.keyHi
	return d.createLevel(ctx, s, l.keys[lo:hi], func(i int) []byte { return v.forKey(lo + i) })
}

func noData(int) []byte { return nil }

// clientFolders gives every client of the driver an empty folder of its
// own. A driver alone empties the clients' folder first (an interrupted
// run's leftovers); one of several empties only its clients' folders,
// the others' being in use.
func (d *Driver) clientFolders(ctx context.Context, s *sessions, l *layout) error {
	dirs := d.clientDirs(l)
	if !d.shared() {
		if err := deleteTree(ctx, s, l.clientsDir); err != nil {
			return err
		}
	}
	for _, dir := range dirs {
		if d.shared() {
			if err := deleteTree(ctx, s, dir); err != nil {
				return err
			}
		}
	}
	if err := ensure(s.conns[0], l.clientsDir, nil); err != nil {
		return err
	}
	return s.eachPath(ctx, dirs, func(c Conn, _ int, p string) error { return ensure(c, p, nil) })
}

func (d *Driver) clientDirs(l *layout) []string {
	dirs := make([]string, d.spec.Clients)
	for i := range dirs {
		dirs[i] = l.clientDir(d.part.clientLo + i)
	}
	return dirs
}

// cleanup deletes what the run created: the whole tree under the root,
// or for one driver of several its clients' folders only, since the
// others may still be using the tree (its keys stay, for the next run to
// reuse as a preload does).
func (d *Driver) cleanup(ctx context.Context, s *sessions, l *layout) error {
	if !d.shared() {
		return deleteTree(ctx, s, d.spec.Root)
	}
	for _, dir := range d.clientDirs(l) {
		if err := deleteTree(ctx, s, dir); err != nil {
			return err
		}
	}
	return nil
}

// PreloadStats is what a preload put in place before the clock started.
type PreloadStats struct {
	Znodes int   // the folders and keys of the preloaded tree
	Bytes  int64 // the keys' values
	// Duration is how long creating them took; 0 when the target started
	// with the tree (Driver.Preloaded).
	Duration time.Duration
}

func preloadStats(l *layout, v *values) PreloadStats {
	st := PreloadStats{Znodes: len(l.keys)}
	for _, level := range l.folders(true) {
		st.Znodes += len(level)
	}
	for i := range l.keys {
		st.Bytes += int64(len(v.forKey(i)))
	}
	return st
}

// PreloadNodes yields every znode the preload of s creates, parents
// first, in the order one session creates them: the root's ancestors,
// the root, root/keys, the key folders level by level, then the keys
// with their values (a folder's data is nil). The values share one
// buffer: callers must not modify them. A target whose starting tree is
// built from this list serves what the create path would have made.
func PreloadNodes(s Spec) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		l := newLayout(s.Root, s.Keys, s.Depth)
		v := newValues(s.Values, s.Seed)
		for _, level := range l.folders(true) {
			for _, p := range level {
				if !yield(p, nil) {
					return
				}
			}
		}
		for i, p := range l.keys {
			if !yield(p, v.forKey(i)) {
				return
			}
		}
	}
}

// deleteTree deletes path and everything under it, over all sessions at
// once. A path that does not exist is not an error.
func deleteTree(ctx context.Context, s *sessions, path string) error {
	levels := [][]string{{path}}
	for {
		parents := levels[len(levels)-1]
		children := make([][]string, len(parents))
		err := each(ctx, len(s.conns), len(parents), func(_ context.Context, slot, i int) error {
			names, err := s.conns[slot].GetChildren(parents[i])
			if err != nil && !errors.Is(err, ErrNoNode) {
				return fmt.Errorf("list %s: %w", parents[i], err)
			}
			for _, name := range names {
				children[i] = append(children[i], parents[i]+"/"+name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		next := flatten(children)
		if len(next) == 0 {
			break
		}
		levels = append(levels, next)
	}
	for i := len(levels) - 1; i >= 0; i-- {
		if err := deleteLevel(ctx, s, levels[i]); err != nil {
			return err
		}
	}
	return nil
}

// deleteLevel deletes paths, none the parent of another, over all
// sessions at once in multi batches cut as a preload's are: a quorum round
// per batch rather than per znode. A batch that meets a node gone already
// (someone else cleaning up) is deleted again node by node.
func deleteLevel(ctx context.Context, s *sessions, paths []string) error {
	runs := batches(len(paths), func(i int) int { return multiDeleteBytes + len(paths[i]) })
	return each(ctx, len(s.conns), len(runs), func(_ context.Context, slot, k int) error {
		c, batch := s.conns[slot], paths[runs[k][0]:runs[k][1]]
		if len(batch) > 1 {
			ops := make([]MultiOp, len(batch))
			for i, p := range batch {
				ops[i] = MultiOp{Kind: MultiDelete, Path: p, Version: AnyVersion}
			}
			err := c.Multi(ops...)
			if !errors.Is(err, ErrNoNode) {
				return wrapMulti("deletes", len(batch), batch[0], batch[len(batch)-1], err)
			}
		}
		for _, p := range batch {
			if err := c.Delete(p, AnyVersion); err != nil && !errors.Is(err, ErrNoNode) {
				return fmt.Errorf("delete %s: %w", p, err)
			}
		}
		return nil
	})
}

func flatten(lists [][]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// ancestors lists the folders above path, top first: /a/b/c gives /a,
// /a/b.
func ancestors(path string) []string {
	var out []string
	for i := 1; i < len(path); i++ {
		if path[i] == '/' {
			out = append(out, path[:i])
		}
	}
	return out
}
