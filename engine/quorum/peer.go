package quorum

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"

	"zkbench/engine/jute"
)

// Peer is one member's ZAB state machine. It does no I/O and keeps no
// clock: the runtime feeds it messages (Step), time (Tick), durability
// (Logged) and writes (Propose, Forward), and does what Ready says. All
// methods must be called from one goroutine.
type Peer struct {
	cfg       Config
	t         timing
	id        uint64
	voter     bool
	voters    []uint64       // sorted
	observers []uint64       // sorted
	voterIdx  map[uint64]int // voter -> its slot
	quorum    int
	// slots gives every server id the Peer ever had in a configuration a
	// bit in acknowledgement sets; voterMask has the voters' bits.
	slots     map[uint64]int
	voterMask uint64
	// recheckRole: a new configuration was activated; whether this member
	// must leave its role is decided at the end of the call (afterReconfig).
	recheckRole bool
	rnd         *rand.Rand

	now  int64 // Tick count
	role Role
	// leader is the member we follow or ourselves; 0 while LOOKING.
	leader uint64

	acceptedEpoch, currentEpoch int64

	// processed is the data tree's lastProcessedZxid as ZooKeeper keeps it:
	// the last applied txn, a SNAP's or TRUNC's zxid, or epoch<<32 once a
	// leader serves. Elections and ACKEPOCH report it (getLastLoggedZxid).
	processed int64
	appended  int64       // last zxid handed out in Ready.Append (or truncated to)
	durable   int64       // last zxid Logged reported durable (<= appended)
	pending   fifo[Entry] // appended, not yet applied (zxid order)
	lastSnap  int64       // zxid of the last snapshot we had written
	// dirty: the tree holds what is neither in the log nor in a snapshot
	// (a SNAP loaded or txns applied directly, before NEWLEADER's snapshot).
	dirty bool
	// snapOnly are the zxid ranges (lo, hi] that only a sync snapshot
	// holds, not the log: a TRUNC into one cannot be done by cutting the
	// log (see rollBack).
	snapOnly []snapRange
	// logFloor is the zxid from which on the on-disk log is known to be
	// this member's history, for a DIFF from it: the restored snapshot's,
	// raised by every snapshot a SNAP sync loads (older log entries may be
	// of a branch that SNAP replaced, and the log misses what it brought).
	logFloor int64
	toAck    []int64 // follower: appended, ACK owed once durable
	// committedLog is ZKDatabase.committedLog: the last CommitLogCount+1
	// applied txns, the window a leader can DIFF from.
	committedLog fifo[Entry]

	currentVote vote // QuorumPeer.currentVote, what we tell LOOKING members
	el          election
	ld          *leaderState
	ln          *learnerState
	// stash holds FOLLOWERINFO/OBSERVERINFO that arrived while we were
	// still LOOKING: a learner may finish the election first and connect
	// before our acceptor runs; ZooKeeper's learner retries the connect.
	stash map[uint64]stashed

	pingData []byte // learner: the next PING reply's payload (SetPingData)

	stages []Ready
	handed bool
	spare  []Ready // emptied slices of advanced Readys, for reuse
}

type snapRange struct {
	lo, hi      int64
	epochBefore int64 // currentEpoch before the sync that wrote the snapshot
}

type stashed struct {
	m  Message
	at int64
}

