package quorum

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"zkbench/engine/jute"
)

func TestLeaderCrashLosesNoCommittedTxn(t *testing.T) {
	for _, voters := range [][]uint64{{1, 2, 3}, {1, 2, 3, 4, 5}} {
		s := newSim(t, 21, voters, nil, nil)
		s.startAll()
		l := s.awaitStable(200)
		committed := s.propose(5)
		s.settle()
		// More proposals, of which only some reach the followers.
		s.delay = func() int64 { return int64(s.rng.IntN(3)) }
		s.propose(3)
		s.tick()
		oldEpoch := l.p.Status().CurrentEpoch
		s.crash(l.id, true)
		s.delay = func() int64 { return 0 }
		nl := s.awaitStable(300)
		if nl.id == l.id || nl.p.Status().CurrentEpoch <= oldEpoch {
			t.Fatalf("no new epoch: %s", s.describe())
		}
		for _, zx := range committed {
			if !slices.ContainsFunc(nl.tree, func(e Entry) bool { return e.Zxid == zx }) {
				t.Fatalf("committed 0x%x lost by the new leader", zx)
			}
		}
		s.start(l.id)
		s.awaitStable(300)
		s.propose(2)
		s.settle()
		s.checkFinal()
	}
}

func TestFollowerTimesOutWithoutLeader(t *testing.T) {
	// The leader's links go silent (no LinkDown): followers hear nothing for
	// syncLimit and go LOOKING; the leader, without synced followers,
	// steps down too.
	s := newSim(t, 22, []uint64{1, 2, 3}, nil, nil)
	s.startAll()
	l := s.awaitStable(200)
	for _, o := range []uint64{1, 2} {
		s.cut[[2]uint64{l.id, o}] = true
		s.cut[[2]uint64{o, l.id}] = true
	}
	syncTicks := int((5*200 + 99) / 100) // syncLimit*tickTime in Ticks
	s.run(syncTicks - 1)
	if st := s.node(1).p.Status(); st.Role != RoleFollowing {
		t.Fatalf("follower gave up before syncLimit: %s", s.describe())
	}
	s.run(2)
	for _, id := range []uint64{1, 2} {
		if ev := s.node(id).eventsOf(EventLooking); len(ev) == 0 || !strings.Contains(ev[0].Reason, "no packet") {
			t.Fatalf("follower %d: %v", id, ev)
		}
	}
	s.runUntil(60, "leader steps down", func() bool { return l.p.Status().Role != RoleLeading })
	if ev := l.eventsOf(EventLooking); len(ev) == 0 || !strings.Contains(ev[0].Reason, "synced") {
		t.Fatalf("leader: %v", ev)
	}
	// 1 and 2 elect 2; 3 joins when healed.
	if nl := s.awaitStableAmong(300, 1, 2); nl.id != 2 {
		t.Fatalf("leader %d", nl.id)
	}
	s.heal()
	s.awaitStable(300)
	s.checkFinal()
}

// awaitStableAmong waits until ids have one serving leader among them.
func (s *sim) awaitStableAmong(limit int, ids ...uint64) *simNode {
	s.t.Helper()
	var leader *simNode
	s.runUntil(limit, "stable among a subset", func() bool {
		leader = nil
		for _, id := range ids {
			n := s.node(id)
			if n.up && n.p.Status().Role == RoleLeading && n.p.Status().Serving {
				leader = n
			}
		}
		if leader == nil {
			return false
		}
		for _, id := range ids {
			st := s.node(id).p.Status()
			if !st.Serving || st.Leader != leader.id {
				return false
			}
		}
		return true
	})
	return leader
}

func TestLinkDownIsImmediate(t *testing.T) {
	s := newSim(t, 23, []uint64{1, 2, 3}, nil, nil)
	s.startAll()
	l := s.awaitStable(200)
	s.partition(l.id, 1)
	if st := s.node(1).p.Status(); st.Role != RoleLooking {
		t.Fatalf("follower 1 did not react to the broken link: %s", st.Role)
	}
	if st := l.p.Status(); st.Role != RoleLeading || !st.Serving {
		t.Fatalf("leader lost with a quorum left: %s", s.describe())
	}
	s.partition(l.id, 2)
	if st := l.p.Status(); st.Role != RoleLooking {
		t.Fatalf("leader still leading without a quorum: %s", s.describe())
	}
	s.heal()
	s.awaitStable(300)
	s.checkFinal()
}

func TestSlowDiskFollowerIsDropped(t *testing.T) {
	// Follower 1 answers pings but its log never syncs: the leader closes
	// its connection once a proposal waits syncLimit for its ACK.
	s := newSim(t, 24, []uint64{1, 2, 3}, nil, nil)
	s.startAll()
	l := s.awaitStable(200)
	s.syncLag = func(n *simNode) int64 {
		if n.id == 1 {
			return 1 << 40
		}
		return 0
	}
	s.propose(1)
	s.run(20)
	found := false
	for _, e := range l.eventsOf(EventLearnerDropped) {
		if e.Peer == 1 && strings.Contains(e.Reason, "transaction timeout") {
			found = true
		}
	}
	if !found {
		t.Fatalf("slow follower not dropped: %v", l.events)
	}
	if st := l.p.Status(); !st.Serving {
		t.Fatal("leader lost its quorum")
	}
}

