package engine

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"time"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/persist"
	"zkbench/engine/quorum"
	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
)

// store is one member's disk: the txn log behind its group-commit
// Committer (ZooKeeper's SyncRequestProcessor), the snapshot trigger and
// the background snapshotter, and the epoch files.
type store struct {
	id      uint64
	fs      disk.FS
	dirs    persist.Dirs
	cfg     *Config
	publish func(Event)
	tree    func() *datatree.Tree // the tree a background snapshot copies
	values  *snap.Values          // shared node data for restores (Ensemble.values)

	log     *txnlog.Committer
	trigger *persist.SnapTrigger
	snapper *persist.Snapshotter
	// foreground is held by snapshotNow. The log's goroutine starts a
	// background snapshot only if it can take it: one started while a
	// foreground snapshot of the same zxid is being written would find that
	// unfinished file, take it for a torn one, remove it and write its own,
	// unsynced, in its place.
	foreground sync.Mutex
}

func newStore(id uint64, fs disk.FS, dirs persist.Dirs, cfg *Config, publish func(Event), tree func() *datatree.Tree) *store {
	s := &store{id: id, fs: fs, dirs: dirs, cfg: cfg, publish: publish, tree: tree}
	rng := rand.New(rand.NewPCG(cfg.Seed, id))
	s.trigger = persist.NewSnapTrigger(cfg.SnapCount, cfg.SnapSizeLimit, cfg.SnapRandomize, rng)
	s.snapper = persist.NewSnapshotter(fs, dirs.Snap, persist.SnapshotterOptions{
		Snap:    snap.Options{Fsync: cfg.SnapshotFsync},
		OnBegin: func(e persist.SnapshotEvent) { s.snapshotEvent(EventSnapshotStart, e) },
		OnEnd:   func(e persist.SnapshotEvent) { s.snapshotEvent(EventSnapshotEnd, e) },
	})
	return s
}

func (s *store) snapshotEvent(k EventKind, e persist.SnapshotEvent) {
	s.publish(Event{Time: e.Start, Member: s.id, Kind: k, Duration: e.Duration, Bytes: e.Bytes,
		Nodes: e.Nodes, Zxid: e.Zxid, Path: e.Path, Err: e.Err})
}

// openLog starts a new log writer; its first append opens a new file, as
// ZooKeeper's does after every start.
func (s *store) openLog() error {
	sync := s.cfg.SyncMethod
	if !s.cfg.ForceSync {
		sync = disk.SyncNone
	}
	w, err := txnlog.Open(s.fs, s.dirs.Log, txnlog.Options{
		PreAllocSize:  s.cfg.PreAllocSize,
		PreallocMode:  s.cfg.PreallocMode,
		SyncMethod:    sync,
		Sink:          logSink{s},
		WarnThreshold: s.cfg.FsyncWarningThreshold,
		OnRoll: func(r txnlog.RollEvent) {
			s.publish(Event{Time: time.Now(), Member: s.id, Kind: EventLogRoll, Path: r.Path,
				Txns: int(r.Txns), Zxid: r.LastZxid, Bytes: r.Size, Mode: r.Reason.String()})
		},
	})
	if err != nil {
		return err
	}
	s.log = txnlog.NewCommitter(w, txnlog.CommitterOptions{MaxBatchSize: s.cfg.MaxBatchSize, AfterAppend: s.afterAppend})
	return nil
}

// afterAppend is SyncRequestProcessor's snapshot decision: once the
// randomized count or the size limit is reached, roll the log and start a
// background snapshot unless one is still running ("Too busy to snap").
func (s *store) afterAppend(size int64) bool {
	if !s.trigger.Appended(size) {
		return false
	}
	if s.foreground.TryLock() { // else "Too busy to snap": the log still rolls
		s.snapper.Start(s.tree())
		s.foreground.Unlock()
	}
	return true
}

// closeLog commits what was submitted and closes the writer.
func (s *store) closeLog() error {
	if s.log == nil {
		return nil
	}
	err := s.log.Close()
	s.log = nil
	return err
}

