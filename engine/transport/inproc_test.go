package transport

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// delay is a Latency that a test can change while frames are in flight.
type delay struct{ d atomic.Int64 }

func (d *delay) set(v time.Duration)               { d.d.Store(int64(v)) }
func (d *delay) latency(_, _ uint64) time.Duration { return time.Duration(d.d.Load()) }

// order renders what a receiver saw from one sender: seqs and "down".
func order(t testing.TB, envs []Envelope, from uint64) string {
	t.Helper()
	var out []string
	for _, e := range envs {
		if e.From != from {
			continue
		}
		if e.Down {
			out = append(out, "down")
		} else {
			_, s := parseFrame(t, e.Frame)
			out = append(out, fmt.Sprint(s))
		}
	}
	return fmt.Sprint(out)
}

// TestInProcFIFOUnderJitter sends many frames over links whose delays vary
// from frame to frame by more than the gap between sends: FIFO per link
// must hold anyway, and no frame may arrive sooner than its latency.
func TestInProcFIFOUnderJitter(t *testing.T) {
	const members, frames = 4, 2000
	const base = 200 * time.Microsecond
	n := NewInProc(InProcOptions{
		Latency: func(from, to uint64) time.Duration { return base * time.Duration(1+(from+to)%3) },
		Jitter:  2 * time.Millisecond,
		Seed:    1,
	})
	defer n.Close()
	type arrival struct {
		from, seq uint64
		late      time.Duration // arrival minus send
	}
	epoch := time.Now()
	eps := make([]Endpoint, members)
	got := make([][]arrival, members)
	var recv sync.WaitGroup
	for i := range eps {
		eps[i] = endpoint(t, n, uint64(i+1))
		recv.Go(func() {
			for len(got[i]) < (members-1)*frames {
				env := <-eps[i].Recv()
				if env.Down {
					t.Errorf("%d: Down from %d", i+1, env.From)
					return
				}
				sent := time.Duration(binary.BigEndian.Uint64(env.Frame[8:]))
				got[i] = append(got[i], arrival{env.From, binary.BigEndian.Uint64(env.Frame), time.Since(epoch) - sent})
			}
		})
	}
	var send sync.WaitGroup
	for i, e := range eps {
		send.Go(func() {
			var seq [members + 1]uint64
			buf := make([]byte, 16)
			for k := range frames * members {
				to := uint64(k%members + 1)
				if to == uint64(i+1) {
					continue
				}
				seq[to]++
				binary.BigEndian.PutUint64(buf, seq[to])
				binary.BigEndian.PutUint64(buf[8:], uint64(time.Since(epoch)))
				must(t, e.Send(to, buf))
			}
		})
	}
	send.Wait()
	recv.Wait()
	for i := range got {
		next := map[uint64]uint64{}
		for _, a := range got[i] {
			if a.seq != next[a.from]+1 {
				t.Fatalf("%d from %d: seq %d after %d", i+1, a.from, a.seq, next[a.from])
			}
			next[a.from] = a.seq
			min := base * time.Duration(1+(a.from+uint64(i+1))%3)
			if a.late < min {
				t.Fatalf("%d from %d: frame %d arrived %v after it was sent, latency is %v", i+1, a.from, a.seq, a.late, min)
			}
		}
	}
}

// TestInProcJitterRepeatable: a link's delays depend on the seed and the
// link only.
func TestInProcJitterRepeatable(t *testing.T) {
	draws := func(seed uint64, from, to uint64) []int64 {
		n := NewInProc(InProcOptions{Jitter: time.Millisecond, Seed: seed})
		p := n.newPair(keyOf(from, to))
		d := p.link(from, keyOf(from, to))
		var out []int64
		for range 20 {
			d.lastAt = 0
			out = append(out, n.deliverAt(d, 1))
		}
		return out
	}
	a, b := draws(7, 1, 2), draws(7, 1, 2)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("same seed, different delays:\n%v\n%v", a, b)
	}
	if fmt.Sprint(a) == fmt.Sprint(draws(8, 1, 2)) || fmt.Sprint(a) == fmt.Sprint(draws(7, 2, 1)) {
		t.Fatal("delays do not depend on the seed and the link")
	}
}

