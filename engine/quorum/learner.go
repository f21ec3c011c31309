package quorum

import (
	"slices"

	"zkbench/engine/jute"
)

// The learner side: Learner.registerWithLeader, Learner.syncWithLeader and
// the Follower/Observer packet loops.

type lPhase int

const (
	lDiscovery lPhase = iota // FOLLOWERINFO sent, waiting for LEADERINFO
	lSync                    // ACKEPOCH sent, waiting for DIFF/TRUNC/SNAP
	lSyncing                 // receiving the sync, up to UPTODATE
	lBroadcast               // UPTODATE received: serving
)

// NEWLEADER handling steps (see handleNewLeader).
const (
	nlNone     = iota
	nlSnapshot // writing the snapshot of a SNAP/TRUNC sync
	nlLogging  // logging what the sync sent, epoch by epoch
	nlAcked    // NEWLEADER acknowledged
)

type learnerState struct {
	leader    uint64
	conn      uint64
	observer  bool
	phase     lPhase
	lastHeard int64

	newEpoch       int64
	mode           SyncMode
	opZxid         int64
	txns           int
	writeToTxnLog  bool
	snapshotNeeded bool
	syncSnapshot   bool
	lastQueued     int64
	// packetsNotCommitted / packetsCommitted of syncWithLeader.
	notCommitted []Entry
	committed    []int64
	nl           int
	nlQueue      []Entry // sync txns still to be logged
}

// follow starts following (or observing) leader: connect and register.
func (p *Peer) follow(leader uint64, role Role) {
	p.role = role
	p.leader = leader
	p.ld = nil
	// A learner we refused while LOOKING must look elsewhere.
	for _, id := range slices.Sorted(mapKeys(p.stash)) {
		p.send(Message{Type: MsgDisconnect, To: id, Conn: p.stash[id].m.Conn})
	}
	clear(p.stash)
	ln := &learnerState{leader: leader, conn: p.nextConn(), observer: role == RoleObserving, lastHeard: p.now}
	p.ln = ln
	t := jute.PacketFollowerInfo
	if ln.observer {
		t = jute.PacketObserverInfo
	}
	info := jute.LearnerInfo{ServerID: int64(p.id), ProtocolVersion: ProtocolVersion}
	p.send(Message{Type: t, To: leader, Conn: ln.conn, Zxid: makeZxid(p.acceptedEpoch, 0), Data: encodeLearnerInfo(info)})
}

func (p *Peer) nextConn() uint64 {
	for {
		if c := p.rnd.Uint64(); c != 0 {
			return c
		}
	}
}

// stopLearning ends FOLLOWING/OBSERVING (Learner.shutdown): close the
// connection, fast-forward the tree, look for a leader.
func (p *Peer) stopLearning(reason string, sendClose bool) {
	ln := p.ln
	if sendClose {
		p.send(Message{Type: MsgDisconnect, To: ln.leader, Conn: ln.conn})
	}
	p.ln = nil
	if p.dirty {
		// ZooKeeper keeps the half-synced tree and may later log txns on
		// top of a snapshot it never wrote; we go back to what is on disk.
		p.reload()
	} else {
		p.fastForward()
	}
	p.startLooking(reason)
}

func (p *Peer) learnerStep(m Message) {
	ln := p.ln
	if m.From != ln.leader || m.Conn != ln.conn {
		return
	}
	ln.lastHeard = p.now
	switch ln.phase {
	case lDiscovery:
		p.learnerDiscovery(m)
	case lSync:
		p.learnerSyncStart(m)
	case lSyncing:
		p.learnerSyncing(m)
	case lBroadcast:
		if ln.observer {
			p.observerPacket(m)
		} else {
			p.followerPacket(m)
		}
	}
}

// learnerDiscovery: LEADERINFO carries the new epoch. Accept it (persist
// acceptedEpoch before answering) and report our state in ACKEPOCH.
func (p *Peer) learnerDiscovery(m Message) {
	ln := p.ln
	if m.Type != jute.PacketLeaderInfo {
		p.stopLearning("first packet from the leader is not LEADERINFO", true)
		return
	}
	newEpoch := epochOf(m.Zxid)
	var ep int32
	switch {
	case newEpoch > p.acceptedEpoch:
		ep = int32(p.currentEpoch)
		p.saveAcceptedEpoch(newEpoch)
	case newEpoch == p.acceptedEpoch:
		// Already acked this epoch (to this or an earlier connection): -1
		// keeps the leader from counting us twice, our zxid still matters.
		ep = -1
	default:
		p.stopLearning("leader's epoch is less than our accepted epoch", true)
		return
	}
	ln.newEpoch = newEpoch
	ln.phase = lSync
	p.send(Message{Type: jute.PacketAckEpoch, To: ln.leader, Conn: ln.conn, Zxid: p.processed, Data: int32Bytes(ep)})
}

