package quorum

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"zkbench/engine/jute"
)

// A simulated ensemble: every member's Peer with a modelled disk (txn log
// with a durable prefix, one snapshot, epoch files) and data tree (the
// applied entries in order), and a network of per-link FIFO queues with
// controllable delay, partitions and crashes. Time only moves with tick().
// Everything is deterministic for a given seed. It checks ZAB's safety
// properties as it goes (see check* below) and fails the test on the
// first violation.

type simSnap struct {
	zxid int64
	tree []Entry
}

// snap is the snapshot a restore would use.
func (n *simNode) snap() simSnap {
	if len(n.snaps) == 0 {
		return simSnap{}
	}
	return n.snaps[len(n.snaps)-1]
}

// reloadTree rebuilds the tree from the newest snapshot and the log.
func (n *simNode) reloadTree() {
	sn := n.snap()
	n.tree = slices.Clone(sn.tree)
	n.treeZxid = sn.zxid
	for _, e := range n.log {
		if e.Zxid > n.treeZxid {
			n.tree = append(n.tree, e)
			n.treeZxid = e.Zxid
		}
	}
}

// simTxnLog is a member's log as one file, for a leader's DIFF from it.
type simTxnLog struct{ n *simNode }

func (l simTxnLog) ProposalsFromLog(zxid, upTo int64) []Entry {
	log := l.n.log
	if len(log) == 0 || log[0].Zxid > zxid {
		return nil
	}
	var out []Entry
	for _, e := range log {
		if e.Zxid > upTo {
			break
		}
		out = append(out, e)
	}
	return out
}

type simNode struct {
	id      uint64
	cfg     Config
	p       *Peer
	up      bool
	restart int

	// disk
	log      []Entry
	durableN int // log[:durableN] is synced
	syncDue  int64
	syncing  bool
	snaps    []simSnap // oldest first; restore uses the newest
	accepted int64
	current  int64

	// memory
	tree     []Entry
	treeZxid int64 // lastProcessedZxid
	serving  bool

	events   []Event
	readys   []Ready // recorded when sim.record is set
	requests []Request
	touches  []Request
	// syncAt: for each SYNC answered, how many txns the tree held then
	syncAt []int
}

type simMsg struct {
	m  Message
	at int64 // deliver at this tick or later; per link never decreasing
}

type sim struct {
	t      testing.TB
	rng    *rand.Rand
	nodes  []*simNode // sorted by id
	voters []uint64
	now    int64
	queue  []simMsg
	lastAt map[[2]uint64]int64
	cut    map[[2]uint64]bool
	// deadConn: learner connections that lost a packet to a cut. TCP never
	// delivers past a lost segment, so nothing more of them arrives.
	deadConn map[uint64]bool
	delay    func() int64         // message delay in ticks
	syncLag  func(*simNode) int64 // ticks from a write to its fsync
	checks   bool                 // run the safety checks (off in benchmarks)
	record   bool                 // keep every Ready (for exact-message assertions)

	proposed map[int64][]byte // zxid -> txn, every entry ever proposed
	canon    []Entry          // the committed history as serving members applied it
	// committed: txns a serving leader committed (with a quorum of ACKs) or
	// started its epoch with (after a quorum acked NEWLEADER). ZAB promises
	// these survive; a txn merely durable on a quorum does not count (a
	// TRUNC may legitimately remove an uncommitted copy).
	committed map[int64]bool
	txnSeq    int
	log       []string // trace for failures
}

