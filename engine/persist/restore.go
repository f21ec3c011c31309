// Package persist joins the transaction log, the snapshots and the data
// tree into a member's durable state, as ZooKeeper's FileTxnSnapLog does:
// restore at start-up (newest valid snapshot + replay of the log after it),
// fuzzy snapshots written in the background while the tree keeps taking
// writes, purge of old files, and the quorum epoch files.
package persist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/jute"
	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
)

// Dirs are a member's two version-2 directories. They are the same
// directory unless dataLogDir is set apart from dataDir.
type Dirs struct {
	Snap string // <dataDir>/version-2: snapshots, epoch files
	Log  string // <dataLogDir>/version-2: transaction logs
}

// NewDirs returns the version-2 directories for a dataDir and an optional
// dataLogDir ("" = the log lives in dataDir).
func NewDirs(dataDir, dataLogDir string) Dirs {
	if dataLogDir == "" {
		dataLogDir = dataDir
	}
	return Dirs{
		Snap: filepath.Join(dataDir, txnlog.VersionDir),
		Log:  filepath.Join(dataLogDir, txnlog.VersionDir),
	}
}

var (
	// ErrMixedDirs means a separate dataLogDir holds snapshots, or the
	// dataDir holds logs: ZooKeeper refuses to start rather than guess.
	ErrMixedDirs = errors.New("snapshot and log directories are mixed up")
	// ErrLogWithoutSnapshot is ZooKeeper's "No snapshot found, but there
	// are log entries. Something is broken!"
	ErrLogWithoutSnapshot = errors.New("no snapshot found, but there are log entries")
)

// Check creates the directories if needed and, when they differ, fails if
// either holds the other's files (docs/zk-disk-format.md §5.1).
func (d Dirs) Check(fsys disk.FS) error {
	for _, dir := range []string{d.Snap, d.Log} {
		if err := fsys.MkdirAll(dir); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	if filepath.Clean(d.Snap) == filepath.Clean(d.Log) {
		return nil
	}
	if err := refuse(fsys, d.Log, snap.Prefix+"."); err != nil {
		return err
	}
	return refuse(fsys, d.Snap, "log.")
}

func refuse(fsys disk.FS, dir, prefix string) error {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return fmt.Errorf("%w: %s found in %s", ErrMixedDirs, n, dir)
		}
	}
	return nil
}

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// TrustEmpty allows logs without any snapshot
	// (zookeeper.snapshot.trust.empty).
	TrustEmpty bool
	// RepairTornTail cuts a torn record off the end of the newest log file.
	// ZooKeeper leaves it (readers skip it); zkbench repairs the files it
	// owns so that a later append can never follow garbage.
	RepairTornTail bool
	// KeepRecent keeps the raw entries of the last KeepRecent txns
	// replayed in Restored.Recent: a quorum member's committed-proposal
	// window, gathered during the one pass over the log.
	KeepRecent int
	// Skipped, when set, hears about each snapshot that could not be
	// loaded, newest first (ZooKeeper logs "problem reading snap file").
	Skipped func(path string, err error)
	// Values, when set, is the pool the snapshot's node data is taken
	// from: members restoring the same snapshot share its values.
	Values *snap.Values
	// Now is the clock Restored.Phases is timed with; nil is time.Now.
	Now func() time.Time
}

// Restored describes what Restore loaded.
type Restored struct {
	Tree *datatree.Tree
	// Snapshot is the snapshot file used; "" when the directory was empty
	// and an empty tree was started.
	Snapshot     string
	SnapshotZxid int64
	// Replayed counts txns applied from the logs after the snapshot.
	Replayed                    int
	FirstReplayed, LastReplayed int64 // -1 when nothing was replayed
	LastZxid                    int64 // highest zxid in the database
	TornTails                   []txnlog.TornTail
	Repaired                    string // the log file whose torn tail was cut, if any
	// Recent are the last RestoreOptions.KeepRecent txns replayed, oldest
	// first.
	Recent                           []LoggedTxn
	SkippedSnapshots, TriedSnapshots int
	// Phases are the restore's steps, timed.
	Phases Phases
}

// LoggedTxn is one txn as the log holds it: TxnHeader ‖ body ‖ digest.
type LoggedTxn struct {
	Zxid  int64
	Entry []byte
}