// New returns a LOOKING member that starts an election at once (its first
// Ready holds the notifications).
func New(cfg Config, d Durable) (*Peer, error) {
	t, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	if d.AcceptedEpoch < d.CurrentEpoch {
		return nil, fmt.Errorf("%w: accepted epoch %d is less than current epoch %d", ErrConfig, d.AcceptedEpoch, d.CurrentEpoch)
	}
	for i, e := range d.Recent {
		if (i > 0 && e.Zxid <= d.Recent[i-1].Zxid) || e.Zxid > d.LastLoggedZxid {
			return nil, fmt.Errorf("%w: Durable.Recent not increasing up to LastLoggedZxid at 0x%x", ErrConfig, e.Zxid)
		}
	}
	p := &Peer{
		cfg:           cfg,
		t:             t,
		id:            cfg.ID,
		voters:        slices.Sorted(slices.Values(cfg.Voters)),
		observers:     slices.Sorted(slices.Values(cfg.Observers)),
		voterIdx:      make(map[uint64]int, len(cfg.Voters)),
		slots:         make(map[uint64]int, len(cfg.Voters)+len(cfg.Observers)),
		acceptedEpoch: d.AcceptedEpoch,
		currentEpoch:  d.CurrentEpoch,
		processed:     d.LastLoggedZxid,
		appended:      d.LastLoggedZxid,
		durable:       d.LastLoggedZxid,
		stash:         map[uint64]stashed{},
	}
	for _, id := range slices.Sorted(slices.Values(cfg.Others)) {
		p.slots[id] = len(p.slots)
	}
	p.setMembership(p.voters, p.observers)
	p.rnd = cfg.Rand
	if p.rnd == nil {
		p.rnd = rand.New(rand.NewPCG(cfg.ID, 0x7a6b62656e6368))
	}
	recent := d.Recent
	if len(recent) > cfg.CommitLogCount+1 {
		recent = recent[len(recent)-cfg.CommitLogCount-1:]
	}
	p.committedLog.push(recent...)
	p.lastSnap = d.SnapshotZxid
	p.logFloor = d.SnapshotZxid
	if d.SnapshotZxid > 0 && d.LogBeforeSnapshot < d.SnapshotZxid {
		// Which epoch this member had before the sync that wrote the
		// snapshot is not known any more; the epoch of the log's end is the
		// safe (lowest) claim for a rollback.
		p.snapOnly = []snapRange{{lo: d.LogBeforeSnapshot, hi: d.SnapshotZxid, epochBefore: epochOf(d.LogBeforeSnapshot)}}
	}
	p.el.recvset = map[uint64]vote{}
	p.el.outOfElect = map[uint64]vote{}
	il, iz, ie := p.initVote()
	p.currentVote = vote{leader: il, zxid: iz, electionEpoch: -1, peerEpoch: ie, state: RoleLooking, version: NotificationVersion}
	p.role = RoleLooking
	p.lookForLeader()
	p.drainSelf()
	return p, nil
}

func (p *Peer) isVoter(id uint64) bool { _, ok := p.voterIdx[id]; return ok }

func (p *Peer) isObserver(id uint64) bool {
	_, ok := slices.BinarySearch(p.observers, id)
	return ok
}

// isMember: id is, or was, in a configuration of ours. A member a
// reconfig removed stays a (non-voting) learner, as in ZooKeeper.
func (p *Peer) isMember(id uint64) bool { _, ok := p.slots[id]; return ok }

func (p *Peer) isQuorum(acks uint64) bool {
	return bits.OnesCount64(acks&p.voterMask) >= p.quorum
}

// admit gives a server in no configuration a slot when reconfiguration is
// on and it looks for the leader or connects to it: a server about to be
// added joins as a learner first, as ZooKeeper's joiners do.
func (p *Peer) admit(m Message) bool {
	if p.cfg.Membership == nil || len(p.slots) >= MaxVoters || m.From == noLeader {
		return false
	}
	switch m.Type {
	case MsgNotification, jute.PacketFollowerInfo, jute.PacketObserverInfo:
		p.slots[m.From] = len(p.slots)
		return true
	}
	return false
}

// setMembership makes voters and observers (sorted) the configuration.
func (p *Peer) setMembership(voters, observers []uint64) {
	p.voters, p.observers = voters, observers
	clear(p.voterIdx)
	p.voterMask = 0
	for _, id := range append(slices.Clone(voters), observers...) {
		if _, ok := p.slots[id]; !ok {
			p.slots[id] = len(p.slots)
		}
	}
	for _, v := range voters {
		p.voterIdx[v] = p.slots[v]
		p.voterMask |= 1 << p.slots[v]
	}
	p.voter = p.isVoter(p.id)
	p.quorum = len(voters)/2 + 1
}

// membership is a configuration proposed by a reconfig.
type membership struct {
	voters, observers []uint64 // sorted
	mask              uint64   // the voters' slots
}

// newMembership gives the ids of a proposed configuration their slots.
// It fails when they would take more than MaxVoters slots.
func (p *Peer) newMembership(voters, observers []uint64) (*membership, bool) {
	m := &membership{voters: slices.Sorted(slices.Values(voters)), observers: slices.Sorted(slices.Values(observers))}
	fresh := 0
	for _, id := range append(slices.Clone(voters), observers...) {
		if _, ok := p.slots[id]; !ok {
			fresh++
		}
	}
	if len(p.slots)+fresh > MaxVoters || len(m.voters) == 0 {
		return nil, false
	}
	for _, id := range append(slices.Clone(m.voters), m.observers...) {
		if _, ok := p.slots[id]; !ok {
			p.slots[id] = len(p.slots)
		}
	}
	for _, v := range m.voters {
		m.mask |= 1 << p.slots[v]
	}
	return m, true
}

func (m *membership) isQuorum(acks uint64) bool {
	return bits.OnesCount64(acks&m.mask) > len(m.voters)/2
}

