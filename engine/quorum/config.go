package quorum

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Defaults, as in ZooKeeper 3.8 (zoo.cfg and system properties).
const (
	DefaultTickMs                    = 100   // one Tick() call
	DefaultTickTimeMs                = 2000  // zoo.cfg tickTime
	DefaultInitLimit                 = 10    // zoo.cfg initLimit, in tickTime units
	DefaultSyncLimit                 = 5     // zoo.cfg syncLimit, in tickTime units
	DefaultFinalizeWaitMs            = 200   // FastLeaderElection.finalizeWait
	DefaultMaxNotificationIntervalMs = 60000 // FastLeaderElection.maxNotificationInterval
	DefaultCommitLogCount            = 500   // zookeeper.commitLogCount
)

// MaxVoters bounds the voting members; acknowledgement sets are bitmasks.
const MaxVoters = 64

// Config describes one member and its ensemble. Times are given the way
// zoo.cfg gives them and converted to Tick() counts: the runtime calls Tick
// every TickMs milliseconds, so TickMs is the resolution of every timer
// (the leader pings every tickTime/2, so TickMs should not exceed
// TickTimeMs/2).
type Config struct {
	ID        uint64   // this member's server id (myid)
	Voters    []uint64 // participants (server.N lines without :observer)
	Observers []uint64 // observers (server.N=...:observer)
	// Others are servers in neither list that may still connect and learn
	// without a vote: ones a reconfig removed (and this member itself,
	// when it was removed).
	Others []uint64

	TickMs     int // milliseconds one Tick() stands for; default DefaultTickMs
	TickTimeMs int // zoo.cfg tickTime; default DefaultTickTimeMs
	InitLimit  int // zoo.cfg initLimit (tickTime units); default DefaultInitLimit
	SyncLimit  int // zoo.cfg syncLimit (tickTime units); default DefaultSyncLimit

	// FinalizeWaitMs is how long an election waits for a better vote once a
	// quorum agrees (FastLeaderElection.finalizeWait); ElectionFinalizeTicks,
	// when set, overrides it in Tick units.
	FinalizeWaitMs        int
	ElectionFinalizeTicks int
	// MaxNotificationIntervalMs caps the exponential back-off of election
	// notification resends.
	MaxNotificationIntervalMs int

	// CommitLogCount is how many committed txns every member keeps in memory
	// (ZKDatabase.committedLog) so that, as leader, it can sync a learner
	// with DIFF instead of SNAP. Default DefaultCommitLogCount.
	CommitLogCount int

	// TxnLog, when set, is the on-disk log a leader syncs a learner from
	// when the learner is older than the committed window
	// (ZKDatabase.getProposalsFromTxnLog); nil means such a learner always
	// gets a SNAP, as with zookeeper.snapshotSizeFactor < 0.
	TxnLog TxnLog
	// Membership, when set, tells a reconfig txn from the others and
	// reads the membership it makes (voters and observers, by server id).
	// The Peer asks it about every txn it proposes or applies; it must be
	// a pure function (no I/O) and cheap for txns that are not reconfigs.
	// Nil: no txn changes the membership.
	Membership func(txn []byte) (voters, observers []uint64, ok bool)

	// Rand is the only source of randomness: it picks learner connection
	// ids. Nil means a source seeded from ID (deterministic).
	Rand *rand.Rand
}

// TxnLog is the seam through which the leader reads its own on-disk txn
// log for a learner sync. The Peer does no I/O: the runtime implements
// it (as go.etcd.io/raft's Storage), and the Peer calls it only while
// planning a learner's sync, on the goroutine that drives the Peer.
type TxnLog interface {
	// ProposalsFromLog returns the logged txns from the start of the log
	// file that holds zxid on, oldest first, up to and including upTo, or
	// nil when the log cannot guarantee to start at or before zxid or
	// exceeds the size limit (ZooKeeper's empty iterator). A read error
	// ends the list early, as it ends TxnLogProposalIterator.
	ProposalsFromLog(zxid, upTo int64) []Entry
}

