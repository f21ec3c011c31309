package persist

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
	"zkbench/engine/jute"
	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
)

// errProcessDead is what a crashed process's file system calls return.
var errProcessDead = errors.New("crashfs: the process died in the crash")

// crashFS is a faultfs as one process sees it. crash() is a power loss
// that also kills the process: every later call through crashFS fails, so
// nothing the dying process still had in flight (a commit, a snapshot, the
// cleanup of a failed snapshot, the creation of the next log file) reaches
// the disk after the crash. faultfs alone only kills the handles opened
// before the crash; a new Create would still succeed.
//
// Every call holds mu for reading and crash takes it for writing, so each
// call happens entirely before or entirely after the crash.
type crashFS struct {
	fs   *faultfs.FS
	tear bool
	// trigger, when set, is asked before and after every mutating call
	// (with the file's name) whether to crash right there. It is set before
	// the FS is shared and must be safe for concurrent use.
	trigger func(name string) bool

	mu   sync.RWMutex
	dead bool
}

var _ disk.FS = (*crashFS)(nil)

func (c *crashFS) crash() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dead {
		c.dead = true
		c.fs.Crash(c.tear)
	}
}

func (c *crashFS) isDead() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.dead
}

func (c *crashFS) point(name string) {
	if c.trigger != nil && c.trigger(name) {
		c.crash()
	}
}

// call runs op unless the process is dead; a mutating op is a crash point
// before and after.
func (c *crashFS) call(name string, mutating bool, op func() error) error {
	if mutating {
		c.point(name)
	}
	err := func() error {
		c.mu.RLock()
		defer c.mu.RUnlock()
		if c.dead {
			return &os.PathError{Op: "crashfs", Path: name, Err: errProcessDead}
		}
		return op()
	}()
	if mutating {
		c.point(name)
	}
	return err
}