// activate puts the configuration a committed reconfig made into effect
// (QuorumPeer.processReconfig). Whether this member leaves its role is
// decided by afterReconfig, once the call that applied it is done.
func (p *Peer) activate(zxid int64, voters, observers []uint64) {
	m, ok := p.newMembership(voters, observers)
	if !ok {
		return
	}
	p.setMembership(m.voters, m.observers)
	if l := p.ld; l != nil && l.pending != nil {
		l.pending = nil
	}
	p.recheckRole = true
	p.event(Event{Kind: EventReconfig, Zxid: zxid})
}

// afterReconfig: a leader that is no voter any more steps down; a
// follower that became an observer, or an observer that became a voter,
// leaves and looks for the leader again in its new role (ZooKeeper's
// learner throws "changes proposed in reconfig" and does the same). A
// member the reconfig removed goes on following, not voting.
func (p *Peer) afterReconfig() {
	if !p.recheckRole {
		return
	}
	p.recheckRole = false
	switch {
	case p.role == RoleLeading && p.ld != nil && !p.voter:
		// At the next tick: what this call committed (the reconfig among
		// it) is applied and answered first.
		p.ld.retire = true
	case p.ln == nil || p.ln.phase != lBroadcast:
		// Syncing: UPTODATE checks again.
	case p.role == RoleFollowing && p.isObserver(p.id):
		p.stopLearning("becoming an observer after a reconfig", true)
	case p.role == RoleObserving && p.voter:
		p.stopLearning("becoming a voting participant after a reconfig", true)
	}
}

// Reconfigured tells a learner the leader's configuration (NEWLEADER's
// data) when it is newer than its own: a reconfig committed while it was
// away and not replayed to it as a txn (a SNAP replays none). It takes
// effect as an applied reconfig's would.
func (p *Peer) Reconfigured(zxid int64, voters, observers []uint64) {
	if p.role != RoleFollowing && p.role != RoleObserving {
		return
	}
	p.activate(zxid, voters, observers)
	p.afterReconfig()
}

// ReconfigPending: this leader proposed a reconfig not yet committed.
func (p *Peer) ReconfigPending() bool { return p.ld != nil && p.ld.pending != nil }

// slotBit is id's bit whether or not it votes now: proposal ACKs are
// kept by slot, so that a non-voting follower's count for a pending
// reconfig whose configuration makes it a voter.
func (p *Peer) slotBit(id uint64) uint64 {
	if i, ok := p.slots[id]; ok {
		return 1 << i
	}
	return 0
}

func (p *Peer) voterBit(id uint64) uint64 {
	if i, ok := p.voterIdx[id]; ok {
		return 1 << i
	}
	return 0
}

// Tick advances time by one TickMs.
func (p *Peer) Tick() {
	p.now++
	switch p.role {
	case RoleLooking:
		p.tickElection()
		p.drainSelf()
	case RoleLeading:
		p.tickLeader()
	default:
		p.tickLearner()
	}
	p.afterReconfig()
}

// Step hands the Peer a message from another member (or a MsgLinkDown from
// the runtime). It returns an error only for messages it cannot use at
// all; protocol trouble (an unexpected packet from the leader, say) makes
// the member go back to LOOKING, as ZooKeeper's threads would.
func (p *Peer) Step(m Message) error {
	if m.From == p.id || (!p.isMember(m.From) && !p.admit(m)) {
		return fmt.Errorf("%w: %d", ErrUnknownPeer, m.From)
	}
	defer p.afterReconfig()
	switch m.Type {
	case MsgNotification:
		n, err := DecodeNotification(m.Data)
		if err != nil {
			return err
		}
		p.stepNotification(m.From, n)
		return nil
	case MsgLinkDown, MsgDisconnect:
		p.linkDown(m.From, m.Conn, m.Type == MsgDisconnect)
		return nil
	}
	switch p.role {
	case RoleLeading:
		p.leaderStep(m)
	case RoleFollowing, RoleObserving:
		if m.Type == jute.PacketFollowerInfo || m.Type == jute.PacketObserverInfo {
			// We are not leading: refuse the connection.
			p.send(Message{Type: MsgDisconnect, To: m.From, Conn: m.Conn})
			return nil
		}
		p.learnerStep(m)
	default:
		if m.Type == jute.PacketFollowerInfo || m.Type == jute.PacketObserverInfo {
			p.stash[m.From] = stashed{m: m, at: p.now}
		}
	}
	return nil
}

