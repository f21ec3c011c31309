package faults

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/engine"
	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
	"zkbench/results"
	"zkbench/workloads"
)

// The schedule's tests run a real ensemble (in-process transport, every
// member on its own faultfs) and step the schedule on a clock of their
// own: a fault strikes exactly when the test steps past its time, and
// the test then waits for the ensemble's answer (an election, a sync),
// never for a time.

// rig is an ensemble under a fault schedule, with its recorder.
type rig struct {
	ens   *engine.Ensemble
	sched *Schedule
	rec   *Recorder
	t0    time.Time    // the measured phase's start on the test's clock
	now   atomic.Int64 // the test's clock: t0 + what at was last given, ns
	syncs *fsyncs
	keys  int
}

// fsyncs keeps each member's log sync durations from a moment on.
type fsyncs struct {
	mu    sync.Mutex
	from  time.Time
	taken map[uint64][]time.Duration
}

func (f *fsyncs) Publish(e engine.Event) {
	if e.Kind != engine.EventFsync {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.from.IsZero() && !e.Time.Before(f.from) {
		f.taken[e.Member] = append(f.taken[e.Member], e.Duration)
	}
}

func newRig(t *testing.T, observers int, specs ...string) *rig {
	t.Helper()
	var parsed []Spec
	for _, s := range specs {
		sp, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, sp)
	}
	if err := Check(parsed, Ensemble{Servers: 3, Observers: observers, Partitions: true}); err != nil {
		t.Fatal(err)
	}
	cfg := engine.DefaultConfig("/data")
	cfg.Observers = observers
	cfg.TickTime, cfg.TickInterval = 100*time.Millisecond, 10*time.Millisecond
	cfg.PreAllocSize, cfg.SnapCount, cfg.Seed = 1<<20, 100, 1
	r := &rig{sched: NewSchedule(parsed), t0: time.Unix(1_000_000, 0), syncs: &fsyncs{taken: map[uint64][]time.Duration{}}}
	r.rec = NewRecorder(r.sched)
	r.rec.clock = func() time.Time { return r.t0.Add(time.Duration(r.now.Load())) }
	cfg.FS = func(id uint64) disk.FS { return r.sched.Disk(id, faultfs.New(faultfs.Options{Seed: int64(id)})) }
	cfg.Events = engine.SinkFunc(func(e engine.Event) { r.rec.Publish(e); r.syncs.Publish(e) })
	ens, err := engine.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ens.Stop() })
	r.ens = ens
	r.serving(t)
	r.sched.Attach(ens)
	r.sched.Begin(r.t0)
	return r
}

func (r *rig) serving(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.ens.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
}

// at steps the schedule to d into the measured phase: the events the
// ensemble publishes from now on are dated d, until the next step.
func (r *rig) at(d time.Duration) {
	r.now.Store(int64(d))
	r.sched.Step(r.t0.Add(d))
}

// write sets n keys through the leader (creating them the first time)
// and reports each acknowledged write to the recorder as ending at d.
func (r *rig) write(t *testing.T, d time.Duration, n int) {
	t.Helper()
	c, err := r.ens.Client(r.ens.Leader())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range n {
		key := fmt.Sprintf("/k%d", i)
		if i >= r.keys {
			if _, err := c.Create(key, nil, 0, engine.OpenACL); err != nil {
				t.Fatal(err)
			}
		}
		st, err := c.SetData(key, []byte(key), -1)
		if err != nil {
			t.Fatal(err)
		}
		r.rec.Write(workloads.Write{End: r.t0.Add(d), Key: key, Version: st.Version})
	}
	r.keys = max(r.keys, n)
}

// noLatency is a run without a time series.
func noLatency(time.Time, time.Time) *hdrhistogram.Histogram { return nil }