// newSim builds an ensemble of voters and observers (not started). mod,
// if not nil, adjusts every member's Config.
func newSim(t testing.TB, seed uint64, voters, observers []uint64, mod func(*Config)) *sim {
	s := &sim{
		t:         t,
		rng:       rand.New(rand.NewPCG(seed, seed^0x5eed)),
		voters:    voters,
		lastAt:    map[[2]uint64]int64{},
		cut:       map[[2]uint64]bool{},
		deadConn:  map[uint64]bool{},
		delay:     func() int64 { return 0 },
		syncLag:   func(*simNode) int64 { return 0 },
		checks:    true,
		proposed:  map[int64][]byte{},
		committed: map[int64]bool{},
	}
	for _, id := range append(slices.Clone(voters), observers...) {
		c := Config{ID: id, Voters: voters, Observers: observers, TickMs: 100, TickTimeMs: 200, InitLimit: 10, SyncLimit: 5}
		if mod != nil {
			mod(&c)
		}
		s.nodes = append(s.nodes, &simNode{id: id, cfg: c})
	}
	slices.SortFunc(s.nodes, func(a, b *simNode) int { return cmp.Compare(a.id, b.id) })
	return s
}

func (s *sim) node(id uint64) *simNode {
	for _, n := range s.nodes {
		if n.id == id {
			return n
		}
	}
	s.t.Fatalf("no node %d", id)
	return nil
}

func (s *sim) tracef(format string, args ...any) {
	if !s.checks {
		return
	}
	if len(s.log) > 4000 {
		s.log = s.log[1000:]
	}
	s.log = append(s.log, fmt.Sprintf("t=%d ", s.now)+fmt.Sprintf(format, args...))
}

func (s *sim) fatalf(format string, args ...any) {
	s.t.Helper()
	tail := s.log
	if f := os.Getenv("ZKBENCH_TRACE"); f != "" {
		_ = os.WriteFile(f, []byte(strings.Join(tail, "\n")), 0o644)
	}
	if len(tail) > 120 {
		tail = tail[len(tail)-120:]
	}
	s.t.Fatalf("t=%d: %s\n--- trace tail ---\n%s", s.now, fmt.Sprintf(format, args...), strings.Join(tail, "\n"))
}

// ---- starting, crashing, restarting ----

// seed gives a member a disk state before it starts: log entries (all
// durable), epochs and optionally a snapshot.
func (s *sim) seed(id uint64, accepted, current int64, log []Entry) {
	n := s.node(id)
	n.log = slices.Clone(log)
	n.durableN = len(log)
	n.accepted, n.current = accepted, current
	for _, e := range log {
		if old, ok := s.proposed[e.Zxid]; ok && !bytes.Equal(old, e.Txn) {
			s.t.Fatalf("seed: zxid 0x%x seeded with two different txns", e.Zxid)
		}
		s.proposed[e.Zxid] = e.Txn
	}
}

func (s *sim) start(id uint64) {
	n := s.node(id)
	if n.up {
		return
	}
	// Restore: the snapshot, then every logged txn after it.
	n.reloadTree()
	var recent []Entry
	var before int64
	for _, e := range n.log {
		if e.Zxid > n.snap().zxid {
			recent = append(recent, e)
		} else {
			before = e.Zxid
		}
	}
	if s.checks && epochOf(n.treeZxid) > n.current {
		s.fatalf("node %d would not start: last zxid 0x%x is ahead of currentEpoch %d", id, n.treeZxid, n.current)
	}
	cfg := n.cfg
	cfg.Rand = rand.New(rand.NewPCG(s.rng.Uint64(), uint64(id)))
	p, err := New(cfg, Durable{AcceptedEpoch: n.accepted, CurrentEpoch: n.current,
		LastLoggedZxid: n.treeZxid, Recent: recent, SnapshotZxid: n.snap().zxid, LogBeforeSnapshot: before})
	if err != nil {
		s.t.Fatalf("New(%d): %v", id, err)
	}
	n.p = p
	n.up = true
	n.serving = false
	n.syncing = false
	n.restart++
	s.tracef("start %d lastZxid=0x%x epochs=%d/%d", id, n.treeZxid, n.accepted, n.current)
}

func (s *sim) startAll() {
	for _, n := range s.nodes {
		s.start(n.id)
	}
}

