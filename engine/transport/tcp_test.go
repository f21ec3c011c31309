package transport

import (
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTCP(t testing.TB, opts TCPOptions) *TCP {
	t.Helper()
	n, err := NewTCP(opts)
	must(t, err)
	t.Cleanup(func() { n.Close() })
	return n
}

// breakConn kills the socket of e's current connection with peer, as a
// network fault would.
func breakConn(e Endpoint, peer uint64) {
	te := e.(*tcpEndpoint)
	te.mu.Lock()
	l := te.links[peer]
	te.mu.Unlock()
	if l == nil {
		return
	}
	l.mu.Lock()
	if c := l.cur; c != nil && c.nc != nil {
		c.nc.Close() // under the link, like a reset from the network
	}
	l.mu.Unlock()
}

func TestTCPLoopbackOnly(t *testing.T) {
	for _, a := range []string{"10.0.0.1:2888", "0.0.0.0:2888", ":2888", "example.com:2888", "nonsense"} {
		if _, err := NewTCP(TCPOptions{Addrs: map[uint64]string{1: a}}); err == nil {
			t.Errorf("NewTCP accepted %q", a)
		}
	}
	for _, a := range []string{"127.0.0.1:0", "127.1.2.3:2888", "[::1]:2888", "localhost:2888"} {
		if _, err := NewTCP(TCPOptions{Addrs: map[uint64]string{1: a}}); err != nil {
			t.Errorf("NewTCP refused %q: %v", a, err)
		}
	}
}

// TestTCPFixedAddrs listens where told and comes back on the same address
// after a restart.
func TestTCPFixedAddrs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	n := newTCP(t, TCPOptions{Addrs: map[uint64]string{2: addr}})
	a, b := endpoint(t, n, 1), endpoint(t, n, 2)
	if n.Addr(2) != addr {
		t.Fatalf("2 listens on %s, want %s", n.Addr(2), addr)
	}
	la := collect(a)
	must(t, a.Send(2, frame(1, 1, 16)))
	if env := <-b.Recv(); env.Down {
		t.Fatal("Down instead of a frame")
	}
	must(t, b.Close())
	la.waitFor(t, "Down", hasDown(2))
	b = endpoint(t, n, 2)
	must(t, a.Send(2, frame(1, 2, 16)))
	if env := <-b.Recv(); env.Down || binary.BigEndian.Uint64(env.Frame[8:]) != 2 {
		t.Fatalf("restarted 2 got %+v", env)
	}
}

// TestTCPSimultaneousDial starts both ends of many pairs sending at once:
// one connection must win on both sides without losing a frame or raising
// a Down.
func TestTCPSimultaneousDial(t *testing.T) {
	const trials, frames = 30, 50
	for trial := range trials {
		n := newTCP(t, TCPOptions{})
		a, b := endpoint(t, n, 1), endpoint(t, n, 2)
		la, lb := collect(a), collect(b)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, c := range []struct {
			e  Endpoint
			to uint64
		}{{a, 2}, {b, 1}} {
			wg.Go(func() {
				<-start
				for s := uint64(1); s <= frames; s++ {
					must(t, c.e.Send(c.to, frame(c.e.ID(), s, 16)))
				}
			})
		}
		close(start)
		wg.Wait()
		for _, c := range []struct {
			l    *log
			from uint64
		}{{lb, 1}, {la, 2}} {
			envs := c.l.waitFor(t, "all frames", hasFrames(c.from, frames))
			seqs, downs := seqsFrom(t, envs, c.from)
			if len(downs) != 0 || len(seqs) != frames || seqs[frames-1] != frames {
				t.Fatalf("trial %d: from %d: %s", trial, c.from, describe(envs))
			}
		}
		must(t, n.Close())
	}
}

// TestTCPBrokenConnection: a connection that dies under traffic is reported
// at both ends, and the next Send dials a new one.
func TestTCPBrokenConnection(t *testing.T) {
	n := newTCP(t, TCPOptions{})
	a, b := endpoint(t, n, 1), endpoint(t, n, 2)
	la, lb := collect(a), collect(b)
	must(t, a.Send(2, frame(1, 1, 16)))
	must(t, b.Send(1, frame(2, 1, 16)))
	lb.waitFor(t, "frame", hasFrames(1, 1))
	la.waitFor(t, "frame", hasFrames(2, 1))
	breakConn(b, 1)
	la.waitFor(t, "Down at 1", hasDown(2))
	lb.waitFor(t, "Down at 2", hasDown(1))
	must(t, a.Send(2, frame(1, 2, 16)))
	must(t, b.Send(1, frame(2, 2, 16)))
	if got := order(t, lb.waitFor(t, "frame on the new connection", hasFrames(1, 2)), 1); got != "[1 down 2]" {
		t.Fatalf("2 saw %s", got)
	}
	if got := order(t, la.waitFor(t, "frame on the new connection", hasFrames(2, 2)), 2); got != "[1 down 2]" {
		t.Fatalf("1 saw %s", got)
	}
}

