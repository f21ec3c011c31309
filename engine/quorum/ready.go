package quorum

import "fmt"

// Role is a member's ZooKeeper server state (QuorumPeer.ServerState; the
// values are the ordinals notifications carry).
type Role int32

const (
	RoleLooking   Role = 0
	RoleFollowing Role = 1
	RoleLeading   Role = 2
	RoleObserving Role = 3
)

func (r Role) String() string {
	switch r {
	case RoleLooking:
		return "LOOKING"
	case RoleFollowing:
		return "FOLLOWING"
	case RoleLeading:
		return "LEADING"
	case RoleObserving:
		return "OBSERVING"
	}
	return fmt.Sprintf("Role(%d)", int32(r))
}

// SyncMode is how a leader brought a learner up to date.
type SyncMode int

const (
	SyncNone      SyncMode = iota
	SyncDiff               // DIFF: the missing committed txns follow
	SyncTruncDiff          // TRUNC then DIFF: roll back to a common zxid, then the missing txns
	SyncTrunc              // TRUNC: the learner has txns the leader never committed, nothing newer
	SyncSnap               // SNAP: a full snapshot of the leader's tree
)

func (m SyncMode) String() string {
	switch m {
	case SyncDiff:
		return "DIFF"
	case SyncTruncDiff:
		return "TRUNC+DIFF"
	case SyncTrunc:
		return "TRUNC"
	case SyncSnap:
		return "SNAP"
	}
	return "NONE"
}

// EventKind says what an Event reports.
type EventKind int

const (
	// EventElected: the election ended; Role/Peer say how (Peer = leader).
	EventElected EventKind = iota + 1
	// EventEstablished: this leader got a quorum of NEWLEADER acks and
	// serves epoch Epoch; Zxid = Epoch<<32.
	EventEstablished
	// EventSynced: a learner sync. On the leader when it queued the sync
	// (Peer = learner), on the learner at UPTODATE (Peer = leader). Mode and
	// Txns (PROPOSALs sent before NEWLEADER) agree on both sides; Zxid is
	// the DIFF/TRUNC/SNAP packet's zxid.
	EventSynced
	// EventLooking: the member went back to LOOKING; Reason says why.
	EventLooking
	// EventLearnerDropped: the leader closed a learner's connection (Peer).
	EventLearnerDropped
	// EventFastForward: leaving FOLLOWING/LEADING/OBSERVING, the member
	// applies the txns it logged but had not applied (ZooKeeperServer.
	// shutdown → fastForwardDataBase); they are in this Ready's Commit and
	// may later be rolled back by a TRUNC or replaced by a SNAP.
	EventFastForward
	// EventRollback: a TRUNC reached into txns only a snapshot from an
	// unfinished sync holds; the member went back to the state before
	// that sync (Zxid, currentEpoch Epoch) and syncs again.
	EventRollback
	// EventReconfig: a committed reconfig (Zxid) was applied and its
	// configuration is now this member's (Peer.Members).
	EventReconfig
)

