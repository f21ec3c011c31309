package transport

// The TCP network and its endpoints: listening, accepting and the hello
// check on accepted sockets, and the bookkeeping of which member listens
// where. What happens on a connection, from dial to Down, is the link's
// business (tcplink.go).

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// TCPOptions configures a loopback TCP network.
type TCPOptions struct {
	// Addrs fixes the listen address of some ids; the others listen on
	// 127.0.0.1:0. Only loopback addresses are allowed: this network is for
	// measuring real sockets on one machine, not for talking to others.
	Addrs map[uint64]string
	// QueueLen bounds the frames queued for one link's writer; default
	// DefaultQueueLen.
	QueueLen int
	// RecvBuffer is the capacity of each endpoint's Recv channel; default
	// DefaultRecvBuffer.
	RecvBuffer int
	// MaxFrame is the largest frame Send takes and a reader accepts; default
	// DefaultMaxFrame.
	MaxFrame int
	// DialTimeout bounds connect plus handshake; default DefaultDialTimeout.
	DialTimeout time.Duration
}

// TCP is a network of endpoints that talk over loopback sockets. Like
// ZooKeeper's QuorumCnxManager it keeps one connection per pair of members,
// dialed lazily by whichever sends first, with a handshake that names the
// dialer. When both dial at once the connection dialed by the higher id
// wins, as in ZooKeeper; the loser's queued frames go out on the winner, so
// a simultaneous start loses nothing.
//
// A connection that cannot be made (the peer is not listening) drops what
// was queued for it and is reported to the sender only: there is no other
// end to tell. The next Send dials again.
//
// Each endpoint runs, per peer, a link goroutine that dials or adopts the
// connection, reads frames off it, and reports its end as Down, and a
// writer goroutine per live connection fed by a bounded queue.
type TCP struct {
	opts TCPOptions

	mu     sync.Mutex
	closed bool
	eps    map[uint64]*tcpEndpoint
	addrs  map[uint64]string // where open endpoints listen
	stats  map[Link]*counters
}

var _ Network = (*TCP)(nil)

// NewTCP returns an empty loopback network. It fails if an address in
// opts.Addrs is not a loopback address.
func NewTCP(opts TCPOptions) (*TCP, error) {
	for id, a := range opts.Addrs {
		if err := checkLoopback(a); err != nil {
			return nil, fmt.Errorf("transport: address of %d: %w", id, err)
		}
	}
	opts.QueueLen = orDefault(opts.QueueLen, DefaultQueueLen)
	opts.RecvBuffer = orDefault(opts.RecvBuffer, DefaultRecvBuffer)
	opts.MaxFrame = min(orDefault(opts.MaxFrame, DefaultMaxFrame), math.MaxInt32)
	opts.DialTimeout = orDefault(opts.DialTimeout, DefaultDialTimeout)
	return &TCP{
		opts:  opts,
		eps:   make(map[uint64]*tcpEndpoint),
		addrs: make(map[uint64]string),
		stats: make(map[Link]*counters),
	}, nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", addr)
	}
	return nil
}

// Endpoint attaches member id and starts listening for it.
func (t *TCP) Endpoint(id uint64) (Endpoint, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	if _, ok := t.eps[id]; ok {
		return nil, fmt.Errorf("endpoint %d: %w", id, ErrInUse)
	}
	addr := t.opts.Addrs[id]
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: endpoint %d: %w", id, err)
	}
	e := &tcpEndpoint{
		t:     t,
		id:    id,
		inc:   rand.Uint64() | 1,
		ln:    ln,
		recv:  make(chan Envelope, t.opts.RecvBuffer),
		done:  make(chan struct{}),
		links: make(map[uint64]*tcpLink),
	}
	t.eps[id] = e
	t.addrs[id] = ln.Addr().String()
	e.wg.Add(1)
	go e.acceptLoop()
	return e, nil
}

// Addr returns where endpoint id listens, or "" if it is not open.
func (t *TCP) Addr(id uint64) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.addrs[id]
}

// Close closes every endpoint; Endpoint fails afterwards.
func (t *TCP) Close() error {
	t.mu.Lock()
	t.closed = true
	eps := make([]*tcpEndpoint, 0, len(t.eps))
	for _, e := range t.eps {
		eps = append(eps, e)
	}
	t.mu.Unlock()
	var errs []error
	for _, e := range eps {
		errs = append(errs, e.Close())
	}
	return errors.Join(errs...)
}

