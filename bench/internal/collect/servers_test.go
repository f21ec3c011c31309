package collect

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
	"zkbench/hlog"

	"zkbench/engine"
)

func TestServersFromEvents(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s := NewServers(t0, 10*time.Millisecond, hlog.FinestRunInterval)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	fsync := func(id uint64, ms int, d time.Duration) {
		s.Publish(engine.Event{Time: at(ms), Member: id, Kind: engine.EventFsync, Duration: d, Bytes: 1000, Txns: 2})
	}
	fsync(1, 100, 200*time.Microsecond)
	fsync(2, 150, 300*time.Microsecond)
	s.Publish(engine.Event{Time: at(1000), Member: 1, Kind: engine.EventSnapshotStart, Zxid: 0x100000005})
	if !s.InSnapshot() {
		t.Fatal("no window open after snapshot-start")
	}
	fsync(1, 1100, 20*time.Millisecond) // slow, inside the window
	s.Publish(engine.Event{Time: at(1000), Member: 1, Kind: engine.EventSnapshotEnd, Duration: 500 * time.Millisecond,
		Zxid: 0x100000005, Bytes: 4096, Nodes: 10, Path: "snapshot.100000005"})
	s.Publish(engine.Event{Time: at(1600), Member: 2, Kind: engine.EventLogRoll, Path: "log.1", Txns: 5, Zxid: 5})
	s.Publish(engine.Event{Time: at(1700), Member: 2, Kind: engine.EventPreallocExtend, Bytes: 1 << 20})
	s.Publish(engine.Event{Time: at(1800), Member: 3, Kind: engine.EventMemberDown, Mode: "crashed", Err: errors.New("boom")})
	fsync(2, 2100, 400*time.Microsecond)
	s.Finish(at(2500))

	srv := s.Results(map[uint64]string{1: "leader", 2: "follower", 3: "follower"}, func(id uint64) string { return fmt.Sprintf("fsync-%d.hlog", id) })
	if len(srv) != 3 || srv[0].ID != 1 || srv[1].Role != "follower" {
		t.Fatalf("servers %+v", srv)
	}
	if f := srv[0].Fsync; f.Count != 2 || f.Bytes != 2000 || f.Txns != 4 || f.OverWarningThreshold != 1 || f.Hlog != "fsync-1.hlog" {
		t.Errorf("member 1 fsync %+v", f)
	}
	if len(srv[0].Snapshots) != 1 || srv[0].Snapshots[0].Zxid != "0x100000005" || srv[0].Snapshots[0].DurationMs != 500 {
		t.Errorf("member 1 snapshots %+v", srv[0].Snapshots)
	}
	if srv[1].LogRolls != 1 || srv[1].PreallocExtends != 1 {
		t.Errorf("member 2 %+v", srv[1])
	}
	if w := s.Windows(); len(w) != 1 || !w[0].Start.Equal(at(1000)) || !w[0].End.Equal(at(1500)) {
		t.Errorf("windows %+v", w)
	}
	if in, out := s.FsyncStall(); in.ValueAtQuantile(99) < 19000 || out.ValueAtQuantile(99) > 1000 {
		t.Errorf("fsync p99 inside %d µs, outside %d µs", in.ValueAtQuantile(99), out.ValueAtQuantile(99))
	}
	if n := len(s.FsyncIntervals(2)); n != 25 {
		t.Errorf("member 2 has %d fsync intervals, want 25 (2.5 s of 100 ms)", n)
	}
	ev := s.Events()
	if len(ev) != 5 || ev[4].Kind != "member-down" || ev[4].Detail != "crashed: boom" || ev[0].T != 1 {
		t.Errorf("events %+v", ev)
	}
	// The snapshot's end is where it ended, not its start: the report
	// draws the window between the two.
	if len(ev) > 1 && (ev[1].Kind != "snapshot-end" || ev[1].T != 1.5) {
		t.Errorf("snapshot-end event %+v, want it at 1.5 s", ev[1])
	}
}

// A member's first start-up restore is the run's setup: it survives the
// reset at the measured phase's start, and a restart does not replace it.
func TestServersKeepFirstRestores(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s := NewServers(t0, time.Second, hlog.FinestRunInterval)
	up := func(id uint64, d time.Duration) {
		s.Publish(engine.Event{Time: t0, Member: id, Kind: engine.EventMemberUp, Duration: d, Nodes: 1000})
	}
	up(2, 1500*time.Microsecond)
	up(1, 2*time.Second)
	s.Reset(t0.Add(time.Minute))
	up(2, time.Second) // a restart
	up(3, 250*time.Millisecond)
	if got, want := s.Restores(), []float64{2000, 1.5, 250}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("restores %v ms, want %v", got, want)
	}
}

func TestSystemSamplesWithoutDevices(t *testing.T) {
	s := NewSystem(nil, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	for len(s.Samples()) < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	for _, sm := range s.Samples() {
		if sm.CPUPct < 0 || sm.CPUPct > 100 {
			t.Errorf("cpu %v%%", sm.CPUPct)
		}
	}
}

// Before the measured phase a run keeps no fsync interval (a long preload
// would hold one histogram per interval); from Reset on, every one.
func TestServersKeepIntervalsOnlyWhileMeasuring(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s := NewServers(t0, time.Second, hlog.FinestRunInterval)
	s.KeepIntervals(0)
	for ms := range 600_000 / 50 { // 10 minutes of preload, a sync every 50 ms
		s.Publish(engine.Event{Time: t0.Add(time.Duration(ms) * 50 * time.Millisecond), Member: 1, Kind: engine.EventFsync, Duration: time.Millisecond})
	}
	if n := len(s.FsyncIntervals(1)); n != 0 {
		t.Fatalf("%d intervals kept before the measured phase", n)
	}
	start := t0.Add(10 * time.Minute)
	s.Reset(start)
	for ms := range 40 {
		s.Publish(engine.Event{Time: start.Add(time.Duration(ms) * 50 * time.Millisecond), Member: 1, Kind: engine.EventFsync, Duration: time.Millisecond})
	}
	s.Finish(start.Add(2 * time.Second))
	if n := len(s.FsyncIntervals(1)); n != 20 {
		t.Fatalf("%d intervals over the 2 s measured, want 20", n)
	}
}