// crash stops a member. What was written but not synced may or may not
// survive (tornWrites). With reset, the others see their links break.
func (s *sim) crash(id uint64, reset bool) {
	n := s.node(id)
	if !n.up {
		return
	}
	keep := n.durableN
	if extra := len(n.log) - n.durableN; extra > 0 {
		keep += s.rng.IntN(extra + 1)
	}
	n.log = n.log[:keep]
	n.durableN = keep
	// Its connections die with it, whether or not the others notice.
	if ln := n.p.ln; ln != nil {
		s.deadConn[ln.conn] = true
	}
	if ld := n.p.ld; ld != nil {
		for _, h := range ld.handlers {
			s.deadConn[h.conn] = true
		}
	}
	n.up = false
	n.p = nil
	n.tree = nil
	n.serving = false
	s.tracef("crash %d (log to 0x%x)", id, lastZxid(n.log))
	s.queue = slices.DeleteFunc(s.queue, func(m simMsg) bool { return m.m.To == id || m.m.From == id })
	if reset {
		for _, o := range s.nodes {
			if o.up {
				s.inject(o, Message{Type: MsgLinkDown, From: id, To: o.id})
			}
		}
	}
}

func lastZxid(es []Entry) int64 {
	if len(es) == 0 {
		return 0
	}
	return es[len(es)-1].Zxid
}

// partition cuts the links between a and b (both ways), dropping what is
// in flight; both ends are told their link broke.
func (s *sim) partition(a, b uint64) {
	s.cut[[2]uint64{a, b}] = true
	s.cut[[2]uint64{b, a}] = true
	s.queue = slices.DeleteFunc(s.queue, func(m simMsg) bool {
		drop := (m.m.From == a && m.m.To == b) || (m.m.From == b && m.m.To == a)
		if drop && m.m.Conn != 0 {
			s.deadConn[m.m.Conn] = true
		}
		return drop
	})
	s.tracef("partition %d-%d", a, b)
	if na := s.node(a); na.up {
		s.inject(na, Message{Type: MsgLinkDown, From: b, To: a})
	}
	if nb := s.node(b); nb.up {
		s.inject(nb, Message{Type: MsgLinkDown, From: a, To: b})
	}
}

// isolate cuts a member from everybody.
func (s *sim) isolate(id uint64) {
	for _, o := range s.nodes {
		if o.id != id {
			s.partition(id, o.id)
		}
	}
}

func (s *sim) heal() {
	clear(s.cut)
	s.tracef("heal")
}

func (s *sim) inject(n *simNode, m Message) {
	if err := n.p.Step(m); err != nil {
		s.fatalf("node %d Step(%v): %v", n.id, m, err)
	}
	s.drain(n)
}

// ---- running ----

// settle delivers every message due now and does every Ready until
// nothing moves.
func (s *sim) settle() {
	for i := 0; ; i++ {
		if i > 100000 {
			s.fatalf("settle does not converge")
		}
		moved := false
		for _, n := range s.nodes {
			if n.up && n.p.HasReady() {
				s.drain(n)
				moved = true
			}
			if n.up && n.syncing && n.syncDue <= s.now {
				s.fsync(n)
				moved = true
			}
		}
		if s.deliverDue() {
			moved = true
		}
		if !moved {
			return
		}
	}
}

func (s *sim) deliverDue() bool {
	if len(s.queue) == 0 {
		return false
	}
	var due []simMsg
	keep := s.queue[:0]
	for _, m := range s.queue {
		if m.at <= s.now {
			due = append(due, m)
		} else {
			keep = append(keep, m)
		}
	}
	s.queue = keep
	for _, dm := range due {
		n := s.node(dm.m.To)
		if !n.up || s.lost(dm.m) {
			continue
		}
		s.tracef("deliver %v", dm.m)
		if err := n.p.Step(dm.m); err != nil {
			s.fatalf("node %d Step(%v): %v", n.id, dm.m, err)
		}
	}
	return len(due) > 0
}