func TestInProcLatencyAtLeast(t *testing.T) {
	const lat = 30 * time.Millisecond
	n := NewInProc(InProcOptions{Latency: func(from, to uint64) time.Duration {
		if from == 1 {
			return lat
		}
		return 0
	}})
	defer n.Close()
	a, b, c := endpoint(t, n, 1), endpoint(t, n, 2), endpoint(t, n, 3)
	start := time.Now()
	must(t, a.Send(3, frame(1, 1, 16)))
	must(t, b.Send(3, frame(2, 1, 16)))
	got := map[uint64]time.Duration{}
	for len(got) < 2 {
		env := <-c.Recv()
		got[env.From] = time.Since(start)
	}
	if got[1] < lat {
		t.Fatalf("frame with %v latency arrived after %v", lat, got[1])
	}
}

// TestInProcPartition cuts a connected pair with frames in flight: they are
// lost, both ends get exactly one Down, frames sent while cut are dropped,
// and after Heal the next frame opens a new connection.
func TestInProcPartition(t *testing.T) {
	var d delay
	n := NewInProc(InProcOptions{Latency: d.latency})
	defer n.Close()
	a, b := endpoint(t, n, 1), endpoint(t, n, 2)
	la, lb := collect(a), collect(b)
	must(t, a.Send(2, frame(1, 1, 16)))
	must(t, b.Send(1, frame(2, 1, 16)))
	lb.waitFor(t, "first frame", hasFrames(1, 1))
	la.waitFor(t, "first frame", hasFrames(2, 1))

	d.set(time.Hour) // in flight until the partition
	for s := uint64(2); s <= 11; s++ {
		must(t, a.Send(2, frame(1, s, 16)))
	}
	n.Partition(1, 2)
	la.waitFor(t, "Down at 1", hasDown(2))
	lb.waitFor(t, "Down at 2", hasDown(1))
	for s := uint64(12); s <= 14; s++ {
		must(t, a.Send(2, frame(1, s, 16)))
	}
	must(t, b.Send(1, frame(2, 2, 16)))
	waitStats(t, n, Link{1, 2}, LinkStats{Frames: 1, Bytes: 16, Dropped: 13, Downs: 1})

	d.set(0)
	n.Heal(1, 2)
	must(t, a.Send(2, frame(1, 15, 16)))
	must(t, b.Send(1, frame(2, 3, 16)))
	envs := lb.waitFor(t, "frame after heal", hasFrames(1, 2))
	if got := order(t, envs, 1); got != "[1 down 15]" {
		t.Fatalf("2 saw %s from 1", got)
	}
	envs = la.waitFor(t, "frame after heal", hasFrames(2, 2))
	if got := order(t, envs, 2); got != "[1 down 3]" {
		t.Fatalf("1 saw %s from 2", got)
	}
}

// TestInProcPartitionIdlePair: a pair that never connected has nothing to
// break; its first dropped frame is reported once, like a failed connect.
func TestInProcPartitionIdlePair(t *testing.T) {
	n := NewInProc(InProcOptions{})
	defer n.Close()
	a, b := endpoint(t, n, 1), endpoint(t, n, 2)
	la, lb := collect(a), collect(b)
	n.Partition(1, 2)
	must(t, a.Send(2, frame(1, 1, 16)))
	must(t, a.Send(2, frame(1, 2, 16)))
	la.waitFor(t, "Down at sender", hasDown(2))
	lb.waitFor(t, "Down at receiver", hasDown(1))
	n.Heal(1, 2)
	must(t, a.Send(2, frame(1, 3, 16)))
	envs := lb.waitFor(t, "frame after heal", hasFrames(1, 1))
	if got := order(t, envs, 1); got != "[down 3]" {
		t.Fatalf("2 saw %s", got)
	}
	if envs, _ := la.snapshot(); len(envs) != 1 {
		t.Fatalf("1 saw %s, want one Down", describe(envs))
	}
}