func (k EventKind) String() string {
	switch k {
	case EventElected:
		return "elected"
	case EventEstablished:
		return "established"
	case EventSynced:
		return "synced"
	case EventLooking:
		return "looking"
	case EventLearnerDropped:
		return "learner-dropped"
	case EventFastForward:
		return "fast-forward"
	case EventRollback:
		return "rollback"
	case EventReconfig:
		return "reconfig"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is something the runtime may want to record (design.md's engine
// Events: leader elected, learner synced, ...).
type Event struct {
	Kind   EventKind
	Role   Role
	Peer   uint64
	Mode   SyncMode
	Txns   int
	Zxid   int64
	Epoch  int64
	Reason string
}

func (e Event) String() string {
	switch e.Kind {
	case EventElected:
		return fmt.Sprintf("elected: %s leader=%d", e.Role, e.Peer)
	case EventEstablished:
		return fmt.Sprintf("established epoch %d", e.Epoch)
	case EventSynced:
		return fmt.Sprintf("synced peer=%d %s txns=%d zxid=0x%x", e.Peer, e.Mode, e.Txns, e.Zxid)
	case EventFastForward:
		return fmt.Sprintf("fast-forward txns=%d to 0x%x", e.Txns, e.Zxid)
	}
	return fmt.Sprintf("%s peer=%d %s", e.Kind, e.Peer, e.Reason)
}

// Snapshot is a snapshot a learner received with SNAP.
type Snapshot struct {
	Zxid int64 // the leader's lastProcessedZxid when it serialized the tree
	Data []byte
}

// SnapshotRequest asks the runtime to write a snapshot of its data tree.
type SnapshotRequest struct {
	Zxid int64 // the tree's lastProcessedZxid, which names the file
	Sync bool  // fsync it before going on (a learner after SNAP)
}

// Ready is a batch of work the Peer hands to its runtime. The runtime does
// it in this order, then calls Advance:
//
//  1. Truncate: cut the txn log after this zxid and reload the data tree
//     from disk (ZKDatabase.truncateLog): the newest snapshot at or below
//     the zxid plus the log; its lastProcessedZxid becomes this zxid.
//     Reload: rebuild the data tree from disk (newest snapshot plus the
//     whole log) without cutting anything. It undoes a SNAP or TRUNC sync
//     that broke off before its snapshot was written (see doc.go).
//  2. LoadSnapshot: replace the data tree with the snapshot.
//  3. Append: write these entries to the txn log, in order, and make them
//     durable (group commit is fine); report durability with Logged. Only
//     the sync may finish after Advance; everything else must be done.
//  4. Commit: apply these entries to the data tree, in order.
//  5. LastProcessedZxid: set the tree's lastProcessedZxid (a new leader
//     starts its epoch at epoch<<32 before any txn of it).
//  6. TakeSnapshot: write a snapshot of the tree.
//  7. SaveAcceptedEpoch, SaveCurrentEpoch: write the epoch files (durably,
//     persist.WriteEpochFile) before sending anything of this Ready.
//  8. Messages: send, FIFO per destination; fill SNAP data (see Message).
//  9. Events: a leader established or a learner synced starts serving.
//  10. Requests: hand forwarded client writes to the leader's pipeline;
//     Touches to the session tracker; Syncs answer waiting syncs. They
//     come after Events: learners' requests may arrive in the very Ready
//     that established their leader, whose pipeline must take them.
//
// A Ready's slices belong to the Peer again after Advance (it reuses
// them): copy whatever must outlive it. The entries' and messages' byte
// slices are never reused.
//
// The Peer splits its output into several Readys where this order would
// otherwise be wrong (a truncation after appends, a commit after a
// snapshot was requested, appends after a currentEpoch update), so doing
// each Ready in this order, one after the other, is always correct.
type Ready struct {
	Role   Role   // soft state at the time of Ready()
	Leader uint64 // the leader this member follows or is (0 while LOOKING)

	Truncate          *int64
	Reload            bool
	LoadSnapshot      *Snapshot
	Append            []Entry
	Commit            []Entry
	LastProcessedZxid *int64
	TakeSnapshot      *SnapshotRequest
	SaveAcceptedEpoch *int64
	SaveCurrentEpoch  *int64
	Messages          []Message
	Requests          []Request
	// Touches are the PING payloads of learners (leader only): the sessions
	// their clients kept alive since the last ping, for the runtime's
	// session tracker (LearnerSessionTracker → LeaderSessionTracker).
	Touches []Request
	// Syncs counts syncs to answer now: this many of the oldest the
	// runtime has waiting, in order. On a learner they are the leader's
	// SYNC packets for syncs forwarded with Forward; on the leader, its own
	// clients' syncs (Sync with this peer's id). Either way every commit
	// they wait for is in this or an earlier Ready's Commit.
	Syncs  int
	Events []Event

	snapMsg bool // a SNAP message is queued: its data depends on the tree
}

func (r *Ready) empty() bool {
	return r.Truncate == nil && !r.Reload && r.LoadSnapshot == nil && len(r.Append) == 0 && len(r.Commit) == 0 &&
		r.LastProcessedZxid == nil && r.TakeSnapshot == nil && r.SaveAcceptedEpoch == nil &&
		r.SaveCurrentEpoch == nil && len(r.Messages) == 0 && len(r.Requests) == 0 && len(r.Touches) == 0 &&
		r.Syncs == 0 && len(r.Events) == 0
}

// effect kinds, in the order a Ready is executed
type effect int

const (
	effTruncate effect = iota
	effLoadSnapshot
	effAppend
	effCommit
	effProcessed
	effTakeSnapshot
	effAcceptedEpoch
	effCurrentEpoch
	effMessage
	effOther
)

// fits reports whether an effect produced now may join r without being
// executed before something that happened earlier and must precede it.
func (r *Ready) fits(k effect) bool {
	switch k {
	case effTruncate, effLoadSnapshot:
		// They rebuild the tree from disk: nothing queued may run after them.
		return r.empty()
	case effAppend:
		// Entries logged after a currentEpoch update must not reach the log
		// before it (persist.LoadEpochs refuses a log ahead of currentEpoch).
		return r.SaveCurrentEpoch == nil
	case effCommit:
		// A snapshot or a SNAP message captures the tree as it was when
		// requested; a new lastProcessedZxid must not be overtaken.
		return r.TakeSnapshot == nil && !r.snapMsg && r.LastProcessedZxid == nil
	case effProcessed:
		return r.TakeSnapshot == nil && !r.snapMsg
	case effTakeSnapshot:
		return r.TakeSnapshot == nil
	case effCurrentEpoch:
		// currentEpoch is only raised once what precedes it is durable.
		return len(r.Append) == 0
	}
	return true
}

// stage returns the Ready an effect of kind k goes into.
func (p *Peer) stage(k effect) *Ready {
	n := len(p.stages)
	if n > 0 && !(n == 1 && p.handed) && p.stages[n-1].fits(k) {
		return &p.stages[n-1]
	}
	var r Ready
	if k := len(p.spare); k > 0 {
		r = p.spare[k-1]
		p.spare = p.spare[:k-1]
	}
	p.stages = append(p.stages, r)
	return &p.stages[n]
}

// HasReady reports whether Ready would return work.
func (p *Peer) HasReady() bool { return len(p.stages) > 0 }

// Ready returns the next batch of work. Calling it again before Advance
// returns the same batch; output produced meanwhile waits for later Readys.
func (p *Peer) Ready() Ready {
	if len(p.stages) == 0 {
		return Ready{Role: p.role, Leader: p.leader}
	}
	p.handed = true
	rd := p.stages[0]
	rd.Role, rd.Leader = p.role, p.leader
	return rd
}

// Advance tells the Peer the last Ready was done (Append written, its sync
// possibly still running).
func (p *Peer) Advance() {
	if !p.handed || len(p.stages) == 0 {
		return
	}
	p.handed = false
	done := p.stages[0]
	n := copy(p.stages, p.stages[1:])
	p.stages[n] = Ready{}
	p.stages = p.stages[:n]
	// Keep the slices' memory for later Readys (see Ready: a Ready's
	// slices are only valid until Advance).
	if len(p.spare) < 4 {
		clear(done.Append)
		clear(done.Commit)
		clear(done.Messages)
		clear(done.Requests)
		clear(done.Touches)
		clear(done.Events)
		p.spare = append(p.spare, Ready{
			Append: done.Append[:0], Commit: done.Commit[:0], Messages: done.Messages[:0],
			Requests: done.Requests[:0], Touches: done.Touches[:0], Events: done.Events[:0],
		})
	}
}
