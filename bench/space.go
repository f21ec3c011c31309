package bench

import (
	"fmt"
	"math"
	"time"

	"zkbench/engine/disk"
	"zkbench/internal/size"
	"zkbench/workloads"
)

// What a run writes to its data folders, estimated before it starts so
// that a run that would fill the disk is refused instead of failing
// half-way (a member's full disk ends the run). Every member writes the
// same: each logs every txn and snapshots the whole tree.
const (
	// txnOverhead is a txn record's bytes besides its value: checksum,
	// length, header, path, ACL, digest (about 110 for a key's setData).
	txnOverhead = 128
	// nodeOverhead is a znode's bytes in a snapshot besides its data:
	// path, stat, ACL reference.
	nodeOverhead = 128
	// closedLoopSyncedWrites and closedLoopUnsyncedWrites bound a
	// closed-loop client's writes/s, not known beforehand, with the log
	// synced (forceSync) and not: above the most measured (docs/design.md,
	// "Free space before a run").
	closedLoopSyncedWrites   = 600
	closedLoopUnsyncedWrites = 1500
	// spaceMargin is room for epoch files, the initial snapshot and the
	// file system's own blocks, per member.
	spaceMargin = 16 << 20
)

// spaceEstimate is one member's share of a run's writes.
type spaceEstimate struct {
	members   int
	txns      int64 // txns in the log: preload and warm-up and measured phase
	logBytes  int64 // those txns' records
	prealloc  int64 // log space allocated ahead of the records
	tree      int64 // the tree's size, as each snapshot writes it
	snapshots int64
	// closedLoop: the measured phase's writes are a guess from the
	// clients, not a rate the plan sets.
	closedLoop bool
	perClient  int // writes/s a closed-loop client is taken to make
}

// estimateSpace estimates plan's writes per member.
func estimateSpace(p *Plan) spaceEstimate {
	c, s := p.engine, p.spec
	value := int64(s.Values.Mean())
	e := spaceEstimate{members: c.Servers + c.Observers, tree: int64(s.Keys) * nodeOverhead}
	if s.Preload {
		e.tree += int64(s.Keys) * value
	}
	// A preload by creates logs every key; one by snapshot logs nothing
	// and starts each member with a snapshot of the whole tree.
	switch p.preloadMethod() {
	case preloadCreate:
		e.txns, e.logBytes = int64(s.Keys), int64(s.Keys)*(value+txnOverhead)
	case preloadSnapshot:
		e.snapshots++
	}
	// Ephemerals are created through the client path on any target.
	e.tree += int64(s.Ephemerals) * (nodeOverhead + value)
	e.txns += int64(s.Ephemerals)
	e.logBytes += int64(s.Ephemerals) * (value + txnOverhead)
	perClient := closedLoopSyncedWrites
	if !c.ForceSync {
		perClient = closedLoopUnsyncedWrites
	}
	writes, perTxn := measuredWrites(s, value, perClient)
	e.closedLoop, e.perClient = s.Rate == 0 && writes > 0, perClient
	e.txns += writes
	e.logBytes += writes * perTxn
	// A snapshot each time the log grew by a threshold's txns (at least
	// snapCount/2+1 when randomized) or by snapSizeLimit; the one at
	// startup is of a tree not yet preloaded (the margin holds it).
	every := int64(max(c.SnapCount, 1))
	if c.SnapRandomize {
		every = every/2 + 1
	}
	e.snapshots += e.txns / every
	if c.SnapSizeLimit > 0 {
		e.snapshots += e.logBytes / c.SnapSizeLimit
	}
	// Every snapshot starts a new log file, preallocated a step ahead;
	// ZooKeeper's way leaves the step sparse, the others allocate it.
	e.prealloc = max(c.PreAllocSize, 1<<20)
	if c.PreallocMode == disk.PreallocFallocate || c.PreallocMode == disk.PreallocZero {
		e.prealloc *= e.snapshots + 1
	}
	return e
}

// measuredWrites is the txns of the warm-up and the measured phase, and
// the bytes each logs on average.
func measuredWrites(s workloads.Spec, value int64, perClient int) (txns, perTxn int64) {
	var total, write, bytes float64
	for _, op := range s.Mix.Ops() {
		total += s.Mix[op]
		if op.IsWrite() {
			write += s.Mix[op]
			n := value + txnOverhead
			if op == workloads.OpMulti {
				n = int64(s.MultiSize) * (value + txnOverhead)
			}
			bytes += s.Mix[op] * float64(n)
		}
	}
	if write == 0 {
		return 0, 0
	}
	rate := float64(perClient*s.Clients) * write / total
	if s.Rate > 0 {
		rate = s.Rate * write / total
	}
	secs := (s.Warmup + s.Duration).Seconds()
	if s.Duration == 0 {
		secs = (s.Warmup + time.Hour).Seconds() // bounded by Ops below
	}
	n := int64(math.Round(rate * secs))
	if s.Ops > 0 {
		n = min(n, int64(float64(s.Ops)*write/total)+int64(rate*s.Warmup.Seconds()))
	}
	return n, int64(bytes / write)
}

// snapshotBytes and logBytes are a member's bytes in its dataDir and in
// its dataLogDir.
func (e spaceEstimate) snapshotBytes() int64 { return e.snapshots*e.tree + spaceMargin }
func (e spaceEstimate) logSpace() int64      { return e.logBytes + e.prealloc }

func (e spaceEstimate) String() string {
	s := fmt.Sprintf("%d members × (a log of %d txns, %s; %s preallocated; %d snapshots of a %s tree)",
		e.members, e.txns, size.Human(e.logBytes), size.Human(e.prealloc), e.snapshots, size.Human(e.tree))
	if e.closedLoop {
		s += fmt.Sprintf("; closed loop taken as up to %d writes/s per client, --rate bounds it", e.perClient)
	}
	return s
}