func (s *sim) tick() {
	s.settle()
	s.now++
	for _, n := range s.nodes {
		if n.up {
			n.p.Tick()
		}
	}
	s.settle()
}

func (s *sim) run(ticks int) {
	for range ticks {
		s.tick()
	}
}

// runUntil ticks until cond holds, failing after limit ticks.
func (s *sim) runUntil(limit int, what string, cond func() bool) {
	s.t.Helper()
	s.settle()
	for i := 0; !cond(); i++ {
		if i >= limit {
			s.fatalf("after %d ticks: not %s; %s", limit, what, s.describe())
		}
		s.tick()
	}
}

func (s *sim) describe() string {
	var b strings.Builder
	for _, n := range s.nodes {
		if !n.up {
			fmt.Fprintf(&b, "[%d down] ", n.id)
			continue
		}
		st := n.p.Status()
		fmt.Fprintf(&b, "[%d %s leader=%d serving=%v epochs=%d/%d zxid=0x%x] ", n.id, st.Role, st.Leader, st.Serving, st.AcceptedEpoch, st.CurrentEpoch, st.LastProcessedZxid)
	}
	return b.String()
}

// leader returns the serving leader, or nil.
func (s *sim) leader() *simNode {
	var found *simNode
	for _, n := range s.nodes {
		if n.up && n.p.Status().Role == RoleLeading && n.p.Status().Serving {
			if found == nil || n.p.Status().CurrentEpoch > found.p.Status().CurrentEpoch {
				found = n
			}
		}
	}
	return found
}

// stable: one serving leader and every up member serving it.
func (s *sim) stable() bool {
	l := s.leader()
	if l == nil {
		return false
	}
	for _, n := range s.nodes {
		if !n.up {
			continue
		}
		st := n.p.Status()
		if !st.Serving || st.Leader != l.id {
			return false
		}
		if n.p.ln != nil && s.deadConn[n.p.ln.conn] {
			return false // a broken connection nobody noticed yet
		}
	}
	return len(s.queue) == 0
}

func (s *sim) awaitStable(limit int) *simNode {
	s.t.Helper()
	s.runUntil(limit, "stable", s.stable)
	return s.leader()
}

// propose makes the serving leader propose n txns.
func (s *sim) propose(k int) []int64 {
	s.t.Helper()
	var zs []int64
	for range k {
		l := s.leader()
		if l == nil {
			s.fatalf("propose: no serving leader")
		}
		zs = append(zs, s.proposeAt(l))
	}
	return zs
}

func (s *sim) proposeAt(l *simNode) int64 {
	next, err := l.p.NextZxid()
	if err != nil {
		s.fatalf("NextZxid on %d: %v", l.id, err)
	}
	s.txnSeq++
	txn := []byte(fmt.Sprintf("txn%d@%x", s.txnSeq, next))
	z, err := l.p.Propose(txn)
	if err != nil {
		s.fatalf("Propose on %d: %v", l.id, err)
	}
	if z != next {
		s.fatalf("Propose returned 0x%x, NextZxid said 0x%x", z, next)
	}
	if s.checks {
		// (An old leader that does not know it was replaced may still
		// propose in its epoch: zxids are unique, not globally increasing.)
		if _, dup := s.proposed[z]; dup {
			s.fatalf("zxid 0x%x proposed twice", z)
		}
	}
	s.proposed[z] = txn
	s.tracef("propose 0x%x at %d", z, l.id)
	s.drain(l)
	return z
}

// ---- doing Readys ----

func (s *sim) drain(n *simNode) {
	for n.up && n.p.HasReady() {
		rd := n.p.Ready()
		s.do(n, rd)
		n.p.Advance()
		if n.syncing && n.syncDue <= s.now {
			s.fsync(n)
		}
	}
}

func (s *sim) fsync(n *simNode) {
	n.syncing = false
	if n.durableN == len(n.log) {
		return
	}
	n.durableN = len(n.log)
	n.p.Logged(lastZxid(n.log))
}

