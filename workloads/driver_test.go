package workloads_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/hlog"
	"zkbench/workloads"
	"zkbench/workloads/memtarget"
)

// The driver tests run inside synctest bubbles: the clock is fake and
// only moves when every goroutine waits, so a 10 ms target takes exactly
// 10 ms, a run of seconds takes milliseconds, and the expected counts
// and latencies are exact.

// spec is the write workload, small and without warm-up, changed by
// key=value settings.
func spec(t *testing.T, settings ...string) workloads.Spec {
	t.Helper()
	s := workloads.Default()
	for _, kv := range append([]string{"workload=write", "keys=10", "warmup=0s", "clients=1"}, settings...) {
		k, v, _ := strings.Cut(kv, "=")
		if err := s.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func run(t *testing.T, tg workloads.Target, s workloads.Spec) *workloads.Result {
	t.Helper()
	d, err := workloads.NewDriver(s, tg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// above counts the values of h above limit.
func above(h *hdrhistogram.Histogram, limit time.Duration) int64 {
	var n int64
	for _, bar := range h.Distribution() {
		if bar.From > limit.Microseconds() {
			n += bar.Count
		}
	}
	return n
}

// is says whether histogram value v is d, to the histogram's precision.
func is(h *hdrhistogram.Histogram, v int64, d time.Duration) bool {
	return h.ValuesAreEquivalent(v, d.Microseconds())
}

// A closed-loop client issues its next op when the last replies: with a
// 10 ms target, 100 ops per client and second, each taking 10 ms, and
// none of the warm-up's.
func TestClosedLoop(t *testing.T) {
	tests := []struct {
		settings []string
		duration time.Duration
		count    int64
	}{
		{[]string{"clients=2", "duration=1s"}, time.Second, 200},
		{[]string{"clients=2", "duration=1s", "warmup=500ms"}, time.Second, 200},
		{[]string{"clients=3", "duration=2500ms", "workload=read"}, 2500 * time.Millisecond, 750},
		// A thousand sessions are a thousand goroutines, not threads.
		{[]string{"clients=1000", "duration=100ms"}, 100 * time.Millisecond, 10_000},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.settings, ","), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				res := run(t, memtarget.New(10*time.Millisecond), spec(t, tt.settings...))
				op := res.Ops[0]
				if op.Count != tt.count || op.Errors != 0 {
					t.Errorf("count %d errors %d, want %d and 0", op.Count, op.Errors, tt.count)
				}
				if !is(op.Latency, op.Latency.Min(), 10*time.Millisecond) || !is(op.Latency, op.Latency.Max(), 10*time.Millisecond) {
					t.Errorf("latency %d..%d µs, want 10 ms", op.Latency.Min(), op.Latency.Max())
				}
				intervals := int((tt.duration + hlog.FinestRunInterval - 1) / hlog.FinestRunInterval)
				if res.Duration != tt.duration || len(op.Intervals) != intervals {
					t.Errorf("%d intervals over %v, want %d over %v", len(op.Intervals), res.Duration, intervals, tt.duration)
				}
			})
		})
	}
}

// An open-loop run issues rate ops per second whatever the clients.
func TestOpenLoop(t *testing.T) {
	tests := []struct {
		settings []string
		count    int64
	}{
		{[]string{"rate=100", "duration=1s"}, 100},
		{[]string{"rate=1000", "clients=4", "duration=2s", "warmup=1s"}, 2000},
		{[]string{"rate=30", "clients=2", "duration=1s", "workload=create-delete"}, 30},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.settings, ","), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				res := run(t, memtarget.New(0), spec(t, tt.settings...))
				var count int64
				for _, op := range res.Ops {
					count += op.Count
				}
				if count != tt.count || res.Unstarted != 0 {
					t.Errorf("count %d unstarted %d, want %d and 0", count, res.Unstarted, tt.count)
				}
			})
		})
	}
}

