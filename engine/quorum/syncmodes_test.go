package quorum

import (
	"fmt"
	"slices"
	"testing"
	"zkbench/engine/jute"
)

// Members A, B, C of the stories below are ids 3, 2, 1: with equal state
// the highest id wins, and the stories want A to win.
const (
	idA = 3
	idB = 2
	idC = 1
)

func readyWith(n *simNode, f func(Ready) bool) (Ready, bool) {
	for _, rd := range n.readys {
		if f(rd) {
			return rd, true
		}
	}
	return Ready{}, false
}

// TestOldLeaderRejoinsAcrossEpochs is the story "B leads epoch 5 with
// 0x500000001–0x500000002 committed, logs 0x500000003 alone and dies; A
// leads epoch 6 and commits 0x600000001; B restarts". B has a txn the
// leader never committed, so one might expect TRUNC to 0x500000002 and a
// DIFF of 0x600000001. ZooKeeper 3.8 does not send that: the TRUNC would
// cross an epoch boundary (the first txn above B's zxid in A's committed
// window is of epoch 6), which LearnerHandler.queueCommittedProposals
// refuses ("Cannot send TRUNC to peer sid: peer zxid is from different
// epoch", LearnerHandlerTest.testCrossEpochTrunc), so B gets a SNAP. B's
// log keeps 0x500000003 behind the snapshot, which is never replayed.
func TestOldLeaderRejoinsAcrossEpochs(t *testing.T) {
	s := newSim(t, 11, []uint64{idC, idB, idA}, nil, nil)
	// B has the highest peer epoch, so it wins and leads epoch 4+1.
	s.seed(idB, 4, 4, nil)
	s.seed(idA, 3, 3, nil)
	s.seed(idC, 3, 3, nil)
	s.startAll()
	if l := s.awaitStable(200); l.id != idB || l.p.Status().CurrentEpoch != 5 {
		t.Fatalf("want B leading epoch 5: %s", s.describe())
	}
	s.propose(2)
	s.settle()
	// B logs 0x500000003 alone (its proposals stop reaching A and C) and dies.
	s.cut[[2]uint64{idB, idA}] = true
	s.cut[[2]uint64{idB, idC}] = true
	if zx := s.propose(1)[0]; zx != z(5, 3) {
		t.Fatalf("proposed 0x%x", zx)
	}
	s.settle()
	s.crash(idB, true)
	s.heal()
	if l := s.awaitStable(300); l.id != idA || l.p.Status().CurrentEpoch != 6 {
		t.Fatalf("want A leading epoch 6: %s", s.describe())
	}
	if zx := s.propose(1)[0]; zx != z(6, 1) {
		t.Fatalf("proposed 0x%x", zx)
	}
	s.settle()
	if got := zxids(s.node(idB).log); got != "[500000001 500000002 500000003]" {
		t.Fatalf("B's log %s", got)
	}

	s.record = true
	s.start(idB)
	s.awaitStable(200)
	a, b := s.node(idA), s.node(idB)
	want := []string{"LEADERINFO 600000000", "SNAP 600000001", "NEWLEADER 600000000", "UPTODATE -1"}
	if got := a.packets(idB); !slices.Equal(got[:min(len(got), len(want))], want) {
		t.Fatalf("A → B: %v, want %v", got, want)
	}
	want = []string{"FOLLOWERINFO 500000000", "ACKEPOCH 500000003", "ACK 600000000", "ACK 600000000"}
	if got := b.packets(idA); !slices.Equal(got[:min(len(got), len(want))], want) {
		t.Fatalf("B → A: %v, want %v", got, want)
	}
	for _, m := range b.messages() {
		if m.Type == jute.PacketAckEpoch && string(m.Data) != string(int32Bytes(5)) {
			t.Fatalf("ACKEPOCH %v must carry B's currentEpoch 5", m)
		}
	}
	if _, ok := readyWith(b, func(rd Ready) bool { return rd.Truncate != nil }); ok {
		t.Fatal("B was truncated; ZooKeeper 3.8 sends SNAP here")
	}
	rd, ok := readyWith(b, func(rd Ready) bool { return rd.LoadSnapshot != nil })
	if !ok || rd.LoadSnapshot.Zxid != z(6, 1) {
		t.Fatalf("B loads no snapshot at 0x600000001: %+v", rd.LoadSnapshot)
	}
	rd, ok = readyWith(b, func(rd Ready) bool { return rd.TakeSnapshot != nil })
	if !ok || *rd.TakeSnapshot != (SnapshotRequest{Zxid: z(6, 1), Sync: true}) || rd.SaveCurrentEpoch == nil || *rd.SaveCurrentEpoch != 6 {
		t.Fatalf("B must write a synced snapshot at 0x600000001, then currentEpoch 6: %+v", rd)
	}
	if ev := lastSync(a, idB); ev.Mode != SyncSnap || ev.Txns != 0 || ev.Zxid != z(6, 1) {
		t.Fatalf("A's sync event %v", ev)
	}
	if ev := lastSync(b, idA); ev.Mode != SyncSnap || ev.Txns != 0 {
		t.Fatalf("B's sync event %v", ev)
	}
	// 0x500000003 stays in B's log behind the snapshot; a restart does not
	// replay it.
	s.propose(1)
	s.settle()
	s.crash(idB, true)
	s.start(idB)
	if got := zxids(b.tree); got != "[500000001 500000002 600000001 600000002]" {
		t.Fatalf("B restored %s", got)
	}
	s.awaitStable(200)
	s.checkFinal()
}

