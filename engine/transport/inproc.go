package transport

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// InProcOptions configures an in-process network.
type InProcOptions struct {
	// Latency is the one-way delay of a frame from one member to another,
	// e.g. a fixed cross-zone delay per pair; nil means none. It is called
	// once per frame, concurrently for different links. A link never
	// delivers a frame before an earlier one, whatever the delays say.
	Latency func(from, to uint64) time.Duration
	// Jitter adds a uniform extra delay in [0, Jitter) to every frame. Each
	// link draws from its own generator seeded from Seed and the link, so
	// a link's delays repeat from run to run however the links interleave.
	Jitter time.Duration
	Seed   uint64
	// QueueLen bounds the frames on one link that are sent but not yet in
	// the receiver's Recv channel (in flight included); default
	// DefaultQueueLen.
	QueueLen int
	// RecvBuffer is the capacity of each endpoint's Recv channel; default
	// DefaultRecvBuffer.
	RecvBuffer int
}

// InProc is a network inside one process. Every pair of members has one
// connection, as ZooKeeper keeps one socket per pair of quorum peers: it
// comes up on the first frame sent, and a partition, an isolation, a full
// queue or a Close breaks it in both directions at once.
//
// With no latency a frame costs one channel send when the receiver keeps
// up: Send hands it straight to the receiver's Recv channel. Only when the
// receiver is behind, or a delay is set, does it wait in the receiver's
// inbox for the endpoint's pump goroutine.
type InProc struct {
	latency    func(from, to uint64) time.Duration
	jitter     time.Duration
	seed       uint64
	timed      bool // frames carry delivery times
	queueLen   int
	recvBuffer int
	epoch      time.Time

	// mu is held shared by Send and exclusively by everything that changes
	// who can reach whom, so a fault is atomic with respect to every Send.
	mu       sync.RWMutex
	closed   bool
	eps      map[uint64]*inProcEndpoint
	pairs    map[pairKey]*pair
	cut      map[pairKey]bool
	isolated map[uint64]bool
}

var _ Network = (*InProc)(nil)

// NewInProc returns an empty in-process network.
func NewInProc(opts InProcOptions) *InProc {
	return &InProc{
		latency:    opts.Latency,
		jitter:     opts.Jitter,
		seed:       opts.Seed,
		timed:      opts.Latency != nil || opts.Jitter > 0,
		queueLen:   orDefault(opts.QueueLen, DefaultQueueLen),
		recvBuffer: orDefault(opts.RecvBuffer, DefaultRecvBuffer),
		epoch:      time.Now(),
		eps:        make(map[uint64]*inProcEndpoint),
		pairs:      make(map[pairKey]*pair),
		cut:        make(map[pairKey]bool),
		isolated:   make(map[uint64]bool),
	}
}

// pairKey names an unordered pair, lo <= hi.
type pairKey struct{ lo, hi uint64 }

func keyOf(a, b uint64) pairKey {
	if a > b {
		a, b = b, a
	}
	return pairKey{a, b}
}

type pairState uint8

const (
	pairIdle pairState = iota // never connected
	pairUp                    // connected: frames flow
	pairDown                  // broken and reported; the next deliverable Send reconnects
)

// pair is the connection between two members (or a member and itself).
type pair struct {
	mu    sync.Mutex // held by Send; taken after InProc.mu, before any inbox
	state pairState
	dir   [2]dirLink // [0] lo→hi, [1] hi→lo; a self pair uses [0] only
}

func (p *pair) link(from uint64, k pairKey) *dirLink {
	if from == k.lo {
		return &p.dir[0]
	}
	return &p.dir[1]
}

// dirLink is one direction of a pair.
type dirLink struct {
	from, to uint64
	count    int        // frames in the receiver's inbox; guarded by that inbox's mu
	lastAt   int64      // delivery time of the latest frame; guarded by pair.mu
	rng      *rand.Rand // jitter; guarded by pair.mu
	stats    counters
}

