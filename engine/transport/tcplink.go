package transport

// The link: one endpoint's side of its connection with one peer, as a state
// machine driven by one goroutine per peer. It dials or adopts a
// connection (the handshake decides between two dialed at once), serves it
// with a reader and a writer, and reports its end as Down before it serves
// the next one.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// The handshake. The dialer sends hello; the acceptor answers with one
// status byte and its incarnation. ZooKeeper's dialer sends its protocol
// version, sid and address; zkbench adds what it needs to decide between
// two connections for one pair: the dialer's incarnation, the id of the
// connection it last had with the acceptor, and the new connection's id.
const (
	helloMagic = 0x7a6b6274 // "zkbt"
	helloLen   = 4 + 5*8
	replyLen   = 1 + 8
	replyOK    = 1
	replyNo    = 0
)

type hello struct {
	from, to, inc, last, id uint64
}

func (h hello) marshal() []byte {
	b := make([]byte, helloLen)
	binary.BigEndian.PutUint32(b, helloMagic)
	for i, v := range []uint64{h.from, h.to, h.inc, h.last, h.id} {
		binary.BigEndian.PutUint64(b[4+8*i:], v)
	}
	return b
}

func parseHello(b []byte) (hello, error) {
	if binary.BigEndian.Uint32(b) != helloMagic {
		return hello{}, errors.New("not a zkbench transport hello")
	}
	u := func(i int) uint64 { return binary.BigEndian.Uint64(b[4+8*i:]) }
	return hello{from: u(0), to: u(1), inc: u(2), last: u(3), id: u(4)}, nil
}

type connState uint8

const (
	connNew      connState = iota // Send queued a frame; the link goroutine has not dialed yet
	connDialing                   // connect and handshake in progress
	connRejected                  // the peer refused our dial: it is dialing us and wins
	connUp                        // frames flow
	connDead                      // failed; its Down is on the way
)

// tcpConn is one connection of a link, from the first frame queued for it
// to its Down. The socket may be dialed by us or adopted from the peer.
type tcpConn struct {
	q      chan []byte
	ctx    context.Context // done when the connection fails
	cancel context.CancelFunc

	// guarded by tcpLink.mu
	state   connState
	nc      net.Conn
	id      uint64 // chosen by the dialer, the same on both ends
	peerInc uint64

	writerDone chan struct{}
}

// accepted is a connection the peer dialed, waiting for the link goroutine.
type accepted struct {
	nc          net.Conn
	id, peerInc uint64
}

// tcpLink is one endpoint's side of its connection with one peer.
type tcpLink struct {
	e       *tcpEndpoint
	peer    uint64
	out, in *counters
	kick    chan struct{} // cap 1: there is a new conn to dial or a slot to adopt

	mu     sync.Mutex
	cur    *tcpConn
	slot   *accepted
	lastID uint64 // id of the latest connection adopted, for the next hello
}

func (l *tcpLink) newConn() *tcpConn {
	ctx, cancel := context.WithCancel(context.Background())
	return &tcpConn{q: make(chan []byte, l.e.t.opts.QueueLen), ctx: ctx, cancel: cancel}
}

func (l *tcpLink) wake() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// enqueue queues frame on the current connection, starting one if there is
// none. A full queue breaks the connection (the peer sees Down) rather than
// block the sender.
func (l *tcpLink) enqueue(frame []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.cur
	if c == nil {
		c = l.newConn()
		l.cur = c
		l.wake()
	}
	if c.state == connDead {
		// The break is already reported, or about to be.
		l.out.dropped.Add(1)
		return
	}
	select {
	case c.q <- frame:
	default:
		l.out.dropped.Add(1)
		l.fail(c)
	}
}

// breakConns fails the current connection and drops one the peer dialed
// that is not adopted yet: the endpoint is closing.
func (l *tcpLink) breakConns() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != nil {
		l.fail(l.cur)
	}
	if l.slot != nil {
		l.slot.nc.Close()
		l.slot = nil
	}
}

// fail breaks c: its socket is closed, so the peer sees the break too, and
// the link goroutine reports Down. l.mu is held.
func (l *tcpLink) fail(c *tcpConn) {
	if c.state == connDead {
		return
	}
	c.state = connDead
	c.cancel()
	if c.nc != nil {
		c.nc.Close()
	}
}

func (l *tcpLink) failUnlocked(c *tcpConn) {
	l.mu.Lock()
	l.fail(c)
	l.mu.Unlock()
}