// TestTruncThenDiff: the learner's last zxid is inside the leader's
// committed window but not on its history, and the next txn in the window
// is of the same epoch: TRUNC to the txn before, then DIFF the rest
// (LearnerHandlerTest.testCommittedLog, peer 4 against [2, 3, 5]). With a
// correct history this is rare (the window can only skip a txn the learner
// has if it was never committed); the histories are seeded to get it.
func TestTruncThenDiff(t *testing.T) {
	s := newSim(t, 12, []uint64{idC, idB, idA}, nil, nil)
	s.seed(idA, 5, 5, entries(z(5, 1), z(5, 2), z(5, 4), z(5, 5)))
	s.seed(idC, 5, 5, entries(z(5, 1), z(5, 2), z(5, 4), z(5, 5)))
	s.seed(idB, 5, 5, entries(z(5, 1), z(5, 2), z(5, 3)))
	s.start(idA)
	s.start(idC)
	if l := s.awaitStable(200); l.id != idA {
		t.Fatalf("want A leading: %s", s.describe())
	}
	s.record = true
	s.start(idB)
	s.awaitStable(200)
	a, b := s.node(idA), s.node(idB)
	want := []string{"LEADERINFO 600000000", "TRUNC 500000002",
		"PROPOSAL 500000004", "COMMIT 500000004", "PROPOSAL 500000005", "COMMIT 500000005",
		"NEWLEADER 600000000", "UPTODATE -1"}
	if got := a.packets(idB); !slices.Equal(got[:min(len(got), len(want))], want) {
		t.Fatalf("A → B: %v, want %v", got, want)
	}
	rd, ok := readyWith(b, func(rd Ready) bool { return rd.Truncate != nil })
	if !ok || *rd.Truncate != z(5, 2) {
		t.Fatalf("B's Ready.Truncate = %v, want 0x500000002", rd.Truncate)
	}
	if ev := lastSync(a, idB); ev.Mode != SyncTruncDiff || ev.Txns != 2 || ev.Zxid != z(5, 2) {
		t.Fatalf("A's sync event %v", ev)
	}
	if ev := lastSync(b, idA); ev.Mode != SyncTruncDiff || ev.Txns != 2 || ev.Zxid != z(5, 2) {
		t.Fatalf("B's sync event %v", ev)
	}
	// After a TRUNC the txns are applied directly and kept by a snapshot
	// (not synced, as ZooKeeper's takeSnapshot(false)) instead of the log.
	rd, ok = readyWith(b, func(rd Ready) bool { return rd.TakeSnapshot != nil })
	if !ok || *rd.TakeSnapshot != (SnapshotRequest{Zxid: z(5, 5)}) {
		t.Fatalf("B's snapshot %+v", rd.TakeSnapshot)
	}
	for _, rd := range b.readys {
		if len(rd.Append) > 0 {
			t.Fatalf("B logged %v during a TRUNC sync", rd.Append)
		}
	}
	if got := zxids(b.tree); got != "[500000001 500000002 500000004 500000005]" {
		t.Fatalf("B's tree %s", got)
	}
	s.propose(1)
	s.settle()
	s.checkFinal()
}