// Restore loads a member's database: the newest snapshot that validates
// (of up to 100), then every logged txn after its zxid, including those in
// the log file that began before it (docs/zk-disk-format.md §5). A checksum
// mismatch inside a log is fatal and names the file and byte offset; a torn
// or zero-padded tail ends a file quietly. An empty directory gives an
// empty tree (the caller writes its snapshot.0, as ZooKeeper does).
func Restore(fsys disk.FS, dirs Dirs, opts RestoreOptions) (*Restored, error) {
	if err := dirs.Check(fsys); err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	res := &Restored{FirstReplayed: -1, LastReplayed: -1}
	ph := &res.Phases
	start := now()
	var loadStart time.Time
	failed := make(map[string]time.Duration) // failed loads' durations by path
	choice, err := snap.Pick(fsys, dirs.Snap, func(path string) error {
		loadStart = now()
		t, zxid, err := loadSnapshot(fsys, path, opts.Values)
		if err != nil {
			failed[path] = now().Sub(loadStart)
			return err
		}
		res.Tree, res.SnapshotZxid = t, zxid
		return nil
	})
	end := now()
	res.TriedSnapshots, res.SkippedSnapshots = choice.Tried, len(choice.Skipped)
	skipped(ph, choice, failed, opts.Skipped)
	switch {
	case errors.Is(err, snap.ErrNoSnapshot) && choice.Tried == 0:
		if err := noSnapshot(fsys, dirs, opts); err != nil {
			return nil, err
		}
		res.Tree = datatree.New()
		ph.Pick = end.Sub(start)
	case err != nil && len(choice.Skipped) > 0:
		// Name the newest file and why it failed: the one an operator
		// expected to load.
		return nil, fmt.Errorf("restore %s: %w; the newest: %v", dirs.Snap, err, choice.Skipped[0].Err)
	case err != nil:
		return nil, fmt.Errorf("restore %s: %w", dirs.Snap, err)
	default:
		res.Snapshot = choice.Path
		ph.Pick, ph.Load = loadStart.Sub(start), end.Sub(loadStart)
		ph.Snapshot, ph.SnapshotZxid, ph.Nodes = choice.Path, res.SnapshotZxid, res.Tree.NodeCount()
		if fi, err := fsys.Stat(choice.Path); err == nil {
			ph.SnapshotBytes = fi.Size()
		}
	}
	start = now()
	if err := replay(fsys, dirs.Log, res, opts.KeepRecent); err != nil {
		return nil, err
	}
	ph.Replay, ph.Replayed = now().Sub(start), res.Replayed
	if opts.RepairTornTail {
		if err := repairTail(fsys, dirs.Log, res); err != nil {
			return nil, err
		}
	}
	res.LastZxid = res.Tree.LastProcessedZxid()
	return res, nil
}

// skipped records the snapshots the pick passed over, with how long their
// failed loads took, and tells RestoreOptions.Skipped about them.
func skipped(ph *Phases, choice snap.Choice, failed map[string]time.Duration, tell func(string, error)) {
	for _, s := range choice.Skipped {
		ph.Skipped = append(ph.Skipped, SkippedSnapshot{Path: s.Path, Zxid: s.Zxid, Err: s.Err, Duration: failed[s.Path]})
		if tell != nil {
			tell(s.Path, s.Err)
		}
	}
}

// noSnapshot decides whether an empty snapshot directory may start empty.
func noSnapshot(fsys disk.FS, dirs Dirs, opts RestoreOptions) error {
	last, err := txnlog.LastZxid(fsys, dirs.Log)
	if err != nil {
		return fmt.Errorf("restore %s: %w", dirs.Log, err)
	}
	if last >= 0 && !opts.TrustEmpty {
		return fmt.Errorf("restore %s: %w (last zxid 0x%x in %s)", dirs.Snap, ErrLogWithoutSnapshot, last, dirs.Log)
	}
	return nil
}

// LoadSnapshot reads one snapshot file into a new tree and returns it with
// the zxid in the file's name, which becomes its last processed zxid.
func LoadSnapshot(fsys disk.FS, path string) (*datatree.Tree, int64, error) {
	return loadSnapshot(fsys, path, nil)
}