// offer decides about a connection the peer dialed and answers the
// handshake. The answer is written under l.mu, so that the decision and
// the slot it fills cannot be overtaken by our own link goroutine (nine
// bytes into a fresh socket do not block).
func (l *tcpLink) offer(h hello, nc net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ok := false
	c := l.cur
	switch {
	case l.e.closed.Load():
	case c == nil || c.state == connNew || c.state == connRejected || c.state == connDead:
		ok = true
	case c.state == connDialing:
		// Both dial at once: the higher id's connection wins, on both ends.
		ok = h.from > l.e.id
	case c.state == connUp:
		// A peer dials only when it has no connection, so if it names ours
		// as its last one, or is a new incarnation, ours is dead and we have
		// not noticed yet. Otherwise its hello predates the connection we
		// have, which the peer is using too.
		if h.inc != c.peerInc || h.last == c.id {
			l.fail(c)
			ok = true
		}
	}
	reply := make([]byte, replyLen)
	if ok {
		reply[0] = replyOK
	}
	binary.BigEndian.PutUint64(reply[1:], l.e.inc)
	if _, err := nc.Write(reply); err != nil || !ok {
		nc.Close()
		return
	}
	nc.SetDeadline(time.Time{})
	if l.slot != nil {
		l.slot.nc.Close()
	}
	l.slot = &accepted{nc: nc, id: h.id, peerInc: h.inc}
	l.wake()
}

// adopt makes the slotted connection c's socket. l.mu is held.
func (l *tcpLink) adopt(c *tcpConn) {
	s := l.slot
	l.slot = nil
	c.nc, c.id, c.peerInc = s.nc, s.id, s.peerInc
	c.state = connUp
	l.lastID = s.id
}

// run is the link goroutine: it serves one connection at a time, so the
// frames of a connection, its Down and the next connection's frames reach
// Recv in that order.
func (l *tcpLink) run() {
	defer l.e.wg.Done()
	for {
		select {
		case <-l.kick:
		case <-l.e.done:
			return
		}
		for l.step() {
		}
	}
}

// step serves whatever the link has to do next and reports whether it did
// anything.
func (l *tcpLink) step() bool {
	select {
	case <-l.e.done:
		return false
	default:
	}
	l.mu.Lock()
	c := l.cur
	switch {
	case c != nil && c.state == connDead:
		// Failed before we got to it (queue full while dialing, Close).
		l.mu.Unlock()
		l.finish(c)
	case l.slot != nil:
		if c == nil {
			c = l.newConn()
			l.cur = c
		}
		l.adopt(c)
		l.mu.Unlock()
		l.serve(c)
	case c == nil:
		l.mu.Unlock()
		return false
	default:
		c.state = connDialing
		l.mu.Unlock()
		if l.peer == l.e.id {
			l.serveSelf(c)
		} else {
			l.dial(c)
		}
	}
	return true
}

// dial connects c to the peer and serves it, or reports its failure.
func (l *tcpLink) dial(c *tcpConn) {
	opts := &l.e.t.opts
	addr := l.e.t.dialAddr(l.peer)
	if addr == "" {
		l.failUnlocked(c)
		l.finish(c)
		return
	}
	d := net.Dialer{Timeout: opts.DialTimeout}
	nc, err := d.DialContext(c.ctx, "tcp", addr)
	if err != nil {
		l.failUnlocked(c)
		l.finish(c)
		return
	}
	l.mu.Lock()
	if c.state == connDead {
		l.mu.Unlock()
		nc.Close()
		l.finish(c)
		return
	}
	c.nc = nc // so that fail interrupts the handshake
	h := hello{from: l.e.id, to: l.peer, inc: l.e.inc, last: l.lastID, id: rand.Uint64() | 1}
	l.mu.Unlock()

	ok, peerInc, err := handshake(nc, h, opts.DialTimeout)

	l.mu.Lock()
	if err != nil || c.state == connDead {
		l.fail(c)
		l.mu.Unlock()
		l.finish(c)
		return
	}
	if ok {
		c.id, c.peerInc = h.id, peerInc
		if s := l.slot; s != nil {
			// Both ends accepted: cannot happen by the rules in offer, but
			// if it does, both keep the higher dialer's connection.
			l.slot = nil
			if l.e.id > l.peer {
				s.nc.Close()
			} else {
				nc.Close()
				c.nc, c.id, c.peerInc = s.nc, s.id, s.peerInc
			}
		}
		c.state = connUp
		l.lastID = c.id
		l.mu.Unlock()
		l.serve(c)
		return
	}
	// The peer is dialing us and its connection wins; wait for it.
	nc.Close()
	c.nc = nil
	c.state = connRejected
	l.mu.Unlock()
	timer := time.NewTimer(opts.DialTimeout)
	defer timer.Stop()
	for {
		l.mu.Lock()
		if c.state == connDead {
			l.mu.Unlock()
			l.finish(c)
			return
		}
		if l.slot != nil {
			l.adopt(c)
			l.mu.Unlock()
			l.serve(c)
			return
		}
		l.mu.Unlock()
		select {
		case <-l.kick:
		case <-c.ctx.Done():
		case <-timer.C:
			l.failUnlocked(c)
		case <-l.e.done:
			l.failUnlocked(c)
		}
	}
}