// learnerSyncStart: the first sync packet says how we are brought up to
// date.
func (p *Peer) learnerSyncStart(m Message) {
	ln := p.ln
	ln.opZxid = m.Zxid
	switch m.Type {
	case jute.PacketDiff:
		ln.mode = SyncDiff
		ln.snapshotNeeded = false
	case jute.PacketSnap:
		ln.mode = SyncSnap
		p.loadSnapshot(m.Zxid, m.Data)
		ln.snapshotNeeded, ln.syncSnapshot = true, true
	case jute.PacketTrunc:
		for i, r := range p.snapOnly {
			if r.lo < m.Zxid && m.Zxid < r.hi {
				p.rollBack(i)
				return
			}
		}
		ln.mode = SyncTrunc
		p.truncate(m.Zxid)
		ln.snapshotNeeded = true
	default:
		p.stopLearning("unexpected packet "+PacketName(m.Type)+" instead of DIFF/TRUNC/SNAP", true)
		return
	}
	// Without a snapshot to come, txns go to the log; otherwise they are
	// applied to the tree directly and end up in the snapshot taken at
	// NEWLEADER.
	ln.writeToTxnLog = !ln.snapshotNeeded
	ln.phase = lSyncing
}

// rollBack handles a TRUNC into snapOnly[i]: txns a SNAP or TRUNC+DIFF
// sync put into a snapshot, the sync never finished (no UPTODATE) and the
// new leader never committed them. Cutting the log cannot remove them.
// ZooKeeper 3.8 fails here ("No log files found to truncate") or reloads
// that very snapshot and claims the TRUNC's zxid. We go back to the state
// before that sync instead: drop the snapshot and anything newer, restore
// the currentEpoch of then (so our vote does not claim the newer epoch
// with an older history) and sync again from there.
func (p *Peer) rollBack(i int) {
	r := p.snapOnly[i]
	p.truncate(r.lo)
	if p.currentEpoch > r.epochBefore {
		p.currentEpoch = r.epochBefore
		e := r.epochBefore
		p.stage(effCurrentEpoch).SaveCurrentEpoch = &e
	}
	p.event(Event{Kind: EventRollback, Zxid: r.lo, Epoch: p.currentEpoch})
	p.stopLearning("TRUNC into a snapshot of an unfinished sync", true)
}

func (p *Peer) learnerSyncing(m Message) {
	ln := p.ln
	switch m.Type {
	case jute.PacketProposal:
		ln.notCommitted = append(ln.notCommitted, Entry{Zxid: m.Zxid, Txn: m.Data})
		ln.lastQueued = m.Zxid
		if ln.nl == nlNone {
			ln.txns++
		}
	case jute.PacketCommit, jute.PacketCommitAndActivate:
		if !ln.writeToTxnLog {
			if len(ln.notCommitted) > 0 && ln.notCommitted[0].Zxid == m.Zxid {
				e := ln.notCommitted[0]
				ln.notCommitted = ln.notCommitted[1:]
				p.apply(e)
				p.dirty = true
			}
			// else ZooKeeper warns "Committing x, but next proposal is y"
		} else {
			ln.committed = append(ln.committed, m.Zxid)
		}
	case jute.PacketInform, jute.PacketInformAndActivate:
		e := Entry{Zxid: m.Zxid, Txn: informTxn(m)}
		ln.lastQueued = m.Zxid
		if !ln.writeToTxnLog {
			p.apply(e)
			p.dirty = true
		} else {
			ln.notCommitted = append(ln.notCommitted, e)
			ln.committed = append(ln.committed, m.Zxid)
		}
	case jute.PacketNewLeader:
		if ln.nl != nlNone {
			p.stopLearning("second NEWLEADER", true)
			return
		}
		p.handleNewLeader(m)
	case jute.PacketUpToDate:
		if ln.nl != nlAcked {
			p.stopLearning("UPTODATE before NEWLEADER was acknowledged", true)
			return
		}
		p.handleUpToDate()
	}
	// PING and the rest are not read during the sync.
}

