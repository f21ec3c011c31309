package quorum

import (
	"fmt"
	"slices"
	"testing"
	"zkbench/engine/jute"
)

func z(epoch, counter int64) int64 { return makeZxid(epoch, counter) }

func TestElectionPicksHighestEpochZxidID(t *testing.T) {
	type state struct {
		current int64
		last    int64
	}
	cases := []struct {
		name   string
		states map[uint64]state
		down   []uint64
		want   uint64
	}{
		{"fresh ensemble: highest id", map[uint64]state{1: {}, 2: {}, 3: {}}, nil, 3},
		{"highest zxid", map[uint64]state{1: {1, z(1, 7)}, 2: {1, z(1, 9)}, 3: {1, z(1, 8)}}, nil, 2},
		{"peer epoch beats zxid", map[uint64]state{1: {2, z(1, 3)}, 2: {1, z(1, 9)}, 3: {1, z(1, 8)}}, nil, 1},
		{"same zxid: highest id", map[uint64]state{1: {1, z(1, 5)}, 2: {1, z(1, 5)}, 3: {1, z(1, 4)}}, nil, 2},
		{"best member down: best of the rest", map[uint64]state{1: {1, z(1, 5)}, 2: {1, z(1, 2)}, 3: {1, z(1, 9)}}, []uint64{3}, 1},
		{"five voters", map[uint64]state{1: {3, z(3, 1)}, 2: {3, z(3, 4)}, 3: {3, z(3, 4)}, 4: {2, z(2, 9)}, 5: {3, z(3, 2)}}, nil, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ids := slices.Sorted(mapKeys(tc.states))
			s := newSim(t, 1, ids, nil, nil)
			for id, st := range tc.states {
				var log []Entry
				for c := int64(1); c <= st.last&0xffffffff; c++ {
					log = append(log, entries(z(epochOf(st.last), c))...)
				}
				s.seed(id, st.current, st.current, log)
			}
			for _, id := range ids {
				if !slices.Contains(tc.down, id) {
					s.start(id)
				}
			}
			l := s.awaitStable(200)
			if l.id != tc.want {
				t.Fatalf("leader %d, want %d (%s)", l.id, tc.want, s.describe())
			}
			for _, n := range s.nodes {
				if n.up && n.id != l.id {
					if got := n.p.Status().Role; got != RoleFollowing {
						t.Errorf("node %d is %s", n.id, got)
					}
				}
			}
			s.checkFinal()
		})
	}
}

func TestBroadcastCommitsWithMajorityAndInformsObservers(t *testing.T) {
	s := newSim(t, 2, []uint64{1, 2, 3}, []uint64{4}, nil)
	s.startAll()
	l := s.awaitStable(200)
	if l.id != 3 {
		t.Fatalf("leader %d", l.id)
	}
	s.propose(3)
	s.settle()
	for _, n := range s.nodes {
		if len(n.tree) != 3 {
			t.Fatalf("node %d applied %d txns, want 3", n.id, len(n.tree))
		}
	}
	// One follower down: the other follower and the leader are a majority.
	s.crash(1, true)
	s.record = true
	zs := s.propose(2)
	s.settle()
	for _, id := range []uint64{2, 3, 4} {
		if got := len(s.node(id).tree); got != 5 {
			t.Fatalf("node %d applied %d txns, want 5", id, got)
		}
	}
	// The observer got INFORM (with the txn), never PROPOSAL or COMMIT, and
	// never ACKs.
	var toObserver []string
	for _, m := range l.messages() {
		if m.To == 4 && m.Type != jute.PacketPing {
			toObserver = append(toObserver, fmt.Sprintf("%s %x", PacketName(m.Type), m.Zxid))
		}
	}
	want := []string{fmt.Sprintf("INFORM %x", zs[0]), fmt.Sprintf("INFORM %x", zs[1])}
	if !slices.Equal(toObserver, want) {
		t.Fatalf("leader → observer: %v, want %v", toObserver, want)
	}
	for _, m := range s.node(4).messages() {
		if m.Type == jute.PacketAck {
			t.Fatalf("observer sent %v", m)
		}
	}
	s.start(1)
	s.awaitStable(200)
	s.propose(1)
	s.settle()
	s.checkFinal()
}