func (s *sim) do(n *simNode, rd Ready) {
	if s.record {
		rd.Append = slices.Clone(rd.Append)
		rd.Commit = slices.Clone(rd.Commit)
		rd.Messages = slices.Clone(rd.Messages)
		rd.Events = slices.Clone(rd.Events)
		rd.Requests = slices.Clone(rd.Requests)
		n.readys = append(n.readys, rd)
	}
	if rd.Truncate != nil {
		z := *rd.Truncate
		s.tracef("%d truncate to 0x%x", n.id, z)
		i := len(n.log)
		for i > 0 && n.log[i-1].Zxid > z {
			i--
		}
		cut := n.log[i:]
		n.log = n.log[:i]
		n.durableN = min(n.durableN, i)
		if s.checks {
			// ZooKeeper's TRUNC to maxCommitted may cut a txn committed
			// meanwhile by other members (it is sent again as an outstanding
			// proposal); a committed txn must stay on a quorum, though.
			for _, e := range cut {
				if s.committed[e.Zxid] && !s.durableOnQuorum(e.Zxid) {
					s.fatalf("node %d truncates committed zxid 0x%x, which leaves a quorum", n.id, e.Zxid)
				}
			}
		}
		// Snapshots beyond z hold truncated txns: drop them, reload.
		n.snaps = slices.DeleteFunc(n.snaps, func(sn simSnap) bool { return sn.zxid > z })
		n.reloadTree()
		n.treeZxid = z
	}
	if rd.Reload {
		n.reloadTree()
		s.tracef("%d reload to 0x%x", n.id, n.treeZxid)
	}
	if rd.LoadSnapshot != nil {
		n.tree = decodeTree(rd.LoadSnapshot.Data)
		n.treeZxid = rd.LoadSnapshot.Zxid
		s.tracef("%d load snapshot 0x%x (%d txns)", n.id, n.treeZxid, len(n.tree))
	}
	for _, e := range rd.Append {
		if s.checks {
			s.checkEntry(n, "append", e)
			if k := len(n.log); k > 0 && e.Zxid <= n.log[k-1].Zxid && e.Zxid > n.snap().zxid {
				s.fatalf("node %d appends 0x%x after 0x%x", n.id, e.Zxid, n.log[k-1].Zxid)
			}
			if epochOf(e.Zxid) > n.current {
				s.fatalf("node %d logs 0x%x before persisting currentEpoch %d (has %d)", n.id, e.Zxid, epochOf(e.Zxid), n.current)
			}
		}
		n.log = append(n.log, e)
	}
	if len(rd.Append) > 0 && !n.syncing {
		n.syncing = true
		n.syncDue = s.now + s.syncLag(n)
	}
	for _, e := range rd.Events {
		if e.Kind == EventLooking || e.Kind == EventFastForward {
			n.serving = false // the Ready's commits are a fast-forward, not service
		}
	}
	for _, e := range rd.Commit {
		if s.checks {
			s.checkEntry(n, "apply", e)
			if e.Zxid <= n.treeZxid {
				s.fatalf("node %d applies 0x%x at lastProcessed 0x%x", n.id, e.Zxid, n.treeZxid)
			}
		}
		n.tree = append(n.tree, e)
		n.treeZxid = e.Zxid
		if s.checks && n.serving {
			if n.p.Status().Role == RoleLeading {
				// The leader commits: a quorum ACKed, so a quorum has it.
				if !s.durableOnQuorum(e.Zxid) {
					s.fatalf("leader %d commits 0x%x, which is not durable on a quorum", n.id, e.Zxid)
				}
				s.committed[e.Zxid] = true
			} else if !s.committed[e.Zxid] {
				s.fatalf("node %d applies 0x%x while serving, but no leader committed it", n.id, e.Zxid)
			}
			s.checkCanon(n, len(n.tree)-1)
		}
	}
	if rd.LastProcessedZxid != nil {
		if s.checks && *rd.LastProcessedZxid < lastZxid(n.tree) {
			s.fatalf("node %d lastProcessed 0x%x below its tree 0x%x", n.id, *rd.LastProcessedZxid, lastZxid(n.tree))
		}
		n.treeZxid = *rd.LastProcessedZxid
	}
	if rd.TakeSnapshot != nil {
		if s.checks && rd.TakeSnapshot.Zxid != n.treeZxid {
			s.fatalf("node %d snapshot zxid 0x%x but tree at 0x%x", n.id, rd.TakeSnapshot.Zxid, n.treeZxid)
		}
		n.snaps = append(n.snaps, simSnap{zxid: n.treeZxid, tree: slices.Clone(n.tree)})
	}
	if rd.SaveAcceptedEpoch != nil {
		if s.checks && *rd.SaveAcceptedEpoch < n.accepted {
			s.fatalf("node %d lowers acceptedEpoch %d -> %d", n.id, n.accepted, *rd.SaveAcceptedEpoch)
		}
		n.accepted = *rd.SaveAcceptedEpoch
	}
	rollback := slices.ContainsFunc(rd.Events, func(e Event) bool { return e.Kind == EventRollback })
	if rd.SaveCurrentEpoch != nil {
		if s.checks && ((*rd.SaveCurrentEpoch < n.current && !rollback) || *rd.SaveCurrentEpoch > n.accepted) {
			s.fatalf("node %d currentEpoch %d -> %d (accepted %d)", n.id, n.current, *rd.SaveCurrentEpoch, n.accepted)
		}
		n.current = *rd.SaveCurrentEpoch
	}
	for _, m := range rd.Messages {
		if m.From != n.id {
			s.fatalf("message from %d in node %d's Ready", m.From, n.id)
		}
		if m.Type == jute.PacketSnap {
			if s.checks && m.Zxid != n.treeZxid {
				s.fatalf("node %d SNAP zxid 0x%x but tree at 0x%x", n.id, m.Zxid, n.treeZxid)
			}
			m.Data = encodeTree(n.tree)
		}
		if s.checks {
			s.checkEpochUse(n, m)
		}
		s.enqueue(m)
	}
	n.requests = append(n.requests, rd.Requests...)
	n.touches = append(n.touches, rd.Touches...)
	for range rd.Syncs {
		n.syncAt = append(n.syncAt, len(n.tree))
	}
	for i, e := range rd.Events {
		n.events = append(n.events, e)
		s.tracef("%d event %v", n.id, e)
		// A Ready can hold a start of service and its end (UPTODATE, then a
		// broken connection): only a lasting start is checked.
		ends := slices.ContainsFunc(rd.Events[i:], func(e Event) bool { return e.Kind == EventLooking })
		switch e.Kind {
		case EventEstablished:
			// Its history is committed now, even if it steps down at once.
			s.becomeServing(n, e.Zxid)
			n.serving = !ends
		case EventSynced:
			if !ends && n.p.Status().Role != RoleLeading {
				s.becomeServing(n, math.MaxInt64)
			}
		case EventLooking:
			n.serving = false
		}
	}
	if s.checks && !n.p.HasReady() {
		st := n.p.Status()
		if st.AcceptedEpoch != n.accepted || st.CurrentEpoch != n.current {
			s.fatalf("node %d epochs in memory %d/%d, on disk %d/%d", n.id, st.AcceptedEpoch, st.CurrentEpoch, n.accepted, n.current)
		}
		if st.LastProcessedZxid != n.treeZxid {
			s.fatalf("node %d thinks its tree is at 0x%x, it is at 0x%x", n.id, st.LastProcessedZxid, n.treeZxid)
		}
	}
}

