package quorum

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// simMembership reads the sim's reconfig txns: "reconfig v1,v2;o1,o2".
func simMembership(txn []byte) (voters, observers []uint64, ok bool) {
	rest, ok := strings.CutPrefix(string(txn), "reconfig ")
	if !ok {
		return nil, nil, false
	}
	vs, os, _ := strings.Cut(rest, ";")
	ids := func(s string) []uint64 {
		var out []uint64
		for _, f := range strings.Split(s, ",") {
			if n, err := strconv.ParseUint(f, 10, 64); err == nil {
				out = append(out, n)
			}
		}
		return out
	}
	return ids(vs), ids(os), true
}

// proposeReconfig proposes a reconfig txn at the sim's leader.
func (s *sim) proposeReconfig(txn string) int64 {
	s.t.Helper()
	l := s.leader()
	if l == nil {
		s.fatalf("no serving leader")
	}
	z, err := l.p.Propose([]byte(txn))
	if err != nil {
		s.fatalf("Propose on %d: %v", l.id, err)
	}
	s.proposed[z] = []byte(txn)
	s.drain(l)
	return z
}

// A reconfig, and a write proposed while it is pending, commit only once
// a quorum of the new voters acknowledged them too: with the two voters
// that stay cut off from the leader, the three that leave are a quorum
// of the old configuration but none of the new. Once they are back, both
// commit and every member takes the new configuration; a member removed
// keeps following without a vote.
func TestReconfigNeedsOldAndNewQuorum(t *testing.T) {
	s := newSim(t, 3, []uint64{1, 2, 3, 4, 5}, nil, func(c *Config) { c.Membership = simMembership })
	s.startAll()
	l := s.awaitStable(300)
	if l.id != 5 {
		t.Fatalf("leader %d", l.id)
	}
	s.partition(5, 3)
	s.partition(5, 4)
	s.settle()
	rz := s.proposeReconfig("reconfig 3,4,5;")
	wz := s.propose(1)[0]
	s.run(5)
	if got := l.p.Status().LastCommittedZxid; got >= rz {
		t.Fatalf("committed up to 0x%x without a quorum of the new voters (reconfig 0x%x)", got, rz)
	}
	if !l.p.ReconfigPending() || !slices.Equal(l.p.voters, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("pending %v, voters %v", l.p.ReconfigPending(), l.p.voters)
	}
	s.heal()
	s.runUntil(600, "the reconfig and the write to commit everywhere", func() bool {
		for _, n := range s.nodes {
			if !n.up || n.p.Status().LastProcessedZxid < wz {
				return false
			}
		}
		return true
	})
	for _, n := range s.nodes {
		if !slices.Equal(n.p.voters, []uint64{3, 4, 5}) || len(n.p.observers) != 0 {
			t.Errorf("member %d: voters %v observers %v", n.id, n.p.voters, n.p.observers)
		}
	}
	if l.p.ReconfigPending() || l.p.Status().Role != RoleLeading {
		t.Errorf("leader: pending %v, role %s", l.p.ReconfigPending(), l.p.Status().Role)
	}
	if r := s.node(1).p.Status().Role; r != RoleFollowing {
		t.Errorf("a removed member is %s, want it following without a vote", r)
	}
	// Two of the three new voters are a quorum; the removed ones are not.
	s.crash(3, true)
	z := s.propose(1)[0]
	s.settle()
	if got := l.p.Status().LastCommittedZxid; got < z {
		t.Errorf("with voters 4 and 5 up, 0x%x did not commit (last 0x%x)", z, got)
	}
	s.crash(4, true)
	s.settle()
	s.runUntil(600, "the leader to give up without a quorum of the new voters", func() bool {
		return l.p.Status().Role != RoleLeading
	})
}