func (p *Peer) linkDown(from, conn uint64, isClose bool) {
	switch p.role {
	case RoleLeading:
		p.leaderLinkDown(from, conn, isClose)
	case RoleFollowing, RoleObserving:
		if from == p.leader && (!isClose || conn == p.ln.conn) {
			p.stopLearning("connection to the leader closed", false)
		}
	default:
		if s, ok := p.stash[from]; ok && (!isClose || s.m.Conn == conn) {
			delete(p.stash, from)
		}
	}
}

// Logged reports that every entry handed out in Ready.Append up to zxid is
// durable in this member's txn log.
func (p *Peer) Logged(zxid int64) {
	if zxid <= p.durable {
		return
	}
	p.durable = min(zxid, p.appended)
	switch p.role {
	case RoleLeading:
		p.leaderLogged()
	case RoleFollowing:
		p.learnerLogged()
	}
	p.afterReconfig()
}

// NextZxid returns the zxid the next Propose will assign, so the request
// pipeline can put it into the txn header before encoding the entry.
func (p *Peer) NextZxid() (int64, error) {
	l := p.ld
	if p.role != RoleLeading || l == nil {
		return 0, ErrNotLeader
	}
	if !l.established {
		return 0, ErrNotServing
	}
	return makeZxid(l.epoch, l.counter+1), nil
}

// Propose assigns the next zxid to a txn entry (which must have been
// encoded with NextZxid's value), logs it and sends it to the followers.
// Leader only, once established.
func (p *Peer) Propose(txn []byte) (int64, error) {
	z, err := p.propose(txn)
	p.afterReconfig()
	return z, err
}

// Forward sends a client write to the leader (learner only, once synced)
// with the ids its client connection authenticated as.
func (p *Peer) Forward(req []byte, auth []jute.ID) error {
	if p.role != RoleFollowing && p.role != RoleObserving {
		return ErrNotLeader
	}
	if p.ln.phase != lBroadcast {
		return ErrNotServing
	}
	p.send(Message{Type: jute.PacketRequest, To: p.leader, Conn: p.ln.conn, Zxid: -1, Data: req, Auth: auth})
	return nil
}

// Status is a snapshot of the Peer's state.
type Status struct {
	ID                uint64
	Role              Role
	Leader            uint64
	Serving           bool // leader established, or learner got UPTODATE
	AcceptedEpoch     int64
	CurrentEpoch      int64
	ElectionEpoch     int64 // logical clock
	VoteLeader        uint64
	VoteZxid          int64
	VotePeerEpoch     int64
	LastProcessedZxid int64
	LastLoggedZxid    int64 // last zxid handed out for the log
	DurableZxid       int64
	LastCommittedZxid int64 // leader only
	Outstanding       int   // leader only: proposals not yet committed
	Learners          []uint64
	Synced            []uint64 // leader only: learners done syncing (UPTODATE sent)
	PendingSyncs      int      // leader only: syncs waiting for a commit
	CommittedLogMin   int64
	CommittedLogMax   int64
}

// Status returns the current state.
func (p *Peer) Status() Status {
	s := Status{
		ID: p.id, Role: p.role, Leader: p.leader,
		AcceptedEpoch: p.acceptedEpoch, CurrentEpoch: p.currentEpoch, ElectionEpoch: p.el.clock,
		VoteLeader: p.currentVote.leader, VoteZxid: p.currentVote.zxid, VotePeerEpoch: p.currentVote.peerEpoch,
		LastProcessedZxid: p.processed, LastLoggedZxid: p.appended, DurableZxid: p.durable,
	}
	if p.role == RoleLooking {
		s.VoteLeader, s.VoteZxid, s.VotePeerEpoch = p.el.propLeader, p.el.propZxid, p.el.propEpoch
	}
	if w := p.committedLog.items(); len(w) > 0 {
		s.CommittedLogMin, s.CommittedLogMax = w[0].Zxid, w[len(w)-1].Zxid
	}
	if l := p.ld; l != nil {
		s.Serving = l.established
		s.LastCommittedZxid = l.lastCommitted
		s.Outstanding = l.outstanding.len()
		s.PendingSyncs = len(l.pendingSyncs)
		for _, h := range l.handlers {
			s.Learners = append(s.Learners, h.id)
			if h.state == hActive {
				s.Synced = append(s.Synced, h.id)
			}
		}
	}
	if ln := p.ln; ln != nil {
		s.Serving = ln.phase == lBroadcast
	}
	return s
}

// ---- effects ----

func (p *Peer) send(m Message) {
	m.From = p.id
	r := p.stage(effMessage)
	r.Messages = append(r.Messages, m)
	if m.Type == jute.PacketSnap {
		r.snapMsg = true
	}
}

