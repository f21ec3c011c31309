package workloads

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Ephemeral znodes owned by sessions of their own: the shape of a
// service-discovery tree, where every instance registers its endpoints
// under its session, and the end of that session (closed, or expired when
// the instance dies) deletes all of them in one closeSession txn — one
// write as large as the session's share of the tree, which every member
// logs and applies while the workload goes on.
//
// The layout is root/ephemerals/sNNNN/eNNNNNNN: one persistent folder per
// owner session, holding that session's ephemerals. Owner k of S holds the
// ephemerals [k·N/S, (k+1)·N/S); ephemeral j's value is the preload's value
// for index Keys+j, so its size follows the workload's value sizes.

// ephemeralTree is where the ephemerals go and who owns which.
type ephemeralTree struct {
	dir    string
	owners [][]string // owner session k's ephemerals
	first  []int      // the index of owner k's first ephemeral
	keys   int        // the spec's key count: ephemeral j's value is forKey(keys+j)
}

func newEphemeralTree(s *Spec) *ephemeralTree {
	t := &ephemeralTree{dir: s.Root + "/ephemerals", keys: s.Keys}
	n, owners := s.Ephemerals, min(s.EphemeralSessions, max(s.Ephemerals, 1))
	for k := range owners {
		from, to := k*n/owners, (k+1)*n/owners
		paths := make([]string, 0, to-from)
		for j := from; j < to; j++ {
			paths = append(paths, fmt.Sprintf("%s/s%04d/e%07d", t.dir, k, j))
		}
		t.owners = append(t.owners, paths)
		t.first = append(t.first, from)
	}
	return t
}

func (t *ephemeralTree) ownerDir(k int) string { return fmt.Sprintf("%s/s%04d", t.dir, k) }

// EphemeralStats is what the ephemerals of a run were and did.
type EphemeralStats struct {
	Znodes, Sessions int
	// Register is how long the owner sessions took to create them before
	// warm-up, all sessions at once.
	Register time.Duration
	// Churn is every owner session ended and registered again in the
	// measured phase, in order.
	Churn []ChurnEvent
}

// ChurnEvent is one owner session's end and its re-registration.
type ChurnEvent struct {
	At     time.Duration // into the measured phase, when the session was told to close
	Znodes int           // the ephemerals its end deleted
	// Close is how long ending the session took: the closeSession txn
	// that deletes its ephemerals, to its reply. Register is how long a
	// new session took to connect and create them again.
	Close, Register time.Duration
	Err             error // what failed, if anything; the churn stops at the first failure
}

// owners is the sessions that hold this driver's ephemerals: of the
// owners ks (all of them unless drivers share the workload), conns[i]
// holds owner ks[i]'s.
type owners struct {
	tree  *ephemeralTree
	ks    []int
	mu    sync.Mutex // guards conns: churn replaces them while close may run
	conns []Conn
}

// register opens one session per owner of the driver's share and creates
// each owner's ephemerals under it, in multi batches, all owners at once.
// Leftovers of a run that did not clean up are deleted first: the whole
// ephemerals folder, or with a share only its owners' folders.
func (d *Driver) register(ctx context.Context, s *sessions, v *values) (*owners, EphemeralStats, error) {
	t := newEphemeralTree(&d.spec)
	lo, hi := d.share.Split(int64(len(t.owners)))
	o := &owners{tree: t}
	var st EphemeralStats
	for k := int(lo); k < int(hi); k++ {
		o.ks = append(o.ks, k)
		st.Znodes += len(t.owners[k])
	}
	st.Sessions = len(o.ks)
	o.conns = make([]Conn, len(o.ks))
	start := time.Now()
	dirs := make([]string, len(o.ks))
	for i, k := range o.ks {
		dirs[i] = t.ownerDir(k)
	}
	old := []string{t.dir}
	if d.shared() {
		old = dirs
	}
	for _, dir := range old {
		if err := deleteTree(ctx, s, dir); err != nil {
			return nil, st, err
		}
	}
	if err := ensure(s.conns[0], t.dir, nil); err != nil {
		return nil, st, err
	}
	if err := s.eachPath(ctx, dirs, func(c Conn, _ int, p string) error { return ensure(c, p, nil) }); err != nil {
		return nil, st, err
	}
	err := each(ctx, connectParallelism, len(o.ks), func(ctx context.Context, _, i int) error {
		c, err := o.registerOwner(ctx, d.target, v, o.ks[i])
		o.conns[i] = c
		return err
	})
	st.Register = time.Since(start)
	if err != nil {
		o.close()
		return nil, st, err
	}
	return o, st, nil
}

// registerOwner opens a session for owner k and creates its ephemerals.
// On error it returns the session, if it opened one, to be closed.
func (o *owners) registerOwner(ctx context.Context, tg Target, v *values, k int) (Conn, error) {
	c, err := tg.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("ephemeral owner session %d: %w", k, err)
	}
	paths, first := o.tree.owners[k], o.tree.first[k]
	for _, run := range batches(len(paths), func(i int) int { return multiOpBytes + len(paths[i]) + len(v.forKey(o.tree.keys+first+i)) }) {
		ops := make([]MultiOp, 0, run[1]-run[0])
		for i := run[0]; i < run[1]; i++ {
			ops = append(ops, MultiOp{Kind: MultiCreate, Path: paths[i], Data: v.forKey(o.tree.keys + first + i), Mode: Ephemeral})
		}
		if err := c.Multi(ops...); err != nil {
			return c, wrapMulti("ephemeral creates", len(ops), ops[0].Path, ops[len(ops)-1].Path, err)
		}
	}
	return c, nil
}

// churn ends one owner session every period of the measured phase, in
// turn, and registers its ephemerals again under a new one, until the
// phase ends or done closes. It returns what each churn took.
func (d *Driver) churn(ctx context.Context, o *owners, v *values, done <-chan struct{}) []ChurnEvent {
	p, period := &d.plan, d.spec.EphemeralChurn
	var events []ChurnEvent
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for n := 1; ; n++ {
		due := p.start + time.Duration(n)*period
		if p.past(due) {
			return events
		}
		timer.Reset(due - p.clock())
		select {
		case <-timer.C:
		case <-done:
			return events
		}
		e := o.restart(ctx, (n-1)%len(o.conns), d.target, v)
		e.At = due - p.start
		events = append(events, e)
		if e.Err != nil {
			return events
		}
	}
}

// restart closes the session of this driver's i-th owner and registers
// its ephemerals again.
func (o *owners) restart(ctx context.Context, i int, tg Target, v *values) ChurnEvent {
	k := o.ks[i]
	e := ChurnEvent{Znodes: len(o.tree.owners[k])}
	o.mu.Lock()
	old := o.conns[i]
	o.conns[i] = nil
	o.mu.Unlock()
	start := time.Now()
	if err := old.Close(); err != nil {
		e.Err = fmt.Errorf("close ephemeral owner session %d: %w", k, err)
		return e
	}
	e.Close = time.Since(start)
	start = time.Now()
	c, err := o.registerOwner(ctx, tg, v, k)
	e.Register, e.Err = time.Since(start), err
	o.mu.Lock()
	o.conns[i] = c
	o.mu.Unlock()
	return e
}

// close ends every owner session: their ephemerals go with them.
func (o *owners) close() {
	o.mu.Lock()
	conns := o.conns
	o.conns = make([]Conn, len(conns))
	o.mu.Unlock()
	(&sessions{conns: conns}).close()
}