// Durable is what a member recovered from disk on start (persist.Restore,
// persist.LoadEpochs).
type Durable struct {
	AcceptedEpoch int64
	CurrentEpoch  int64
	// LastLoggedZxid is the restored database's lastProcessedZxid: the zxid
	// of the last txn replayed from the log, or the snapshot's zxid if no txn
	// followed it. ZooKeeper replays every logged txn on start, committed or
	// not, so this is also what the data tree holds; elections use it.
	LastLoggedZxid int64
	// Recent are the txns replayed from the log after the snapshot, oldest
	// first (only the last CommitLogCount+1 are kept). ZooKeeper's
	// committedLog starts out as exactly these, so a member that restarts
	// right after a snapshot can only DIFF from what it replayed.
	Recent []Entry
	// SnapshotZxid is the zxid of the snapshot the database was restored
	// from, and LogBeforeSnapshot the zxid of the last txn the log holds at
	// or below it (0 if none). When the log stops short of the snapshot,
	// the snapshot came from a SNAP or TRUNC sync and only it holds those
	// txns; a later TRUNC into them is handled by rolling back (see
	// EventRollback). Zero values mean "not known" and are safe.
	SnapshotZxid      int64
	LogBeforeSnapshot int64
}

// Errors returned by the Peer.
var (
	ErrConfig       = errors.New("quorum: invalid config")
	ErrNotLeader    = errors.New("quorum: not the leader")
	ErrNotServing   = errors.New("quorum: not serving (election or sync in progress)")
	ErrZxidRollover = errors.New("quorum: zxid counter exhausted, forcing a new epoch")
	ErrUnknownPeer  = errors.New("quorum: message from a member not in the config")
	ErrMalformed    = errors.New("quorum: malformed message")
)

type timing struct {
	finalize, maxNotif, init, sync, ping int64 // in Tick units
	initLimit, syncLimit                 int64 // in tickTime units (the leader's tick)
}

func (c *Config) normalize() (timing, error) {
	if c.TickMs <= 0 {
		c.TickMs = DefaultTickMs
	}
	if c.TickTimeMs <= 0 {
		c.TickTimeMs = DefaultTickTimeMs
	}
	if c.InitLimit <= 0 {
		c.InitLimit = DefaultInitLimit
	}
	if c.SyncLimit <= 0 {
		c.SyncLimit = DefaultSyncLimit
	}
	if c.FinalizeWaitMs <= 0 {
		c.FinalizeWaitMs = DefaultFinalizeWaitMs
	}
	if c.MaxNotificationIntervalMs <= 0 {
		c.MaxNotificationIntervalMs = DefaultMaxNotificationIntervalMs
	}
	if c.CommitLogCount <= 0 {
		c.CommitLogCount = DefaultCommitLogCount
	}
	if len(c.Voters) == 0 {
		return timing{}, fmt.Errorf("%w: no voters", ErrConfig)
	}
	if len(c.Voters) > MaxVoters {
		return timing{}, fmt.Errorf("%w: %d voters, at most %d", ErrConfig, len(c.Voters), MaxVoters)
	}
	seen := map[uint64]bool{}
	for _, id := range slices.Concat(c.Voters, c.Observers, c.Others) {
		if seen[id] {
			return timing{}, fmt.Errorf("%w: server id %d listed twice", ErrConfig, id)
		}
		if id == noLeader {
			return timing{}, fmt.Errorf("%w: server id %d is reserved", ErrConfig, id)
		}
		seen[id] = true
	}
	if !seen[c.ID] {
		return timing{}, fmt.Errorf("%w: id %d is not in the config", ErrConfig, c.ID)
	}
	ticks := func(ms int) int64 { return max(1, int64((ms+c.TickMs-1)/c.TickMs)) }
	t := timing{
		finalize:  ticks(c.FinalizeWaitMs),
		maxNotif:  ticks(c.MaxNotificationIntervalMs),
		init:      ticks(c.InitLimit * c.TickTimeMs),
		sync:      ticks(c.SyncLimit * c.TickTimeMs),
		ping:      ticks(c.TickTimeMs / 2),
		initLimit: int64(c.InitLimit),
		syncLimit: int64(c.SyncLimit),
	}
	if c.ElectionFinalizeTicks > 0 {
		t.finalize = int64(c.ElectionFinalizeTicks)
	}
	return t, nil
}