// close stops everything: the log is committed and closed, a running
// snapshot finishes.
func (s *store) close() error {
	err := s.closeLog()
	s.snapper.Wait()
	return err
}

// truncate cuts the log after zxid, drops the snapshots beyond it and
// restores the tree from what is left (ZKDatabase.truncateLog).
func (s *store) truncate(zxid int64) (*persist.Restored, error) {
	if err := s.close(); err != nil {
		return nil, err
	}
	if err := txnlog.Truncate(s.fs, s.dirs.Log, zxid); err != nil {
		return nil, err
	}
	snaps, err := snap.List(s.fs, s.dirs.Snap)
	if err != nil {
		return nil, err
	}
	for _, e := range snaps {
		if e.Zxid > zxid {
			if err := s.fs.Remove(e.Path); err != nil {
				return nil, fmt.Errorf("truncate to 0x%x: %w", zxid, err)
			}
		}
	}
	return s.reopen()
}

// reload rebuilds the tree from disk without cutting anything.
func (s *store) reload() (*persist.Restored, error) {
	if err := s.close(); err != nil {
		return nil, err
	}
	return s.reopen()
}

func (s *store) reopen() (*persist.Restored, error) {
	res, err := persist.Restore(s.fs, s.dirs, persist.RestoreOptions{RepairTornTail: true, Values: s.values})
	if err != nil {
		return nil, err
	}
	return res, s.openLog()
}

// snapshotNow writes a snapshot of tree in the foreground: a new leader's
// (ZooKeeperServer.loadData) or a learner's at NEWLEADER after SNAP/TRUNC
// (synced, it stands in for txns the log does not have).
func (s *store) snapshotNow(tree *datatree.Tree, sync bool) error {
	s.foreground.Lock()
	defer s.foreground.Unlock()
	s.snapper.Wait()
	start := time.Now()
	zxid := tree.LastProcessedZxid()
	s.publish(Event{Time: start, Member: s.id, Kind: EventSnapshotStart, Zxid: zxid})
	res, err := persist.WriteSnapshot(s.fs, s.dirs.Snap, tree, snap.Options{Fsync: sync || s.cfg.SnapshotFsync})
	if errors.Is(err, persist.ErrSnapshotExists) {
		// Nothing applied since that one was written. But it may be a
		// background snapshot of this very tree that nobody synced (an
		// append just before could trigger one): when this snapshot must be
		// durable — a SNAP/TRUNC sync's stands in for txns the log lacks —
		// sync that file, or a crash tears it and the restore falls back to
		// an older snapshot and replays the log across the gap.
		err = nil
		if sync && !s.cfg.SnapshotFsync {
			err = syncFile(s.fs, res.Path)
		}
	}
	s.publish(Event{Time: start, Member: s.id, Kind: EventSnapshotEnd, Duration: time.Since(start),
		Bytes: res.Bytes, Nodes: res.Nodes, Zxid: zxid, Path: res.Path, Err: err})
	return err
}

// syncFile makes an existing file durable.
func syncFile(fsys disk.FS, path string) error {
	f, err := fsys.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.SyncDir(filepath.Dir(path))
	}
	return err
}

func (s *store) saveEpoch(name string, epoch int64) error {
	return persist.WriteEpochFile(s.fs, filepath.Join(s.dirs.Snap, name), epoch)
}

// durable gathers what the state machine needs from a restored database
// (restored with recentTxns): the epochs and the txns replayed after the
// snapshot, the committed window ZooKeeper rebuilds on start.
func (s *store) durable(res *persist.Restored) (quorum.Durable, error) {
	start := time.Now()
	ep, err := persist.LoadEpochs(s.fs, s.dirs.Snap, res.LastZxid)
	if err != nil {
		return quorum.Durable{}, err
	}
	res.Phases.EpochsChecked, res.Phases.Epochs, res.Phases.EpochCheck = true, ep, time.Since(start)
	d := quorum.Durable{
		AcceptedEpoch: ep.Accepted, CurrentEpoch: ep.Current,
		LastLoggedZxid: res.LastZxid, SnapshotZxid: res.SnapshotZxid,
	}
	for _, t := range res.Recent {
		d.Recent = append(d.Recent, quorum.Entry{Zxid: t.Zxid, Txn: t.Entry})
	}
	return d, nil
}