func (c *crashFS) open(name string, mutating bool, open func(string) (disk.File, error)) (disk.File, error) {
	var f disk.File
	err := c.call(name, mutating, func() (err error) {
		f, err = open(name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &crashFile{File: f, c: c}, nil
}

func (c *crashFS) Create(name string) (disk.File, error)   { return c.open(name, true, c.fs.Create) }
func (c *crashFS) OpenSync(name string) (disk.File, error) { return c.open(name, true, c.fs.OpenSync) }
func (c *crashFS) OpenAppend(name string) (disk.File, error) {
	return c.open(name, false, c.fs.OpenAppend)
}
func (c *crashFS) Open(name string) (disk.File, error) { return c.open(name, false, c.fs.Open) }

func (c *crashFS) Remove(name string) error {
	return c.call(name, true, func() error { return c.fs.Remove(name) })
}

func (c *crashFS) Rename(oldname, newname string) error {
	return c.call(newname, true, func() error { return c.fs.Rename(oldname, newname) })
}

func (c *crashFS) MkdirAll(dir string) error {
	return c.call(dir, true, func() error { return c.fs.MkdirAll(dir) })
}

func (c *crashFS) ReadDir(dir string) (names []string, err error) {
	err = c.call(dir, false, func() error { names, err = c.fs.ReadDir(dir); return err })
	return names, err
}

func (c *crashFS) Stat(name string) (fi os.FileInfo, err error) {
	err = c.call(name, false, func() error { fi, err = c.fs.Stat(name); return err })
	return fi, err
}

func (c *crashFS) SyncDir(dir string) error {
	return c.call(dir, true, func() error { return c.fs.SyncDir(dir) })
}

// crashFile routes a handle's writes and syncs through its crashFS.
type crashFile struct {
	disk.File
	c *crashFS
}

func (f *crashFile) mutate(op func() error) error { return f.c.call(f.Name(), true, op) }

func (f *crashFile) Write(p []byte) (n int, err error) {
	err = f.mutate(func() error { n, err = f.File.Write(p); return err })
	return n, err
}

func (f *crashFile) WriteAt(p []byte, off int64) (n int, err error) {
	err = f.mutate(func() error { n, err = f.File.WriteAt(p, off); return err })
	return n, err
}

func (f *crashFile) Truncate(size int64) error {
	return f.mutate(func() error { return f.File.Truncate(size) })
}

func (f *crashFile) Allocate(off, n int64) error {
	return f.mutate(func() error { return f.File.Allocate(off, n) })
}

func (f *crashFile) Datasync() error { return f.mutate(f.File.Datasync) }
func (f *crashFile) Sync() error     { return f.mutate(f.File.Sync) }

// When the process dies.
const (
	crashAtAnyWrite = iota // before or after the k-th write, sync, create... of any file
	crashInSnapshot        // before or after the k-th such call on a snapshot file
	crashAfterAck          // right after a chosen txn was acknowledged
	numCrashModes
)

var crashModeNames = [numCrashModes]string{"any-write", "in-snapshot", "after-ack"}

// crashStats summarizes what the rounds ran into, to show the test reaches
// the cases it is about.
type crashStats struct {
	rounds, tear, firedInSnapshot, repaired, skippedSnapshot, nothingAcked, fuzzyMismatch int
	modes                                                                                 [numCrashModes]int
}

// TestCrashRecovery runs a member-like loop on a fault-injecting disk —
// the generator preparing txns, a Committer logging them and applying them
// to the member's tree once durable, a Snapshotter started at each
// requested roll — and cuts the power at a random moment: anywhere in the
// I/O, inside a snapshot, or right after an acknowledgement; with or
// without torn writes. Restore (repairing the torn tail) must then bring
// back every acknowledged txn, nothing that was never submitted, and
// exactly the state the generator recorded after the last txn restored;
// and the directory must take new appends and restore again.
//
// ZKBENCH_LONG=1 runs 2000 rounds instead of 30. Each round is a subtest
// named by its seed (go test -run 'TestCrashRecovery/seed=N'); the crash
// point is drawn from the seed, but where the goroutines are when it comes
// is up to the scheduler, so a rerun may take a different path.
func TestCrashRecovery(t *testing.T) {
	rounds := 30
	if os.Getenv("ZKBENCH_LONG") != "" {
		rounds = 2000
	}
	var st crashStats
	for i := range rounds {
		seed := uint64(0xc4a5 + i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { crashRound(t, seed, &st) })
	}
	t.Logf("%d rounds: modes %v %v, %d torn, %d crashed inside a snapshot, %d repaired a torn log tail, "+
		"%d restored from an older snapshot than the newest (skipping a torn one), %d acknowledged nothing, %d met the fuzzy-snapshot digest mismatch",
		st.rounds, crashModeNames, st.modes, st.tear, st.firedInSnapshot, st.repaired, st.skippedSnapshot, st.nothingAcked, st.fuzzyMismatch)
}

func isSnapshotFile(name string) bool {
	return strings.HasPrefix(filepath.Base(name), snap.Prefix+".")
}

func crashRound(t *testing.T, seed uint64, st *crashStats) {
	rng := rand.New(rand.NewPCG(seed, 0x6372617368))
	c := &crashFS{fs: faultfs.New(faultfs.Options{Seed: int64(seed)}), tear: rng.IntN(2) == 0}
	dirs := NewDirs("/data", "")
	epoch := []int64{0, 1, 7}[rng.IntN(3)]
	total := 20 + rng.IntN(300)
	snapCount := 20 + rng.IntN(100)
	mode := rng.IntN(numCrashModes)
	wopts := txnlog.Options{PreAllocSize: []int64{4 << 10, 16 << 10, 64 << 10}[rng.IntN(3)]}
	if rng.IntN(4) == 0 {
		wopts.SizeLimit = 3 * wopts.PreAllocSize // rolls that start no snapshot
	}
	snapOpts := snap.Options{Fsync: rng.IntN(2) == 0}
	desc := fmt.Sprintf("seed %d: mode %s, tear %v, epoch %d, %d txns, snapCount %d (snapshot fsync %v), prealloc %d, size limit %d",
		seed, crashModeNames[mode], c.tear, epoch, total, snapCount, snapOpts.Fsync, wopts.PreAllocSize, wopts.SizeLimit)

	// Start-up on an empty directory, as ZooKeeper does it: an empty tree
	// and its snapshot.0, durable before anything is logged.
	res, err := Restore(c, dirs, RestoreOptions{RepairTornTail: true})
	if err != nil {
		t.Fatal(err)
	}
	member := res.Tree
	if _, err := WriteSnapshot(c, dirs.Snap, member, snap.Options{Fsync: true}); err != nil {
		t.Fatal(err)
	}

	// The leader's view: the generator prepares each txn against it (it is
	// ZooKeeper's tree plus outstanding changes). The member's tree only
	// takes a txn once it is durable, as FinalRequestProcessor does, so
	// that a snapshot of it never holds anything the log may lose.
	g := newTxnGen(seed, datatree.New(), Zxid(epoch, 1), genT0)
	var snapErr atomic.Pointer[error]
	snapper := NewSnapshotter(c, dirs.Snap, SnapshotterOptions{Snap: snapOpts, OnEnd: func(ev SnapshotEvent) {
		// After the crash every snapshot fails; before it, only one with
		// nothing new to write may.
		if ev.Err != nil && !c.isDead() && !errors.Is(ev.Err, ErrSnapshotExists) {
			snapErr.Store(&ev.Err)
		}
	}})
	// ZooKeeper's sync thread: after the roll a snapshot is requested for,
	// start it in the background (skipped while the last one still runs).
	wopts.OnRoll = func(ev txnlog.RollEvent) {
		if ev.Reason == txnlog.RollRequested {
			snapper.Start(member)
		}
	}
	w, err := txnlog.Open(c, dirs.Log, wopts)
	if err != nil {
		t.Fatal(err)
	}
	// The crash points are armed once the process is up: from here on it
	// is taking writes.
	var points atomic.Int64
	var firedInSnapshot atomic.Bool
	crashAt := rng.IntN(total) // crashAfterAck: the txn whose ack is awaited
	switch mode {
	case crashAtAnyWrite:
		k := 1 + rng.Int64N(int64(4*total))
		c.trigger = func(name string) bool { return points.Add(1) == k }
	case crashInSnapshot:
		k := 1 + rng.Int64N(8)
		c.trigger = func(name string) bool {
			if isSnapshotFile(name) && points.Add(1) == k {
				firedInSnapshot.Store(true)
				return true
			}
			return false
		}
	}

	// The trigger belongs to the committer goroutine (SyncRequestProcessor).
	trigger := NewSnapTrigger(snapCount, 0, true, rand.New(rand.NewPCG(seed, 2)))
	com := txnlog.NewCommitter(w, txnlog.CommitterOptions{
		MaxBatchSize: 1 + rng.IntN(32),
		AfterAppend:  trigger.Appended,
	})

	var acked atomic.Int64
	acked.Store(-1)
	var mismatch atomic.Int64
	var txns []*jute.Txn
	for i := 0; i < total && !c.isDead(); i++ {
		txn := g.Next()
		txns = append(txns, txn)
		var wait chan error
		if i == crashAt || rng.IntN(8) == 0 { // a client waiting for its reply
			wait = make(chan error, 1)
		}
		err := com.Submit(jute.EncodeTxn(txn), func(err error) {
			if err == nil {
				if member.Apply(txn).DigestMismatch {
					mismatch.Store(txn.Header.Zxid)
				}
				acked.Store(txn.Header.Zxid)
			}
			if wait != nil {
				wait <- err
			}
		})
		if err != nil {
			t.Fatalf("%s: submit: %v", desc, err)
		}
		if wait != nil {
			<-wait
		}
		if mode == crashAfterAck && i == crashAt {
			c.crash()
		}
	}
	c.crash() // when the trigger never fired: now, with whatever is in flight
	com.Close()
	snapper.Wait()
	lastAcked, lastSubmitted := acked.Load(), g.LastZxid()
	desc += fmt.Sprintf("; last acknowledged 0x%x, last submitted 0x%x", lastAcked, lastSubmitted)
	if z := mismatch.Load(); z != 0 {
		t.Fatalf("%s: the member's tree disagrees with the txn digest at zxid 0x%x", desc, z)
	}
	if p := snapErr.Load(); p != nil {
		t.Fatalf("%s: background snapshot failed before the crash: %v", desc, *p)
	}

	// The next process.
	res, err = Restore(c.fs, dirs, RestoreOptions{RepairTornTail: true})
	if err != nil {
		t.Fatalf("%s: restore after the crash: %v", desc, err)
	}
	desc += fmt.Sprintf("; restored snapshot %q (skipped %d) + %d txns to 0x%x, torn %v, repaired %q",
		res.Snapshot, res.SkippedSnapshots, res.Replayed, res.LastZxid, res.TornTails, res.Repaired)
	last := res.LastZxid
	want, ok := g.history[last]
	if first := Zxid(epoch, 1); last < first {
		// Nothing logged survived: the state is snapshot.0's, which the
		// generator recorded as the one before its first zxid.
		want, ok = g.history[first-1], last == 0
	}
	switch {
	case last < lastAcked:
		t.Fatalf("%s: an acknowledged txn is lost", desc)
	case last > lastSubmitted || !ok:
		t.Fatalf("%s: restored a zxid that was never submitted", desc)
	case res.Tree.Digest() != want:
		t.Fatalf("%s: restored digest %d, the generator's after 0x%x is %d", desc, res.Tree.Digest(), last, want)
	}
	if n := res.Tree.DigestMismatches(); n != 0 {
		// One mismatch is ZooKeeper's behaviour too: the digest block is
		// the digest recorded after the last txn applied when the walk
		// ended, but the walk may already have seen part of the next txn,
		// which Apply was in the middle of. The snapshot plus replay up to
		// the block's zxid then differs from the block by that part, until
		// the next txn is replayed; DataTree.serializeZxidDigest races with
		// processTxn the same way, and only logs and counts it.
		at, d, err := replayMismatches(c.fs, dirs, res.Snapshot)
		if err != nil || d == nil || !slices.Equal(at, []int64{d.Zxid}) {
			t.Fatalf("%s: %d digest mismatches during replay, at zxids %#x (err %v); the snapshot's digest block is %+v", desc, n, at, err, d)
		}
		st.fuzzyMismatch++
	}
	// The digest leaves the session table out; a replay of the history up
	// to the restored zxid covers it, and the node count with it.
	ref := datatree.New()
	for _, txn := range txns {
		if txn.Header.Zxid > last {
			break
		}
		ref.Apply(txn)
	}
	if !slices.Equal(res.Tree.Sessions(), ref.Sessions()) || res.Tree.NodeCount() != ref.NodeCount() {
		t.Fatalf("%s: restored %d nodes, sessions %v; the history up to 0x%x has %d nodes, sessions %v",
			desc, res.Tree.NodeCount(), res.Tree.Sessions(), last, ref.NodeCount(), ref.Sessions())
	}

	st.rounds++
	st.modes[mode]++
	if c.tear {
		st.tear++
	}
	if firedInSnapshot.Load() {
		st.firedInSnapshot++
	}
	if res.Repaired != "" {
		st.repaired++
	}
	if res.SkippedSnapshots > 0 {
		st.skippedSnapshot++
	}
	if lastAcked < 0 {
		st.nothingAcked++
	}

	// Life goes on: ZooKeeper snapshots what it loaded, then appends
	// through a new log file after the repaired one.
	if _, err := WriteSnapshot(c.fs, dirs.Snap, res.Tree, snap.Options{Fsync: true}); err != nil && !errors.Is(err, ErrSnapshotExists) {
		t.Fatalf("%s: snapshot after restore: %v", desc, err)
	}
	w, err = txnlog.Open(c.fs, dirs.Log, txnlog.Options{PreAllocSize: wopts.PreAllocSize})
	if err != nil {
		t.Fatal(err)
	}
	// A restarted standalone server continues the zxids; nothing durable
	// at all means starting the epoch over.
	g2 := newTxnGen(seed^0x5eed, res.Tree, max(last+1, Zxid(epoch, 1)), g.now+1000)
	for range 1 + rng.IntN(60) {
		if err := w.Append(jute.EncodeTxn(g2.Next())); err != nil {
			t.Fatalf("%s: append after recovery: %v", desc, err)
		}
		if rng.IntN(3) == 0 {
			if err := w.Commit(); err != nil {
				t.Fatalf("%s: commit after recovery: %v", desc, err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("%s: close after recovery: %v", desc, err)
	}
	again, err := Restore(c.fs, dirs, RestoreOptions{RepairTornTail: true})
	if err != nil {
		t.Fatalf("%s: second restore: %v", desc, err)
	}
	switch {
	case again.LastZxid != g2.LastZxid():
		t.Fatalf("%s: second restore ends at 0x%x, appended up to 0x%x", desc, again.LastZxid, g2.LastZxid())
	case again.Tree.Digest() != g2.history[again.LastZxid]:
		t.Fatalf("%s: second restore digest %d, want %d", desc, again.Tree.Digest(), g2.history[again.LastZxid])
	case again.Tree.DigestMismatches() != 0:
		t.Fatalf("%s: %d digest mismatches in the second restore", desc, again.Tree.DigestMismatches())
	case len(again.TornTails) != 0 || again.Repaired != "":
		t.Fatalf("%s: torn tails %v after the repair and a clean close; logs: %s", desc, again.TornTails, describeLogs(c.fs, dirs))
	}
	files, err := txnlog.ListFiles(c.fs, dirs.Log)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if v, err := txnlog.Verify(c.fs, f.Path); err != nil || v.Torn {
			t.Fatalf("%s: %s after recovery: %+v, %v; logs: %s", desc, f.Path, v, err, describeLogs(c.fs, dirs))
		}
	}
}

// replayMismatches replays a restore from snapshot and returns the zxids at
// which Apply reported a digest mismatch, and the snapshot's digest block.
func replayMismatches(fsys disk.FS, dirs Dirs, snapshot string) ([]int64, *snap.Digest, error) {
	tree, _, err := LoadSnapshot(fsys, snapshot)
	if err != nil {
		return nil, nil, err
	}
	info, err := snap.ReadFile(fsys, snapshot, snap.Handler{})
	if err != nil {
		return nil, nil, err
	}
	it, err := txnlog.NewIterator(fsys, dirs.Log, tree.LastProcessedZxid()+1)
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	var at []int64
	for {
		rec, err := it.Next()
		if err == io.EOF {
			return at, info.Digest, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if tree.Apply(rec.Txn).DigestMismatch {
			at = append(at, rec.Zxid())
		}
	}
}

// describeLogs lists the log files with their sizes and what Verify says.
func describeLogs(fsys disk.FS, dirs Dirs) string {
	files, err := txnlog.ListFiles(fsys, dirs.Log)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, f := range files {
		fi, _ := fsys.Stat(f.Path)
		v, err := txnlog.Verify(fsys, f.Path)
		out = append(out, fmt.Sprintf("%s (%d bytes): %d records 0x%x..0x%x, end %d, torn %v, err %v",
			filepath.Base(f.Path), fi.Size(), v.Records, v.FirstZxid, v.LastZxid, v.End, v.Torn, err))
	}
	return strings.Join(out, "; ")
}

// TestCrashBeforeFirstLogCommit cuts the power after the first Append to a
// new log file and before its first commit. The Writer preallocates the
// file at that Append (one zero byte written at the new end), while the
// header waits in the batch for the commit; a torn crash that keeps the
// extension leaves log.<zxid> at its preallocated length with nothing but
// zeros in it, header included. Nothing in the file was ever acknowledged,
// so the member must come back up without it, as it does when the file is
// empty or ends inside its header.
func TestCrashBeforeFirstLogCommit(t *testing.T) {
	for seed := range int64(8) {
		fsys := faultfs.New(faultfs.Options{Seed: seed})
		dirs := NewDirs("/data", "")
		res, err := Restore(fsys, dirs, RestoreOptions{RepairTornTail: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := WriteSnapshot(fsys, dirs.Snap, res.Tree, snap.Options{Fsync: true}); err != nil {
			t.Fatal(err)
		}
		w, err := txnlog.Open(fsys, dirs.Log, txnlog.Options{PreAllocSize: 4096})
		if err != nil {
			t.Fatal(err)
		}
		g := newTxnGen(uint64(seed), res.Tree, 1, genT0)
		if err := w.Append(jute.EncodeTxn(g.Next())); err != nil {
			t.Fatal(err)
		}
		fsys.Crash(true) // before any commit
		fi, _ := fsys.Stat(filepath.Join(dirs.Log, "log.1"))
		if _, err := Restore(fsys, dirs, RestoreOptions{RepairTornTail: true}); err != nil {
			t.Errorf("seed %d: log.1 left %d bytes long: restore: %v", seed, fi.Size(), err)
		}
	}
}

// TestRestoreOfCleanLogRepairsNothing closes a log cleanly with its last
// record ending 5 bytes before the preallocated end. ZooKeeper's readers
// take the short run of zeros for the end of the file, as they take any
// EOF there; a restore must find no torn tail in it and nothing to repair
// (docs/zk-disk-format.md §2.6: at least 12 zero bytes, or EOF, follow the last
// record).
func TestRestoreOfCleanLogRepairsNothing(t *testing.T) {
	const prealloc = 4096
	fsys := faultfs.New(faultfs.Options{})
	dirs := NewDirs("/data", "")
	res, err := Restore(fsys, dirs, RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteSnapshot(fsys, dirs.Snap, res.Tree, snap.Options{}); err != nil {
		t.Fatal(err)
	}
	size := func(txn *jute.Txn) int64 {
		var w jute.Writer
		txn.Encode(&w)
		return txnlog.RecordOverhead + int64(w.Len())
	}
	txn := func(zxid int64, op int32, body jute.Record) *jute.Txn {
		return &jute.Txn{Header: jute.TxnHeader{ClientID: 1, Cxid: int32(zxid), Zxid: zxid, Time: genT0 + zxid, Type: op}, Body: body}
	}
	create := txn(1, jute.OpCreate, &jute.CreateTxn{Path: "/a", Data: []byte{}, ACL: jute.OpenACL, ParentCVersion: 1})
	// The first Append preallocates to header + prealloc; once it is
	// committed less than 4 KiB is left, so the second Append extends by
	// another step. Size the second record to end 5 bytes short of that.
	pos := jute.FileHeaderSize + size(create)
	end := int64(jute.FileHeaderSize + 2*prealloc - 5)
	set := txn(2, jute.OpSetData, &jute.SetDataTxn{Path: "/a", Data: []byte{}, Version: 1})
	set.Body.(*jute.SetDataTxn).Data = make([]byte, end-pos-size(set))

	w, err := txnlog.Open(fsys, dirs.Log, txnlog.Options{PreAllocSize: prealloc})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{w.Append(jute.EncodeTxn(create)), w.Commit(), w.Append(jute.EncodeTxn(set)), w.Close()} {
		if err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dirs.Log, "log.1")
	fi, err := fsys.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err = Restore(fsys, dirs, RestoreOptions{RepairTornTail: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.LastZxid != 2 || len(res.TornTails) != 0 || res.Repaired != "" {
		t.Errorf("clean log of %d bytes, last record ending at %d: restored to 0x%x, torn tails %v, repaired %q",
			fi.Size(), end, res.LastZxid, res.TornTails, res.Repaired)
	}
}