func TestObserversNeverCountTowardQuorum(t *testing.T) {
	// Three voters, two observers. With both followers gone, the leader and
	// two observers are not a quorum: nothing commits, and the leader steps
	// down after syncLimit.
	s := newSim(t, 3, []uint64{1, 2, 3}, []uint64{4, 5}, nil)
	s.startAll()
	l := s.awaitStable(200)
	s.propose(1)
	s.settle()
	s.isolate(1)
	s.isolate(2)
	// LinkDown told the leader at once: it has lost its quorum.
	if st := l.p.Status(); st.Role == RoleLeading {
		t.Fatalf("leader still leading with only observers: %s", s.describe())
	}
	// Observers are never enough to elect either.
	s.run(100)
	for _, n := range s.nodes {
		if n.up && n.p.Status().Serving {
			t.Fatalf("node %d serves without a voter quorum: %s", n.id, s.describe())
		}
	}
	s.heal()
	s.awaitStable(400)
	s.propose(2)
	s.settle()
	s.checkFinal()
}

func TestObserverAckNotCounted(t *testing.T) {
	// A proposal acked by the leader and an observer only is not committed.
	s := newSim(t, 4, []uint64{1, 2, 3}, []uint64{4}, nil)
	s.startAll()
	l := s.awaitStable(200)
	// Followers receive nothing from now on (but links stay up).
	s.cut[[2]uint64{l.id, 1}] = true
	s.cut[[2]uint64{l.id, 2}] = true
	zx := s.propose(1)[0]
	s.settle()
	st := l.p.Status()
	if st.LastCommittedZxid >= zx || st.Outstanding != 1 {
		t.Fatalf("committed without a voter quorum: %+v", st)
	}
	// A forged observer ACK does not commit it either.
	_ = l.p.Step(Message{Type: jute.PacketAck, From: 4, To: l.id, Conn: l.p.handler(4).conn, Zxid: zx})
	if l.p.Status().LastCommittedZxid >= zx {
		t.Fatal("observer ACK counted")
	}
}

func TestRestartedFollowerSyncsByDiffWithoutElection(t *testing.T) {
	s := newSim(t, 5, []uint64{1, 2, 3}, nil, nil)
	s.startAll()
	l := s.awaitStable(200)
	s.propose(4)
	s.settle()
	s.crash(1, true)
	zs := s.propose(3)
	s.settle()
	epoch := l.p.Status().CurrentEpoch
	s.record = true
	s.start(1)
	s.awaitStable(200)
	if s.leader() != l || l.p.Status().CurrentEpoch != epoch {
		t.Fatalf("a new election happened: %s", s.describe())
	}
	n1 := s.node(1)
	got := l.packets(1)
	want := []string{
		fmt.Sprintf("LEADERINFO %x", z(epoch, 0)),
		fmt.Sprintf("DIFF %x", zs[2]),
		fmt.Sprintf("PROPOSAL %x", zs[0]), fmt.Sprintf("COMMIT %x", zs[0]),
		fmt.Sprintf("PROPOSAL %x", zs[1]), fmt.Sprintf("COMMIT %x", zs[1]),
		fmt.Sprintf("PROPOSAL %x", zs[2]), fmt.Sprintf("COMMIT %x", zs[2]),
		fmt.Sprintf("NEWLEADER %x", z(epoch, 0)),
		"UPTODATE -1",
	}
	if !slices.Equal(got[:len(want)], want) {
		t.Fatalf("leader → 1:\n got %v\nwant %v", got, want)
	}
	if ev := lastSync(l, 1); ev.Mode != SyncDiff || ev.Txns != 3 || ev.Zxid != zs[2] {
		t.Fatalf("leader's sync event %v", ev)
	}
	if ev := lastSync(n1, l.id); ev.Mode != SyncDiff || ev.Txns != 3 || ev.Zxid != zs[2] {
		t.Fatalf("learner's sync event %v", ev)
	}
	// DIFF txns went to the learner's log (no snapshot).
	for _, rd := range n1.readys {
		if rd.TakeSnapshot != nil || rd.Truncate != nil || rd.LoadSnapshot != nil {
			t.Fatalf("DIFF sync did %+v", rd)
		}
	}
	if lastZxid(n1.log) != zs[2] {
		t.Fatalf("learner log ends at 0x%x", lastZxid(n1.log))
	}
	s.checkFinal()
}

