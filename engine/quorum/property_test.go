package quorum

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestRandomizedSafety runs seeded schedules of proposals, crashes (with
// and without connection resets, losing unsynced writes), partitions,
// message delays and slow disks, then heals everything and checks that the
// ensemble converges. The sim checks on every step that
//   - same zxid means same txn, everywhere (logs, trees, messages);
//   - logs and trees only grow in zxid order; a log never holds a zxid of
//     an epoch newer than the persisted currentEpoch;
//   - epochs are persisted before LEADERINFO/ACKEPOCH/NEWLEADER/ACK rely on
//     them, and never go down; acceptedEpoch >= currentEpoch;
//   - a follower ACKs only what is durable;
//   - a leader commits only txns durable on a quorum of voters, and
//     establishes its epoch only with a history a quorum holds; other
//     members apply, while serving, only txns a leader committed, and
//     start serving with committed txns only;
//   - every serving member's tree is a prefix of one committed history;
//   - no committed txn is ever truncated;
//   - at most one leader establishes each epoch;
//
// and at the end that all members hold the same tree with every committed
// txn. ZKBENCH_LONG=1 runs many more and longer
// schedules.
func TestRandomizedSafety(t *testing.T) {
	schedules, steps := 60, 300
	if os.Getenv("ZKBENCH_LONG") == "1" {
		schedules, steps = 2000, 2000
	}
	// ZKBENCH_SEED_OFFSET explores other schedules (the subtest names are
	// the seeds, to rerun one: -run 'TestRandomizedSafety/^1234$').
	offset, _ := strconv.Atoi(os.Getenv("ZKBENCH_SEED_OFFSET"))
	for seed := offset + 1; seed <= offset+schedules; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runSchedule(t, uint64(seed), steps) })
	}
}

func runSchedule(t *testing.T, seed uint64, steps int) *sim {
	voters := []uint64{1, 2, 3}
	var observers []uint64
	switch seed % 4 {
	case 1:
		voters = []uint64{1, 2, 3, 4, 5}
	case 2:
		observers = []uint64{9}
	case 3:
		voters = []uint64{1, 2, 3, 4, 5}
		observers = []uint64{8, 9}
	}
	window := 2 + int(seed%7)*3 // small committed windows force SNAPs
	s := newSim(t, seed, voters, observers, func(c *Config) { c.CommitLogCount = window })
	if seed%3 != 0 {
		// Learners older than the window are DIFFed from the leader's log.
		for _, n := range s.nodes {
			n.cfg.TxnLog = simTxnLog{n}
		}
	}
	rng := s.rng
	maxDelay := int64(seed % 3)
	s.delay = func() int64 { return rng.Int64N(maxDelay + 1) }
	s.syncLag = func(*simNode) int64 {
		if rng.IntN(10) == 0 {
			return rng.Int64N(6)
		}
		return rng.Int64N(2)
	}
	established := map[int64]uint64{}
	s.startAll()
	for step := 0; step < steps; step++ {
		r := rng.IntN(100)
		switch {
		case r < 45:
			// Every member that believes it serves as leader proposes: an
			// old leader may not know yet that it was replaced.
			for _, n := range s.nodes {
				if n.up && n.p.Status().Role == RoleLeading && n.p.Status().Serving {
					for range 1 + rng.IntN(3) {
						s.proposeAt(n)
					}
				}
			}
		case r < 50:
			if n := s.pick(func(n *simNode) bool { return n.up }); n != nil {
				s.crash(n.id, rng.IntN(2) == 0)
			}
		case r < 58:
			if n := s.pick(func(n *simNode) bool { return !n.up }); n != nil {
				s.start(n.id)
			}
		case r < 62:
			a, b := s.nodes[rng.IntN(len(s.nodes))], s.nodes[rng.IntN(len(s.nodes))]
			if a != b {
				s.partition(a.id, b.id)
			}
		case r < 64:
			if n := s.pick(func(*simNode) bool { return true }); n != nil {
				s.isolate(n.id)
			}
		case r < 70:
			s.heal()
		case r < 72:
			// A leader loses its quorum silently (no resets): only the
			// timeouts notice.
			if l := s.leader(); l != nil {
				for _, o := range s.nodes {
					if o != l {
						s.cut[[2]uint64{l.id, o.id}] = true
						s.cut[[2]uint64{o.id, l.id}] = true
					}
				}
			}
		}
		s.tick()
		for _, n := range s.nodes {
			for _, e := range n.events {
				if e.Kind != EventEstablished {
					continue
				}
				if other, ok := established[e.Epoch]; ok && other != n.id {
					s.fatalf("epoch %d established by %d and %d", e.Epoch, other, n.id)
				}
				established[e.Epoch] = n.id
			}
		}
	}
	// Recovery: everything heals, every member comes back.
	s.heal()
	s.delay = func() int64 { return 0 }
	s.syncLag = func(*simNode) int64 { return 0 }
	for _, n := range s.nodes {
		s.start(n.id)
	}
	s.awaitStable(3000)
	s.propose(2)
	s.settle()
	s.checkFinal()
	if len(s.canon) == 0 {
		t.Fatalf("nothing was committed")
	}
	return s
}

// TestDeterministic: the same seed gives the same run, message for message.
func TestDeterministic(t *testing.T) {
	a := runSchedule(t, 7, 200)
	b := runSchedule(t, 7, 200)
	if strings.Join(a.log, "\n") != strings.Join(b.log, "\n") || zxids(a.canon) != zxids(b.canon) {
		t.Fatal("two runs of one seed differ")
	}
}

// pick returns a random member satisfying f, or nil.
func (s *sim) pick(f func(*simNode) bool) *simNode {
	var c []*simNode
	for _, n := range s.nodes {
		if f(n) {
			c = append(c, n)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[s.rng.IntN(len(c))]
}
