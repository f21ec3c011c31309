package transport

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// The benchmarks measure the cost the transport adds to the write path of
// every proposal: 1 KiB frames, zero latency.
//
//	pingpong   one frame out, one back, strictly alternating: the latency
//	           of a hop, including waking the receiver
//	oneway     a stream with up to window frames in flight: throughput
//	broadcast  a leader sends each frame to 4 followers, each acks with a
//	           small frame, window proposals in flight: ZAB's shape

const (
	benchFrame  = 1024
	benchAck    = 40
	benchWindow = 256
)

func BenchmarkInProcSend(b *testing.B) {
	mk := func(b *testing.B) Network {
		n := NewInProc(InProcOptions{})
		b.Cleanup(func() { n.Close() })
		return n
	}
	b.Run("pingpong", func(b *testing.B) { benchPingPong(b, mk(b)) })
	b.Run("oneway", func(b *testing.B) { benchOneWay(b, mk(b)) })
	b.Run("broadcast", func(b *testing.B) { benchBroadcast(b, mk(b)) })
}

func BenchmarkTCPSend(b *testing.B) {
	mk := func(b *testing.B) Network {
		n, err := NewTCP(TCPOptions{})
		must(b, err)
		b.Cleanup(func() { n.Close() })
		return n
	}
	b.Run("pingpong", func(b *testing.B) { benchPingPong(b, mk(b)) })
	b.Run("oneway", func(b *testing.B) { benchOneWay(b, mk(b)) })
	b.Run("broadcast", func(b *testing.B) { benchBroadcast(b, mk(b)) })
}

func reportFrames(b *testing.B, frames int) {
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
}

// recvFrame receives one frame; a Down in a benchmark is a failure.
func recvFrame(b *testing.B, e Endpoint) Envelope {
	env, ok := <-e.Recv()
	if !ok || env.Down {
		b.Errorf("endpoint %d: unexpected Down or close (%+v)", e.ID(), env)
		runtime.Goexit()
	}
	return env
}

// send is must for goroutines other than the benchmark's own.
func send(b *testing.B, e Endpoint, to uint64, frame []byte) {
	if err := e.Send(to, frame); err != nil {
		b.Error(err)
		runtime.Goexit()
	}
}

// connect exchanges one frame each way so that dialing is not measured.
func connect(b *testing.B, a Endpoint, peers ...Endpoint) {
	for _, p := range peers {
		must(b, a.Send(p.ID(), []byte("hi")))
		recvFrame(b, p)
		must(b, p.Send(a.ID(), []byte("hi")))
		recvFrame(b, a)
	}
}

func benchPingPong(b *testing.B, n Network) {
	a, p := endpoint(b, n, 1), endpoint(b, n, 2)
	connect(b, a, p)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range b.N {
			env := recvFrame(b, p)
			send(b, p, 1, env.Frame)
		}
	})
	buf := make([]byte, benchFrame)
	b.SetBytes(2 * benchFrame)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		must(b, a.Send(2, buf))
		recvFrame(b, a)
	}
	b.StopTimer()
	wg.Wait()
	reportFrames(b, 2*b.N)
}

func benchOneWay(b *testing.B, n Network) {
	a, p := endpoint(b, n, 1), endpoint(b, n, 2)
	connect(b, a, p)
	var w window
	var wg sync.WaitGroup
	wg.Go(func() {
		for range b.N {
			recvFrame(b, p)
			w.done(1)
		}
	})
	buf := make([]byte, benchFrame)
	b.SetBytes(benchFrame)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		w.wait(i)
		must(b, a.Send(2, buf))
	}
	wg.Wait()
	b.StopTimer()
	reportFrames(b, b.N)
}

func benchBroadcast(b *testing.B, n Network) {
	const followers = 4
	leader := endpoint(b, n, 1)
	fs := make([]Endpoint, followers)
	for i := range fs {
		fs[i] = endpoint(b, n, uint64(i+2))
	}
	connect(b, leader, fs...)
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Go(func() {
			ack := make([]byte, benchAck)
			for range b.N {
				recvFrame(b, f)
				send(b, f, 1, ack)
			}
		})
	}
	var w window // in proposals
	wg.Go(func() {
		for i := range b.N * followers {
			recvFrame(b, leader)
			if i%followers == followers-1 {
				w.done(1)
			}
		}
	})
	buf := make([]byte, benchFrame)
	b.SetBytes(followers * benchFrame)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		w.wait(i)
		for _, f := range fs {
			must(b, leader.Send(f.ID(), buf))
		}
	}
	wg.Wait()
	b.StopTimer()
	reportFrames(b, 2*followers*b.N)
}

// window keeps a sender at most benchWindow frames ahead of its receiver,
// as ZAB's outstanding proposals are bounded, so that the stream stays
// under the queue bound. The sender sleeps rather than spins: on two cores
// a spinner steals the CPU the receiver needs.
type window struct {
	got      atomic.Int64
	progress chan struct{}
	once     sync.Once
}

func (w *window) init() { w.once.Do(func() { w.progress = make(chan struct{}, 1) }) }

// wait blocks until frame i may be sent.
func (w *window) wait(i int) {
	w.init()
	for int64(i)-w.got.Load() >= benchWindow {
		<-w.progress
	}
}

func (w *window) done(n int64) {
	w.init()
	if g := w.got.Add(n); g%(benchWindow/4) == 0 {
		select {
		case w.progress <- struct{}{}:
		default:
		}
	}
}
