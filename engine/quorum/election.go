package quorum

// FastLeaderElection, as a state machine. One election round runs while
// the member is LOOKING; see lookForLeader.

// vote is FastLeaderElection's Vote.
type vote struct {
	leader        uint64
	zxid          int64
	electionEpoch int64
	peerEpoch     int64
	state         Role
	version       int32
}

// equal is Vote.equals of 3.8: votes of members out of election (FOLLOWING
// or LEADING) agree on leader and peer epoch only, so a member that
// restarts can join an ensemble whose members voted in different rounds.
func (a vote) equal(b vote) bool {
	if a.state == RoleLooking || b.state == RoleLooking {
		return a.leader == b.leader && a.zxid == b.zxid && a.electionEpoch == b.electionEpoch && a.peerEpoch == b.peerEpoch
	}
	if (a.version > 0) != (b.version > 0) {
		return a.leader == b.leader
	}
	return a.leader == b.leader && a.peerEpoch == b.peerEpoch
}

type election struct {
	clock               int64 // logicalclock: the election round
	propLeader          uint64
	propZxid, propEpoch int64
	recvset, outOfElect map[uint64]vote
	notTimeout, idle    int64 // resend back-off and ticks since the last notification
	finalizing          bool  // a quorum agrees; waiting finalizeWait for a better vote
	finalizeLeft        int64
	selfQueue           []Notification // our own notifications, delivered to ourselves
	processingSelfQueue bool
}

// initVote is getInitId/getInitLastLoggedZxid/getPeerEpoch: observers
// propose nobody.
func (p *Peer) initVote() (uint64, int64, int64) {
	if !p.voter {
		return noLeader, minInt64, minInt64
	}
	return p.id, p.processed, p.currentEpoch
}

// totalOrderPredicate: is (id, zxid, epoch) a better leader than the
// current proposal? Higher peer epoch, then higher zxid, then higher id;
// only voters can be proposed.
func (p *Peer) totalOrder(newID uint64, newZxid, newEpoch int64, curID uint64, curZxid, curEpoch int64) bool {
	if !p.isVoter(newID) {
		return false
	}
	return newEpoch > curEpoch || (newEpoch == curEpoch && (newZxid > curZxid || (newZxid == curZxid && newID > curID)))
}

// lookForLeader starts a new round: bump the logical clock, vote for
// ourselves and tell every voter.
func (p *Peer) lookForLeader() {
	e := &p.el
	e.clock++
	e.propLeader, e.propZxid, e.propEpoch = p.initVote()
	clear(e.recvset)
	clear(e.outOfElect)
	e.finalizing = false
	e.notTimeout = p.t.finalize
	e.idle = 0
	p.sendNotifications()
}

// sendNotifications sends our proposal to every voter, ourselves included
// (QuorumCnxManager delivers a message to self into the receive queue).
func (p *Peer) sendNotifications() {
	e := &p.el
	n := Notification{
		State:         RoleLooking,
		Leader:        int64(e.propLeader),
		Zxid:          e.propZxid,
		ElectionEpoch: e.clock,
		PeerEpoch:     e.propEpoch,
		Version:       NotificationVersion,
	}
	for _, v := range p.voters {
		if v == p.id {
			e.selfQueue = append(e.selfQueue, n)
			continue
		}
		p.sendNotification(v, n)
	}
}

func (p *Peer) sendNotification(to uint64, n Notification) {
	p.send(Message{Type: MsgNotification, To: to, Data: n.Encode(make([]byte, 0, 44+len(n.Config)))})
}

// drainSelf delivers our own notifications after the event that produced
// them, as ZooKeeper's receive queue would.
func (p *Peer) drainSelf() {
	e := &p.el
	if e.processingSelfQueue {
		return
	}
	e.processingSelfQueue = true
	for len(e.selfQueue) > 0 && p.role == RoleLooking {
		n := e.selfQueue[0]
		e.selfQueue = e.selfQueue[1:]
		p.receiveNotification(p.id, n)
	}
	e.selfQueue = e.selfQueue[:0]
	e.processingSelfQueue = false
}

// stepNotification is WorkerReceiver: it answers what it can at once and
// hands the rest to the running election.
func (p *Peer) stepNotification(from uint64, n Notification) {
	if !p.isVoter(from) {
		// A non-voter (observer) is always told our current vote.
		cv := p.currentVote
		p.sendNotification(from, Notification{State: p.role, Leader: int64(cv.leader), Zxid: cv.zxid,
			ElectionEpoch: p.el.clock, PeerEpoch: cv.peerEpoch, Version: NotificationVersion})
		return
	}
	if p.role == RoleLooking {
		p.receiveNotification(from, n)
		if n.State == RoleLooking && n.ElectionEpoch < p.el.clock && p.role == RoleLooking && p.voter {
			// The sender lags a round behind: send it our proposal.
			e := &p.el
			p.sendNotification(from, Notification{State: RoleLooking, Leader: int64(e.propLeader), Zxid: e.propZxid,
				ElectionEpoch: e.clock, PeerEpoch: e.propEpoch, Version: NotificationVersion})
		}
		p.drainSelf()
		return
	}
	if n.State == RoleLooking && p.voter {
		// We are out of election: tell the LOOKING member whom we follow.
		cv := p.currentVote
		p.sendNotification(from, Notification{State: p.role, Leader: int64(cv.leader), Zxid: cv.zxid,
			ElectionEpoch: cv.electionEpoch, PeerEpoch: cv.peerEpoch, Version: NotificationVersion})
	}
	// An observer never answers a voter: a voter only ever sends it replies
	// (to which it answers again), so ZooKeeper's observer and a LOOKING
	// voter can bounce notifications back and forth until the voter leaves
	// LOOKING. The voter ignores the content anyway.
}