func (n *InProc) newPair(k pairKey) *pair {
	p := &pair{}
	p.dir[0].from, p.dir[0].to = k.lo, k.hi
	p.dir[1].from, p.dir[1].to = k.hi, k.lo
	for i := range p.dir {
		d := &p.dir[i]
		d.rng = rand.New(rand.NewPCG(n.seed, d.from*0x9e3779b97f4a7c15^d.to))
	}
	return p
}

// now is the network clock in nanoseconds, never 0 (0 means "no delay").
func (n *InProc) now() int64 { return int64(time.Since(n.epoch)) + 1 }

// deliverAt picks when a frame sent now on d arrives.
func (n *InProc) deliverAt(d *dirLink, now int64) int64 {
	var delay time.Duration
	if n.latency != nil {
		delay = max(n.latency(d.from, d.to), 0)
	}
	if n.jitter > 0 {
		delay += time.Duration(d.rng.Int64N(int64(n.jitter)))
	}
	at := max(now+int64(delay), d.lastAt)
	d.lastAt = at
	return at
}

// Endpoint attaches member id.
func (n *InProc) Endpoint(id uint64) (Endpoint, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, ErrClosed
	}
	if _, ok := n.eps[id]; ok {
		return nil, fmt.Errorf("endpoint %d: %w", id, ErrInUse)
	}
	e := &inProcEndpoint{
		net:      n,
		id:       id,
		recv:     make(chan Envelope, n.recvBuffer),
		notify:   make(chan struct{}, 1),
		done:     make(chan struct{}),
		pumpDone: make(chan struct{}),
	}
	n.eps[id] = e
	go e.pump()
	return e, nil
}

// Close closes every endpoint; Endpoint fails afterwards.
func (n *InProc) Close() error {
	n.mu.Lock()
	n.closed = true
	eps := make([]*inProcEndpoint, 0, len(n.eps))
	for _, e := range n.eps {
		eps = append(eps, e)
	}
	n.mu.Unlock()
	for _, e := range eps {
		e.Close()
	}
	return nil
}

// Partition cuts a from b in both directions: frames in flight between
// them are lost, both see Down if they were connected, and frames sent
// while cut are dropped (reported once, as Down, if the pair was not down
// already).
func (n *InProc) Partition(a, b uint64) {
	if a == b {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	k := keyOf(a, b)
	n.cut[k] = true
	n.breakIfUp(k)
}

// Heal undoes Partition(a, b). Nothing is sent: the next frame either way
// opens a new connection. A member that is isolated stays isolated.
func (n *InProc) Heal(a, b uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.cut, keyOf(a, b))
}

// Isolate partitions id from every other member, present and future.
func (n *InProc) Isolate(id uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.isolated[id] = true
	for k := range n.pairs {
		if k.lo != k.hi && (k.lo == id || k.hi == id) {
			n.breakIfUp(k)
		}
	}
}

// Rejoin undoes Isolate(id); pairs cut with Partition stay cut.
func (n *InProc) Rejoin(id uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.isolated, id)
}

// HealAll removes every partition and isolation.
func (n *InProc) HealAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.cut)
	clear(n.isolated)
}

// Stats returns the counters of every link that has been used.
func (n *InProc) Stats() map[Link]LinkStats {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make(map[Link]LinkStats)
	for k, p := range n.pairs {
		for i := range p.dir {
			if i == 1 && k.lo == k.hi {
				break
			}
			d := &p.dir[i]
			if s := d.stats.snapshot(); s != (LinkStats{}) {
				out[Link{d.from, d.to}] = s
			}
		}
	}
	return out
}

// reachable reports whether a frame from a can get to b now. n.mu is held.
func (n *InProc) reachable(a, b uint64) bool {
	if _, ok := n.eps[b]; !ok {
		return false
	}
	if a == b {
		return true
	}
	return !n.cut[keyOf(a, b)] && !n.isolated[a] && !n.isolated[b]
}