// recentTxns is how many replayed txns a start keeps for the Peer.
func (s *store) recentTxns() int {
	return max(s.cfg.CommitLogCount, quorum.DefaultCommitLogCount) + 1
}

// logSink turns the log writer's sync and extension reports into events.
type logSink struct{ s *store }

func (l logSink) Synced(e disk.SyncEvent) {
	l.s.publish(Event{Time: e.Start, Member: l.s.id, Kind: EventFsync, Duration: e.Duration,
		Bytes: e.Bytes, Txns: e.Txns, Path: e.Path})
}

func (l logSink) Extended(e disk.ExtendEvent) {
	l.s.publish(Event{Time: time.Now(), Member: l.s.id, Kind: EventPreallocExtend, Duration: e.Duration,
		Bytes: e.To, Path: e.Path, Mode: e.Mode.String()})
}

// ProposalsFromLog is quorum.TxnLog, ZKDatabase.getProposalsFromTxnLog
// with calculateTxnLogSizeLimit's limit: the log files from the one that
// holds zxid on (FileTxnIterator without fast-forward), refused when their
// first txn is past zxid or when the files after that first one are
// larger, on disk (preallocation included), than snapshotSizeFactor × the
// newest valid snapshot (a limit of 0 is none). Reading stops after upTo.
// It runs on the member's loop, as ZooKeeper reads under the database's
// log lock, which holds back commits meanwhile.
func (s *store) ProposalsFromLog(zxid, upTo int64) []quorum.Entry {
	files, err := txnlog.ListFiles(s.fs, s.dirs.Log)
	if err != nil || len(files) == 0 {
		return nil
	}
	files = txnlog.SelectFiles(files, zxid)
	if limit := s.txnLogSizeLimit(); limit > 0 && s.filesSize(files[1:]) > limit {
		return nil
	}
	it := txnlog.NewFileIterator(s.fs, files, math.MinInt64)
	defer it.Close()
	var out []quorum.Entry
	for {
		rec, err := it.Next()
		if err != nil || rec.Txn == nil {
			return out // a read error ends TxnLogProposalIterator too
		}
		z := rec.Zxid()
		if len(out) == 0 && z > zxid {
			return nil // "Unable to find proposals from txnlog for zxid"
		}
		if z > upTo {
			return out
		}
		out = append(out, quorum.Entry{Zxid: z, Txn: bytes.Clone(rec.Entry)})
	}
}

// txnLogSizeLimit is calculateTxnLogSizeLimit: snapshotSizeFactor × the
// size of the newest valid snapshot.
func (s *store) txnLogSizeLimit() int64 {
	snaps, err := snap.List(s.fs, s.dirs.Snap)
	if err != nil {
		return 0
	}
	for _, e := range snaps {
		if snap.Valid(s.fs, e.Path) != nil {
			continue
		}
		if fi, err := s.fs.Stat(e.Path); err == nil {
			return int64(float64(fi.Size()) * s.cfg.SnapshotSizeFactor)
		}
		return 0
	}
	return 0
}

// filesSize is FileTxnIterator.getStorageSize: the files' lengths.
func (s *store) filesSize(files []txnlog.LogFile) int64 {
	var n int64
	for _, f := range files {
		if fi, err := s.fs.Stat(f.Path); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// newestSnapshotSize is the size of the newest snapshot file, 0 if none:
// about what a SNAP of the tree will take.
func (s *store) newestSnapshotSize() int64 {
	snaps, err := snap.List(s.fs, s.dirs.Snap)
	if err != nil || len(snaps) == 0 {
		return 0
	}
	fi, err := s.fs.Stat(snaps[0].Path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
