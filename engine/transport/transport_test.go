package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The tests in this file run against both networks: they are the contract.

type netOpts struct {
	queueLen, recvBuffer int
}

type factory struct {
	name string
	new  func(t testing.TB, o netOpts) Network
}

var factories = []factory{
	{"inproc", func(t testing.TB, o netOpts) Network {
		n := NewInProc(InProcOptions{QueueLen: o.queueLen, RecvBuffer: o.recvBuffer})
		t.Cleanup(func() { n.Close() })
		return n
	}},
	{"tcp", func(t testing.TB, o netOpts) Network {
		n, err := NewTCP(TCPOptions{QueueLen: o.queueLen, RecvBuffer: o.recvBuffer})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		return n
	}},
}

func forEachNet(t *testing.T, f func(t *testing.T, fac factory)) {
	for _, fac := range factories {
		t.Run(fac.name, func(t *testing.T) { f(t, fac) })
	}
}

// waitTimeout bounds every wait for something that must happen; it is
// generous because -race on two cores is slow, and no test relies on it
// being short.
const waitTimeout = 20 * time.Second

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func endpoint(t testing.TB, n Network, id uint64) Endpoint {
	t.Helper()
	e, err := n.Endpoint(id)
	must(t, err)
	return e
}

// frame is a test frame: the sender's incarnation and a sequence number,
// padded to size.
func frame(inc, seq uint64, size int) []byte {
	b := make([]byte, max(size, 16))
	binary.BigEndian.PutUint64(b, inc)
	binary.BigEndian.PutUint64(b[8:], seq)
	for i := 16; i < len(b); i++ {
		b[i] = byte(seq + uint64(i))
	}
	return b
}

func parseFrame(t testing.TB, b []byte) (inc, seq uint64) {
	t.Helper()
	if len(b) < 16 {
		t.Fatalf("short frame: %d bytes", len(b))
	}
	inc, seq = binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
	for i := 16; i < len(b); i++ {
		if b[i] != byte(seq+uint64(i)) {
			t.Fatalf("frame %d corrupt at byte %d", seq, i)
		}
	}
	return inc, seq
}

// log collects what an endpoint receives.
type log struct {
	mu     sync.Mutex
	envs   []Envelope
	closed bool
}

func collect(e Endpoint) *log {
	l := &log{}
	go func() {
		for env := range e.Recv() {
			l.mu.Lock()
			l.envs = append(l.envs, env)
			l.mu.Unlock()
		}
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
	}()
	return l
}

func (l *log) snapshot() ([]Envelope, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Envelope(nil), l.envs...), l.closed
}

// waitFor polls until cond holds for what has been received.
func (l *log) waitFor(t testing.TB, what string, cond func(envs []Envelope) bool) []Envelope {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		envs, _ := l.snapshot()
		if cond(envs) {
			return envs
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; have %s", what, describe(envs))
		}
		time.Sleep(time.Millisecond)
	}
}

func (l *log) waitClosed(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		if _, closed := l.snapshot(); closed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("Recv was not closed")
		}
		time.Sleep(time.Millisecond)
	}
}

func count(envs []Envelope, from uint64, down bool) int {
	n := 0
	for _, e := range envs {
		if e.From == from && e.Down == down {
			n++
		}
	}
	return n
}

func hasFrames(from uint64, n int) func([]Envelope) bool {
	return func(envs []Envelope) bool { return count(envs, from, false) >= n }
}

func hasDown(from uint64) func([]Envelope) bool {
	return func(envs []Envelope) bool { return count(envs, from, true) >= 1 }
}

func describe(envs []Envelope) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d envelopes:", len(envs))
	for i, e := range envs {
		if i == 40 {
			b.WriteString(" ...")
			break
		}
		if e.Down {
			fmt.Fprintf(&b, " down(%d)", e.From)
		} else if len(e.Frame) >= 16 {
			fmt.Fprintf(&b, " %d:%d", e.From, binary.BigEndian.Uint64(e.Frame[8:]))
		} else {
			fmt.Fprintf(&b, " %d:?", e.From)
		}
	}
	return b.String()
}

// seqsFrom returns the sequence numbers of the frames from one sender, and
// where the Downs from it fell (as the number of frames before each).
func seqsFrom(t testing.TB, envs []Envelope, from uint64) (seqs []uint64, downsAt []int) {
	t.Helper()
	for _, e := range envs {
		if e.From != from {
			continue
		}
		if e.Down {
			downsAt = append(downsAt, len(seqs))
			continue
		}
		_, s := parseFrame(t, e.Frame)
		seqs = append(seqs, s)
	}
	return seqs, downsAt
}