func (n *InProc) breakIfUp(k pairKey) {
	p := n.pairs[k]
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.state == pairUp {
		n.breakPair(k, p)
	}
	p.mu.Unlock()
}

// breakPair tears down a pair's connection: the undelivered frames in both
// directions are discarded and each open end gets one Down. n.mu (shared
// or exclusive) and p.mu are held.
func (n *InProc) breakPair(k pairKey, p *pair) {
	p.state = pairDown
	for i := range p.dir {
		if i == 1 && k.lo == k.hi {
			break
		}
		d := &p.dir[i]
		dst := n.eps[d.to]
		if dst == nil {
			d.count = 0 // the inbox went with its endpoint
			continue
		}
		dst.mu.Lock()
		removed, downWaiting := dst.q.dropFrames(d.from, dst.holding)
		d.count -= removed
		d.lastAt = 0
		d.stats.dropped.Add(uint64(removed))
		// A Down still waiting already tells the receiver that everything
		// after its last delivered frame is gone; a second would say nothing.
		if !downWaiting {
			dst.enqueueDown(d)
		}
		dst.mu.Unlock()
	}
}

// pairLocked returns the pair k, creating it. n.mu is held exclusively.
func (n *InProc) pairLocked(k pairKey) *pair {
	p := n.pairs[k]
	if p == nil {
		p = n.newPair(k)
		n.pairs[k] = p
	}
	return p
}

type inProcEndpoint struct {
	net  *InProc
	id   uint64
	recv chan Envelope

	closed atomic.Bool // set under net.mu held exclusively

	// mu guards the inbox: frames that could not go straight to recv, in
	// delivery order.
	mu      sync.Mutex
	q       itemHeap
	seq     uint64 // last seq handed out
	holding uint64 // seq of the head while the pump hands it over unlocked
	dead    bool   // Close has begun; nothing more goes to recv

	notify   chan struct{} // cap 1: the head of q changed
	done     chan struct{}
	pumpDone chan struct{}
}

func (e *inProcEndpoint) ID() uint64            { return e.id }
func (e *inProcEndpoint) Recv() <-chan Envelope { return e.recv }

func (e *inProcEndpoint) Backlog(to uint64) int {
	n := e.net
	k := keyOf(e.id, to)
	n.mu.RLock()
	defer n.mu.RUnlock()
	p, dst := n.pairs[k], n.eps[to]
	if p == nil || dst == nil {
		return 0
	}
	d := p.link(e.id, k)
	dst.mu.Lock()
	defer dst.mu.Unlock()
	return d.count
}

func (e *inProcEndpoint) Send(to uint64, frame []byte) error {
	n := e.net
	k := keyOf(e.id, to)
	n.mu.RLock()
	p := n.pairs[k]
	if p == nil {
		// First frame between these two: the pair map changes only under
		// the exclusive lock, which is rare enough not to matter.
		n.mu.RUnlock()
		n.mu.Lock()
		n.pairLocked(k)
		n.mu.Unlock()
		n.mu.RLock()
		p = n.pairs[k]
	}
	defer n.mu.RUnlock()
	if e.closed.Load() {
		return ErrClosed
	}
	buf := append([]byte(nil), frame...)

	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.link(e.id, k)
	if !n.reachable(e.id, to) {
		d.stats.dropped.Add(1)
		if p.state != pairDown {
			// A connection attempt that fails: both ends hear of it once,
			// later frames are dropped quietly until a Send gets through.
			n.breakPair(k, p)
		}
		return nil
	}
	dst := n.eps[to]
	p.state = pairUp
	var at, now int64
	if n.timed {
		now = n.now()
		at = n.deliverAt(d, now)
	}
	env := Envelope{From: e.id, Frame: buf}

	dst.mu.Lock()
	if d.count >= n.queueLen {
		dst.mu.Unlock()
		d.stats.dropped.Add(1)
		n.breakPair(k, p)
		return nil
	}
	if len(dst.q) == 0 && at <= now {
		// Nothing ahead of it and nothing to wait for: the fast path.
		select {
		case dst.recv <- env:
			dst.mu.Unlock()
			d.stats.delivered(len(buf))
			return nil
		default:
		}
	}
	d.count++
	dst.seq++
	head := dst.q.push(item{at: at, seq: dst.seq, env: env, link: d})
	dst.mu.Unlock()
	if head {
		dst.wake()
	}
	return nil
}

