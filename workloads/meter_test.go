package workloads

import (
	"errors"
	"testing"
	"time"
)

func TestMeter(t *testing.T) {
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	m := newMeter(start, 2, time.Second)
	a, b := m.shard(0), m.shard(1)
	m.record(a, OpSetData, 100*time.Millisecond, 5*time.Millisecond, nil, nil)
	m.record(b, OpSetData, 900*time.Millisecond, 7*time.Millisecond, nil, nil)
	m.record(a, OpGetData, 1500*time.Millisecond, time.Millisecond, nil, nil)
	m.record(a, OpSetData, 3200*time.Millisecond, 9*time.Millisecond, nil, nil) // second 2 stays empty
	m.record(b, OpSetData, 1100*time.Millisecond, 0, ErrNoNode, nil)
	m.record(b, OpSetData, 1200*time.Millisecond, 0, errors.New("unmapped"), nil)

	// A Live call moves the shards on; a value for an earlier second
	// arriving after it still lands in its own second.
	var l Live
	m.live(3500*time.Millisecond, &l)
	if l.Count != 4 || l.Errors != 2 {
		t.Errorf("live count %d errors %d, want 4 and 2", l.Count, l.Errors)
	}
	// Second 2 is empty; the p99 so far is of seconds 0 to 2: 5, 7, 1 ms.
	if want := 7 * time.Millisecond; l.OpsPerSec != 0 || l.P99 < want || l.P99 > want+10*time.Microsecond {
		t.Errorf("live second 2: %v ops/s p99 %v, want the empty second and 7ms so far", l.OpsPerSec, l.P99)
	}
	m.record(b, OpGetData, 1900*time.Millisecond, 2*time.Millisecond, nil, nil)
	// Ops in flight at the end land in the last second.
	m.record(b, OpSetData, 3700*time.Millisecond, 11*time.Millisecond, nil, nil)

	res := m.finish(3600*time.Millisecond, []Op{OpSetData, OpGetData})
	set, get := res[0], res[1]
	if set.Op != OpSetData || get.Op != OpGetData {
		t.Fatalf("ops %v %v", set.Op, get.Op)
	}
	perSecond := func(r OpResult) (n []int64) {
		for _, h := range r.Intervals {
			n = append(n, h.TotalCount())
		}
		return n
	}
	if got := perSecond(set); !equalInts(got, []int64{2, 0, 0, 2}) {
		t.Errorf("setData per second %v, want [2 0 0 2]", got)
	}
	if got := perSecond(get); !equalInts(got, []int64{0, 2, 0, 0}) {
		t.Errorf("getData per second %v, want [0 2 0 0]", got)
	}
	if set.Count != 4 || !set.Latency.ValuesAreEquivalent(set.Latency.Max(), 11000) {
		t.Errorf("setData count %d max %d, want 4 and 11000", set.Count, set.Latency.Max())
	}
	if set.Errors != 2 || set.ErrorKinds["NoNode"] != 1 || set.ErrorKinds["other"] != 1 {
		t.Errorf("setData errors %d %v", set.Errors, set.ErrorKinds)
	}
	// Stamps: whole seconds, the last cut at the stop.
	last := set.Intervals[3]
	ms := func(d time.Duration) int64 { return start.Add(d).UnixMilli() }
	if s, e := last.StartTimeMs(), last.EndTimeMs(); s != ms(3*time.Second) || e != ms(3600*time.Millisecond) {
		t.Errorf("last interval %d..%d, want 3.0 s..3.6 s", s-start.UnixMilli(), e-start.UnixMilli())
	}
	if s := set.Intervals[1].StartTimeMs(); s != ms(time.Second) {
		t.Errorf("second interval starts at %d ms", s-start.UnixMilli())
	}
	// A straggler after finish is dropped.
	before := a.count
	m.record(a, OpSetData, 3650*time.Millisecond, time.Millisecond, nil, nil)
	if a.count != before {
		t.Error("a value recorded after finish was counted")
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// live reports the last complete second once all shards have passed it.
func TestMeterLive(t *testing.T) {
	start := time.Unix(1000, 0)
	m := newMeter(start, 3, time.Second)
	for i := range 100 {
		m.record(m.shard(i), OpGetData, time.Duration(i)*time.Millisecond, time.Duration(i+1)*time.Millisecond, nil, nil)
	}
	var l Live
	m.live(1500*time.Millisecond, &l)
	if l.OpsPerSec != 100 || l.Count != 100 || l.Elapsed != 1500*time.Millisecond {
		t.Errorf("live %+v, want 100 ops/s and count", l)
	}
	if want := 99 * time.Millisecond; l.P99 < want || l.P99 > want+100*time.Microsecond {
		t.Errorf("live p99 %v, want 99ms", l.P99)
	}
	// A faster second after it: ops/s are the last second's, the p99 is
	// of both.
	for i := range 50 {
		m.record(m.shard(i), OpGetData, 1500*time.Millisecond+time.Duration(i)*time.Millisecond, time.Millisecond, nil, nil)
	}
	m.live(2100*time.Millisecond, &l)
	if want := 99 * time.Millisecond; l.OpsPerSec != 50 || l.P99 < want || l.P99 > want+100*time.Microsecond {
		t.Errorf("live %v ops/s, p99 so far %v; want 50 and 99ms, not the last second's 1ms", l.OpsPerSec, l.P99)
	}
}

func TestMeterSplitsWrites(t *testing.T) {
	m := newMeter(time.Unix(0, 0), 2, time.Second)
	inside := false
	window := func() bool { return inside }
	a := m.shard(0)
	m.record(a, OpSetData, 100*time.Millisecond, 5*time.Millisecond, nil, window)
	m.record(a, OpGetData, 150*time.Millisecond, 50*time.Millisecond, nil, window) // a read: not split
	inside = true
	m.record(m.shard(1), OpCreate, 200*time.Millisecond, 40*time.Millisecond, nil, window)
	m.record(a, OpSetData, 300*time.Millisecond, time.Millisecond, ErrBadVersion, window) // failed: not timed
	m.finish(time.Second, []Op{OpSetData, OpGetData, OpCreate})
	in, out := m.splitWrites()
	if in.TotalCount() != 1 || out.TotalCount() != 1 || in.Max() < 39000 || out.Max() > 6000 {
		t.Errorf("inside %d (max %d µs), outside %d (max %d µs)", in.TotalCount(), in.Max(), out.TotalCount(), out.Max())
	}
}