// lost reports whether the network loses m (and marks its connection
// dead if so).
func (s *sim) lost(m Message) bool {
	if m.Conn != 0 && s.deadConn[m.Conn] {
		return true
	}
	if s.cut[[2]uint64{m.From, m.To}] {
		if m.Conn != 0 {
			s.deadConn[m.Conn] = true
		}
		return true
	}
	return false
}

func (s *sim) enqueue(m Message) {
	if s.lost(m) {
		return
	}
	link := [2]uint64{m.From, m.To}
	at := max(s.now+s.delay(), s.lastAt[link])
	s.lastAt[link] = at
	s.queue = append(s.queue, simMsg{m: m, at: at})
}

// ---- checks ----

func (s *sim) checkEntry(n *simNode, what string, e Entry) {
	want, ok := s.proposed[e.Zxid]
	if !ok {
		s.fatalf("node %d %s 0x%x that nobody proposed", n.id, what, e.Zxid)
	}
	if !bytes.Equal(want, e.Txn) {
		s.fatalf("node %d %s 0x%x = %q, but %q was proposed", n.id, what, e.Zxid, e.Txn, want)
	}
}

// checkEpochUse: epochs are persisted before the messages that rely on
// them leave.
func (s *sim) checkEpochUse(n *simNode, m Message) {
	switch m.Type {
	case jute.PacketLeaderInfo:
		if n.accepted != epochOf(m.Zxid) {
			s.fatalf("leader %d sends LEADERINFO epoch %d with acceptedEpoch %d on disk", n.id, epochOf(m.Zxid), n.accepted)
		}
	case jute.PacketAckEpoch:
		if ep, _ := readInt32(m.Data); ep != -1 && n.accepted <= int64(ep) {
			s.fatalf("learner %d ACKEPOCH before persisting the new acceptedEpoch (disk %d)", n.id, n.accepted)
		}
	case jute.PacketNewLeader, jute.PacketProposal:
		if n.p.Status().Role == RoleLeading && n.current != epochOf(m.Zxid) && m.Type == jute.PacketNewLeader {
			s.fatalf("leader %d sends NEWLEADER epoch %d with currentEpoch %d on disk", n.id, epochOf(m.Zxid), n.current)
		}
	case jute.PacketAck:
		if m.Zxid&0xffffffff == 0 && n.current != epochOf(m.Zxid) {
			s.fatalf("learner %d acks NEWLEADER/UPTODATE of epoch %d with currentEpoch %d on disk", n.id, epochOf(m.Zxid), n.current)
		}
		if m.Zxid&0xffffffff != 0 && !s.holds(n, m.Zxid) {
			s.fatalf("follower %d ACKs 0x%x before it is durable", n.id, m.Zxid)
		}
	}
}