// check heals everything, reads every acknowledged write back from
// every member and returns the one fault's figures.
func (r *rig) check(t *testing.T, end time.Duration) results.Fault {
	t.Helper()
	r.sched.HealAll(r.t0.Add(end))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lost, err := CheckAcked(ctx, r.ens, r.rec.Acked())
	if err != nil {
		t.Fatal(err)
	}
	if len(lost) > 0 {
		t.Errorf("acknowledged writes lost: %v", lost)
	}
	res := r.rec.Results(r.t0.Add(end), noLatency)
	if len(res) != 1 {
		t.Fatalf("%d fault results", len(res))
	}
	if res[0].Error != "" {
		t.Fatalf("fault failed: %s", res[0].Error)
	}
	return res[0]
}

func TestCrashLeader(t *testing.T) {
	r := newRig(t, 0, "crash:leader@2s+3s")
	r.write(t, time.Second, 20)
	leader := r.ens.Leader()
	r.at(1999 * time.Millisecond)
	if !r.ens.Status(leader).Up {
		t.Fatal("the fault struck before its time")
	}
	r.at(2 * time.Second)
	if r.ens.Status(leader).Up {
		t.Fatal("the leader is still up after its crash")
	}
	r.serving(t) // the two others elect a leader
	if r.ens.Leader() == leader {
		t.Fatal("the crashed member leads")
	}
	r.write(t, 3*time.Second, 20)
	r.write(t, 4*time.Second, 1)
	r.at(5 * time.Second)
	r.serving(t)
	r.write(t, 5500*time.Millisecond, 1)
	f := r.check(t, 6*time.Second)
	if f.Member != int(leader) || f.Role != Leader || f.ElectionMs == nil || f.NewLeader == int(leader) {
		t.Errorf("fault %+v: want member %d, a leader, an election of another", f, leader)
	}
	// What the restart restores depends on what the leader had synced
	// when its power went (the followers alone are a quorum): anything
	// from its first snapshot on. The sync brings the rest.
	if f.Restore == nil || f.Restore.Snapshot == "" || f.Restore.Nodes == nil || *f.Restore.Nodes < 4 {
		t.Fatalf("restore %+v: want the restart's, from a snapshot", f.Restore)
	}
	if f.Sync == nil || f.Sync.Mode == "" || f.ServingAgainMs == nil {
		t.Errorf("sync %+v, serving again %v: want the returning member's", f.Sync, f.ServingAgainMs)
	}
	if f.HealedS == nil || *f.HealedS != 5 {
		t.Errorf("healed at %v, want 5 s", f.HealedS)
	}
	// The writes before and after the crash, 2 s apart on the test's clock.
	if f.UnavailableS != 2 || f.GapFromS != 1 || f.GapToS != 3 {
		t.Errorf("gap %.3f s from %.3f to %.3f, want 2 s from 1 to 3", f.UnavailableS, f.GapFromS, f.GapToS)
	}
	if f.InForceGapS != 2 || f.InForceGapToS != 3 {
		t.Errorf("gap while in force %.3f s to %.3f, want the same 2 s to 3", f.InForceGapS, f.InForceGapToS)
	}
}

func TestKillFollower(t *testing.T) {
	r := newRig(t, 0, "kill:follower@1s+1s")
	r.write(t, 500*time.Millisecond, 10)
	leader := r.ens.Leader()
	r.at(time.Second)
	f0 := r.sched.faults[0].member
	if f0 == leader || r.ens.Status(f0).Up {
		t.Fatalf("member %d (leader %d) was to be killed", f0, leader)
	}
	r.write(t, 1500*time.Millisecond, 10) // a majority is left: writes go on
	r.at(2 * time.Second)
	r.serving(t)
	f := r.check(t, 3*time.Second)
	if f.Role != Follower || f.ElectionMs != nil {
		t.Errorf("fault %+v: a follower, no election", f)
	}
	if f.Restore == nil || f.Sync == nil {
		t.Errorf("restore %+v sync %+v: want both", f.Restore, f.Sync)
	}
}