// handshake runs the dialer's half on nc.
func handshake(nc net.Conn, h hello, timeout time.Duration) (ok bool, peerInc uint64, err error) {
	nc.SetDeadline(time.Now().Add(timeout))
	if _, err := nc.Write(h.marshal()); err != nil {
		return false, 0, err
	}
	reply := make([]byte, replyLen)
	if _, err := io.ReadFull(nc, reply); err != nil {
		return false, 0, err
	}
	nc.SetDeadline(time.Time{})
	return reply[0] == replyOK, binary.BigEndian.Uint64(reply[1:]), nil
}

// serve runs a live connection: a writer goroutine drains the queue while
// this goroutine reads frames and delivers them, until either fails.
func (l *tcpLink) serve(c *tcpConn) {
	c.writerDone = make(chan struct{})
	l.e.wg.Add(1)
	go l.write(c)
	r := bufio.NewReaderSize(c.nc, 64<<10)
	for {
		f, err := readFrame(r, l.e.t.opts.MaxFrame)
		if err != nil {
			break
		}
		if !l.deliver(c, Envelope{From: l.peer, Frame: f}) {
			break
		}
	}
	l.failUnlocked(c)
	<-c.writerDone
	l.finish(c)
}

// serveSelf delivers frames sent to oneself: there is no socket, but the
// queue bound and the Down on overflow are the same.
func (l *tcpLink) serveSelf(c *tcpConn) {
	l.mu.Lock()
	if c.state != connDead {
		c.state = connUp
	}
	l.mu.Unlock()
	for {
		select {
		case f := <-c.q:
			if !l.deliver(c, Envelope{From: l.peer, Frame: f}) {
				l.finish(c)
				return
			}
		case <-c.ctx.Done():
			l.finish(c)
			return
		}
	}
}

func (l *tcpLink) deliver(c *tcpConn, env Envelope) bool {
	select {
	case l.e.recv <- env:
		l.in.delivered(len(env.Frame))
		return true
	case <-c.ctx.Done():
	case <-l.e.done:
	}
	return false
}

// finish reports c's end: what is left in its queue is lost, and Down goes
// to Recv after every frame c delivered. The link is free for a new
// connection before Down is delivered, so that a sender that sees the Down
// and sends at once is not dropped; the new connection is served only after
// this Down, so the receiving order holds either way.
func (l *tcpLink) finish(c *tcpConn) {
	l.mu.Lock()
	if l.cur == c {
		l.cur = nil
	}
	l.mu.Unlock()
	// Send stops queueing on c once it is dead, so this drains it for good.
	for drained := false; !drained; {
		select {
		case <-c.q:
			l.out.dropped.Add(1)
		default:
			drained = true
		}
	}
	select {
	case l.e.recv <- Envelope{From: l.peer, Down: true}:
		l.in.downs.Add(1)
	case <-l.e.done:
	}
}

// write drains c's queue into the socket, flushing when the queue is empty
// so that a burst goes out in few writes.
func (l *tcpLink) write(c *tcpConn) {
	defer l.e.wg.Done()
	defer close(c.writerDone)
	w := bufio.NewWriterSize(c.nc, 64<<10)
	var hdr [4]byte
	for {
		var f []byte
		select {
		case f = <-c.q:
		case <-c.ctx.Done():
			return
		}
		for more := true; more; {
			binary.BigEndian.PutUint32(hdr[:], uint32(len(f)))
			if _, err := w.Write(hdr[:]); err != nil {
				l.failUnlocked(c)
				return
			}
			if _, err := w.Write(f); err != nil {
				l.failUnlocked(c)
				return
			}
			select {
			case f = <-c.q:
			default:
				more = false
			}
		}
		if err := w.Flush(); err != nil {
			l.failUnlocked(c)
			return
		}
	}
}

// readFrame reads one length-prefixed frame.
func readFrame(r *bufio.Reader, max int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("frame of %d bytes exceeds the %d byte limit", n, max)
	}
	f := make([]byte, n)
	if _, err := io.ReadFull(r, f); err != nil {
		return nil, err
	}
	return f, nil
}