// handleNewLeader: the sync data is complete. Snapshot what was applied
// directly (SNAP/TRUNC), make the history durable, adopt the epoch, then
// acknowledge.
//
// ZooKeeper 3.8 sets currentEpoch first, queues the txns to its log and
// sends the ACK without waiting for the fsync (ZOOKEEPER-4643/4646: a crash
// then loses txns a quorum was counted for, or leaves a currentEpoch that
// claims a history the member does not have). We write the same files in
// a safer order: currentEpoch is raised only once everything before it is
// durable, one epoch at a time, so that the log never holds a zxid of an
// epoch newer than currentEpoch (persist.LoadEpochs refuses that) and
// currentEpoch never claims more than the disk holds; NEWLEADER is
// acknowledged only when all of it is durable.
func (p *Peer) handleNewLeader(m Message) {
	ln := p.ln
	ln.writeToTxnLog = true
	if ln.observer {
		// An ObserverZooKeeperServer logs nothing here; its txns are logged
		// and applied after UPTODATE.
		if ln.snapshotNeeded {
			p.writeSyncSnapshot()
		}
		p.saveCurrentEpoch(ln.newEpoch)
		p.send(Message{Type: jute.PacketAck, To: ln.leader, Conn: ln.conn, Zxid: makeZxid(ln.newEpoch, 0)})
		ln.nl = nlAcked
		return
	}
	ln.nlQueue, ln.notCommitted = ln.notCommitted, nil
	ln.nl = nlLogging
	if ln.snapshotNeeded {
		ln.nl = nlSnapshot
	}
	p.newLeaderProgress()
}

func appendZxids(dst []int64, es []Entry) []int64 {
	for _, e := range es {
		dst = append(dst, e.Zxid)
	}
	return dst
}

// newLeaderProgress moves the NEWLEADER steps on as the log becomes durable.
func (p *Peer) newLeaderProgress() {
	ln := p.ln
	if ln.nl == nlSnapshot {
		if p.durable < p.appended {
			return
		}
		// The snapshot may hold txns of a newer epoch than currentEpoch:
		// raise it in the same Ready, right after the snapshot.
		p.writeSyncSnapshot()
		if e := epochOf(p.processed); e > p.currentEpoch {
			p.saveCurrentEpoch(min(e, ln.newEpoch))
		}
		ln.nl = nlLogging
	}
	for ln.nl == nlLogging {
		if len(ln.nlQueue) > 0 {
			if e := epochOf(ln.nlQueue[0].Zxid); e > p.currentEpoch {
				if p.durable < p.appended {
					return
				}
				p.saveCurrentEpoch(min(e, ln.newEpoch))
			}
			i := 0
			for i < len(ln.nlQueue) && epochOf(ln.nlQueue[i].Zxid) <= p.currentEpoch {
				i++
			}
			p.appendLog(ln.nlQueue[:i]...)
			p.toAck = appendZxids(p.toAck, ln.nlQueue[:i])
			ln.nlQueue = ln.nlQueue[i:]
			continue
		}
		if p.durable < p.appended {
			return
		}
		if p.currentEpoch < ln.newEpoch {
			p.saveCurrentEpoch(ln.newEpoch)
		}
		p.send(Message{Type: jute.PacketAck, To: ln.leader, Conn: ln.conn, Zxid: makeZxid(ln.newEpoch, 0)})
		ln.nl = nlAcked
		p.sendAcks()
	}
}

// writeSyncSnapshot writes the snapshot of a SNAP/TRUNC sync and records
// what only it holds.
func (p *Peer) writeSyncSnapshot() {
	if lo := max(p.lastSnap, p.appended); p.processed > lo {
		p.snapOnly = append(p.snapOnly, snapRange{lo: lo, hi: p.processed, epochBefore: p.currentEpoch})
	}
	p.takeSnapshot(p.ln.syncSnapshot)
}

// sendAcks ACKs every logged proposal that is durable
// (SendAckRequestProcessor).
func (p *Peer) sendAcks() {
	ln := p.ln
	i := 0
	for i < len(p.toAck) && p.toAck[i] <= p.durable {
		p.send(Message{Type: jute.PacketAck, To: ln.leader, Conn: ln.conn, Zxid: p.toAck[i]})
		i++
	}
	n := copy(p.toAck, p.toAck[i:])
	p.toAck = p.toAck[:n]
}

