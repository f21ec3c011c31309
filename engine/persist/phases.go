package persist

import (
	"time"
)

// Phases are a restore's steps, in the order ZooKeeper's start-up takes
// them (FileTxnSnapLog.restore, then QuorumPeer.loadDataBase), each with
// what it found and how long it took. Durations come from
// RestoreOptions.Now.
type Phases struct {
	// Snapshot pick: the candidates, newest first, until one loads.
	Snapshot      string            // the snapshot loaded; "" for an empty start
	SnapshotZxid  int64             // the zxid in its name
	SnapshotBytes int64             // its file size
	Nodes         int               // znodes it held
	Skipped       []SkippedSnapshot // newer snapshots passed over, newest first
	// Pick is the time spent before the chosen snapshot's load began:
	// listing, validity tests and the failed loads of Skipped.
	Pick time.Duration
	// Load is the chosen snapshot's read and tree build.
	Load time.Duration

	// Log replay: every logged txn after the snapshot.
	LogFiles int           // log files opened
	Replayed int           // txns applied
	Replay   time.Duration // reading and applying them

	// Epoch check: set by the caller that checks the epoch files against
	// the database (CheckEpochs); zero otherwise.
	EpochsChecked bool
	Epochs        Epochs
	EpochCheck    time.Duration
}

// SkippedSnapshot is a snapshot the pick passed over, and why.
type SkippedSnapshot struct {
	Path string
	Zxid int64
	// Err is the reason: the validity test failed (ZooKeeper skips those
	// silently) or the load did (its "problem reading snap file"), with the
	// byte offset where the reader could tell.
	Err error
	// Duration is the time its failed load took; 0 for a file the validity
	// test refused.
	Duration time.Duration
}

// Total is the sum of the phases.
func (p *Phases) Total() time.Duration { return p.Pick + p.Load + p.Replay + p.EpochCheck }
