package engine

import (
	"fmt"
	"time"

	"zkbench/engine/persist"
)

// EventKind says what an Event reports.
type EventKind int

const (
	EventFsync          EventKind = iota + 1 // one sync of a member's txn log
	EventLogRoll                             // a txn log file was closed and the next will start fresh
	EventPreallocExtend                      // a log file was extended by one preallocation step
	EventSnapshotStart                       // a snapshot was triggered
	EventSnapshotEnd                         // a snapshot file was written (or failed: Err)
	EventLeaderElected                       // a member leads an established epoch
	EventLearnerSynced                       // a learner finished its sync with the leader (Mode, Txns)
	EventMemberDown                          // a member stopped, crashed or failed (Err)
	EventMemberUp                            // a member started: Duration restored its database, of Nodes znodes; Restore its phases
	EventSessionExpired                      // the leader expired a session
)

var eventNames = map[EventKind]string{
	EventFsync: "fsync", EventLogRoll: "log-roll", EventPreallocExtend: "prealloc-extend",
	EventSnapshotStart: "snapshot-start", EventSnapshotEnd: "snapshot-end",
	EventLeaderElected: "leader-elected", EventLearnerSynced: "learner-synced",
	EventMemberDown: "member-down", EventMemberUp: "member-up", EventSessionExpired: "session-expired",
}

// String returns the kind's name as result.json's events use it.
func (k EventKind) String() string {
	if s, ok := eventNames[k]; ok {
		return s
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is something an ensemble member did that a measurement wants to
// see. Fields that do not apply to a kind are zero.
type Event struct {
	Time     time.Time // when it happened (for durations: when it began)
	Member   uint64
	Kind     EventKind
	Duration time.Duration // fsync, extend, snapshot; member up: its start-up restore
	Bytes    int64         // fsync: bytes made durable; snapshot: file size; extend: new length; learner synced by SNAP: the snapshot's bytes
	Txns     int           // fsync: txns made durable; roll: txns in the file; sync: txns sent
	Nodes    int           // snapshot: znodes written; member up: znodes restored
	Zxid     int64         // snapshot name, roll's last zxid, sync's zxid, the epoch start of an election
	Peer     uint64        // learner synced: the leader; leader elected: the leader
	Mode     string        // learner synced: DIFF, TRUNC+DIFF, TRUNC or SNAP; roll: why
	Path     string        // file the event concerns
	Err      error         // snapshot or member failure
	// Restore is a member up's restore, step by step: the snapshot picked
	// (and those skipped, and why), its load, the log replay, the epoch
	// check. Duration and Nodes above stay the whole start-up and the
	// znodes after replay. Nil for the other kinds; read-only.
	Restore *persist.Phases
}

func (e Event) String() string {
	s := fmt.Sprintf("%s member=%d", e.Kind, e.Member)
	switch e.Kind {
	case EventFsync:
		s += fmt.Sprintf(" %v bytes=%d txns=%d", e.Duration, e.Bytes, e.Txns)
	case EventSnapshotStart, EventSnapshotEnd:
		s += fmt.Sprintf(" zxid=0x%x nodes=%d bytes=%d %v", e.Zxid, e.Nodes, e.Bytes, e.Duration)
	case EventLearnerSynced:
		s += fmt.Sprintf(" leader=%d %s txns=%d zxid=0x%x", e.Peer, e.Mode, e.Txns, e.Zxid)
	case EventLeaderElected:
		s += fmt.Sprintf(" epoch=%d", e.Zxid>>32)
	case EventLogRoll:
		s += fmt.Sprintf(" %s txns=%d last=0x%x (%s)", e.Path, e.Txns, e.Zxid, e.Mode)
	case EventMemberUp:
		s += fmt.Sprintf(" nodes=%d zxid=0x%x %v", e.Nodes, e.Zxid, e.Duration)
		if r := e.Restore; r != nil {
			s += fmt.Sprintf(" (load %v, %d skipped; replay %d txns %v; epochs %v)", r.Load, len(r.Skipped), r.Replayed, r.Replay, r.EpochCheck)
		}
	}
	if e.Err != nil {
		s += " err=" + e.Err.Error()
	}
	return s
}

// Sink receives events from every member. Publish runs on the write path
// (the log's sync goroutine among others) and concurrently from several
// goroutines: it must be cheap and must not block.
type Sink interface {
	Publish(Event)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Event)

// Publish calls f(e).
func (f SinkFunc) Publish(e Event) { f(e) }

type discardSink struct{}

func (discardSink) Publish(Event) {}
