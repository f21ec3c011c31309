package faults

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"zkbench/engine"
	"zkbench/engine/disk"
	"zkbench/engine/disk/injectfs"
)

// Schedule strikes and heals a run's faults. Its times are offsets from
// the start of the measured phase (Begin), read on the clock Step is
// given: the run steps it on its own clock, a test on whatever instants
// it chooses, so that when a fault strikes never depends on a sleep.
type Schedule struct {
	ens   *engine.Ensemble
	disks map[uint64]*injectfs.FS
	// srv, instead of ens, is real servers zkbench manages; observe
	// hears what their polls see (the recorder's).
	srv     Servers
	observe func(time.Time, map[int]string)

	// startNs is the measured phase's start (Unix ns), 0 before Begin:
	// read on every write, never behind mu, which a restart holds for
	// as long as the restore takes.
	startNs atomic.Int64

	mu     sync.Mutex
	start  time.Time // startNs's, for Step under mu
	faults []*struck
}

// struck is one fault's course.
type struck struct {
	spec   Spec
	member uint64
	role   string
	at     time.Time // struck; zero: not yet
	healed time.Time // zero: not (yet)
	err    error
	// logFrom is where the restarted real server's log began, in bytes:
	// its restore and sync are read from there.
	logFrom int64
}

// NewSchedule schedules specs. Its ensemble comes later (Attach): the
// recorder of its faults has to hear the ensemble's events from its start.
func NewSchedule(specs []Spec) *Schedule {
	s := &Schedule{disks: map[uint64]*injectfs.FS{}}
	for _, sp := range specs {
		s.faults = append(s.faults, &struck{spec: sp})
	}
	return s
}

// Disk wraps member id's file system, so that its disk faults can be
// switched on: the ensemble config's FS calls it for every member.
func (s *Schedule) Disk(id uint64, inner disk.FS) disk.FS {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := injectfs.New(inner)
	s.disks[id] = d
	return d
}

// Attach gives the schedule the ensemble it strikes.
func (s *Schedule) Attach(ens *engine.Ensemble) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ens = ens
}

// Begin fixes the start of the measured phase, from which the faults'
// times count.
func (s *Schedule) Begin(start time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start = start
	s.startNs.Store(start.UnixNano())
}

// Start returns the start Begin fixed, or the zero time before.
func (s *Schedule) Start() time.Time {
	ns := s.startNs.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Step strikes every fault due at now and heals every fault whose time
// is up, in the schedule's order. It does nothing before Begin.
func (s *Schedule) Step(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.start.IsZero() || (s.ens == nil && s.srv == nil) {
		return
	}
	for _, f := range s.faults {
		if f.at.IsZero() && !now.Before(s.start.Add(f.spec.At)) {
			s.strike(f, now)
		}
		if f.err == nil && !f.at.IsZero() && f.healed.IsZero() && f.spec.For > 0 &&
			!now.Before(s.start.Add(f.spec.At+f.spec.For)) {
			s.heal(f, now)
		}
	}
}

// Run steps the schedule on the wall clock every 5 ms until ctx ends;
// for real servers it also asks them their modes every pollEvery.
func (s *Schedule) Run(ctx context.Context) {
	if s.srv != nil {
		s.poll(ctx) // before anything strikes: the roles the faults change
		done := make(chan struct{})
		defer func() { <-done }()
		go func() { defer close(done); s.pollUntil(ctx) }()
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.Step(now)
		}
	}
}

// HealAll heals what is still in force, the faults without FOR among
// them, as the run ends: the safety check needs every member back.
func (s *Schedule) HealAll(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.err == nil && !f.at.IsZero() && f.healed.IsZero() {
			s.heal(f, now)
		}
	}
}

func (s *Schedule) strike(f *struck, now time.Time) {
	f.at = now
	if s.srv != nil {
		s.strikeServer(f)
		return
	}
	id, err := s.resolve(f.spec)
	if err != nil {
		f.err = err
		return
	}
	f.member = id
	f.role = roleName(s.ens.Status(id))
	d := s.disks[id]
	switch f.spec.Kind {
	case Crash, Kill:
		d.SetKill(f.spec.Kind == Kill)
		err = s.ens.CrashMember(id)
	case Partition:
		err = s.ens.Isolate(id)
	case SlowDisk:
		d.SetSyncDelay(f.spec.Latency)
	case DiskFull:
		s.ens.ExpectFailure(id, true)
		d.SetFull(true)
	}
	if err != nil {
		f.err = fmt.Errorf("%s member %d: %w", f.spec.Kind, id, err)
	}
}

func (s *Schedule) heal(f *struck, now time.Time) {
	f.healed = now
	if s.srv != nil {
		s.healServer(f)
		return
	}
	id, d := f.member, s.disks[f.member]
	var err error
	switch f.spec.Kind {
	case Crash, Kill:
		d.SetKill(false)
		err = s.ens.RestartMember(id)
	case Partition:
		err = s.ens.Rejoin(id)
	case SlowDisk:
		d.SetSyncDelay(0)
	case DiskFull:
		d.SetFull(false)
		if !s.ens.Status(id).Up {
			// The member stopped on its full disk, as ZooKeeper does; the
			// room is back and it is started again, as an operator would.
			_ = s.ens.StopMember(id) // its log could not be closed: the disk was full
			err = s.ens.RestartMember(id)
		}
		s.ens.ExpectFailure(id, false)
	}
	if err != nil {
		f.err = fmt.Errorf("heal %s of member %d: %w", f.spec.Kind, id, err)
	}
}

// resolve names the member sp strikes, now.
func (s *Schedule) resolve(sp Spec) (uint64, error) {
	if sp.ID != 0 {
		if !s.ens.Status(sp.ID).Up {
			return 0, fmt.Errorf("member %d is down", sp.ID)
		}
		return sp.ID, nil
	}
	if sp.Who == Leader {
		if id := s.ens.Leader(); id != 0 {
			return id, nil
		}
		return 0, errors.New("no leader serves")
	}
	want := "FOLLOWING"
	if sp.Who == Observer {
		want = "OBSERVING"
	}
	for _, id := range s.ens.Members() {
		if st := s.ens.Status(id); st.Up && st.Role == want {
			return id, nil
		}
	}
	return 0, fmt.Errorf("no %s is up", sp.Who)
}

func roleName(st engine.MemberStatus) string {
	switch st.Role {
	case "LEADING":
		return Leader
	case "FOLLOWING":
		return Follower
	case "OBSERVING":
		return Observer
	case "":
		return "down"
	}
	return strings.ToLower(st.Role)
}