func (p *Peer) event(e Event) {
	r := p.stage(effOther)
	r.Events = append(r.Events, e)
}

// appendLog hands entries to the log and remembers them as not applied.
func (p *Peer) appendLog(es ...Entry) {
	if len(es) == 0 {
		return
	}
	r := p.stage(effAppend)
	r.Append = append(r.Append, es...)
	p.pending.push(es...)
	p.appended = es[len(es)-1].Zxid
}

// apply hands an entry to the data tree and adds it to the committed
// window. (ZooKeeper leaves out what a learner applies directly during a
// SNAP/TRUNC sync; we do not, see doc.go.)
func (p *Peer) apply(e Entry) {
	r := p.stage(effCommit)
	r.Commit = append(r.Commit, e)
	p.processed = e.Zxid
	if p.committedLog.len() > p.cfg.CommitLogCount {
		p.committedLog.pop()
	}
	p.committedLog.push(e)
	if p.cfg.Membership != nil {
		if v, o, ok := p.cfg.Membership(e.Txn); ok {
			p.activate(e.Zxid, v, o)
		}
	}
}

// applyPendingHead applies the oldest pending entry if it is zxid.
func (p *Peer) applyPendingHead(zxid int64) bool {
	if p.pending.len() == 0 || p.pending.front().Zxid != zxid {
		return false
	}
	p.apply(p.pending.pop())
	return true
}

func (p *Peer) setProcessed(z int64) {
	r := p.stage(effProcessed)
	r.LastProcessedZxid = &z
	p.processed = z
}

func (p *Peer) takeSnapshot(sync bool) {
	r := p.stage(effTakeSnapshot)
	r.TakeSnapshot = &SnapshotRequest{Zxid: p.processed, Sync: sync}
	p.lastSnap = p.processed
	p.dirty = false
}

func (p *Peer) saveAcceptedEpoch(e int64) {
	p.acceptedEpoch = e
	r := p.stage(effAcceptedEpoch)
	r.SaveAcceptedEpoch = &e
}

func (p *Peer) saveCurrentEpoch(e int64) {
	p.currentEpoch = e
	r := p.stage(effCurrentEpoch)
	r.SaveCurrentEpoch = &e
}

func (p *Peer) truncate(z int64) {
	r := p.stage(effTruncate)
	r.Truncate = &z
	p.processed = z
	p.appended = min(p.appended, z)
	p.durable = min(p.durable, z)
	p.lastSnap = min(p.lastSnap, z)
	p.pending.reset()
	p.trimWindow(z)
	i := 0
	for i < len(p.snapOnly) && p.snapOnly[i].hi <= z {
		i++
	}
	p.snapOnly = p.snapOnly[:i]
}

func (p *Peer) trimWindow(z int64) {
	w := p.committedLog.items()
	i := len(w)
	for i > 0 && w[i-1].Zxid > z {
		i--
	}
	p.committedLog.keep(i)
}

// reload throws away what the tree holds beyond the disk: the runtime
// rebuilds it from its newest snapshot and the log.
func (p *Peer) reload() {
	r := p.stage(effTruncate)
	r.Reload = true
	p.processed = max(p.lastSnap, p.appended)
	p.pending.reset()
	p.dirty = false
	p.trimWindow(p.processed)
}

func (p *Peer) loadSnapshot(z int64, data []byte) {
	r := p.stage(effLoadSnapshot)
	r.LoadSnapshot = &Snapshot{Zxid: z, Data: data}
	p.processed = z
	// The log is not touched: once the snapshot is written at NEWLEADER,
	// what it holds up to z is superseded (replay starts after z).
	p.pending.reset()
	p.dirty = true
	p.committedLog.reset() // ZKDatabase.clear()
	p.logFloor = max(p.logFloor, z)
}

// fastForward applies what was logged but not applied, as ZooKeeper does
// when a member leaves FOLLOWING/LEADING/OBSERVING.
func (p *Peer) fastForward() {
	p.toAck = p.toAck[:0]
	if p.pending.len() == 0 {
		return
	}
	n := p.pending.len()
	for _, e := range p.pending.items() {
		if e.Zxid > p.processed {
			p.apply(e)
		}
	}
	p.pending.reset()
	p.event(Event{Kind: EventFastForward, Txns: n, Zxid: p.processed})
}

// startLooking makes the member LOOKING and starts a new election round.
func (p *Peer) startLooking(reason string) {
	p.role = RoleLooking
	p.leader = 0
	p.ld = nil
	p.ln = nil
	p.event(Event{Kind: EventLooking, Reason: reason})
	p.lookForLeader()
	p.drainSelf()
}
