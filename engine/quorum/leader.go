package quorum

import (
	"fmt"
	"slices"
	"zkbench/engine/jute"
)

// The leader side: Leader.lead and one LearnerHandler per learner
// connection, as one state machine.

type hState int

const (
	hWaitEpoch     hState = iota // FOLLOWERINFO read; blocked in getEpochToPropose
	hWaitAckEpoch                // LEADERINFO sent
	hWaitElection                // ACKEPOCH read; blocked in waitForEpochAck
	hWaitNewLeader               // sync queued and NEWLEADER sent; reading its ACK
	hWaitStartup                 // NEWLEADER acked; blocked until the leader serves
	hActive                      // UPTODATE sent: the main read loop
)

type learnerHandler struct {
	id       uint64
	conn     uint64
	observer bool
	state    hState
	since    int64 // Tick when state was entered (initLimit waits)

	lastAcceptedEpoch int64
	peerLastZxid      int64
	forwarding        bool  // startForwarding done: gets new PROPOSAL/COMMIT or INFORM
	pinging           bool  // the sender thread runs (after NEWLEADER was queued)
	deadline          int64 // tickOfNextAckDeadline, in leader ticks
	lastHeard         int64 // Tick of the last packet read
	// unacked are proposals sent since NEWLEADER was acked, with the Tick
	// they were sent (SyncLimitCheck): a follower that does not ACK within
	// syncLimit is dropped even if it answers pings.
	unacked fifo[sentProposal]
}

type sentProposal struct {
	zxid int64
	at   int64
}

type proposal struct {
	e    Entry
	acks uint64 // voter bitmask
	// next is the configuration a reconfig proposed and not yet committed
	// when this proposal was made: it needs a quorum of both (ZooKeeper's
	// qvAcksetPairs). reconfig: this proposal is that reconfig.
	next     *membership
	reconfig bool
}

type stateSummary struct{ currentEpoch, lastZxid int64 }

func (a stateSummary) moreRecentThan(b stateSummary) bool {
	return a.currentEpoch > b.currentEpoch || (a.currentEpoch == b.currentEpoch && a.lastZxid > b.lastZxid)
}

type leaderState struct {
	summary            stateSummary
	epoch              int64 // the epoch to propose (-1 until a quorum connected)
	waitingForNewEpoch bool
	connecting         uint64 // voters in getEpochToPropose (bitmask)
	electing           uint64 // voters whose ACKEPOCH counted
	electionFinished   bool
	newLeaderAcks      uint64
	selfNewLeaderAck   bool
	established        bool // quorumFormed + startZkServer
	waitStart          int64

	handlers []*learnerHandler // sorted by id

	outstanding   fifo[proposal]
	pending       *membership   // the configuration of an uncommitted reconfig
	retire        bool          // a reconfig left us no voter: step down at the next tick
	pendingSyncs  []pendingSync // syncs waiting for a commit, zxid order
	lastCommitted int64
	lastProposed  int64
	counter       int64

	tick      int64 // the leader's tick (self.tick), one per tickTime once serving
	halfTicks int64 // Ticks since the last half-tick
	tickSkip  bool
}