func loadSnapshot(fsys disk.FS, path string, values *snap.Values) (*datatree.Tree, int64, error) {
	zxid, _, ok := snap.ParseName(filepath.Base(path))
	if !ok {
		return nil, 0, fmt.Errorf("%s: not a snapshot file name", path)
	}
	l := datatree.NewLoader()
	h := loaderHandler(l)
	h.Values = values
	info, err := snap.ReadFile(fsys, path, h)
	if err != nil {
		return nil, 0, err
	}
	t, err := finishLoad(l, zxid, info)
	if err != nil {
		return nil, 0, fmt.Errorf("snapshot %s: %w", path, err)
	}
	return t, zxid, nil
}

// DecodeSnapshot reads a snapshot stream (what EncodeSnapshot wrote, or a
// snapshot file's bytes) into a new tree whose last processed zxid is zxid:
// a learner loading the tree its leader sent with SNAP. values is as
// RestoreOptions.Values; nil gives the tree data of its own.
func DecodeSnapshot(r io.Reader, zxid int64, values *snap.Values) (*datatree.Tree, error) {
	l := datatree.NewLoader()
	h := loaderHandler(l)
	h.Values = values
	info, err := snap.Read(r, "SNAP", h)
	if err != nil {
		return nil, err
	}
	return finishLoad(l, zxid, info)
}

func loaderHandler(l *datatree.Loader) snap.Handler {
	return snap.Handler{
		Session: func(s snap.Session) error { l.AddSession(s.ID, s.Timeout); return nil },
		ACL:     func(a snap.ACLEntry) error { l.AddACL(a.Ref, a.ACL); return nil },
		Node:    func(n snap.Node) error { return l.AddNode(n.Path, n.Data, n.ACLRef, n.Stat) },
	}
}

func finishLoad(l *datatree.Loader, zxid int64, info snap.Info) (*datatree.Tree, error) {
	var d *datatree.ZxidDigest
	if info.Digest != nil {
		d = &datatree.ZxidDigest{Zxid: info.Digest.Zxid, Version: info.Digest.Version, Digest: info.Digest.Value}
	}
	return l.Finish(zxid, d)
}

// replay applies every logged txn after the tree's zxid. Apply tolerates
// what a fuzzy snapshot already contains (a create of an existing node, a
// delete of a missing one), so its result codes are not errors here.
func replay(fsys disk.FS, logDir string, res *Restored, keep int) error {
	it, err := txnlog.NewIterator(fsys, logDir, res.Tree.LastProcessedZxid()+1)
	if err != nil {
		return fmt.Errorf("replay %s: %w", logDir, err)
	}
	defer it.Close()
	res.Phases.LogFiles = len(it.Files())
	for {
		rec, err := it.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		res.Tree.Apply(rec.Txn)
		if res.FirstReplayed < 0 {
			res.FirstReplayed = rec.Zxid()
		}
		res.LastReplayed = rec.Zxid()
		res.Replayed++
		if keep > 0 {
			if len(res.Recent) == keep {
				res.Recent = res.Recent[1:]
			}
			res.Recent = append(res.Recent, LoggedTxn{Zxid: rec.Zxid(), Entry: bytes.Clone(rec.Entry)})
		}
	}
	res.TornTails = it.TornTails()
	return nil
}

// repairTail cuts a torn record off the newest log file, the only place a
// crash mid-append leaves one.
func repairTail(fsys disk.FS, logDir string, res *Restored) error {
	if len(res.TornTails) == 0 {
		return nil
	}
	files, err := txnlog.ListFiles(fsys, logDir)
	if err != nil || len(files) == 0 {
		return err
	}
	newest := files[len(files)-1].Path
	last := res.TornTails[len(res.TornTails)-1]
	if last.File != newest {
		return nil
	}
	res.Repaired = newest
	if last.Offset < jute.FileHeaderSize {
		// Not even the header was durable: the file holds nothing.
		if err := fsys.Remove(newest); err != nil {
			return fmt.Errorf("repair torn log %s: %w", newest, err)
		}
		return nil
	}
	f, err := fsys.OpenAppend(newest)
	if err != nil {
		return fmt.Errorf("repair torn tail of %s: %w", newest, err)
	}
	defer f.Close()
	if err := f.Truncate(last.Offset); err != nil {
		return fmt.Errorf("repair torn tail of %s at offset %d: %w", newest, last.Offset, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("repair torn tail of %s: %w", newest, err)
	}
	return nil
}