// The target stalls for 500 ms. Open loop, the ops scheduled during the
// stall wait for it, and their latency says so: the first 495 ms, then
// 10 ms less for each, 40 of them above 100 ms. Closed loop, the one
// client sits in one op for the stall: one slow op, the omission the
// open loop corrects.
func TestCoordinatedOmission(t *testing.T) {
	stall := func(tg *memtarget.Target) {
		time.Sleep(505 * time.Millisecond)
		tg.Pause()
		time.Sleep(500 * time.Millisecond)
		tg.Resume()
	}
	t.Run("open loop", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			tg := memtarget.New(0)
			go stall(tg)
			res := run(t, tg, spec(t, "rate=100", "duration=2s", "workload=read"))
			h := res.Ops[0].Latency
			if res.Ops[0].Count != 200 || res.Unstarted != 0 {
				t.Errorf("count %d unstarted %d, want 200 and 0", res.Ops[0].Count, res.Unstarted)
			}
			if n := above(h, 100*time.Millisecond); n != 40 {
				t.Errorf("%d ops above 100 ms, want 40", n)
			}
			if !is(h, h.Max(), 495*time.Millisecond) {
				t.Errorf("max %d µs, want 495 ms", h.Max())
			}
		})
	})
	t.Run("closed loop", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			tg := memtarget.New(time.Millisecond)
			go stall(tg)
			res := run(t, tg, spec(t, "duration=2s", "workload=read"))
			h := res.Ops[0].Latency
			if n := above(h, 100*time.Millisecond); n != 1 {
				t.Errorf("%d ops above 100 ms, want 1", n)
			}
			if h.Max() < 499_000 || h.Max() > 502_000 {
				t.Errorf("max %d µs, want the 500 ms stall", h.Max())
			}
		})
	})
}

// With an op count the run ends at the last reply.
func TestOpLimit(t *testing.T) {
	tests := []struct {
		settings []string
		latency  time.Duration
		duration time.Duration
	}{
		// 3 clients, 10 ms each: 50 ops take 17 rounds.
		{[]string{"clients=3", "ops=50", "duration=0s"}, 10 * time.Millisecond, 170 * time.Millisecond},
		// 30 ops at 100/s: the last is due at 290 ms and takes no time.
		{[]string{"rate=100", "ops=30", "duration=0s"}, 0, 290 * time.Millisecond},
		// The duration comes first.
		{[]string{"clients=2", "ops=1000", "duration=1s"}, 10 * time.Millisecond, time.Second},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.settings, ","), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := spec(t, tt.settings...)
				res := run(t, memtarget.New(tt.latency), s)
				want := min(s.Ops, 200)
				if res.Ops[0].Count != want || res.Duration != tt.duration {
					t.Errorf("count %d in %v, want %d in %v", res.Ops[0].Count, res.Duration, want, tt.duration)
				}
			})
		})
	}
}

// Every op works against the ZooKeeper semantics of memtarget, and
// cleanup leaves the tree as it found it.
func TestEveryOp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mix []string
		for _, op := range workloads.Ops() {
			mix = append(mix, op.String()+":1")
		}
		tg := memtarget.New(0)
		res := run(t, tg, spec(t, "mix="+strings.Join(mix, ","), "clients=4", "ops=3000",
			"duration=0s", "depth=2", "keyDist=zipf", "valueSize=uniform:0..100"))
		if len(res.Ops) != len(workloads.Ops()) {
			t.Fatalf("%d ops in the result, want all %d", len(res.Ops), len(workloads.Ops()))
		}
		var count int64
		for _, op := range res.Ops {
			if op.Count == 0 || op.Errors != 0 {
				t.Errorf("%s: count %d errors %d %v", op.Op, op.Count, op.Errors, op.ErrorKinds)
			}
			count += op.Count
		}
		if count != 3000 {
			t.Errorf("%d ops, want 3000", count)
		}
		if n := tg.Len(); n != 1 {
			t.Errorf("%d nodes after cleanup, want only /", n)
		}
	})
}

// Failures are counted by kind and kept out of the histograms.
func TestErrorsCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		res := run(t, memtarget.New(time.Millisecond), spec(t, "workload=read", "preload=false", "duration=100ms"))
		op := res.Ops[0]
		if op.Count != 0 || op.Errors != 100 || op.ErrorKinds["NoNode"] != 100 {
			t.Errorf("count %d errors %d %v, want 100 NoNode", op.Count, op.Errors, op.ErrorKinds)
		}
	})
}

// A run without cleanup leaves its nodes; the next run on the same tree
// clears the clients' folders first, so its creates do not collide.
func TestLeftovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg := memtarget.New(time.Millisecond)
		s := spec(t, "workload=create-delete", "mix=create:2,delete:1", "cleanup=false", "duration=100ms", "clients=2")
		for i := range 2 {
			res := run(t, tg, s)
			for _, op := range res.Ops {
				if op.Errors != 0 {
					t.Errorf("run %d: %s errors %v", i, op.Op, op.ErrorKinds)
				}
			}
		}
		// /, /zkbench, clients, 2 client folders, and what the second run
		// created and did not delete: about a third of its 200 ops.
		if n := tg.Len(); n < 5+40 || n > 5+100 {
			t.Errorf("%d nodes left", n)
		}
	})
}

func TestInterrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg := memtarget.New(10 * time.Millisecond)
		// Off the 10 ms grid of the ops, so that both clients are
		// mid-op when it ends.
		ctx, cancel := context.WithTimeout(context.Background(), 1005*time.Millisecond)
		defer cancel()
		d, _ := workloads.NewDriver(spec(t, "clients=2", "duration=10s"), tg)
		res, err := d.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		op := res.Ops[0]
		if !res.Interrupted || res.Duration <= 0 || res.Duration >= time.Second {
			t.Errorf("interrupted %v after %v", res.Interrupted, res.Duration)
		}
		if want := 2 * int64(res.Duration/(10*time.Millisecond)); op.Count != want || op.Errors != 0 || res.Unfinished != 2 {
			t.Errorf("count %d errors %d unfinished %d, want %d, 0 and 2", op.Count, op.Errors, res.Unfinished, want)
		}
		if tg.Len() < 10 {
			t.Error("an interrupted run cleaned up")
		}
		if l := d.Live(); l.Phase != workloads.Done || l.Count != op.Count {
			t.Errorf("final live %+v", l)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, _ := workloads.NewDriver(spec(t), memtarget.New(0))
	if _, err := d.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("run cancelled before it began: %v", err)
	}
}

// A target that stops answering at the end: the run waits a minute for
// the reply, then closes the session under it.
func TestDrainLimit(t *testing.T) {
	tests := []struct {
		name      string
		settings  []string
		latency   time.Duration
		count     int64 // 0: not checked
		unstarted int64
	}{
		{"closed", []string{"duration=1s"}, time.Millisecond, 0, 0},
		// Ops are due every 10 ms; the one due at 510 ms hangs, those due
		// from 520 to 990 ms never start.
		{"open", []string{"duration=1s", "rate=100"}, 0, 51, 48},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tg := memtarget.New(tt.latency)
				go func() {
					time.Sleep(505 * time.Millisecond)
					tg.Pause()
				}()
				start := time.Now()
				res := run(t, tg, spec(t, tt.settings...))
				if waited := time.Since(start); waited < time.Minute {
					t.Errorf("gave up after %v", waited)
				}
				if res.Interrupted || res.Unfinished != 1 || res.Duration != time.Second {
					t.Errorf("interrupted %v unfinished %d duration %v, want false, 1, 1s", res.Interrupted, res.Unfinished, res.Duration)
				}
				if tt.count > 0 && (res.Ops[0].Count != tt.count || res.Unstarted != tt.unstarted) {
					t.Errorf("count %d unstarted %d, want %d and %d", res.Ops[0].Count, res.Unstarted, tt.count, tt.unstarted)
				}
				tg.Resume()
			})
		})
	}
}

func TestLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, _ := workloads.NewDriver(spec(t, "clients=2", "warmup=1s", "duration=3s"), memtarget.New(10*time.Millisecond))
		done := make(chan *workloads.Result)
		go func() {
			res, err := d.Run(context.Background())
			if err != nil {
				t.Error(err)
			}
			done <- res
		}()
		var phases []workloads.Phase
		for {
			l := d.Live()
			if len(phases) == 0 || phases[len(phases)-1] != l.Phase {
				phases = append(phases, l.Phase)
			}
			if l.Phase == workloads.WarmingUp && (l.Total != time.Second || l.Elapsed > l.Total || l.OpsPerSec != 0) {
				t.Errorf("warming up: %+v, want %v of 1s and no figures", l, l.Elapsed)
			}
			if l.Phase == workloads.Measuring {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if phases[len(phases)-2] != workloads.WarmingUp {
			t.Errorf("phases %v, want warming up before measuring", phases)
		}
		time.Sleep(1500 * time.Millisecond)
		l := d.Live()
		// The last complete interval, 1.3 s to 1.4 s, holds 10 ops per
		// client: 200 ops/s.
		if l.OpsPerSec != 200 || l.Count < 298 || l.Count > 302 || l.P99 < 10*time.Millisecond || l.P99 > 10*time.Millisecond+20*time.Microsecond ||
			l.Total != 3*time.Second || l.Elapsed != 1500*time.Millisecond {
			t.Errorf("live %+v, want 200 ops/s, about 300 ops, p99 10ms", l)
		}
		res := <-done
		l = d.Live()
		if l.Phase != workloads.Done || l.Count != res.Ops[0].Count || l.OpsPerSec != 200 {
			t.Errorf("final live %+v, result count %d", l, res.Ops[0].Count)
		}
	})
}

func TestRunOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, _ := workloads.NewDriver(spec(t, "duration=10ms"), memtarget.New(time.Millisecond))
		if _, err := d.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Run(context.Background()); err == nil {
			t.Error("second Run did not fail")
		}
	})
}

func TestNewDriverValidates(t *testing.T) {
	s := workloads.Default()
	s.Clients = -1
	if _, err := workloads.NewDriver(s, memtarget.New(0)); err == nil || !strings.Contains(err.Error(), "clients") {
		t.Errorf("NewDriver with clients -1: %v", err)
	}
}

// failing is a target whose third session cannot be opened.
type failing struct {
	*memtarget.Target
	connects, opened, closes atomic.Int32
}

type countedConn struct {
	workloads.Conn
	closes *atomic.Int32
}

func (c countedConn) Close() error { c.closes.Add(1); return c.Conn.Close() }

func (f *failing) Connect(ctx context.Context) (workloads.Conn, error) {
	if f.connects.Add(1) == 3 {
		return nil, errors.New("connection refused")
	}
	c, err := f.Target.Connect(ctx)
	if err != nil { // the failure cancelled ctx before this one was through
		return nil, err
	}
	f.opened.Add(1)
	return countedConn{c, &f.closes}, nil
}

func TestConnectFailure(t *testing.T) {
	f := &failing{Target: memtarget.New(0)}
	d, _ := workloads.NewDriver(spec(t, "clients=5"), f)
	_, err := d.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connect: session ") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("error %v", err)
	}
	if opened, closed := f.opened.Load(), f.closes.Load(); closed != opened {
		t.Errorf("%d sessions opened, %d closed", opened, closed)
	}
}

// The write observer hears every write, warm-up included, with the
// version each setData gave its key: the last one heard of a key is the
// version the target holds.
func TestObserveWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg := memtarget.New(10 * time.Millisecond)
		d, err := workloads.NewDriver(spec(t, "clients=4", "duration=1s", "warmup=500ms", "cleanup=false"), tg)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		last := map[string]int32{}
		var heard int64
		d.ObserveWrites(func(w workloads.Write) {
			mu.Lock()
			defer mu.Unlock()
			heard++
			if w.Err != nil || w.Key == "" {
				t.Errorf("write %+v", w)
			}
			last[w.Key] = max(last[w.Key], w.Version)
		})
		res, err := d.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if want := res.Ops[0].Count + 4*50; heard != want {
			t.Errorf("heard of %d writes, want %d (warm-up's 200 and the measured %d)", heard, want, res.Ops[0].Count)
		}
		c, err := tg.Connect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for key, v := range last {
			got, err := c.(workloads.VersionedConn).SetDataVersion(key, nil, workloads.AnyVersion)
			if err != nil || got != v+1 {
				t.Errorf("%s: acknowledged version %d, the target's next %d (%v)", key, v, got, err)
			}
		}
	})
}

// An open loop's sessions are busy for the replies' time: rate × reply
// time of them on average (Little's law), all of them once the rate asks
// for more than they carry. A closed loop's are busy by definition and
// say nothing.
func TestSessionsBusy(t *testing.T) {
	for _, tt := range []struct {
		settings []string
		want     float64
	}{
		{[]string{"clients=4", "rate=100", "duration=2s"}, 0.25}, // 1 session of 4 busy
		{[]string{"clients=4", "rate=300", "duration=2s"}, 0.75}, // 3 of 4
		{[]string{"clients=4", "rate=800", "duration=2s"}, 1},    // 8 wanted, 4 there
		{[]string{"clients=4", "duration=2s"}, 0},                // closed loop
	} {
		t.Run(strings.Join(tt.settings, ","), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				res := run(t, memtarget.New(10*time.Millisecond), spec(t, tt.settings...))
				if math.Abs(res.SessionsBusy-tt.want) > 0.01 {
					t.Errorf("sessions busy %.3f, want %.2f", res.SessionsBusy, tt.want)
				}
			})
		})
	}
}
