package persist

import "math/rand/v2"

// MinSnapCount is ZooKeeper's lower bound for zookeeper.snapCount.
const MinSnapCount = 2

// SnapTrigger decides when a member rolls its log and snapshots, as
// ZooKeeper's SyncRequestProcessor.shouldSnapshot does: after a number of
// logged txns drawn from [snapCount/2+1, snapCount], or once the log since
// the last roll exceeds a size drawn from (sizeLimit/2, sizeLimit]. The
// draws are redone after every trigger, so that the members of an ensemble
// do not all snapshot at once.
//
// A SnapTrigger is used by the one goroutine that appends to the log.
type SnapTrigger struct {
	snapCount int64
	sizeLimit int64 // bytes; <= 0 disables the size trigger
	randomize bool
	rng       *rand.Rand

	count, size        int64 // since the last trigger
	randRoll, randSize int64
}

// NewSnapTrigger returns a trigger for snapCount txns and sizeLimit bytes
// (zookeeper.snapSizeLimitInKb × 1024; <= 0 = off). With randomize false it
// fires at exactly snapCount txns or sizeLimit bytes, which makes runs
// comparable but lets every member snapshot at the same moment.
func NewSnapTrigger(snapCount int, sizeLimit int64, randomize bool, rng *rand.Rand) *SnapTrigger {
	t := &SnapTrigger{snapCount: int64(max(snapCount, MinSnapCount)), sizeLimit: sizeLimit, randomize: randomize, rng: rng}
	t.redraw()
	return t
}

// redraw picks the next thresholds (ZooKeeper's resetSnapshotStats).
func (t *SnapTrigger) redraw() {
	half := t.snapCount / 2
	if t.randomize {
		t.randRoll = t.rng.Int64N(half)
	} else {
		// count > half + randRoll  ⇔  count >= snapCount
		t.randRoll = t.snapCount - half - 1
	}
	if t.sizeLimit > 1 {
		halfSize := t.sizeLimit / 2
		if t.randomize {
			t.randSize = t.rng.Int64N(halfSize)
		} else {
			t.randSize = t.sizeLimit - halfSize - 1
		}
	}
}

// Appended counts one logged txn of size bytes (its record on disk) and
// reports whether the log should be rolled and a snapshot taken now. When it
// reports true the counts restart from zero with fresh thresholds.
func (t *SnapTrigger) Appended(size int64) bool {
	t.count++
	t.size += size
	due := t.count > t.snapCount/2+t.randRoll ||
		(t.sizeLimit > 0 && t.size > t.sizeLimit/2+t.randSize)
	if due {
		t.count, t.size = 0, 0
		t.redraw()
	}
	return due
}

// Threshold returns the txn count at which the next trigger fires (unless
// the size limit comes first).
func (t *SnapTrigger) Threshold() int64 { return t.snapCount/2 + t.randRoll + 1 }