func TestForwardedRequestsReachTheLeader(t *testing.T) {
	s := newSim(t, 25, []uint64{1, 2, 3}, []uint64{4}, nil)
	s.startAll()
	l := s.awaitStable(200)
	if err := s.node(1).p.Forward([]byte("create /a"), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.node(4).p.Forward([]byte("create /b"), nil); err != nil {
		t.Fatal(err)
	}
	s.drain(s.node(1))
	s.drain(s.node(4))
	s.settle()
	want := []Request{{From: 1, Data: []byte("create /a")}, {From: 4, Data: []byte("create /b")}}
	if !slices.EqualFunc(l.requests, want, func(a, b Request) bool { return a.From == b.From && string(a.Data) == string(b.Data) }) {
		t.Fatalf("leader got %v", l.requests)
	}
	if err := l.p.Forward(nil, nil); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("leader Forward: %v", err)
	}
	if _, err := s.node(1).p.Propose(nil); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("follower Propose: %v", err)
	}
}

func TestProposeBeforeEstablished(t *testing.T) {
	s := newSim(t, 26, []uint64{1, 2, 3}, nil, nil)
	s.start(3)
	s.run(5)
	if _, err := s.node(3).p.Propose(nil); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("LOOKING Propose: %v", err)
	}
	// Slow links: 3 leads for a while before a quorum acked NEWLEADER.
	s.delay = func() int64 { return 3 }
	s.start(2)
	s.runUntil(50, "3 leading", func() bool { return s.node(3).p.Status().Role == RoleLeading })
	if s.node(3).p.Status().Serving {
		t.Fatal("established without the follower")
	}
	if _, err := s.node(3).p.Propose(nil); !errors.Is(err, ErrNotServing) {
		t.Fatalf("unestablished Propose: %v", err)
	}
	if _, err := s.node(3).p.NextZxid(); !errors.Is(err, ErrNotServing) {
		t.Fatalf("unestablished NextZxid: %v", err)
	}
	s.delay = func() int64 { return 0 }
	s.awaitStable(100)
}

func TestZxidRolloverForcesNewEpoch(t *testing.T) {
	s := newSim(t, 27, []uint64{1, 2, 3}, nil, nil)
	s.startAll()
	l := s.awaitStable(200)
	l.p.ld.counter = 0xfffffffd
	zx := s.propose(1)[0]
	if zx&0xffffffff != 0xfffffffe {
		t.Fatalf("zxid 0x%x", zx)
	}
	s.settle()
	epoch := l.p.Status().CurrentEpoch
	if _, err := l.p.Propose([]byte("x")); !errors.Is(err, ErrZxidRollover) {
		t.Fatalf("Propose at the end of the epoch: %v", err)
	}
	s.drain(l)
	nl := s.awaitStable(300)
	if nl.p.Status().CurrentEpoch != epoch+1 {
		t.Fatalf("epoch %d after rollover in %d", nl.p.Status().CurrentEpoch, epoch)
	}
	s.propose(1)
	s.settle()
	s.checkFinal()
}

func TestObserverAndFollowerRejoinWithoutElection(t *testing.T) {
	s := newSim(t, 28, []uint64{1, 2, 3}, []uint64{4}, nil)
	s.startAll()
	l := s.awaitStable(200)
	s.propose(2)
	s.settle()
	clock := l.p.Status().ElectionEpoch
	for _, id := range []uint64{4, 1} {
		s.crash(id, true)
		s.propose(1)
		s.settle()
		s.start(id)
		s.awaitStable(200)
		if s.leader() != l || l.p.Status().ElectionEpoch != clock || len(l.eventsOf(EventEstablished)) != 1 {
			t.Fatalf("member %d restart caused an election: %s", id, s.describe())
		}
	}
	s.checkFinal()
}

func TestConfigValidation(t *testing.T) {
	bad := []Config{
		{ID: 1},
		{ID: 9, Voters: []uint64{1, 2, 3}},
		{ID: 1, Voters: []uint64{1, 2, 2}},
		{ID: 1, Voters: []uint64{1}, Observers: []uint64{1}},
		{ID: noLeader, Voters: []uint64{noLeader}},
	}
	for _, c := range bad {
		if _, err := New(c, Durable{}); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", c, err)
		}
	}
	if _, err := New(Config{ID: 1, Voters: []uint64{1}}, Durable{AcceptedEpoch: 1, CurrentEpoch: 2}); !errors.Is(err, ErrConfig) {
		t.Errorf("accepted < current: %v", err)
	}
	if _, err := New(Config{ID: 1, Voters: []uint64{1}}, Durable{LastLoggedZxid: 5, Recent: entries(3, 6)}); !errors.Is(err, ErrConfig) {
		t.Errorf("Recent beyond LastLoggedZxid: %v", err)
	}
	var c Config
	c.ID, c.Voters = 1, []uint64{1}
	tm, err := c.normalize()
	if err != nil || tm.finalize != 2 || tm.ping != 10 || tm.sync != 100 || tm.init != 200 || tm.maxNotif != 600 {
		t.Errorf("default timing %+v %v", tm, err)
	}
}

func TestSingleVoterServesAlone(t *testing.T) {
	s := newSim(t, 29, []uint64{1}, []uint64{2}, nil)
	s.startAll()
	s.awaitStable(100)
	s.propose(3)
	s.settle()
	s.checkFinal()
	if got := len(s.node(2).tree); got != 3 {
		t.Fatalf("observer applied %d", got)
	}
}

func TestUnknownSenderAndMalformedNotification(t *testing.T) {
	p, err := New(Config{ID: 1, Voters: []uint64{1, 2, 3}}, Durable{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Step(Message{Type: MsgNotification, From: 9}); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("unknown sender: %v", err)
	}
	if err := p.Step(Message{Type: MsgNotification, From: 2, Data: []byte{1, 2, 3}}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short notification: %v", err)
	}
	// A stale quorum packet while LOOKING is ignored.
	if err := p.Step(Message{Type: jute.PacketProposal, From: 2, Zxid: 5}); err != nil {
		t.Fatal(err)
	}
}