// receiveNotification is one iteration of lookForLeader's loop.
func (p *Peer) receiveNotification(from uint64, n Notification) {
	e := &p.el
	e.idle = 0
	nLeader := uint64(n.Leader)
	if e.finalizing {
		// Waiting out finalizeWait: only a better vote matters, anything
		// else is consumed and restarts the wait.
		if !p.totalOrder(nLeader, n.Zxid, n.PeerEpoch, e.propLeader, e.propZxid, e.propEpoch) {
			e.finalizeLeft = p.t.finalize
			return
		}
		e.finalizing = false
	}
	if !p.isVoter(from) || !p.isVoter(nLeader) {
		return
	}
	switch n.State {
	case RoleLooking:
		switch {
		case n.ElectionEpoch > e.clock:
			e.clock = n.ElectionEpoch
			clear(e.recvset)
			il, iz, ie := p.initVote()
			if p.totalOrder(nLeader, n.Zxid, n.PeerEpoch, il, iz, ie) {
				e.propLeader, e.propZxid, e.propEpoch = nLeader, n.Zxid, n.PeerEpoch
			} else {
				e.propLeader, e.propZxid, e.propEpoch = il, iz, ie
			}
			p.sendNotifications()
		case n.ElectionEpoch < e.clock:
			return
		case p.totalOrder(nLeader, n.Zxid, n.PeerEpoch, e.propLeader, e.propZxid, e.propEpoch):
			e.propLeader, e.propZxid, e.propEpoch = nLeader, n.Zxid, n.PeerEpoch
			p.sendNotifications()
		}
		e.recvset[from] = vote{leader: nLeader, zxid: n.Zxid, electionEpoch: n.ElectionEpoch, peerEpoch: n.PeerEpoch, state: RoleLooking}
		if p.termPredicate(e.recvset, vote{leader: e.propLeader, zxid: e.propZxid, electionEpoch: e.clock, peerEpoch: e.propEpoch, state: RoleLooking}) {
			e.finalizing = true
			e.finalizeLeft = p.t.finalize
		}
	case RoleObserving:
		return
	case RoleFollowing, RoleLeading:
		v := vote{leader: nLeader, zxid: n.Zxid, electionEpoch: n.ElectionEpoch, peerEpoch: n.PeerEpoch, state: n.State, version: n.Version}
		if n.ElectionEpoch == e.clock {
			// A member that decided in our round.
			e.recvset[from] = vote{leader: nLeader, zxid: n.Zxid, electionEpoch: n.ElectionEpoch, peerEpoch: n.PeerEpoch, state: n.State}
			if p.termPredicate(e.recvset, v) && p.checkLeader(e.recvset, nLeader, n.ElectionEpoch) {
				p.decide(v)
				return
			}
		}
		// Joining an established ensemble: a quorum must follow the same
		// leader, and the leader itself must say it is leading.
		e.outOfElect[from] = v
		if p.termPredicate(e.outOfElect, v) && p.checkLeader(e.outOfElect, nLeader, n.ElectionEpoch) {
			e.clock = n.ElectionEpoch
			p.decide(v)
		}
	}
}

func (p *Peer) termPredicate(votes map[uint64]vote, v vote) bool {
	var acks uint64
	for sid, w := range votes {
		if v.equal(w) {
			acks |= p.voterBit(sid)
		}
	}
	return p.isQuorum(acks)
}

// checkLeader avoids electing, over and over, a leader that crashed: unless
// we are the leader, it must have told us it is LEADING.
func (p *Peer) checkLeader(votes map[uint64]vote, leader uint64, electionEpoch int64) bool {
	if leader != p.id {
		w, ok := votes[leader]
		return ok && w.state == RoleLeading
	}
	return p.el.clock == electionEpoch
}

// tickElection is the time side of lookForLeader: resend with exponential
// back-off when nothing arrives, decide when finalizeWait passes quietly.
func (p *Peer) tickElection() {
	e := &p.el
	if e.finalizing {
		e.finalizeLeft--
		if e.finalizeLeft <= 0 {
			p.decide(vote{leader: e.propLeader, zxid: e.propZxid, electionEpoch: e.clock, peerEpoch: e.propEpoch, state: RoleLooking})
		}
		return
	}
	e.idle++
	if e.idle >= e.notTimeout {
		e.idle = 0
		p.sendNotifications()
		e.notTimeout = min(e.notTimeout*2, p.t.maxNotif)
		p.drainSelf()
	}
}

// decide ends the round: LEADING if we won, else FOLLOWING (voters) or
// OBSERVING.
func (p *Peer) decide(v vote) {
	e := &p.el
	e.finalizing = false
	e.selfQueue = e.selfQueue[:0]
	role := RoleObserving
	switch {
	case v.leader == p.id:
		role = RoleLeading
	case p.voter, p.cfg.Membership != nil && !p.isObserver(p.id):
		// A participant in no configuration follows without a vote.
		role = RoleFollowing
	}
	p.currentVote = vote{leader: v.leader, zxid: v.zxid, electionEpoch: v.electionEpoch, peerEpoch: v.peerEpoch, state: role, version: NotificationVersion}
	p.event(Event{Kind: EventElected, Role: role, Peer: v.leader, Zxid: v.zxid, Epoch: v.peerEpoch})
	if role == RoleLeading {
		p.lead()
	} else {
		p.follow(v.leader, role)
	}
}