// lead is Leader.lead up to the point it waits for learners.
func (p *Peer) lead() {
	p.role = RoleLeading
	p.leader = p.id
	p.ln = nil
	l := &leaderState{epoch: -1, waitingForNewEpoch: true, lastCommitted: -1, waitStart: p.now, tickSkip: true}
	p.ld = l
	// zk.loadData(): the database is loaded already, and a clean snapshot
	// is written (design.md: a new leader with txns since its last one).
	p.takeSnapshot(false)
	l.summary = stateSummary{p.currentEpoch, p.processed}
	p.getEpochToPropose(p.id, p.acceptedEpoch)
	// Learners that connected while we were still LOOKING.
	for _, id := range slices.Sorted(mapKeys(p.stash)) {
		s := p.stash[id]
		delete(p.stash, id)
		if p.ld != l || p.role != RoleLeading {
			break
		}
		if p.now-s.at < p.t.init {
			p.leaderStep(s.m)
		}
	}
	clear(p.stash)
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (p *Peer) handler(id uint64) *learnerHandler {
	l := p.ld
	i, ok := slices.BinarySearchFunc(l.handlers, id, func(h *learnerHandler, id uint64) int {
		switch {
		case h.id < id:
			return -1
		case h.id > id:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return l.handlers[i]
}

func (p *Peer) addHandler(h *learnerHandler) {
	l := p.ld
	i, ok := slices.BinarySearchFunc(l.handlers, h.id, func(x *learnerHandler, id uint64) int {
		switch {
		case x.id < id:
			return -1
		case x.id > id:
			return 1
		}
		return 0
	})
	if ok {
		l.handlers[i] = h
		return
	}
	l.handlers = slices.Insert(l.handlers, i, h)
}

func (p *Peer) removeHandler(h *learnerHandler) {
	l := p.ld
	l.handlers = slices.DeleteFunc(l.handlers, func(x *learnerHandler) bool { return x == h })
}

// dropHandler closes a learner's connection (LearnerHandler.shutdown).
func (p *Peer) dropHandler(h *learnerHandler, reason string, sendClose bool) {
	p.removeHandler(h)
	if sendClose {
		p.send(Message{Type: MsgDisconnect, To: h.id, Conn: h.conn})
	}
	p.event(Event{Kind: EventLearnerDropped, Peer: h.id, Reason: reason})
}

// stepDown ends leadership (Leader.shutdown): close every learner
// connection, fast-forward the tree and look for a leader again.
func (p *Peer) stepDown(reason string) {
	l := p.ld
	for _, h := range l.handlers {
		p.send(Message{Type: MsgDisconnect, To: h.id, Conn: h.conn})
	}
	l.handlers = nil
	p.ld = nil
	p.fastForward()
	p.startLooking(reason)
}

// getEpochToPropose: the new epoch is one more than the highest accepted
// epoch of a quorum of connecting voters (observers' epochs count, their
// presence does not). Once known it is persisted as our acceptedEpoch and
// every waiting handler sends LEADERINFO.
func (p *Peer) getEpochToPropose(sid uint64, lastAcceptedEpoch int64) {
	l := p.ld
	if !l.waitingForNewEpoch {
		return
	}
	if lastAcceptedEpoch >= l.epoch {
		l.epoch = lastAcceptedEpoch + 1
	}
	l.connecting |= p.voterBit(sid)
	if l.connecting&p.voterBit(p.id) == 0 || !p.isQuorum(l.connecting) {
		return
	}
	l.waitingForNewEpoch = false
	p.saveAcceptedEpoch(l.epoch)
	l.waitStart = p.now
	for _, h := range l.handlers {
		if h.state == hWaitEpoch {
			p.sendLeaderInfo(h)
		}
	}
	// The leader's own thread goes on: waitForEpochAck(self, summary).
	p.waitForEpochAck(p.id, l.summary)
}

func (p *Peer) sendLeaderInfo(h *learnerHandler) {
	l := p.ld
	h.state, h.since = hWaitAckEpoch, p.now
	p.send(Message{Type: jute.PacketLeaderInfo, To: h.id, Conn: h.conn, Zxid: makeZxid(l.epoch, 0), Data: int32Bytes(ProtocolVersion)})
}

// waitForEpochAck counts a voter's ACKEPOCH toward the quorum that ends
// discovery. It reports false if the learner is ahead of us (ZooKeeper
// throws, and that learner's handler dies).
func (p *Peer) waitForEpochAck(sid uint64, ss stateSummary) bool {
	l := p.ld
	if l.electionFinished {
		return true
	}
	if ss.currentEpoch != -1 {
		if ss.moreRecentThan(l.summary) {
			return false
		}
		if ss.lastZxid != -1 {
			l.electing |= p.voterBit(sid)
		}
	}
	if l.electing&p.voterBit(p.id) == 0 || !p.isQuorum(l.electing) {
		return true
	}
	l.electionFinished = true
	// self.setCurrentEpoch(epoch): persisted before any NEWLEADER leaves.
	p.saveCurrentEpoch(l.epoch)
	l.waitStart = p.now
	for _, h := range slices.Clone(l.handlers) {
		if h.state == hWaitElection && p.ld == l {
			p.syncLearner(h)
		}
	}
	p.selfNewLeaderAck()
	return true
}

// selfNewLeaderAck is waitForNewLeaderAck(self). We count ourselves once
// our own log is durable: ZooKeeper's SyncRequestProcessor flushed it when
// the previous role ended; here a Logged may still be on its way.
func (p *Peer) selfNewLeaderAck() {
	l := p.ld
	if l == nil || !l.electionFinished || l.selfNewLeaderAck || p.durable < p.appended {
		return
	}
	l.selfNewLeaderAck = true
	p.waitForNewLeaderAck(p.id, makeZxid(l.epoch, 0))
}

func (p *Peer) waitForNewLeaderAck(sid uint64, zxid int64) {
	l := p.ld
	if l.established || zxid != makeZxid(l.epoch, 0) {
		return
	}
	l.newLeaderAcks |= p.voterBit(sid)
	if l.selfNewLeaderAck && p.isQuorum(l.newLeaderAcks) {
		p.startServing()
	}
}

// startServing is startZkServer: a quorum has our history, the epoch
// begins, waiting learners get UPTODATE.
func (p *Peer) startServing() {
	l := p.ld
	l.established = true
	z := makeZxid(l.epoch, 0)
	l.lastCommitted, l.lastProposed, l.counter = z, z, 0
	p.setProcessed(z)
	p.currentVote.peerEpoch = l.epoch // updateElectionVote
	l.tick, l.halfTicks, l.tickSkip = 0, 0, true
	p.event(Event{Kind: EventEstablished, Epoch: l.epoch, Zxid: z, Peer: p.id})
	for _, h := range l.handlers {
		if h.state == hWaitStartup {
			p.sendUpToDate(h)
		}
	}
}

func (p *Peer) sendUpToDate(h *learnerHandler) {
	h.state, h.since = hActive, p.now
	h.deadline = p.ld.tick + p.t.syncLimit
	p.send(Message{Type: jute.PacketUpToDate, To: h.id, Conn: h.conn, Zxid: -1})
}

// leaderStep handles a quorum packet from a learner.
func (p *Peer) leaderStep(m Message) {
	l := p.ld
	if m.Type == jute.PacketFollowerInfo || m.Type == jute.PacketObserverInfo {
		p.acceptLearner(m)
		return
	}
	h := p.handler(m.From)
	if h == nil || h.conn != m.Conn {
		return // a packet of a connection we no longer have
	}
	h.lastHeard = p.now
	if h.state == hActive {
		h.deadline = l.tick + p.t.syncLimit
	}
	switch m.Type {
	case jute.PacketAckEpoch:
		if h.state != hWaitAckEpoch {
			p.dropHandler(h, "unexpected ACKEPOCH", true)
			return
		}
		ep, ok := readInt32(m.Data)
		if !ok {
			p.dropHandler(h, "short ACKEPOCH", true)
			return
		}
		h.peerLastZxid = m.Zxid
		h.state, h.since = hWaitElection, p.now
		if !p.waitForEpochAck(h.id, stateSummary{int64(ep), m.Zxid}) {
			p.dropHandler(h, fmt.Sprintf("follower is ahead of the leader (epoch %d zxid 0x%x)", ep, m.Zxid), true)
			return
		}
		if p.ld == l && l.electionFinished && h.state == hWaitElection {
			p.syncLearner(h)
		}
	case jute.PacketAck:
		switch h.state {
		case hWaitNewLeader:
			// The first packet after NEWLEADER must be its ACK.
			h.state, h.since = hWaitStartup, p.now
			p.waitForNewLeaderAck(h.id, m.Zxid)
			if p.ld == l && l.established && h.state == hWaitStartup {
				p.sendUpToDate(h)
			}
		case hWaitStartup, hActive:
			h.ackedUpTo(m.Zxid)
			if !h.observer {
				p.processAck(h.id, m.Zxid)
			}
		default:
			p.dropHandler(h, "unexpected ACK", true)
		}
	case jute.PacketRequest:
		if h.state == hActive {
			r := p.stage(effOther)
			r.Requests = append(r.Requests, Request{From: h.id, Data: m.Data, Auth: m.Auth})
		}
	case jute.PacketPing:
		// The packet already counted as a sign of life; the sessions it
		// touches are the runtime's (LeaderSessionTracker).
		if h.state == hActive && len(m.Data) > 0 {
			r := p.stage(effOther)
			r.Touches = append(r.Touches, Request{From: h.id, Data: m.Data})
		}
	case jute.PacketRevalidate:
		// Session revalidation is the runtime's business.
	}
}

func (h *learnerHandler) ackedUpTo(zxid int64) {
	for h.unacked.len() > 0 && h.unacked.front().zxid <= zxid {
		h.unacked.pop()
	}
}

// acceptLearner starts a LearnerHandler for a new connection.
func (p *Peer) acceptLearner(m Message) {
	l := p.ld
	if old := p.handler(m.From); old != nil {
		p.removeHandler(old)
	}
	// A follower not in the configuration is a non-voting follower (a
	// server to be added, or one a reconfig removed): it gets proposals and
	// ACKs them, and its ACKs count for a pending reconfig that makes it a
	// voter (ZooKeeper's joiners). Without reconfiguration such a follower
	// is treated as an observer.
	observer := m.Type == jute.PacketObserverInfo || (!p.isVoter(m.From) && p.cfg.Membership == nil)
	h := &learnerHandler{
		id:                m.From,
		conn:              m.Conn,
		observer:          observer,
		state:             hWaitEpoch,
		since:             p.now,
		lastAcceptedEpoch: epochOf(m.Zxid),
		lastHeard:         p.now,
		deadline:          l.tick + p.t.initLimit + p.t.syncLimit, // tickOfInitialAckDeadline
	}
	p.addHandler(h)
	if l.waitingForNewEpoch {
		p.getEpochToPropose(h.id, h.lastAcceptedEpoch)
		return // LEADERINFO goes out when the epoch is decided
	}
	p.sendLeaderInfo(h)
}

// syncLearner is LearnerHandler's sync: choose DIFF/TRUNC/SNAP, queue the
// missing committed txns and the outstanding proposals, then NEWLEADER.
func (p *Peer) syncLearner(h *learnerHandler) {
	l := p.ld
	plan := planSync(h.peerLastZxid, p.committedLog.items(), p.processed, p.cfg.TxnLog, p.logFloor)
	switch plan.mode {
	case SyncSnap:
		p.send(Message{Type: jute.PacketSnap, To: h.id, Conn: h.conn, Zxid: plan.opZxid})
	case SyncTrunc, SyncTruncDiff:
		p.send(Message{Type: jute.PacketTrunc, To: h.id, Conn: h.conn, Zxid: plan.opZxid})
	default:
		p.send(Message{Type: jute.PacketDiff, To: h.id, Conn: h.conn, Zxid: plan.opZxid})
	}
	for _, e := range plan.entries {
		p.send(Message{Type: jute.PacketProposal, To: h.id, Conn: h.conn, Zxid: e.Zxid, Data: e.Txn})
		p.send(Message{Type: jute.PacketCommit, To: h.id, Conn: h.conn, Zxid: e.Zxid})
	}
	txns := len(plan.entries)
	// An ACK this learner gave on an earlier connection no longer counts
	// for what it is sent again: a TRUNC may just have removed it from its
	// log. (ZooKeeper keeps such acks; a commit may then rest on a copy
	// that is gone until the learner logs it again.)
	if bit := p.slotBit(h.id); bit != 0 {
		for i := range l.outstanding.len() {
			if pr := l.outstanding.at(i); pr.e.Zxid > plan.forwardFrom {
				pr.acks &^= bit
			}
		}
	}
	// startForwarding: proposals still waiting for a quorum, to followers.
	if !h.observer && l.lastProposed > plan.forwardFrom {
		for _, pr := range l.outstanding.items() {
			if pr.e.Zxid > plan.forwardFrom {
				p.send(Message{Type: jute.PacketProposal, To: h.id, Conn: h.conn, Zxid: pr.e.Zxid, Data: pr.e.Txn})
				txns++
			}
		}
	}
	h.forwarding = true
	p.send(Message{Type: jute.PacketNewLeader, To: h.id, Conn: h.conn, Zxid: makeZxid(l.epoch, 0)})
	h.pinging = true
	h.state, h.since = hWaitNewLeader, p.now
	p.event(Event{Kind: EventSynced, Peer: h.id, Mode: plan.mode, Txns: txns, Zxid: plan.opZxid, Epoch: l.epoch})
}

// propose is Leader.propose.
func (p *Peer) propose(txn []byte) (int64, error) {
	l := p.ld
	if p.role != RoleLeading || l == nil {
		return 0, ErrNotLeader
	}
	if !l.established {
		return 0, ErrNotServing
	}
	if l.counter+1 >= 0xffffffff {
		// The low 32 bits would roll over: ZooKeeper forces a new epoch.
		p.stepDown("zxid lower 32 bits have rolled over, forcing re-election")
		return 0, ErrZxidRollover
	}
	pr := proposal{}
	if p.cfg.Membership != nil {
		if v, o, ok := p.cfg.Membership(txn); ok {
			m, ok := p.newMembership(v, o)
			if !ok {
				return 0, fmt.Errorf("%w: reconfig to %d voters and %d observers", ErrConfig, len(v), len(o))
			}
			l.pending, pr.reconfig = m, true
		}
	}
	pr.next = l.pending
	l.counter++
	z := makeZxid(l.epoch, l.counter)
	e := Entry{Zxid: z, Txn: txn}
	l.lastProposed = z
	pr.e = e
	l.outstanding.push(pr)
	p.appendLog(e)
	for _, h := range l.handlers {
		if h.forwarding && !h.observer {
			p.send(Message{Type: jute.PacketProposal, To: h.id, Conn: h.conn, Zxid: z, Data: txn})
			if h.state >= hWaitStartup {
				h.unacked.push(sentProposal{zxid: z, at: p.now})
			}
		}
	}
	return z, nil
}

// pendingSync is a sync that waits for proposal zxid to commit: a
// learner's, or (id is ours) one of our own clients'.
type pendingSync struct {
	zxid     int64
	id, conn uint64
}

// Sync answers a sync request once every proposal made so far is
// committed (Leader.processSync), so that the client that asked reads at
// least what was committed when it asked. from is the learner that
// forwarded it: a SYNC packet goes back, behind the COMMITs it waits for.
// From this peer's own id, it is a sync of the leader's own client: it is
// answered by Ready.Syncs, in a Ready after those commits'. Either way the
// waiting happens here, where the proposals and their commits are known.
func (p *Peer) Sync(from uint64) error {
	l := p.ld
	if p.role != RoleLeading || l == nil {
		return ErrNotLeader
	}
	if !l.established {
		return ErrNotServing
	}
	ps := pendingSync{zxid: l.lastProposed, id: from}
	if from != p.id {
		h := p.handler(from)
		if h == nil || h.state != hActive {
			return nil // its connection is gone, and the client's request with it
		}
		ps.conn = h.conn
	}
	if l.outstanding.len() == 0 {
		p.syncDone(ps)
		return nil
	}
	l.pendingSyncs = append(l.pendingSyncs, ps)
	return nil
}

// releaseSyncs answers the syncs waiting for proposals up to zxid.
func (p *Peer) releaseSyncs(zxid int64) {
	l := p.ld
	n := 0
	for n < len(l.pendingSyncs) && l.pendingSyncs[n].zxid <= zxid {
		p.syncDone(l.pendingSyncs[n])
		n++
	}
	l.pendingSyncs = l.pendingSyncs[n:]
}

// syncDone answers a sync whose wait is over, unless the learner that
// sent it has reconnected since (its client's request died with the link).
func (p *Peer) syncDone(ps pendingSync) {
	if ps.id == p.id {
		p.stage(effOther).Syncs++
		return
	}
	if h := p.handler(ps.id); h != nil && h.conn == ps.conn {
		p.send(Message{Type: jute.PacketSync, To: ps.id, Conn: ps.conn})
	}
}

// processAck counts a voter's ACK (Leader.processAck).
func (p *Peer) processAck(sid uint64, zxid int64) {
	l := p.ld
	if zxid&0xffffffff == 0 || l.outstanding.len() == 0 || l.lastCommitted >= zxid {
		return // NEWLEADER/UPTODATE acks, or already committed
	}
	i, ok := slices.BinarySearchFunc(l.outstanding.items(), zxid, func(pr proposal, z int64) int {
		switch {
		case pr.e.Zxid < z:
			return -1
		case pr.e.Zxid > z:
			return 1
		}
		return 0
	})
	if !ok {
		return // "Trying to commit future proposal"
	}
	l.outstanding.at(i).acks |= p.slotBit(sid)
	p.tryToCommit()
}

// tryToCommit commits, strictly in zxid order, every proposal at the head
// that a quorum of voters acknowledged.
func (p *Peer) tryToCommit() {
	l := p.ld
	for l.outstanding.len() > 0 && p.committable(l.outstanding.front()) {
		pr := l.outstanding.pop()
		e := pr.e
		l.lastCommitted = e.Zxid
		p.applyPendingHead(e.Zxid)
		for _, h := range l.handlers {
			if !h.forwarding {
				continue
			}
			switch {
			case pr.reconfig && h.observer:
				p.send(Message{Type: jute.PacketInformAndActivate, To: h.id, Conn: h.conn, Zxid: e.Zxid, Data: append(int64Bytes(int64(p.designated())), e.Txn...)})
			case pr.reconfig:
				p.send(Message{Type: jute.PacketCommitAndActivate, To: h.id, Conn: h.conn, Zxid: e.Zxid, Data: int64Bytes(int64(p.designated()))})
			case h.observer:
				p.send(Message{Type: jute.PacketInform, To: h.id, Conn: h.conn, Zxid: e.Zxid, Data: e.Txn})
			default:
				p.send(Message{Type: jute.PacketCommit, To: h.id, Conn: h.conn, Zxid: e.Zxid})
			}
		}
		if len(l.pendingSyncs) > 0 {
			p.releaseSyncs(e.Zxid)
		}
	}
}

// committable: a quorum of voters acknowledged pr, and a quorum of the
// voters of the reconfig pending when it was proposed.
func (p *Peer) committable(pr *proposal) bool {
	return p.isQuorum(pr.acks) && (pr.next == nil || pr.next.isQuorum(pr.acks))
}

// designated is the leader a COMMITANDACTIVATE names: this one while it
// is a voter of the (just activated) configuration, else none (0): the
// voters elect one (ZooKeeper designates a follower that acknowledged).
func (p *Peer) designated() uint64 {
	if p.voter {
		return p.id
	}
	return 0
}

func int64Bytes(v int64) []byte {
	return []byte{byte(v >> 56), byte(v >> 48), byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// leaderLogged counts our own ACKs (AckRequestProcessor).
func (p *Peer) leaderLogged() {
	l := p.ld
	if !l.established {
		p.selfNewLeaderAck()
		return
	}
	bit := p.slotBit(p.id)
	for i := range l.outstanding.len() {
		pr := l.outstanding.at(i)
		if pr.e.Zxid > p.durable {
			break
		}
		pr.acks |= bit
	}
	p.tryToCommit()
}

func (p *Peer) leaderLinkDown(from, conn uint64, isClose bool) {
	h := p.handler(from)
	if h == nil || (isClose && h.conn != conn) {
		return
	}
	p.dropHandler(h, "connection closed", false)
	if p.ld.established && !p.syncedQuorum() {
		p.stepDown("lost the quorum: connection to a follower closed")
	}
}

// SyncedFollowers returns, on an established leader, the followers
// (voting or not, observers left out) that get proposals and were heard
// from within syncLimit leader ticks: Leader.isQuorumSynced's
// forwardingFollowers that are synced(). Nil on any other member.
func (p *Peer) SyncedFollowers() []uint64 {
	l := p.ld
	if p.role != RoleLeading || l == nil || !l.established {
		return nil
	}
	var ids []uint64
	for _, h := range l.handlers {
		if !h.observer && h.forwarding && l.tick <= h.deadline {
			ids = append(ids, h.id)
		}
	}
	return ids
}

// syncedQuorum: do we and the learners we heard from within syncLimit
// leader ticks make a quorum of voters?
func (p *Peer) syncedQuorum() bool {
	l := p.ld
	acks := p.voterBit(p.id)
	for _, h := range l.handlers {
		if l.tick <= h.deadline {
			acks |= p.voterBit(h.id)
		}
	}
	return p.isQuorum(acks)
}

func (p *Peer) tickLeader() {
	l := p.ld
	if l.retire {
		p.stepDown("no longer a voter after a reconfig")
		return
	}
	if !l.established {
		if p.now-l.waitStart >= p.t.init {
			switch {
			case l.waitingForNewEpoch:
				p.stepDown("timeout while waiting for epoch from quorum")
			case !l.electionFinished:
				p.stepDown("timeout while waiting for epoch to be acked by quorum")
			default:
				p.stepDown("timeout while waiting for NEWLEADER to be acked by quorum")
			}
			return
		}
	}
	// Handlers blocked in a wait or a read give up after initLimit; once
	// broadcasting, a read times out after syncLimit.
	for _, h := range slices.Clone(l.handlers) {
		switch {
		case h.state != hActive && p.now-h.since >= p.t.init:
			p.dropHandler(h, "timeout during discovery/sync", true)
		case h.state == hActive && p.now-h.lastHeard >= p.t.sync:
			p.dropHandler(h, "read timeout", true)
		}
	}
	if !l.established {
		return
	}
	l.halfTicks++
	if l.halfTicks < p.t.ping {
		return
	}
	l.halfTicks = 0
	// Leader.lead's loop: every tickTime/2 ping; every tickTime advance the
	// leader tick and check that a quorum is still synced.
	if !l.tickSkip {
		l.tick++
		if !p.syncedQuorum() {
			p.stepDown("not sufficient followers synced")
			return
		}
	}
	l.tickSkip = !l.tickSkip
	for _, h := range slices.Clone(l.handlers) {
		if !h.pinging {
			continue
		}
		if h.unacked.len() > 0 && p.now-h.unacked.front().at >= p.t.sync {
			p.dropHandler(h, "closing connection to peer due to transaction timeout", true)
			continue
		}
		p.send(Message{Type: jute.PacketPing, To: h.id, Conn: h.conn, Zxid: l.lastProposed})
	}
}