// enqueueDown queues a Down from d.from. e.mu is held.
func (e *inProcEndpoint) enqueueDown(d *dirLink) {
	var at int64
	if e.net.timed {
		at = e.net.now()
	}
	e.seq++
	if e.q.push(item{at: at, seq: e.seq, env: Envelope{From: d.from, Down: true}}) {
		e.wake()
	}
	d.stats.downs.Add(1)
}

func (e *inProcEndpoint) wake() {
	select {
	case e.notify <- struct{}{}:
	default:
	}
}

// pump moves the inbox into recv in delivery order, waiting for delivery
// times and for the receiver. It never holds mu while blocked on recv, so
// Send never waits for a slow receiver; the head stays in q while it is
// handed over, which keeps Send off the fast path until it is through.
func (e *inProcEndpoint) pump() {
	defer close(e.pumpDone)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var wait time.Duration
		e.mu.Lock()
		for !e.dead && len(e.q) > 0 {
			head := &e.q[0]
			if head.at > 0 {
				if now := e.net.now(); head.at > now {
					wait = time.Duration(head.at - now)
					break
				}
			}
			select {
			case e.recv <- head.env:
				e.delivered(e.q.pop())
				continue
			default:
			}
			env, seq := head.env, head.seq
			e.holding = seq
			e.mu.Unlock()
			select {
			case e.recv <- env:
			case <-e.done:
				return
			}
			e.mu.Lock()
			e.holding = 0
			if e.dead {
				break
			}
			// Everything queued since has a later (at, seq), so the head
			// is still ours; removeSeq is only the belt to those braces.
			if e.q[0].seq == seq {
				e.delivered(e.q.pop())
			} else if it, ok := e.q.removeSeq(seq); ok {
				e.delivered(it)
			}
		}
		e.mu.Unlock()
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-e.notify:
			case <-timer.C:
			case <-e.done:
				return
			}
			timer.Stop()
			continue
		}
		select {
		case <-e.notify:
		case <-e.done:
			return
		}
	}
}

// delivered accounts for an item that went to recv. e.mu is held.
func (e *inProcEndpoint) delivered(it item) {
	if it.link != nil {
		it.link.count--
		it.link.stats.delivered(len(it.env.Frame))
	}
}

// Close detaches the endpoint. Its connections break (peers get Down), the
// frames on their way to it are lost, and Recv is closed once the pump has
// stopped. The id can be attached again right away.
func (e *inProcEndpoint) Close() error {
	n := e.net
	n.mu.Lock()
	if e.closed.Load() {
		n.mu.Unlock()
		return nil
	}
	e.closed.Store(true)
	e.mu.Lock()
	e.dead = true
	for _, it := range e.q {
		if it.link != nil {
			it.link.stats.dropped.Add(1)
		}
	}
	e.q = nil
	e.mu.Unlock()
	delete(n.eps, e.id)
	for k, p := range n.pairs {
		if k.lo != e.id && k.hi != e.id {
			continue
		}
		p.mu.Lock()
		if p.state == pairUp {
			n.breakPair(k, p)
		}
		for i := range p.dir {
			if p.dir[i].to == e.id {
				p.dir[i].count = 0
				p.dir[i].lastAt = 0
			}
		}
		p.mu.Unlock()
	}
	n.mu.Unlock()
	close(e.done)
	<-e.pumpDone
	close(e.recv)
	return nil
}
