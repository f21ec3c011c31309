package faults

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Servers is an ensemble of real ZooKeeper servers zkbench started, as
// a schedule strikes them: each one's mode as srvr tells it, a SIGKILL
// of its JVM, a start again on its ports and data (not waiting for it),
// its client address and the log every start of it appends to.
type Servers interface {
	Members() []int
	Modes(ctx context.Context) map[int]string // absent: no answer (down, or not serving)
	Kill(id int) error
	Launch(id int) error
	ClientAddr(id int) string
	LogFile(id int) string
}

// pollEvery is how often a schedule of real servers asks them their
// modes: the resolution of their elections and of serving again.
const pollEvery = 50 * time.Millisecond

// serverRefusals says why each fault kind a real server cannot take is
// refused; kill, a SIGKILL of its JVM, is the one it takes.
var serverRefusals = map[Kind]string{
	Crash: "a real server can only be killed (SIGKILL), and the OS keeps what it wrote but did not sync, " +
		"where a power loss drops it; use kill, or the embedded ensemble for crash",
	Partition: "cutting a real server off from the others would take this machine's firewall, which zkbench does not touch; " +
		"partitions need the embedded ensemble",
	SlowDisk: "a real server's syncs go straight to the kernel, not through zkbench's disk; slow-disk needs the embedded ensemble",
	DiskFull: "a real server writes to the real file system, which zkbench does not fill; disk-full needs the embedded ensemble",
}

// CheckServers is Check for real servers zkbench manages: only kill.
func CheckServers(specs []Spec, e Ensemble) error {
	for _, sp := range specs {
		if why := serverRefusals[sp.Kind]; why != "" {
			return fmt.Errorf("fault %s: %s", sp, why)
		}
	}
	e.Partitions = false
	return Check(specs, e)
}

// AttachServers gives the schedule the real servers it strikes.
func (s *Schedule) AttachServers(srv Servers) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.srv = srv
}

// poll asks every server its mode once and tells the recorder.
func (s *Schedule) poll(ctx context.Context) map[int]string {
	modes := s.srv.Modes(ctx)
	if s.observe != nil {
		s.observe(time.Now(), modes)
	}
	return modes
}

func (s *Schedule) pollUntil(ctx context.Context) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.poll(ctx)
		}
	}
}

// strikeServer kills the server f names, resolved by asking them all.
func (s *Schedule) strikeServer(f *struck) {
	modes := s.poll(context.Background())
	id, err := resolveMode(f.spec, s.srv.Members(), modes)
	if err != nil {
		f.err = err
		return
	}
	f.member, f.role = uint64(id), modes[id]
	if f.spec.Kind != Kill {
		f.err = fmt.Errorf("%s member %d: %s", f.spec.Kind, id, serverRefusals[f.spec.Kind])
		return
	}
	if err := s.srv.Kill(id); err != nil {
		f.err = fmt.Errorf("kill member %d: %w", id, err)
	}
}

// healServer starts the killed server again, noting where its log is
// at, and returns at once: the polls see when it serves.
func (s *Schedule) healServer(f *struck) {
	id := int(f.member)
	if st, err := os.Stat(s.srv.LogFile(id)); err == nil {
		f.logFrom = st.Size()
	}
	if err := s.srv.Launch(id); err != nil {
		f.err = fmt.Errorf("heal kill of member %d: %w", id, err)
	}
}

// resolveMode names the member sp strikes, from the servers' modes now.
func resolveMode(sp Spec, members []int, modes map[int]string) (int, error) {
	if sp.ID != 0 {
		if modes[int(sp.ID)] == "" {
			return 0, fmt.Errorf("member %d is not serving", sp.ID)
		}
		return int(sp.ID), nil
	}
	for _, id := range members {
		if modes[id] == sp.Who {
			return id, nil
		}
	}
	if sp.Who == Leader {
		return 0, fmt.Errorf("no leader serves")
	}
	return 0, fmt.Errorf("no %s serves", sp.Who)
}

// Restarted returns the members that were started again (a healed kill
// of a real server): their own counters (mntr) began again then.
func (s *Schedule) Restarted() map[int]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]bool{}
	for _, f := range s.faults {
		if s.srv != nil && f.member != 0 && !f.healed.IsZero() {
			out[int(f.member)] = true
		}
	}
	return out
}
