package quorum

import (
	"fmt"
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
	voters    []uint64 // sorted
	observers []uint64 // sorted
	voterIdx  map[uint64]int
	quorum    int
	rnd       *rand.Rand

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
		acceptedEpoch: d.AcceptedEpoch,
		currentEpoch:  d.CurrentEpoch,
		processed:     d.LastLoggedZxid,
		appended:      d.LastLoggedZxid,
		durable:       d.LastLoggedZxid,
		stash:         map[uint64]stashed{},
	}
	for i, v := range p.voters {
		p.voterIdx[v] = i
	}
	p.voter = p.isVoter(p.id)
	p.quorum = len(p.voters)/2 + 1
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

func (p *Peer) isMember(id uint64) bool {
	if p.isVoter(id) {
		return true
	}
	_, ok := slices.BinarySearch(p.observers, id)
	return ok
}

func (p *Peer) isQuorum(acks uint64) bool {
	n := 0
	for ; acks != 0; acks &= acks - 1 {
		n++
	}
	return n >= p.quorum
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
}

// Step hands the Peer a message from another member (or a MsgLinkDown from
// the runtime). It returns an error only for messages it cannot use at
// all; protocol trouble (an unexpected packet from the leader, say) makes
// the member go back to LOOKING, as ZooKeeper's threads would.
func (p *Peer) Step(m Message) error {
	if m.From == p.id || !p.isMember(m.From) {
		return fmt.Errorf("%w: %d", ErrUnknownPeer, m.From)
	}
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
	return p.propose(txn)
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
