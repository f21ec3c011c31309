package txnlog

import (
	"cmp"
	"sync"
)

// DefaultMaxBatchSize is the default of ZooKeeper's zookeeper.maxBatchSize:
// SyncRequestProcessor commits once 1000 requests wait for a sync.
const DefaultMaxBatchSize = 1000

// CommitterOptions configure a Committer.
type CommitterOptions struct {
	// MaxBatchSize is the number of appended txns that forces a commit even
	// though more are queued. 0 means DefaultMaxBatchSize.
	MaxBatchSize int
	// AfterAppend, when set, runs on the committer goroutine after each
	// successful append, with the record's size on disk; returning true
	// rolls the log right there (the pending batch is committed first).
	// This is where ZooKeeper's SyncRequestProcessor decides to snapshot.
	AfterAppend func(size int64) (roll bool)
}

// Committer is ZooKeeper's SyncRequestProcessor: callers submit encoded
// txns (log entries, see Writer.Append) from any goroutine; one goroutine
// appends them in submission order and commits (one sync) whenever the
// queue is momentarily empty or MaxBatchSize txns are pending, then
// reports each txn's outcome in order. Under load many txns share one
// sync; alone, a txn is synced at once.
//
// The queue is unbounded: throttling belongs upstream, as in ZooKeeper.
type Committer struct {
	w        *Writer
	maxBatch int
	after    func(int64) bool

	mu     sync.Mutex
	queue  []pending
	closed bool

	wake   chan struct{} // holds a token once the queue became non-empty
	exited chan struct{}
	err    error // from closing the Writer; read after exited
	// groupErr is the first failure in the group being finished (the
	// committer goroutine's): a group may span two commits.
	groupErr error

	chans sync.Pool // of chan error, for SubmitWait
}

type pending struct {
	entry []byte
	done  func(error)
	ch    chan error
	err   error // from Append
	more  bool  // not the last of its group: the last one reports for it
}

// NewCommitter starts the commit goroutine. The Committer owns w from now
// on: nobody else may use it, and Close closes it.
func NewCommitter(w *Writer, opts CommitterOptions) *Committer {
	c := &Committer{
		w:        w,
		maxBatch: opts.MaxBatchSize,
		after:    opts.AfterAppend,
		wake:     make(chan struct{}, 1),
		exited:   make(chan struct{}),
	}
	if c.maxBatch <= 0 {
		c.maxBatch = DefaultMaxBatchSize
	}
	go c.run()
	return c
}

// Submit queues an encoded txn. done is called exactly once, on the
// committer goroutine, with nil once the entry is durable or with the
// reason it is not; calls happen in submission order. done must be quick
// and must not wait for another submission (it would deadlock the
// committer). entry must not be modified until done is called. done may
// be nil. After Close, Submit returns ErrClosed and done is not called.
func (c *Committer) Submit(entry []byte, done func(error)) error {
	return c.submit([][]byte{entry}, done, nil)
}

// SubmitGroup queues encoded txns that are ready at the same moment (a
// member's appends of one Ready) in one step, so that the committer takes
// them together: the first does not go out alone in a sync while the
// others are still being queued. done is called once, after the last of
// them, with nil once all are durable or with the first reason one of
// them is not; otherwise it is as Submit's. The entries' bytes must not be
// modified until done is called; the slice holding them may be reused at
// once. An empty group is not submitted and done is not called.
func (c *Committer) SubmitGroup(entries [][]byte, done func(error)) error {
	if len(entries) == 0 {
		return nil
	}
	return c.submit(entries, done, nil)
}

// SubmitWait queues an encoded txn and waits until it is durable. It must
// not be called from a done callback.
func (c *Committer) SubmitWait(entry []byte) error {
	ch, _ := c.chans.Get().(chan error)
	if ch == nil {
		ch = make(chan error, 1)
	}
	if err := c.submit([][]byte{entry}, nil, ch); err != nil {
		c.chans.Put(ch)
		return err
	}
	err := <-ch
	c.chans.Put(ch)
	return err
}

func (c *Committer) submit(entries [][]byte, done func(error), ch chan error) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	last := len(entries) - 1
	for _, e := range entries[:last] {
		c.queue = append(c.queue, pending{entry: e, more: true})
	}
	c.queue = append(c.queue, pending{entry: entries[last], done: done, ch: ch})
	first := len(c.queue) == len(entries)
	c.mu.Unlock()
	if first {
		select {
		case c.wake <- struct{}{}:
		default: // a token is already pending
		}
	}
	return nil
}

// Stats returns the Writer's totals.
func (c *Committer) Stats() Stats { return c.w.Stats() }

// Close commits everything submitted before it, stops the goroutine and
// closes the Writer, returning the error of that close. It is idempotent.
func (c *Committer) Close() error {
	c.mu.Lock()
	closed := c.closed
	c.closed = true
	c.mu.Unlock()
	if !closed {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	<-c.exited
	return c.err
}

func (c *Committer) run() {
	defer close(c.exited)
	var (
		spare []pending // the queue buffer not in use by submitters
		batch []pending // appended, waiting for the commit
	)
	for {
		c.mu.Lock()
		q := c.queue
		c.queue = spare[:0]
		closed := c.closed
		c.mu.Unlock()

		if len(q) == 0 {
			spare = q
			switch {
			case len(batch) > 0:
				// The queue is momentarily empty: commit what we have.
				batch = c.finish(batch, c.w.Commit())
			case closed:
				c.err = c.w.Close()
				return
			default:
				<-c.wake
			}
			continue
		}
		for i := range q {
			p := q[i]
			p.err = c.w.Append(p.entry)
			batch = append(batch, p)
			if p.err == nil && c.after != nil && c.after(c.w.lastSize) {
				batch = c.finish(batch, c.w.Roll())
			} else if len(batch) >= c.maxBatch {
				batch = c.finish(batch, c.w.Commit())
			}
		}
		clear(q) // drop references to txns and callbacks
		spare = q[:0]
	}
}

// finish reports the outcome of a commit to every txn of the batch, in
// order (to a group's last, the first failure in the group), and returns
// the emptied batch.
func (c *Committer) finish(batch []pending, commitErr error) []pending {
	for i := range batch {
		p := &batch[i]
		if c.groupErr == nil {
			c.groupErr = cmp.Or(p.err, commitErr)
		}
		if p.more {
			continue
		}
		err := c.groupErr
		c.groupErr = nil
		switch {
		case p.done != nil:
			p.done(err)
		case p.ch != nil:
			p.ch <- err
		}
	}
	clear(batch)
	return batch[:0]
}
