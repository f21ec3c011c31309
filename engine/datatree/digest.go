package datatree

import (
	"encoding/binary"
	"hash/crc32"
	"strings"
	"sync"

	"zkbench/engine/jute"
)

// ZxidDigest is the tree digest recorded after a txn: what a snapshot's
// digest block holds (zxid, digest version, digest).
type ZxidDigest struct {
	Zxid    int64
	Version int32
	Digest  int64
}

const (
	// digestLogInterval and digestLogLimit are DataTree.DIGEST_LOG_INTERVAL
	// and DIGEST_LOG_LIMIT: one history entry per 128 zxids, 1024 kept.
	digestLogInterval = 128
	digestLogLimit    = 1024
	// excludedPrefix: ZooKeeper leaves the quota and config nodes out of
	// the digest because they are updated locally, not by txns.
	excludedPrefix = "/zookeeper/"
)

// digester computes node digests. It owns a scratch buffer so that the path
// and the 60-byte stat block reach crc32 without a heap allocation per call
// (crc32's assembly entry point makes its argument escape). One digester
// must not be used by two goroutines at once; the tree's belongs to Apply.
type digester struct {
	buf []byte
}

// sum is DigestCalculator.calculateDigest (digest version 2): CRC-32 (IEEE)
// of the path ("" for the root), the data and the stat fields czxid, mzxid,
// pzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner (in that
// order, which is not the StatPersisted order). Nodes under /zookeeper/
// contribute 0.
func (d *digester) sum(path string, data []byte, n *node) uint32 {
	if strings.HasPrefix(path, excludedPrefix) {
		return 0
	}
	path = canon(path)
	b := append(d.buf[:0], path...)
	at := len(b)
	b = binary.BigEndian.AppendUint64(b, uint64(n.czxid))
	b = binary.BigEndian.AppendUint64(b, uint64(n.mzxid))
	b = binary.BigEndian.AppendUint64(b, uint64(n.pzxid))
	b = binary.BigEndian.AppendUint64(b, uint64(n.ctime))
	b = binary.BigEndian.AppendUint64(b, uint64(n.mtime))
	b = binary.BigEndian.AppendUint32(b, uint32(n.version))
	b = binary.BigEndian.AppendUint32(b, uint32(n.cversion))
	b = binary.BigEndian.AppendUint32(b, uint32(n.aversion))
	b = binary.BigEndian.AppendUint64(b, uint64(n.owner))
	d.buf = b
	crc := crc32.Update(0, crc32.IEEETable, b[:at])
	crc = crc32.Update(crc, crc32.IEEETable, data)
	return crc32.Update(crc, crc32.IEEETable, b[at:])
}

// NodeDigest returns a node's contribution to the tree digest (digest
// version 2). The request pipeline uses it to precompute the TxnDigest a
// leader logs before the txn is applied: tree digest - old node digest + new.
func NodeDigest(path string, data []byte, s *jute.StatPersisted) int64 {
	var n node
	n.setPersisted(s)
	// NodeDigest runs outside Apply, twice per prepared write: a fresh
	// digester would grow its scratch buffer from nothing every call.
	d := digesters.Get().(*digester)
	sum := d.sum(path, data, &n)
	digesters.Put(d)
	return int64(sum)
}

// digesters are the scratch digesters of NodeDigest.
var digesters = sync.Pool{New: func() any { return new(digester) }}

// Digest returns the current tree digest: the wrapping 64-bit sum of every
// node's digest. It is exact between Apply calls; a concurrent reader may
// see a txn half applied.
func (t *Tree) Digest() int64 { return t.digest.Load() }

// LastDigest returns the digest recorded after the last txn Apply
// processed, which is what a snapshot writes in its digest block once the
// node walk is done. Before any txn is applied (and while replay has not yet
// reached the digest zxid of a loaded fuzzy snapshot) it is {0, 2, 0}, as in
// every snapshot.0.
func (t *Tree) LastDigest() ZxidDigest {
	t.dmu.Lock()
	defer t.dmu.Unlock()
	if t.lastDigest.Version == 0 {
		return ZxidDigest{Version: jute.DigestVersion}
	}
	return t.lastDigest
}

// DigestLog returns the digest history ZooKeeper keeps for diagnostics: the
// digests of the zxids that are multiples of 128, the newest 1024.
func (t *Tree) DigestLog() []ZxidDigest {
	t.dmu.Lock()
	defer t.dmu.Unlock()
	return append([]ZxidDigest(nil), t.digestLog...)
}

// DigestMismatches counts digest comparisons that failed: a txn's TxnDigest
// against the tree after applying it, and a loaded snapshot's digest against
// the tree when replay reaches its zxid. ZooKeeper only logs and counts them
// (digest_mismatches_count), so do we.
func (t *Tree) DigestMismatches() int64 { return t.mismatches.Load() }

// logDigest is logZxidDigest.
func (t *Tree) logDigest(zxid int64) {
	d := ZxidDigest{Zxid: zxid, Version: jute.DigestVersion, Digest: t.Digest()}
	t.dmu.Lock()
	t.lastDigest = d
	if zxid%digestLogInterval == 0 {
		t.digestLog = append(t.digestLog, d)
		if len(t.digestLog) > digestLogLimit {
			t.digestLog = append(t.digestLog[:0], t.digestLog[1:]...)
		}
	}
	t.dmu.Unlock()
}

// checkDigests runs after a top-level txn: while the tree is still fuzzy
// (loaded from a snapshot whose digest zxid replay has not reached) it waits
// for that zxid and compares; otherwise it records the digest and compares
// it with the one the txn carries (compareSnapshotDigests, logZxidDigest,
// compareDigest).
func (t *Tree) checkDigests(zxid int64, logged *jute.TxnDigest) (mismatch bool) {
	if f := t.fuzzy; f != nil {
		if zxid == f.Zxid {
			t.fuzzy = nil
			if f.Version == jute.DigestVersion && t.Digest() != f.Digest {
				mismatch = true
			}
		}
	} else {
		t.logDigest(zxid)
	}
	if t.fuzzy == nil && logged != nil && logged.Version == jute.DigestVersion && logged.TreeDigest != t.Digest() {
		mismatch = true
	}
	if mismatch {
		t.mismatches.Add(1)
	}
	return mismatch
}