// lastSync is n's last EventSynced about peer.
func lastSync(n *simNode, peer uint64) Event {
	var last Event
	for _, e := range n.eventsOf(EventSynced) {
		if e.Peer == peer {
			last = e
		}
	}
	return last
}

func TestSyncAnsweredAfterOutstandingCommits(t *testing.T) {
	s := newSim(t, 7, []uint64{1, 2, 3}, []uint64{4}, nil)
	s.startAll()
	l := s.awaitStable(200)
	s.propose(2)
	s.settle()
	// Nothing outstanding: the SYNC goes at once.
	if err := l.p.Sync(1); err != nil {
		t.Fatal(err)
	}
	s.drain(l)
	s.settle()
	if got := s.node(1).syncAt; !slices.Equal(got, []int{2}) {
		t.Fatalf("follower syncs answered at %v, want [2]", got)
	}
	// syncBehind proposes n and asks for syncs from ids while the n are
	// still outstanding, then lets everything run its course.
	syncBehind := func(n int, ids ...uint64) {
		t.Helper()
		s.propose(n)
		for _, id := range ids {
			if err := l.p.Sync(id); err != nil {
				t.Fatal(err)
			}
		}
		s.drain(l)
		if st := l.p.Status(); st.Outstanding != n {
			t.Fatalf("outstanding %d, want %d (the test needs them pending)", st.Outstanding, n)
		}
		s.settle()
		s.run(20)
	}
	// Followers sync slowly: three proposals stay outstanding while the
	// observer and a follower ask; each answer must come with all three applied.
	s.syncLag = func(n *simNode) int64 { return 3 }
	syncBehind(3, 2, 4)
	for _, id := range []uint64{2, 4} {
		if got := s.node(id).syncAt; !slices.Equal(got, []int{5}) {
			t.Errorf("member %d syncs answered at %v, want [5]", id, got)
		}
	}
	// The leader's own clients' syncs wait in the same place: at once with
	// nothing outstanding, behind two proposals after.
	if err := l.p.Sync(l.id); err != nil {
		t.Fatal(err)
	}
	s.drain(l)
	s.settle()
	syncBehind(2, l.id)
	if got := l.syncAt; !slices.Equal(got, []int{5, 7}) {
		t.Errorf("leader syncs answered at %v, want [5 7]", got)
	}
	if err := s.node(1).p.Sync(2); err != ErrNotLeader {
		t.Errorf("Sync on a follower: %v, want ErrNotLeader", err)
	}
	s.checkFinal()
}

func TestPingCarriesSessionTouches(t *testing.T) {
	s := newSim(t, 8, []uint64{1, 2, 3}, []uint64{4}, nil)
	s.startAll()
	l := s.awaitStable(200)
	s.node(1).p.SetPingData([]byte("f1"))
	s.node(4).p.SetPingData([]byte("o4"))
	s.run(60) // several ping rounds: each payload travels once
	var got []string
	for _, r := range l.touches {
		got = append(got, fmt.Sprintf("%d:%s", r.From, r.Data))
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"1:f1", "4:o4"}) {
		t.Fatalf("leader got touches %v", got)
	}
}