// handleUpToDate: start serving; what arrived after NEWLEADER is logged,
// and what was committed meanwhile is applied.
func (p *Peer) handleUpToDate() {
	ln := p.ln
	p.send(Message{Type: jute.PacketAck, To: ln.leader, Conn: ln.conn, Zxid: makeZxid(ln.newEpoch, 0)})
	ln.phase = lBroadcast
	p.currentVote.peerEpoch = ln.newEpoch // updateElectionVote
	if ln.observer {
		for _, e := range ln.notCommitted {
			if len(ln.committed) == 0 || ln.committed[0] != e.Zxid {
				continue // "Committing x, but next proposal is y"
			}
			ln.committed = ln.committed[1:]
			p.appendLog(e)
			p.applyPendingHead(e.Zxid)
		}
	} else {
		p.appendLog(ln.notCommitted...)
		p.toAck = appendZxids(p.toAck, ln.notCommitted)
		for _, z := range ln.committed {
			if !p.commitFollower(z) {
				return
			}
		}
	}
	ln.notCommitted, ln.committed = nil, nil
	p.event(Event{Kind: EventSynced, Peer: ln.leader, Mode: p.syncModeSeen(), Txns: ln.txns, Zxid: ln.opZxid, Epoch: ln.newEpoch})
	// A reconfig applied during the sync may have changed our role.
	p.recheckRole = p.recheckRole || (p.role == RoleFollowing && p.isObserver(p.id)) || (p.role == RoleObserving && p.voter)
	if p.durable >= p.appended {
		p.sendAcks()
	}
}

func (p *Peer) syncModeSeen() SyncMode {
	ln := p.ln
	if ln.mode == SyncTrunc && ln.txns > 0 {
		return SyncTruncDiff
	}
	return ln.mode
}

// commitFollower is FollowerZooKeeperServer.commit: the zxid must be the
// oldest pending txn, or ZooKeeper exits.
func (p *Peer) commitFollower(z int64) bool {
	if p.pending.len() == 0 {
		return true // "Committing zxid without seeing txn"
	}
	if !p.applyPendingHead(z) {
		p.stopLearning("commit does not match the next pending txn", true)
		return false
	}
	return true
}

func (p *Peer) followerPacket(m Message) {
	ln := p.ln
	switch m.Type {
	case jute.PacketPing:
		p.send(Message{Type: jute.PacketPing, To: ln.leader, Conn: ln.conn, Zxid: m.Zxid, Data: p.takePingData()})
	case jute.PacketProposal:
		ln.lastQueued = m.Zxid
		if m.Zxid <= p.appended {
			p.stopLearning("proposal does not follow the log", true)
			return
		}
		p.appendLog(Entry{Zxid: m.Zxid, Txn: m.Data})
		p.toAck = append(p.toAck, m.Zxid)
	case jute.PacketCommit, jute.PacketCommitAndActivate:
		// COMMITANDACTIVATE's data names the designated leader; the
		// configuration comes from the txn itself when it is applied.
		p.commitFollower(m.Zxid)
	case jute.PacketSync:
		p.stage(effOther).Syncs++
	case jute.PacketUpToDate:
		p.stopLearning("UPTODATE after the follower started", true)
	}
	// REVALIDATE is the runtime's (not modelled).
}

func (p *Peer) observerPacket(m Message) {
	ln := p.ln
	switch m.Type {
	case jute.PacketPing:
		p.send(Message{Type: jute.PacketPing, To: ln.leader, Conn: ln.conn, Zxid: m.Zxid, Data: p.takePingData()})
	case jute.PacketInform, jute.PacketInformAndActivate:
		if m.Zxid <= p.processed {
			return
		}
		p.appendLog(Entry{Zxid: m.Zxid, Txn: informTxn(m)})
		p.applyPendingHead(m.Zxid)
	case jute.PacketSync:
		p.stage(effOther).Syncs++
	case jute.PacketUpToDate:
		p.stopLearning("UPTODATE after the observer started", true)
	}
	// An observer ignores PROPOSAL and COMMIT.
}

// informTxn is the txn an INFORM carries, or an INFORMANDACTIVATE after
// the designated leader's id (8 bytes).
func informTxn(m Message) []byte {
	if m.Type == jute.PacketInformAndActivate && len(m.Data) >= 8 {
		return m.Data[8:]
	}
	return m.Data
}

// SetPingData sets what this learner's next PING reply carries: the
// sessions its clients touched since the last one, as LearnerSessionTracker
// reports them (the runtime's encoding). Each reply takes it once.
func (p *Peer) SetPingData(data []byte) { p.pingData = data }

func (p *Peer) takePingData() []byte {
	d := p.pingData
	p.pingData = nil
	return d
}

func (p *Peer) learnerLogged() {
	ln := p.ln
	if ln.observer {
		return
	}
	switch ln.nl {
	case nlSnapshot, nlLogging:
		p.newLeaderProgress()
	case nlAcked:
		p.sendAcks()
	}
}

func (p *Peer) tickLearner() {
	ln := p.ln
	// The socket timeout is initLimit until NEWLEADER, then syncLimit.
	limit := p.t.init
	if ln.nl != nlNone {
		limit = p.t.sync
	}
	if p.now-ln.lastHeard >= limit {
		p.stopLearning("no packet from the leader in time", true)
	}
}