// holds: is zxid durable on n (synced log or snapshot)?
func (s *sim) holds(n *simNode, z int64) bool {
	for _, e := range n.log[:n.durableN] {
		if e.Zxid == z {
			return true
		}
	}
	for _, e := range n.snap().tree {
		if e.Zxid == z {
			return true
		}
	}
	return false
}

// durableOnQuorum: is zxid durable on a quorum of voters right now?
func (s *sim) durableOnQuorum(z int64) bool {
	c := 0
	for _, id := range s.voters {
		if n := s.node(id); s.holds(n, z) {
			c++
		}
	}
	return c > len(s.voters)/2
}

// becomeServing: a leader starts its epoch with a history a quorum holds,
// which is committed from now on; a learner starts serving with committed
// txns only. Either way it agrees with every other serving member.
func (s *sim) becomeServing(n *simNode, below int64) {
	n.serving = true
	if !s.checks {
		return
	}
	leader := n.p.Status().Role == RoleLeading || below != math.MaxInt64
	for i, e := range n.tree {
		if e.Zxid >= below {
			break
		}
		if leader {
			if !s.durableOnQuorum(e.Zxid) {
				s.fatalf("leader %d establishes with 0x%x, which is not durable on a quorum", n.id, e.Zxid)
			}
			s.committed[e.Zxid] = true
		} else if !s.committed[e.Zxid] {
			s.fatalf("node %d starts serving with uncommitted 0x%x in its tree", n.id, e.Zxid)
		}
		s.checkCanon(n, i)
	}
}