func TestPartitionLeader(t *testing.T) {
	r := newRig(t, 0, "partition:leader@1s+2s")
	r.write(t, 0, 10)
	leader := r.ens.Leader()
	r.at(time.Second)
	waitFor(t, func() bool { l := r.ens.Leader(); return l != 0 && l != leader })
	r.write(t, 2*time.Second, 10)
	r.at(3 * time.Second)
	r.serving(t)
	f := r.check(t, 4*time.Second)
	if f.ElectionMs == nil || f.NewLeader == int(leader) {
		t.Errorf("fault %+v: want another member elected", f)
	}
	if f.Restore != nil {
		t.Errorf("a partition restarts nothing, yet restore %+v", f.Restore)
	}
	if f.Sync == nil || f.Sync.Leader == int(leader) {
		t.Errorf("sync %+v: want the old leader synced with the new one", f.Sync)
	}
}

func TestSlowDisk(t *testing.T) {
	const slow = 15 * time.Millisecond
	r := newRig(t, 0, "slow-disk=15ms:follower@1s+1s")
	r.at(time.Second)
	id := r.sched.faults[0].member
	r.syncs.mu.Lock()
	r.syncs.from = time.Now()
	r.syncs.mu.Unlock()
	r.write(t, 1100*time.Millisecond, 5)
	waitFor(t, func() bool { r.syncs.mu.Lock(); defer r.syncs.mu.Unlock(); return len(r.syncs.taken[id]) > 0 })
	r.at(2 * time.Second)
	r.syncs.mu.Lock()
	taken := r.syncs.taken[id]
	r.syncs.from = time.Time{}
	r.syncs.mu.Unlock()
	if len(taken) == 0 {
		t.Fatalf("member %d did not sync", id)
	}
	for _, d := range taken {
		if d < slow {
			t.Errorf("member %d synced in %v with %v added", id, d, slow)
		}
	}
	f := r.check(t, 3*time.Second)
	if f.Role != Follower || f.Restore != nil || f.ElectionMs != nil {
		t.Errorf("fault %+v: a follower's disk, nothing restarted or elected", f)
	}
}

func TestDiskFull(t *testing.T) {
	r := newRig(t, 0, "disk-full:follower@1s+1s")
	r.write(t, 0, 5)
	r.at(time.Second)
	id := r.sched.faults[0].member
	r.write(t, 1100*time.Millisecond, 5) // the others are a majority
	waitFor(t, func() bool { return !r.ens.Status(id).Up })
	if err := r.ens.FirstFailure(); err != nil {
		t.Fatalf("the planned full disk failed the ensemble: %v", err)
	}
	if err := r.ens.Failed(id); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("member %d failed with %v, want ENOSPC", id, err)
	}
	r.at(2 * time.Second)
	r.serving(t)
	f := r.check(t, 3*time.Second)
	if f.Restore == nil || f.Sync == nil {
		t.Errorf("restore %+v sync %+v: the member was restarted once there was room", f.Restore, f.Sync)
	}
}

// A fault on an observer: WHO resolves to the member observing.
func TestCrashObserver(t *testing.T) {
	r := newRig(t, 1, "crash:observer@1s+1s")
	r.write(t, 0, 5)
	r.at(time.Second)
	if id := r.sched.faults[0].member; id != 4 {
		t.Fatalf("struck member %d, want the observer 4", id)
	}
	r.at(2 * time.Second)
	r.serving(t)
	f := r.check(t, 3*time.Second)
	if f.Role != Observer || f.Sync == nil {
		t.Errorf("fault %+v", f)
	}
}

// The safety check catches a planted loss: a version acknowledged that
// no member holds, and a key acknowledged that no member has.
func TestCheckAckedCatchesLoss(t *testing.T) {
	r := newRig(t, 0)
	r.write(t, 0, 3)
	acked := r.rec.Acked()
	acked["/k1"]++
	acked["/never"] = 0
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lost, err := CheckAcked(ctx, r.ens, acked)
	if err != nil {
		t.Fatal(err)
	}
	if len(lost) != 6 {
		t.Fatalf("lost %v: want /k1 and /never on each of 3 members", lost)
	}
	if lost[0].Key != "/k1" || lost[0].Version != lost[0].Acked-1 || lost[3].Key != "/never" || lost[3].Version != -1 {
		t.Errorf("lost %v", lost)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("gave up waiting")
		case <-tick.C:
		}
	}
}