// TestPlainTrunc: the learner has a txn the leader never committed and the
// leader has nothing newer: TRUNC to the leader's last committed txn, no
// DIFF.
func TestPlainTrunc(t *testing.T) {
	s := newSim(t, 13, []uint64{idC, idB, idA}, nil, nil)
	s.seed(idA, 5, 5, entries(z(5, 1), z(5, 2)))
	s.seed(idC, 5, 5, entries(z(5, 1), z(5, 2)))
	s.seed(idB, 5, 5, entries(z(5, 1), z(5, 2), z(5, 3)))
	s.start(idA)
	s.start(idC)
	s.awaitStable(200)
	s.record = true
	s.start(idB)
	s.awaitStable(200)
	a, b := s.node(idA), s.node(idB)
	want := []string{"LEADERINFO 600000000", "TRUNC 500000002", "NEWLEADER 600000000", "UPTODATE -1"}
	if got := a.packets(idB); !slices.Equal(got[:min(len(got), len(want))], want) {
		t.Fatalf("A → B: %v, want %v", got, want)
	}
	rd, ok := readyWith(b, func(rd Ready) bool { return rd.Truncate != nil })
	if !ok || *rd.Truncate != z(5, 2) {
		t.Fatalf("B's Ready.Truncate = %v", rd.Truncate)
	}
	if ev := lastSync(b, idA); ev.Mode != SyncTrunc || ev.Txns != 0 {
		t.Fatalf("B's sync event %v", ev)
	}
	if got := zxids(b.log); got != "[500000001 500000002]" {
		t.Fatalf("B's log after TRUNC %s", got)
	}
	s.propose(2)
	s.settle()
	s.checkFinal()
}

// TestSnapWhenOlderThanWindow: a learner further behind than the committed
// window gets the whole tree.
func TestSnapWhenOlderThanWindow(t *testing.T) {
	s := newSim(t, 14, []uint64{1, 2, 3}, []uint64{4}, func(c *Config) { c.CommitLogCount = 3 })
	s.startAll()
	l := s.awaitStable(200)
	s.propose(2)
	s.settle()
	s.crash(1, true)
	s.crash(4, true)
	s.propose(10)
	s.settle()
	if st := l.p.Status(); st.CommittedLogMax-st.CommittedLogMin != 3 {
		t.Fatalf("window [0x%x, 0x%x], want 4 txns", st.CommittedLogMin, st.CommittedLogMax)
	}
	s.record = true
	s.start(1)
	s.start(4)
	s.awaitStable(200)
	for _, id := range []uint64{1, 4} {
		n := s.node(id)
		if ev := lastSync(l, id); ev.Mode != SyncSnap {
			t.Fatalf("leader synced %d by %v", id, ev)
		}
		if ev := lastSync(n, l.id); ev.Mode != SyncSnap || ev.Zxid != z(1, 12) {
			t.Fatalf("%d synced by %v", id, ev)
		}
		if _, ok := readyWith(n, func(rd Ready) bool { return rd.LoadSnapshot != nil && rd.LoadSnapshot.Zxid == z(1, 12) }); !ok {
			t.Fatalf("%d loaded no snapshot", id)
		}
		if len(n.tree) != 12 {
			t.Fatalf("%d has %d txns", id, len(n.tree))
		}
	}
	s.propose(1)
	s.settle()
	s.checkFinal()
}