// Stats returns the counters of every link that has been used. Frames and
// Bytes count what the receiver read off the wire; Dropped counts what the
// sender discarded (a frame written into a socket that then breaks is
// simply lost, as in TCP).
func (t *TCP) Stats() map[Link]LinkStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[Link]LinkStats, len(t.stats))
	for l, c := range t.stats {
		if s := c.snapshot(); s != (LinkStats{}) {
			out[l] = s
		}
	}
	return out
}

func (t *TCP) counters(l Link) *counters {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.stats[l]
	if c == nil {
		c = new(counters)
		t.stats[l] = c
	}
	return c
}

// dialAddr is where to reach id: where it listens now, else its fixed
// address (which then refuses, like a member that is down).
func (t *TCP) dialAddr(id uint64) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a, ok := t.addrs[id]; ok {
		return a
	}
	return t.opts.Addrs[id]
}

func (t *TCP) unregister(e *tcpEndpoint) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.eps[e.id] == e {
		delete(t.eps, e.id)
		delete(t.addrs, e.id)
	}
}

type tcpEndpoint struct {
	t    *TCP
	id   uint64
	inc  uint64 // incarnation: tells a peer that this id restarted
	ln   net.Listener
	recv chan Envelope
	done chan struct{}
	wg   sync.WaitGroup // every goroutine of the endpoint

	closed atomic.Bool
	mu     sync.Mutex // guards links and the closed transition
	links  map[uint64]*tcpLink
}

func (e *tcpEndpoint) ID() uint64            { return e.id }
func (e *tcpEndpoint) Recv() <-chan Envelope { return e.recv }

// link returns the link to peer, starting its goroutine on first use.
func (e *tcpEndpoint) link(peer uint64) (*tcpLink, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed.Load() {
		return nil, ErrClosed
	}
	l := e.links[peer]
	if l == nil {
		l = &tcpLink{
			e:    e,
			peer: peer,
			out:  e.t.counters(Link{e.id, peer}),
			in:   e.t.counters(Link{peer, e.id}),
			kick: make(chan struct{}, 1),
		}
		e.links[peer] = l
		e.wg.Add(1)
		go l.run()
	}
	return l, nil
}

func (e *tcpEndpoint) Backlog(to uint64) int {
	e.mu.Lock()
	l := e.links[to]
	e.mu.Unlock()
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil || l.cur.state == connDead {
		return 0
	}
	return len(l.cur.q)
}

func (e *tcpEndpoint) Send(to uint64, frame []byte) error {
	if e.closed.Load() {
		return ErrClosed
	}
	if len(frame) > e.t.opts.MaxFrame {
		return fmt.Errorf("transport: send to %d: frame of %d bytes exceeds the %d byte limit", to, len(frame), e.t.opts.MaxFrame)
	}
	l, err := e.link(to)
	if err != nil {
		return err
	}
	l.enqueue(append([]byte(nil), frame...))
	return nil
}

// Close stops listening, breaks every connection (peers see Down), waits
// for the endpoint's goroutines and closes Recv.
func (e *tcpEndpoint) Close() error {
	e.mu.Lock()
	if e.closed.Load() {
		e.mu.Unlock()
		return nil
	}
	e.closed.Store(true)
	links := make([]*tcpLink, 0, len(e.links))
	for _, l := range e.links {
		links = append(links, l)
	}
	e.mu.Unlock()

	e.t.unregister(e)
	close(e.done)
	err := e.ln.Close()
	for _, l := range links {
		l.breakConns()
	}
	e.wg.Wait()
	close(e.recv)
	if err != nil {
		return fmt.Errorf("transport: close endpoint %d: %w", e.id, err)
	}
	return nil
}

func (e *tcpEndpoint) acceptLoop() {
	defer e.wg.Done()
	for {
		nc, err := e.ln.Accept()
		if err != nil {
			if e.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and friends: back off instead of spinning.
			select {
			case <-time.After(10 * time.Millisecond):
				continue
			case <-e.done:
				return
			}
		}
		e.wg.Add(1)
		go e.accept(nc)
	}
}

// accept runs the acceptor's half of the handshake on a new connection.
func (e *tcpEndpoint) accept(nc net.Conn) {
	defer e.wg.Done()
	nc.SetDeadline(time.Now().Add(e.t.opts.DialTimeout))
	b := make([]byte, helloLen)
	if _, err := io.ReadFull(nc, b); err != nil {
		nc.Close()
		return
	}
	h, err := parseHello(b)
	// A hello for another id is a dialer that has a stale address: ports
	// are reused when members restart.
	if err != nil || h.to != e.id || h.from == e.id {
		nc.Close()
		return
	}
	l, err := e.link(h.from)
	if err != nil {
		nc.Close()
		return
	}
	l.offer(h, nc)
}