func TestInProcIsolateRejoin(t *testing.T) {
	n := NewInProc(InProcOptions{})
	defer n.Close()
	eps := []Endpoint{endpoint(t, n, 1), endpoint(t, n, 2), endpoint(t, n, 3)}
	logs := []*log{collect(eps[0]), collect(eps[1]), collect(eps[2])}
	seq := map[Link]uint64{}
	send := func(from, to uint64) {
		l := Link{from, to}
		seq[l]++
		must(t, eps[from-1].Send(to, frame(from, seq[l], 16)))
	}
	for from := uint64(1); from <= 3; from++ {
		for to := uint64(1); to <= 3; to++ {
			if from != to {
				send(from, to)
				logs[to-1].waitFor(t, "connect", hasFrames(from, 1))
			}
		}
	}

	n.Isolate(1)
	logs[0].waitFor(t, "Downs at 1", func(e []Envelope) bool { return hasDown(2)(e) && hasDown(3)(e) })
	logs[1].waitFor(t, "Down at 2", hasDown(1))
	logs[2].waitFor(t, "Down at 3", hasDown(1))
	send(2, 3) // the others still talk
	send(3, 2)
	logs[2].waitFor(t, "2→3", hasFrames(2, 2))
	logs[1].waitFor(t, "3→2", hasFrames(3, 2))
	send(1, 2) // dropped
	send(2, 1) // dropped
	n.Heal(1, 2)
	send(1, 2) // still isolated: dropped
	n.Rejoin(1)
	send(1, 2)
	send(2, 1)
	if got := order(t, logs[1].waitFor(t, "1→2 after rejoin", hasFrames(1, 2)), 1); got != "[1 down 4]" {
		t.Fatalf("2 saw %s from 1", got)
	}
	if got := order(t, logs[0].waitFor(t, "2→1 after rejoin", hasFrames(2, 2)), 2); got != "[1 down 3]" {
		t.Fatalf("1 saw %s from 2", got)
	}
	// 2↔3 never saw a Down.
	for _, c := range []struct{ at, from uint64 }{{2, 3}, {3, 2}} {
		if envs, _ := logs[c.at-1].snapshot(); count(envs, c.from, true) != 0 {
			t.Fatalf("%d got Down from %d", c.at, c.from)
		}
	}

	// HealAll lifts partitions and isolations alike.
	n.Partition(2, 3)
	n.Isolate(1)
	n.HealAll()
	send(2, 3)
	send(3, 1)
	if got := order(t, logs[2].waitFor(t, "2→3 after HealAll", hasFrames(2, 3)), 2); got != "[1 2 down 3]" {
		t.Fatalf("3 saw %s from 2", got)
	}
	logs[0].waitFor(t, "3→1 after HealAll", hasFrames(3, 2))
}

// TestInProcQueueFull: a receiver that stops reading fills its link's
// queue; Send never blocks, the connection gives up, and both ends hear of
// it. The receiver gets a prefix of what was sent, then Down; the next
// frame opens a new connection.
func TestInProcQueueFull(t *testing.T) {
	n := NewInProc(InProcOptions{QueueLen: 3, RecvBuffer: 2})
	defer n.Close()
	a, b := endpoint(t, n, 1), endpoint(t, n, 2)
	la := collect(a)
	// 1 and 2 fill the channel, 3, 4 and 5 the queue; 6 overflows.
	for s := uint64(1); s <= 6; s++ {
		must(t, a.Send(2, frame(1, s, 16)))
	}
	la.waitFor(t, "Down at the sender", hasDown(2))

	var seqs []uint64
	for env := range b.Recv() {
		if env.Down {
			break
		}
		_, s := parseFrame(t, env.Frame)
		seqs = append(seqs, s)
	}
	// 3 may already be on its way out when 6 overflows; 4 and 5 are not.
	if len(seqs) < 2 || len(seqs) > 3 {
		t.Fatalf("receiver got %v before Down", seqs)
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("receiver got %v before Down", seqs)
		}
	}
	k := uint64(len(seqs))
	waitStats(t, n, Link{1, 2}, LinkStats{Frames: k, Bytes: 16 * k, Dropped: 6 - k, Downs: 1})

	must(t, a.Send(2, frame(1, 7, 16)))
	env := <-b.Recv()
	if _, s := parseFrame(t, env.Frame); env.Down || s != 7 {
		t.Fatalf("after the Down: %+v", env)
	}
	if envs, _ := la.snapshot(); len(envs) != 1 {
		t.Fatalf("sender saw %s, want one Down", describe(envs))
	}
}