func (s *sim) checkCanon(n *simNode, i int) {
	e := n.tree[i]
	switch {
	case i < len(s.canon):
		if s.canon[i].Zxid != e.Zxid {
			s.fatalf("node %d applied 0x%x as txn #%d, but the committed history has 0x%x there", n.id, e.Zxid, i, s.canon[i].Zxid)
		}
	case i == len(s.canon):
		s.canon = append(s.canon, e)
	default:
		s.fatalf("node %d applied txn #%d, committed history has only %d", n.id, i, len(s.canon))
	}
}

// checkFinal: after the dust settled every member holds the same tree,
// which contains every committed txn; logs and trees only go up.
func (s *sim) checkFinal() {
	s.t.Helper()
	var ref *simNode
	for _, n := range s.nodes {
		if !n.up {
			continue
		}
		for i := 1; i < len(n.tree); i++ {
			if n.tree[i].Zxid <= n.tree[i-1].Zxid {
				s.fatalf("node %d tree not increasing at %d", n.id, i)
			}
		}
		if n.accepted < n.current {
			s.fatalf("node %d acceptedEpoch %d < currentEpoch %d", n.id, n.accepted, n.current)
		}
		if ref == nil {
			ref = n
			continue
		}
		if !slices.EqualFunc(ref.tree, n.tree, func(a, b Entry) bool { return a.Zxid == b.Zxid && bytes.Equal(a.Txn, b.Txn) }) {
			s.fatalf("trees differ: %d has %s, %d has %s", ref.id, zxids(ref.tree), n.id, zxids(n.tree))
		}
	}
	if ref == nil {
		return
	}
	in := map[int64]bool{}
	for _, e := range ref.tree {
		in[e.Zxid] = true
	}
	for z := range s.committed {
		if !in[z] {
			s.fatalf("committed txn 0x%x was lost; trees hold %s", z, zxids(ref.tree))
		}
	}
}

func zxids(es []Entry) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range es {
		if i > 12 && i < len(es)-4 {
			if i == 13 {
				b.WriteString(" ...")
			}
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%x", e.Zxid)
	}
	b.WriteByte(']')
	return b.String()
}

func encodeTree(es []Entry) []byte {
	var b []byte
	for _, e := range es {
		b = binary.BigEndian.AppendUint64(b, uint64(e.Zxid))
		b = binary.BigEndian.AppendUint32(b, uint32(len(e.Txn)))
		b = append(b, e.Txn...)
	}
	return b
}

func decodeTree(b []byte) []Entry {
	var es []Entry
	for len(b) > 0 {
		z := int64(binary.BigEndian.Uint64(b))
		l := binary.BigEndian.Uint32(b[8:])
		es = append(es, Entry{Zxid: z, Txn: append([]byte(nil), b[12:12+l]...)})
		b = b[12+l:]
	}
	return es
}

// entries makes seeded history: zxids with txns named after them.
func entries(zs ...int64) []Entry {
	es := make([]Entry, len(zs))
	for i, z := range zs {
		es[i] = Entry{Zxid: z, Txn: []byte(fmt.Sprintf("seed@%x", z))}
	}
	return es
}

// messages returns every message a node sent while s.record was on.
func (n *simNode) messages() []Message {
	var ms []Message
	for _, rd := range n.readys {
		ms = append(ms, rd.Messages...)
	}
	return ms
}

// packets renders a node's quorum packets to one peer as "TYPE zxid".
func (n *simNode) packets(to uint64) []string {
	var out []string
	for _, m := range n.messages() {
		if m.To == to && m.Type > 0 {
			out = append(out, fmt.Sprintf("%s %x", PacketName(m.Type), m.Zxid))
		}
	}
	return out
}

func (n *simNode) eventsOf(k EventKind) []Event {
	var out []Event
	for _, e := range n.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}