// TestSyncWithOutstandingProposals: a follower that syncs while proposals
// wait for a quorum receives them after the sync data, logs them after
// NEWLEADER and its ACKs count.
func TestSyncWithOutstandingProposals(t *testing.T) {
	s := newSim(t, 15, []uint64{1, 2, 3}, nil, nil)
	s.startAll()
	l := s.awaitStable(200)
	s.propose(2)
	s.settle()
	s.crash(1, true)
	// Follower 2's disk stalls: it logs but never syncs, so never ACKs. The
	// two proposals wait for a quorum.
	s.syncLag = func(n *simNode) int64 {
		if n.id == 2 {
			return 1 << 40
		}
		return 0
	}
	zs := s.propose(2)
	s.settle()
	if l.p.Status().Outstanding != 2 {
		t.Fatalf("outstanding %d", l.p.Status().Outstanding)
	}
	s.record = true
	s.start(1)
	s.runUntil(50, "proposals committed", func() bool { return l.p.Status().LastCommittedZxid == zs[1] })
	want := []string{"LEADERINFO 100000000", "DIFF 100000002",
		fmt.Sprintf("PROPOSAL %x", zs[0]), fmt.Sprintf("PROPOSAL %x", zs[1]), "NEWLEADER 100000000", "UPTODATE -1"}
	if got := l.packets(1); !slices.Equal(got[:min(len(got), len(want))], want) {
		t.Fatalf("leader → 1: %v, want %v", got, want)
	}
	if ev := lastSync(s.node(1), l.id); ev.Mode != SyncDiff || ev.Txns != 2 {
		t.Fatalf("sync event %v", ev)
	}
	s.syncLag = func(*simNode) int64 { return 0 }
	s.crash(2, true)
	s.start(2)
	s.awaitStable(200)
	s.checkFinal()
}

func TestPlanSync(t *testing.T) {
	w := func(zs ...int64) []Entry { return entries(zs...) }
	cases := []struct {
		name      string
		peer      int64
		window    []Entry
		processed int64
		mode      SyncMode
		op        int64
		sent      []int64
		forward   int64
	}{
		// LearnerHandlerTest.testEmptyCommittedLog
		{"empty window, peer newer", 3, nil, 1, SyncTrunc, 1, nil, 1},
		{"empty window, in sync", 1, nil, 1, SyncDiff, 1, nil, 1},
		{"empty window, peer new", 0, nil, 1, SyncSnap, 1, nil, 1},
		// testCommittedLog
		{"peer txn not in window", 4, w(2, 3, 5), 6, SyncTruncDiff, 3, []int64{5}, 5},
		{"peer in window", 2, w(2, 3, 5), 6, SyncDiff, 5, []int64{3, 5}, 5},
		{"peer older than window", 1, w(2, 3, 5), 6, SyncSnap, 6, nil, 6},
		{"peer is window max", 5, w(2, 3, 5), 6, SyncDiff, 5, nil, 5},
		{"peer beyond window", 7, w(2, 3, 5), 6, SyncTrunc, 5, nil, 5},
		// testNewEpochZxid
		{"new-epoch peer below window", z(0, 0), w(z(1, 1), z(1, 2)), z(2, 0), SyncSnap, z(2, 0), nil, z(2, 0)},
		{"new-epoch peer in window", z(1, 0), w(z(0, 1), z(1, 1), z(1, 2)), z(2, 0), SyncDiff, z(1, 2), []int64{z(1, 1), z(1, 2)}, z(1, 2)},
		{"new-epoch peer in sync", z(2, 0), w(z(1, 1), z(1, 2)), z(2, 0), SyncDiff, z(2, 0), nil, z(2, 0)},
		// testCrossEpochTrunc and the story of TestOldLeaderRejoinsAcrossEpochs
		{"cross-epoch trunc refused", z(5, 3), w(z(5, 1), z(5, 2), z(6, 1)), z(6, 1), SyncSnap, z(6, 1), nil, z(6, 1)},
		{"same-epoch trunc", z(5, 3), w(z(5, 1), z(5, 2), z(5, 4), z(6, 1)), z(6, 1), SyncTruncDiff, z(5, 2), []int64{z(5, 4), z(6, 1)}, z(6, 1)},
		// testDuplicatedTxn
		{"duplicates skipped", z(1, 0), w(z(0, 1), z(1, 1), z(1, 2), z(1, 1), z(1, 2)), z(2, 0), SyncDiff, z(1, 2), []int64{z(1, 1), z(1, 2)}, z(1, 2)},
		// negative zxids (epoch 0xf0000000) compare as signed, like Java longs
		{"negative zxids", z(0xf0000000, 4), w(z(0xf0000000, 2), z(0xf0000000, 3), z(0xf0000000, 5)), z(0xf0000000, 5), SyncTruncDiff, z(0xf0000000, 3), []int64{z(0xf0000000, 5)}, z(0xf0000000, 5)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := planSync(tc.peer, tc.window, tc.processed, nil, 0)
			var sent []int64
			for _, e := range p.entries {
				sent = append(sent, e.Zxid)
			}
			if p.mode != tc.mode || p.opZxid != tc.op || !slices.Equal(sent, tc.sent) || p.forwardFrom != tc.forward {
				t.Fatalf("planSync(0x%x) = %v op 0x%x sent %x forward 0x%x; want %v op 0x%x sent %x forward 0x%x",
					tc.peer, p.mode, p.opZxid, sent, p.forwardFrom, tc.mode, tc.op, tc.sent, tc.forward)
			}
		})
	}
}