// TestInProcRestartLosesInFlight: frames on their way to a member that
// crashes are lost; the restarted member starts clean.
func TestInProcRestartLosesInFlight(t *testing.T) {
	var d delay
	n := NewInProc(InProcOptions{Latency: d.latency})
	defer n.Close()
	a, b := endpoint(t, n, 1), endpoint(t, n, 2)
	la := collect(a)
	d.set(time.Hour)
	for s := uint64(1); s <= 5; s++ {
		must(t, a.Send(2, frame(1, s, 16)))
	}
	must(t, b.Close())
	la.waitFor(t, "Down at 1", hasDown(2))
	d.set(0)
	b2 := endpoint(t, n, 2)
	must(t, a.Send(2, frame(1, 6, 16)))
	env := <-b2.Recv()
	if _, s := parseFrame(t, env.Frame); env.Down || s != 6 {
		t.Fatalf("restarted member got %+v first", env)
	}
	waitStats(t, n, Link{1, 2}, LinkStats{Frames: 1, Bytes: 16, Dropped: 5, Downs: 0})
	waitStats(t, n, Link{2, 1}, LinkStats{Downs: 1})
}

// TestInProcChaos: random partitions, isolations, heals, crashes and slow
// receivers with jittered latency and small queues, checked frame by frame.
func TestInProcChaos(t *testing.T) {
	const members = 5
	n := NewInProc(InProcOptions{
		Latency:  func(_, _ uint64) time.Duration { return 50 * time.Microsecond },
		Jitter:   300 * time.Microsecond,
		Seed:     3,
		QueueLen: 64,
	})
	runChaos(t, n, members, 20000, 3, func(r *rand.Rand) {
		a, b := uint64(r.IntN(members)+1), uint64(r.IntN(members)+1)
		switch r.IntN(6) {
		case 0, 1:
			n.Partition(a, b)
		case 2, 3:
			n.Heal(a, b)
		case 4:
			n.Isolate(a)
		case 5:
			n.Rejoin(a)
		}
	}, n.HealAll)
}

// TestInProcBacklog: frames beyond the receiver's Recv channel count as
// the link's backlog until the receiver takes them; the other direction's
// is its own.
func TestInProcBacklog(t *testing.T) {
	n := NewInProc(InProcOptions{QueueLen: 100, RecvBuffer: 2})
	defer n.Close()
	a, b := endpoint(t, n, 1), endpoint(t, n, 2)
	if got := a.Backlog(2); got != 0 {
		t.Fatalf("backlog %d before any frame", got)
	}
	for s := uint64(1); s <= 10; s++ {
		must(t, a.Send(2, frame(1, s, 16)))
	}
	// 1 and 2 are in b's channel; 3..10 wait.
	if got := a.Backlog(2); got != 8 {
		t.Fatalf("backlog %d, want 8", got)
	}
	if got := b.Backlog(1); got != 0 {
		t.Fatalf("reverse backlog %d, want 0", got)
	}
	for range 10 {
		<-b.Recv()
	}
	// The pump counts the last frame out just after handing it over.
	deadline := time.Now().Add(waitTimeout)
	for a.Backlog(2) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("backlog %d after the receiver took every frame", a.Backlog(2))
		}
		time.Sleep(time.Millisecond)
	}
}
