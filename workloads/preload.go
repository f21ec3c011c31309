package workloads

import (
	"context"
	"errors"
	"fmt"
)

// PreloadMethod is how the driver creates the preloaded tree when the
// target did not start with it.
type PreloadMethod int

const (
	// PreloadCreate sends one create per znode, each session waiting for
	// the reply before its next: a quorum round per znode and session,
	// as a workload's own creates go.
	PreloadCreate PreloadMethod = iota
	// PreloadMulti sends each level of the tree in multi batches, one
	// batch per session at a time: a quorum round per batch of up to
	// multiMaxOps znodes.
	PreloadMulti
)

// PreloadBy makes the driver create the preloaded tree with m;
// PreloadCreate unless told. Call before Run.
func (d *Driver) PreloadBy(m PreloadMethod) { d.preloadBy = m }

// The limits of one multi batch.
const (
	// multiBudget bounds a batch's request: a quarter of ZooKeeper's
	// jute.maxbuffer (0xfffff), which a server enforces on each request,
	// and which the proposal carrying the multi's txn to the followers
	// must meet too with its headers and digest on top. Into a 3-server
	// ensemble on loopback, 1 KiB znodes went in as fast with batches of
	// 128 KiB as of 512 KiB, and slower at 900 KiB.
	multiBudget = 256 << 10
	// multiMaxOps bounds a batch of small znodes: a batch that meets
	// nodes of an earlier run is checked node by node.
	multiMaxOps = 1000
	// multiOpBytes is a create's share of a multi request besides its
	// path and data: the op's header (9 bytes), the lengths of path and
	// data (8), the open ACL (27) and the flags (4).
	multiOpBytes = 48
	// multiDeleteBytes is a delete's share besides its path: the op's
	// header (9 bytes), the path's length (4) and the version (4).
	multiDeleteBytes = 17
	// multiFraming is a multi request's bytes besides its ops: the
	// request header (8) and the header that ends the ops (9).
	multiFraming = 17
)

// createLevel creates paths, none the parent of another, over all
// sessions at once, node i with data(i), as d's method says.
func (d *Driver) createLevel(ctx context.Context, s *sessions, paths []string, data func(int) []byte) error {
	if d.preloadBy != PreloadMulti {
		return each(ctx, len(s.conns), len(paths), func(_ context.Context, slot, i int) error {
			defer d.preloadDone.Add(1)
			return ensure(s.conns[slot], paths[i], data(i))
		})
	}
	runs := batches(len(paths), func(i int) int { return multiOpBytes + len(paths[i]) + len(data(i)) })
	return each(ctx, len(s.conns), len(runs), func(_ context.Context, slot, k int) error {
		from, to := runs[k][0], runs[k][1]
		ops := make([]MultiOp, 0, to-from)
		for i := from; i < to; i++ {
			ops = append(ops, MultiOp{Kind: MultiCreate, Path: paths[i], Data: data(i), Mode: Persistent})
		}
		defer d.preloadDone.Add(int64(to - from))
		return ensureAll(s.conns[slot], ops)
	})
}

// batches cuts n nodes, node i's create taking size(i) bytes of a multi
// request, into runs [from, to) of at most multiMaxOps nodes whose
// request stays within multiBudget. A node too big to share a batch
// gets a run of its own.
func batches(n int, size func(i int) int) [][2]int {
	var runs [][2]int
	from, bytes := 0, multiFraming
	for i := range n {
		s := size(i)
		if i > from && (i-from == multiMaxOps || bytes+s > multiBudget) {
			runs = append(runs, [2]int{from, i})
			from, bytes = i, multiFraming
		}
		bytes += s
	}
	if n > from {
		runs = append(runs, [2]int{from, n})
	}
	return runs
}

// ensureAll creates the nodes of ops, creates all, in one multi where
// there are several. Nodes of an earlier run are reused as they are, as
// ensure reuses them: when the multi fails on one, the nodes that exist
// are left out and the rest tried again in one multi, then (should
// someone else be creating them meanwhile) one by one.
func ensureAll(c Conn, ops []MultiOp) error {
	if len(ops) == 1 {
		return ensure(c, ops[0].Path, ops[0].Data)
	}
	err := c.Multi(ops...)
	if !errors.Is(err, ErrNodeExists) {
		return multiErr(ops, err)
	}
	missing, err := absent(c, ops)
	if err != nil || len(missing) == 0 {
		return err
	}
	if err := c.Multi(missing...); !errors.Is(err, ErrNodeExists) {
		return multiErr(missing, err)
	}
	for _, op := range missing {
		if err := ensure(c, op.Path, op.Data); err != nil {
			return err
		}
	}
	return nil
}

// absent is the ops whose nodes do not exist.
func absent(c Conn, ops []MultiOp) ([]MultiOp, error) {
	var missing []MultiOp
	for _, op := range ops {
		ok, err := c.Exists(op.Path)
		if err != nil {
			return nil, fmt.Errorf("exists %s: %w", op.Path, err)
		}
		if !ok {
			missing = append(missing, op)
		}
	}
	return missing, nil
}

func multiErr(ops []MultiOp, err error) error {
	return wrapMulti("creates", len(ops), ops[0].Path, ops[len(ops)-1].Path, err)
}

// wrapMulti names a failed multi of n ops of a kind by its first and last
// path; nil stays nil.
func wrapMulti(kind string, n int, first, last string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("multi of %d %s, %s to %s: %w", n, kind, first, last, err)
}
