package workloads

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Share is one driver's part of a workload that N drivers, on as many
// machines, run together against one target: the clients, the rate, the
// op limit and the keys are split into N parts without overlap, and the
// drivers meet at a barrier on the target itself before they warm up, so
// that their measured phases begin together. Their results add up to
// the whole workload's (results/merge).
type Share struct {
	I, N int // this driver is the I-th, from 1, of N
	// Timeout bounds the wait at the barrier: a driver the others do not
	// join in time gives up with ErrBarrier, having measured nothing.
	Timeout time.Duration
}

// Whole is the share of a driver that runs the workload alone.
var Whole = Share{I: 1, N: 1}

// ErrBarrier means the drivers of a shared workload did not all reach
// the barrier within its timeout.
var ErrBarrier = errors.New("the other drivers did not arrive")

// ParseShare reads "I/N", 1 <= I <= N.
func ParseShare(s string) (Share, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Share{}, fmt.Errorf("%q: want I/N, the I-th of N drivers (1 <= I <= N)", s)
	}
	return Share{I: i, N: n}, nil
}

func (s Share) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Split is this share's part [lo, hi) of total things, parts as equal
// as whole numbers allow; the N shares' parts cover [0, total) once.
func (s Share) Split(total int64) (lo, hi int64) {
	i, n := int64(s.I-1), int64(s.N)
	return total * i / n, total * (i + 1) / n
}

// check refuses a share that would leave a driver without a client or a
// key, or with no op limit where the others have one.
func (s Share) check(spec *Spec) error {
	switch {
	case s.N < 1 || s.I < 1 || s.I > s.N:
		return fmt.Errorf("driver %s: want I/N with 1 <= I <= N", s)
	case s.N == 1:
		return nil
	case s.Timeout <= 0:
		return fmt.Errorf("driver %s: the barrier needs a timeout", s)
	case spec.Clients < s.N:
		return fmt.Errorf("driver %s: %d clients cannot be split over %d drivers", s, spec.Clients, s.N)
	case spec.Keys < s.N:
		return fmt.Errorf("driver %s: %d keys cannot be split over %d drivers", s, spec.Keys, s.N)
	case spec.Ephemerals > 0 && min(spec.Ephemerals, spec.EphemeralSessions) < s.N:
		return fmt.Errorf("driver %s: the ephemerals' %d owner sessions cannot be split over %d drivers", s, min(spec.Ephemerals, spec.EphemeralSessions), s.N)
	case spec.Ops > 0 && spec.Ops < int64(s.N):
		return fmt.Errorf("driver %s: an op limit of %d cannot be split over %d drivers", s, spec.Ops, s.N)
	}
	return nil
}

// barrierPoll is how often a driver waiting at the barrier looks again:
// it bounds how far apart the drivers' measured phases begin.
const barrierPoll = 5 * time.Millisecond

// barrier waits, on c, until every driver of the share has arrived
// under dir, or the timeout passes. Each driver leaves an ephemeral
// sequential node d<I>-<seq>; the one that sees all N (counting only
// nodes newer than the last completed barrier's, so that a node left by
// a driver killed moments ago does not count) leaves ready-<highest seq>,
// persistent, by which a driver that looked a moment too late (a quick
// driver may have finished and gone) knows the barrier it joined was
// completed. The nodes go with the sessions; the ready nodes stay, tiny,
// under the run's root.
func (s Share) barrier(ctx context.Context, c Conn, dir string) error {
	if err := ensure(c, dir, nil); err != nil {
		return fmt.Errorf("barrier: %w", err)
	}
	name, err := c.Create(fmt.Sprintf("%s/d%d-", dir, s.I), nil, EphemeralSequential)
	if err != nil {
		return fmt.Errorf("barrier: %w", err)
	}
	mine := seqOf(name)
	deadline := time.NewTimer(s.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(barrierPoll)
	defer tick.Stop()
	for {
		names, err := c.GetChildren(dir)
		if err != nil {
			return fmt.Errorf("barrier: list %s: %w", dir, err)
		}
		done, ready := s.arrived(names, mine)
		if ready != "" {
			if err := ensure(c, dir+"/"+ready, nil); err != nil {
				return fmt.Errorf("barrier: %w", err)
			}
		}
		if done {
			return nil
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return fmt.Errorf("%w at %s within %v (driver %s)", ErrBarrier, dir, s.Timeout, s)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// arrived reads the barrier folder's children: done when a barrier this
// driver (its node's sequence number mine) took part in is complete;
// ready names the marker to leave when this look completed it.
func (s Share) arrived(names []string, mine int64) (done bool, ready string) {
	last := int64(-1) // the newest completed barrier
	newest := map[int]int64{}
	for _, n := range names {
		if v, ok := strings.CutPrefix(n, "ready-"); ok {
			if seq, err := strconv.ParseInt(v, 10, 64); err == nil {
				last = max(last, seq)
			}
		}
	}
	if last >= mine {
		return true, ""
	}
	for _, n := range names {
		i, seq, ok := driverNode(n)
		if ok && seq > last && i >= 1 && i <= s.N {
			newest[i] = max(newest[i], seq)
		}
	}
	if len(newest) < s.N {
		return false, ""
	}
	top := slices.Max(slices.Collect(maps.Values(newest)))
	return true, fmt.Sprintf("ready-%010d", top)
}

// driverNode parses d<I>-<seq>.
func driverNode(name string) (i int, seq int64, ok bool) {
	rest, ok := strings.CutPrefix(name, "d")
	a, b, ok2 := strings.Cut(rest, "-")
	if !ok || !ok2 {
		return 0, 0, false
	}
	i, err1 := strconv.Atoi(a)
	seq, err2 := strconv.ParseInt(b, 10, 64)
	return i, seq, err1 == nil && err2 == nil
}

// seqOf is the sequence number ZooKeeper appended to a node's name.
func seqOf(name string) int64 {
	_, seq, _ := driverNode(name[strings.LastIndexByte(name, '/')+1:])
	return seq
}
