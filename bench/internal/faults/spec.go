// Package faults is a run's fault schedule: the specs a plan takes
// (crash:leader@10s+5s), striking and healing them in the embedded
// ensemble, or killing and starting again real servers zkbench manages
// (Servers), at their times on the run's clock; what each did to the
// writes and to the member it struck; and the end-of-run check that
// every acknowledged write is on every member.
package faults

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is what a fault does.
type Kind string

const (
	Crash     Kind = "crash"     // power loss: the member stops, its unsynced writes are lost
	Kill      Kind = "kill"      // the process stops: what it wrote stays
	Partition Kind = "partition" // cut off from every other member
	SlowDisk  Kind = "slow-disk" // each of its syncs takes Latency longer
	DiskFull  Kind = "disk-full" // its writes fail with ENOSPC
)

// Who names a member by its role when the fault strikes.
const (
	Leader   = "leader"
	Follower = "follower"
	Observer = "observer"
)

// Spec is one fault: KIND:WHO@AT[+FOR].
type Spec struct {
	Kind    Kind
	Latency time.Duration // slow-disk's
	// Who is Leader, Follower, Observer, or "" with ID a member's id.
	Who string
	ID  uint64
	// At is when it strikes, from the start of the measured phase; For
	// how long it lasts (0: to the end of the run).
	At, For time.Duration
}

// ErrSpec wraps every error of Parse.
var ErrSpec = errors.New("bad fault")

const form = "KIND:WHO@AT[+FOR]"

// Parse reads one spec. An error names the part that is wrong.
func Parse(s string) (Spec, error) {
	bad := func(part, format string, a ...any) error {
		return fmt.Errorf("%w %q: %s %s (want %s, e.g. crash:leader@10s+5s)", ErrSpec, s, part, fmt.Sprintf(format, a...), form)
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Spec{}, bad("no ':'", "after KIND")
	}
	who, when, ok := strings.Cut(rest, "@")
	if !ok {
		return Spec{}, bad("no '@'", "after WHO")
	}
	var sp Spec
	if err := sp.setKind(kind); err != nil {
		return Spec{}, bad("KIND", "%v", err)
	}
	if err := sp.setWho(who); err != nil {
		return Spec{}, bad("WHO", "%v", err)
	}
	at, dur, hasFor := strings.Cut(when, "+")
	var err error
	if sp.At, err = duration(at); err != nil {
		return Spec{}, bad("AT", "%v", err)
	}
	if hasFor {
		if sp.For, err = duration(dur); err != nil || sp.For == 0 {
			if err == nil {
				err = errors.New("0: leave +FOR out for a fault that lasts to the end")
			}
			return Spec{}, bad("FOR", "%v", err)
		}
	}
	return sp, nil
}

func (sp *Spec) setKind(k string) error {
	name, arg, hasArg := strings.Cut(k, "=")
	sp.Kind = Kind(name)
	switch sp.Kind {
	case Crash, Kill, Partition, DiskFull:
		if hasArg {
			return fmt.Errorf("%q takes no =value", name)
		}
		return nil
	case SlowDisk:
		if !hasArg {
			return errors.New("slow-disk needs its latency: slow-disk=50ms")
		}
		d, err := duration(arg)
		if err == nil && d == 0 {
			err = errors.New("0 adds nothing")
		}
		sp.Latency = d
		return err
	}
	return fmt.Errorf("%q: want crash, kill, partition, slow-disk=LATENCY or disk-full", k)
}

func (sp *Spec) setWho(w string) error {
	switch w {
	case Leader, Follower, Observer:
		sp.Who = w
		return nil
	}
	id, err := strconv.ParseUint(w, 10, 64)
	if err != nil || id == 0 {
		return fmt.Errorf("%q: want leader, follower, observer or a member id (1, 2, …)", w)
	}
	sp.ID = id
	return nil
}

func duration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration like 10s", s)
	}
	return d, nil
}

// String writes sp as Parse reads it.
func (sp Spec) String() string {
	k := string(sp.Kind)
	if sp.Kind == SlowDisk {
		k += "=" + sp.Latency.String()
	}
	who := sp.Who
	if who == "" {
		who = strconv.FormatUint(sp.ID, 10)
	}
	s := k + ":" + who + "@" + sp.At.String()
	if sp.For > 0 {
		s += "+" + sp.For.String()
	}
	return s
}

// ParseList reads a plan's faults value: specs separated by commas, ""
// or "none" for none (a sweep's run without faults).
func ParseList(v string) ([]Spec, error) {
	if strings.TrimSpace(v) == "none" {
		return nil, nil
	}
	var specs []Spec
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		sp, err := Parse(s)
		if err != nil {
			return nil, err
		}
		specs = append(specs, sp)
	}
	return specs, nil
}

// FormatList writes specs as ParseList reads them.
func FormatList(specs []Spec) string {
	parts := make([]string, len(specs))
	for i, sp := range specs {
		parts[i] = sp.String()
	}
	return strings.Join(parts, ",")
}

// Ensemble is what a schedule's target offers, for Check.
type Ensemble struct {
	Servers, Observers int
	Partitions         bool // the in-process transport: members can be cut off
	Measured           time.Duration
}

// Check says whether e can take every fault of specs, before anything
// starts: a member id it has, an observer when one is asked for,
// partitions only where they can be made, every fault inside the
// measured phase.
func Check(specs []Spec, e Ensemble) error {
	for _, sp := range specs {
		switch {
		case sp.ID > uint64(e.Servers+e.Observers):
			return fmt.Errorf("fault %s: no member %d (the ensemble has %d)", sp, sp.ID, e.Servers+e.Observers)
		case sp.Who == Observer && e.Observers == 0:
			return fmt.Errorf("fault %s: the ensemble has no observer (observers=0)", sp)
		case sp.Who == Follower && e.Servers < 2:
			return fmt.Errorf("fault %s: a single server has no follower", sp)
		case sp.Kind == Partition && !e.Partitions:
			return fmt.Errorf("fault %s: partitions need transport=inproc", sp)
		case e.Measured > 0 && sp.At >= e.Measured:
			return fmt.Errorf("fault %s: strikes at %v, not inside the measured %v", sp, sp.At, e.Measured)
		}
	}
	return nil
}