// TestTCPPeerAbsent: frames for a member that is not there are dropped
// and the sender hears Down once per connection attempt; when the member
// appears, the next Send gets through.
func TestTCPPeerAbsent(t *testing.T) {
	n := newTCP(t, TCPOptions{})
	a := endpoint(t, n, 1)
	la := collect(a)
	must(t, a.Send(2, frame(1, 1, 16)))
	la.waitFor(t, "Down", hasDown(2))
	b := endpoint(t, n, 2)
	must(t, a.Send(2, frame(1, 2, 16)))
	if env := <-b.Recv(); env.Down || binary.BigEndian.Uint64(env.Frame[8:]) != 2 {
		t.Fatalf("2 got %+v", env)
	}
	if s := n.Stats()[Link{1, 2}]; s.Dropped != 1 {
		t.Fatalf("stats 1→2: %+v", s)
	}
}

// TestTCPQueueFull: a receiver that stops reading backs up the socket and
// then the sender's queue; Send never blocks, the connection gives up, and
// the receiver gets a prefix and then Down.
func TestTCPQueueFull(t *testing.T) {
	n := newTCP(t, TCPOptions{QueueLen: 4, RecvBuffer: 1})
	a, b := endpoint(t, n, 1), endpoint(t, n, 2)
	la := collect(a)
	const size = 256 << 10
	// Connect first, or the queue fills while dialing.
	must(t, a.Send(2, frame(1, 1, size)))
	if env := <-b.Recv(); env.Down {
		t.Fatal("Down instead of the first frame")
	}
	var sent uint64
	for sent = 2; sent <= 2000; sent++ {
		must(t, a.Send(2, frame(1, sent, size)))
		if envs, _ := la.snapshot(); len(envs) > 0 {
			break
		}
		if n.Stats()[Link{1, 2}].Dropped > 0 {
			break
		}
	}
	la.waitFor(t, "Down at the sender", hasDown(2))
	k := uint64(1)
	for env := range b.Recv() {
		if env.Down {
			break
		}
		k++
		if _, s := parseFrame(t, env.Frame); s != k {
			t.Fatalf("frame %d has seq %d", k, s)
		}
	}
	if k >= sent {
		t.Fatalf("receiver got %d of %d frames before Down", k, sent)
	}
	t.Logf("%d frames of %d KiB sent, %d delivered before the connection gave up", sent, size>>10, k)
	must(t, a.Send(2, frame(1, sent+1, 16)))
	if env := <-b.Recv(); env.Down || binary.BigEndian.Uint64(env.Frame[8:]) != sent+1 {
		t.Fatalf("after Down: %+v", env)
	}
}

func TestTCPMaxFrame(t *testing.T) {
	n := newTCP(t, TCPOptions{MaxFrame: 1024})
	a := endpoint(t, n, 1)
	if err := a.Send(2, make([]byte, 1025)); err == nil || !strings.Contains(err.Error(), "1025") {
		t.Fatalf("oversized Send: %v", err)
	}
}

// TestTCPStrangers: connections that do not speak the handshake, or that
// were meant for another member, are closed without disturbing anything.
func TestTCPStrangers(t *testing.T) {
	n := newTCP(t, TCPOptions{})
	a, b := endpoint(t, n, 1), endpoint(t, n, 2)
	lb := collect(b)
	for _, hello := range [][]byte{
		[]byte("GET / HTTP/1.0\r\n\r\n" + strings.Repeat("x", helloLen)),
		hello{from: 9, to: 1, inc: 1, id: 1}.marshal(), // for 1, sent to 2
		hello{from: 2, to: 2, inc: 1, id: 1}.marshal(), // from itself
	} {
		c, err := net.Dial("tcp", n.Addr(2))
		must(t, err)
		c.Write(hello)
		c.SetReadDeadline(time.Now().Add(waitTimeout))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !isReset(err) {
			t.Fatalf("stranger got %v, want the connection closed", err)
		}
		c.Close()
	}
	must(t, a.Send(2, frame(1, 1, 16)))
	if got := order(t, lb.waitFor(t, "frame", hasFrames(1, 1)), 1); got != "[1]" {
		t.Fatalf("2 saw %s", got)
	}
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "reset")
}

// TestTCPChaos: connections killed at random, members crashing and
// restarting, a slow receiver and small queues, checked frame by frame.
func TestTCPChaos(t *testing.T) {
	const members = 5
	n := newTCP(t, TCPOptions{QueueLen: 64})
	runChaos(t, n, members, 5000, 5, func(r *rand.Rand) {
		a, b := uint64(r.IntN(members)+1), uint64(r.IntN(members)+1)
		n.mu.Lock()
		e := n.eps[a]
		n.mu.Unlock()
		if e != nil && a != b {
			breakConn(e, b)
		}
	}, func() {})
}