// fakeLog is an on-disk log of one file holding txns: it serves a zxid
// only when its first txn is at or before it, as getProposalsFromTxnLog.
type fakeLog []Entry

func (l fakeLog) ProposalsFromLog(zxid, upTo int64) []Entry {
	if len(l) == 0 || l[0].Zxid > zxid {
		return nil
	}
	for i, e := range l {
		if e.Zxid > upTo {
			return l[:i]
		}
	}
	return l
}

// TestPlanSyncFromLog covers syncFollower's txn-log branch for a learner
// older than the committed window.
func TestPlanSyncFromLog(t *testing.T) {
	w := func(zs ...int64) []Entry { return entries(zs...) }
	cases := []struct {
		name    string
		peer    int64
		log     fakeLog
		floor   int64
		window  []Entry
		mode    SyncMode
		op      int64
		sent    []int64
		forward int64
	}{
		{"log reaches the window", 2, w(1, 2, 3, 4, 5, 6), 0, w(6, 7, 8), SyncDiff, 8, []int64{3, 4, 5, 6, 7, 8}, 8},
		// ZooKeeper wants the log to reach the window's first txn itself
		// (currentZxid < minCommittedLog is a gap), as a leader's log does.
		{"log ends just before the window", 2, w(1, 2, 3, 4, 5), 0, w(6, 7, 8), SyncSnap, 8, nil, 8},
		{"log overlaps the window", 2, w(1, 2, 3, 4, 5, 6, 7), 0, w(6, 7, 8), SyncDiff, 8, []int64{3, 4, 5, 6, 7, 8}, 8},
		{"log starts after peer", 2, w(3, 4, 5), 0, w(6, 7, 8), SyncSnap, 8, nil, 8},
		{"gap between log and window", 2, w(1, 2, 3, 4), 0, w(6, 7, 8), SyncSnap, 8, nil, 8},
		{"no log", 2, nil, 0, w(6, 7, 8), SyncSnap, 8, nil, 8},
		{"peer txn not in log", 3, w(1, 2, 4, 5, 6), 0, w(6, 7), SyncTruncDiff, 2, []int64{4, 5, 6, 7}, 7},
		{"cross-epoch trunc refused", z(5, 3), w(z(5, 1), z(5, 2), z(6, 1)), 0, w(z(6, 2), z(6, 3)), SyncSnap, z(6, 3), nil, z(6, 3)},
		// Below a sync snapshot's zxid the log is not this member's history.
		{"peer below the log floor", 2, w(1, 2, 3, 4, 5, 6), 4, w(6, 7, 8), SyncSnap, 8, nil, 8},
		{"peer at the floor, its txn not logged", 4, w(1, 2, 3, 5, 6), 4, w(6, 7, 8), SyncSnap, 8, nil, 8},
		{"peer above the floor", 5, w(1, 2, 3, 5, 6), 4, w(6, 7, 8), SyncDiff, 8, []int64{6, 7, 8}, 8},
		{"trunc stays above the floor", 4, w(1, 2, 3, 5, 6), 3, w(6, 7), SyncTruncDiff, 3, []int64{5, 6, 7}, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			processed := tc.window[len(tc.window)-1].Zxid
			p := planSync(tc.peer, tc.window, processed, tc.log, tc.floor)
			var sent []int64
			for _, e := range p.entries {
				sent = append(sent, e.Zxid)
			}
			if p.mode != tc.mode || p.opZxid != tc.op || !slices.Equal(sent, tc.sent) || p.forwardFrom != tc.forward {
				t.Fatalf("planSync(0x%x) = %v op 0x%x sent %x forward 0x%x; want %v op 0x%x sent %x forward 0x%x",
					tc.peer, p.mode, p.opZxid, sent, p.forwardFrom, tc.mode, tc.op, tc.sent, tc.forward)
			}
		})
	}
}