func TestFIFOAllPairs(t *testing.T) {
	forEachNet(t, func(t *testing.T, fac factory) {
		const members, frames = 5, 1500
		n := fac.new(t, netOpts{})
		eps := make([]Endpoint, members)
		logs := make([]*log, members)
		for i := range eps {
			eps[i] = endpoint(t, n, uint64(i+1))
			logs[i] = collect(eps[i])
		}
		var wg sync.WaitGroup
		for i, e := range eps {
			wg.Go(func() {
				// Round-robin over the peers, self included, reusing one
				// buffer: Send must copy.
				buf := make([]byte, 64)
				for s := uint64(1); s <= frames; s++ {
					for p := range members {
						copy(buf, frame(uint64(i+1), s, 64))
						if err := e.Send(uint64(p+1), buf); err != nil {
							t.Error(err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
		for i, l := range logs {
			envs := l.waitFor(t, fmt.Sprintf("all frames at %d", i+1), func(envs []Envelope) bool {
				return len(envs) >= members*frames
			})
			for p := range members {
				seqs, downs := seqsFrom(t, envs, uint64(p+1))
				if len(downs) > 0 {
					t.Fatalf("%d got Down from %d on a healthy network", i+1, p+1)
				}
				for k, s := range seqs {
					if s != uint64(k+1) {
						t.Fatalf("%d from %d: frame %d is seq %d", i+1, p+1, k, s)
					}
				}
				if len(seqs) != frames {
					t.Fatalf("%d from %d: %d frames, want %d", i+1, p+1, len(seqs), frames)
				}
			}
		}
		// Counters are bumped just after the hand-over; give them a moment.
		want := LinkStats{Frames: frames, Bytes: frames * 64}
		waitStats(t, n, Link{1, 2}, want)
		waitStats(t, n, Link{3, 3}, want)
	})
}

func TestLargeFrames(t *testing.T) {
	forEachNet(t, func(t *testing.T, fac factory) {
		n := fac.new(t, netOpts{})
		a, b := endpoint(t, n, 1), endpoint(t, n, 2)
		la, lb := collect(a), collect(b)
		const size, count = 1 << 20, 8
		for s := uint64(1); s <= count; s++ {
			must(t, a.Send(2, frame(1, s, size)))
			must(t, b.Send(1, frame(2, s, size)))
		}
		for _, c := range []struct {
			l    *log
			from uint64
		}{{lb, 1}, {la, 2}} {
			envs := c.l.waitFor(t, "1 MiB frames", hasFrames(c.from, count))
			seqs, downs := seqsFrom(t, envs, c.from) // checks every byte
			if len(downs) != 0 || len(seqs) != count {
				t.Fatalf("from %d: %v downs at %v", c.from, seqs, downs)
			}
			for _, e := range envs {
				if len(e.Frame) != size {
					t.Fatalf("frame of %d bytes, want %d", len(e.Frame), size)
				}
			}
		}
	})
}

func TestSendToSelf(t *testing.T) {
	forEachNet(t, func(t *testing.T, fac factory) {
		n := fac.new(t, netOpts{})
		a := endpoint(t, n, 7)
		l := collect(a)
		for s := uint64(1); s <= 100; s++ {
			must(t, a.Send(7, frame(1, s, 32)))
		}
		envs := l.waitFor(t, "own frames", hasFrames(7, 100))
		seqs, downs := seqsFrom(t, envs, 7)
		if len(downs) != 0 || seqs[0] != 1 || seqs[99] != 100 {
			t.Fatalf("self: %v, downs %v", seqs, downs)
		}
	})
}

func TestFrameIsCopied(t *testing.T) {
	forEachNet(t, func(t *testing.T, fac factory) {
		n := fac.new(t, netOpts{})
		a, b := endpoint(t, n, 1), endpoint(t, n, 2)
		lb := collect(b)
		buf := []byte("proposal")
		must(t, a.Send(2, buf))
		copy(buf, "XXXXXXXX")
		envs := lb.waitFor(t, "frame", func(e []Envelope) bool { return len(e) == 1 })
		if string(envs[0].Frame) != "proposal" {
			t.Fatalf("receiver saw %q: Send did not copy", envs[0].Frame)
		}
	})
}

func TestSendAfterClose(t *testing.T) {
	forEachNet(t, func(t *testing.T, fac factory) {
		n := fac.new(t, netOpts{})
		a := endpoint(t, n, 1)
		if _, err := n.Endpoint(1); !errors.Is(err, ErrInUse) {
			t.Fatalf("second Endpoint(1): %v, want ErrInUse", err)
		}
		l := collect(a)
		must(t, a.Close())
		must(t, a.Close()) // idempotent
		if err := a.Send(2, []byte("x")); !errors.Is(err, ErrClosed) {
			t.Fatalf("Send after Close: %v, want ErrClosed", err)
		}
		l.waitClosed(t)
		must(t, n.Close())
		if _, err := n.Endpoint(3); !errors.Is(err, ErrClosed) {
			t.Fatalf("Endpoint after network Close: %v, want ErrClosed", err)
		}
	})
}

func TestNetworkCloseClosesEndpoints(t *testing.T) {
	forEachNet(t, func(t *testing.T, fac factory) {
		n := fac.new(t, netOpts{})
		a, b := endpoint(t, n, 1), endpoint(t, n, 2)
		la, lb := collect(a), collect(b)
		must(t, a.Send(2, frame(1, 1, 16)))
		lb.waitFor(t, "frame", hasFrames(1, 1))
		must(t, n.Close())
		la.waitClosed(t)
		lb.waitClosed(t)
		if err := b.Send(1, nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("Send after network Close: %v", err)
		}
	})
}

// TestRestart crashes a member and starts it again with the same id: the
// peer sees Down, then talks to the new incarnation on a new connection.
func TestRestart(t *testing.T) {
	forEachNet(t, func(t *testing.T, fac factory) {
		n := fac.new(t, netOpts{})
		a, b := endpoint(t, n, 1), endpoint(t, n, 2)
		la, lb := collect(a), collect(b)
		must(t, a.Send(2, frame(1, 1, 16)))
		must(t, b.Send(1, frame(2, 1, 16)))
		lb.waitFor(t, "frame from 1", hasFrames(1, 1))
		la.waitFor(t, "frame from 2", hasFrames(2, 1))

		must(t, b.Close())
		lb.waitClosed(t)
		la.waitFor(t, "Down from 2", hasDown(2))
		if err := b.Send(1, nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("old incarnation Send: %v", err)
		}

		b2 := endpoint(t, n, 2)
		lb2 := collect(b2)
		must(t, a.Send(2, frame(1, 2, 16)))
		must(t, b2.Send(1, frame(3, 1, 16)))
		envs := lb2.waitFor(t, "frame at new incarnation", hasFrames(1, 1))
		if envs[0].Down {
			t.Fatalf("new incarnation starts with Down: %s", describe(envs))
		}
		if _, s := parseFrame(t, envs[0].Frame); s != 2 {
			t.Fatalf("new incarnation got seq %d, want 2", s)
		}
		envs = la.waitFor(t, "frame from new incarnation", hasFrames(2, 2))
		var order []string
		for _, e := range envs {
			if e.Down {
				order = append(order, "down")
			} else {
				inc, _ := parseFrame(t, e.Frame)
				order = append(order, fmt.Sprint(inc))
			}
		}
		if fmt.Sprint(order) != "[2 down 3]" {
			t.Fatalf("1 saw %v, want [2 down 3]", order)
		}
	})
}

// TestGoroutinesStop checks that closing a network leaves nothing running.
func TestGoroutinesStop(t *testing.T) {
	forEachNet(t, func(t *testing.T, fac factory) {
		before := runtime.NumGoroutine()
		n := fac.new(t, netOpts{})
		var eps []Endpoint
		for id := uint64(1); id <= 4; id++ {
			eps = append(eps, endpoint(t, n, id))
		}
		for _, e := range eps {
			for p := uint64(1); p <= 5; p++ { // 5 is never attached
				must(t, e.Send(p, []byte("hello")))
			}
		}
		must(t, n.Close())
		deadline := time.Now().Add(waitTimeout)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(time.Millisecond)
		}
	})
}

// checker verifies, as frames arrive, the property ZAB relies on: from one
// sender, sequence numbers only increase, and a gap (lost frames) or a new
// sender incarnation comes only after a Down, or as the first thing this
// receiver hears from that sender.
type checker struct {
	t    testing.TB
	mu   sync.Mutex
	last map[uint64][2]uint64 // sender -> (incarnation, seq) of the last frame
	down map[uint64]bool      // a Down from sender since its last frame
	errs []string
	got  map[[2]uint64]uint64 // (sender, incarnation) -> highest seq
}

func newChecker(t testing.TB) *checker {
	return &checker{t: t, last: map[uint64][2]uint64{}, down: map[uint64]bool{}, got: map[[2]uint64]uint64{}}
}

func (c *checker) see(env Envelope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if env.Down {
		c.down[env.From] = true
		return
	}
	inc, seq := parseFrame(c.t, env.Frame)
	prev, seen := c.last[env.From]
	switch {
	case !seen || c.down[env.From]:
		if seen && prev[0] == inc && seq <= prev[1] {
			c.errs = append(c.errs, fmt.Sprintf("from %d: seq %d after %d (reordered across a Down)", env.From, seq, prev[1]))
		}
	case prev[0] != inc:
		c.errs = append(c.errs, fmt.Sprintf("from %d: new incarnation %d without a Down", env.From, inc))
	case seq != prev[1]+1:
		c.errs = append(c.errs, fmt.Sprintf("from %d: seq %d after %d without a Down", env.From, seq, prev[1]))
	}
	c.last[env.From] = [2]uint64{inc, seq}
	c.down[env.From] = false
	c.got[[2]uint64{env.From, inc}] = seq
}

func (c *checker) highest(from, inc uint64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got[[2]uint64{from, inc}]
}

func (c *checker) report() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.errs {
		if i == 10 {
			c.t.Errorf("... and %d more", len(c.errs)-10)
			break
		}
		c.t.Error(e)
	}
}

func waitStats(t testing.TB, n Network, l Link, want LinkStats) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got := n.Stats()[l]
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %d→%d: %+v, want %+v", l.From, l.To, got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// runChaos drives members that send numbered frames to random peers (and
// crash and restart now and then) while fault injects network faults, and
// checks every receiver with a checker. After the storm heal must make
// every pair deliverable again, which the final round checks.
func runChaos(t *testing.T, n Network, members, rounds int, seed uint64, fault func(r *rand.Rand), heal func()) {
	type member struct {
		mu   sync.Mutex
		id   uint64
		ep   Endpoint
		inc  uint64
		seq  map[uint64]uint64
		chk  *checker
		chks []*checker
	}
	var drains sync.WaitGroup
	start := func(m *member, slow bool) {
		m.ep = endpoint(t, n, m.id)
		m.inc++
		m.seq = map[uint64]uint64{}
		m.chk = newChecker(t)
		m.chks = append(m.chks, m.chk)
		ep, chk := m.ep, m.chk
		drains.Go(func() {
			i := 0
			for env := range ep.Recv() {
				chk.see(env)
				// A receiver that falls behind now and then fills queues.
				if i++; slow && i%500 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	ms := make([]*member, members)
	for i := range ms {
		ms[i] = &member{id: uint64(i + 1)}
		start(ms[i], i == 0)
	}
	send := func(m *member, to uint64) uint64 {
		m.seq[to]++
		if err := m.ep.Send(to, frame(m.inc, m.seq[to], 32)); err != nil {
			t.Error(err)
		}
		return m.seq[to]
	}

	stop := make(chan struct{})
	var faults sync.WaitGroup
	faults.Go(func() {
		r := rand.New(rand.NewPCG(seed, 1))
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(r.IntN(2000)) * time.Microsecond):
			}
			fault(r)
		}
	})
	var senders sync.WaitGroup
	for i, m := range ms {
		senders.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(i+2)))
			for i := range rounds {
				if i%16 == 0 {
					time.Sleep(50 * time.Microsecond) // let faults land between bursts
				}
				m.mu.Lock()
				if r.IntN(2000) == 0 {
					must(t, m.ep.Close())
					start(m, false)
				}
				send(m, uint64(r.IntN(members)+1))
				m.mu.Unlock()
			}
		})
	}
	senders.Wait()
	close(stop)
	faults.Wait()
	heal()

	// Every pair must deliver again. A marker can still be lost to the
	// tail of the storm (a queue that was full), so resend until it lands.
	deadline := time.Now().Add(waitTimeout)
	for _, from := range ms {
		for _, to := range ms {
			for delivered := false; !delivered; {
				from.mu.Lock()
				s := send(from, to.id)
				inc := from.inc
				from.mu.Unlock()
				for wait := time.Now().Add(200 * time.Millisecond); time.Now().Before(wait); time.Sleep(time.Millisecond) {
					to.mu.Lock()
					got := to.chk.highest(from.id, inc)
					to.mu.Unlock()
					if got >= s {
						delivered = true
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d→%d does not deliver after healing", from.id, to.id)
				}
			}
		}
	}
	must(t, n.Close())
	drains.Wait()
	var total LinkStats
	for _, s := range n.Stats() {
		total.Frames += s.Frames
		total.Dropped += s.Dropped
		total.Downs += s.Downs
	}
	t.Logf("%d frames delivered, %d dropped, %d downs", total.Frames, total.Dropped, total.Downs)
	for _, m := range ms {
		for _, c := range m.chks {
			c.report()
		}
	}
}
