package workloads

import (
	"context"
	"time"

	"zkbench/hlog"
)

// BenchClient is one client of a closed-loop run, set up as Driver.Run
// sets it up, for benchmarks of the driver's own cost: the external test
// package pairs it with memtarget, which this package cannot import.
type BenchClient struct {
	d *Driver
	w *worker
	m *meter
}

// NewBenchClient prepares spec's tree through c and returns client 0.
func NewBenchClient(spec Spec, c Conn) (*BenchClient, error) {
	d, err := NewDriver(spec, nil)
	if err != nil {
		return nil, err
	}
	s := &d.spec
	l, v := newLayout(s.Root, s.Keys, s.Depth), newValues(s.Values, s.Seed)
	if _, err := d.prepare(context.Background(), &sessions{conns: []Conn{c}}, l, v); err != nil {
		return nil, err
	}
	d.plan = plan{base: time.Now(), end: noEnd}
	b := &BenchClient{d: d, w: newWorker(0, c, s, l, v, d.part), m: newMeter(d.plan.base, 1, hlog.FinestRunInterval)}
	b.w.shard = b.m.shard(0)
	return b, nil
}

// Recorded runs the driver's closed loop for d, as a run's measured
// phase, every op timed and recorded, and returns how many ops it ran.
func (b *BenchClient) Recorded(d time.Duration) int {
	before := b.Count()
	p := &b.d.plan
	p.end = p.clock() + d
	b.d.closedLoop(b.w, b.m)
	return int(b.Count() - before)
}

// Bare runs n ops of the same mix with nothing around them.
func (b *BenchClient) Bare(n int) {
	for range n {
		_ = b.w.do(b.w.next())
	}
}

// Count is the ops recorded so far, errors included.
func (b *BenchClient) Count() int64 {
	s := b.m.shard(0)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count + s.errors
}
