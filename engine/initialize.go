package engine

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"slices"
	"time"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/jute"
	"zkbench/engine/persist"
	"zkbench/engine/snap"
)

// initialEpoch is the epoch a fresh ensemble's first leader establishes:
// a starting tree is dated as if its txns ran in it.
const initialEpoch = 1

// Initial describes the starting database Initialize wrote.
type Initial struct {
	Znodes int   // the nodes created (ZooKeeper's own /zookeeper nodes not counted)
	Bytes  int64 // their data
	// Zxid names the snapshot: the zxid of the closeSession that ends the
	// history the tree was built from.
	Zxid int64
	// Digest is the tree digest every member restores.
	Digest int64
	// SnapshotBytes is the size of one member's snapshot file.
	SnapshotBytes int64
}

// Initialize gives every member of cfg a starting database, the one
// ZooKeeper 3.8 leaves after a single session, in the ensemble's first
// epoch, created nodes one by one (persistent, open ACL) and closed:
// snapshot.<zxid> with its digest block, currentEpoch and acceptedEpoch,
// and myid. Start then restores it as at any start-up, so that restore is
// real and the members agree. nodes yields each node's path and data,
// parents first; the data is kept, not copied, while the tree is built,
// and may be shared between nodes.
//
// The tree is built once, by applying the txns (createSession, one create
// per node, closeSession, all stamped created), so its Stats, digest and
// ACL references are those the txns give; then it is written into each
// member's dataDir, which must hold nothing yet: Initialize never
// overwrites a file. Snapshots are synced, so that their write-back does
// not fall into a measurement.
func Initialize(cfg Config, created time.Time, nodes iter.Seq2[string, []byte]) (Initial, error) {
	if err := cfg.validate(); err != nil {
		return Initial{}, err
	}
	tree, in, err := buildTree(created, nodes)
	if err != nil {
		return in, fmt.Errorf("engine: initialize: %w", err)
	}
	in.SnapshotBytes, err = initMembers(&cfg, tree, nil, initialEpoch)
	return in, err
}

// initMembers writes every member's starting database: tree's snapshot,
// or a copy of first when tree is nil, in epoch. It returns the size of
// one member's snapshot.
func initMembers(cfg *Config, tree *datatree.Tree, first *snapshotFile, epoch int64) (int64, error) {
	voters, observers := cfg.ids()
	var size int64
	for _, id := range append(voters, observers...) {
		fsys := disk.FS(disk.OS)
		if cfg.FS != nil {
			fsys = cfg.FS(id)
		}
		f, err := initMember(fsys, cfg, id, tree, first, epoch)
		if err != nil {
			return size, fmt.Errorf("engine: initialize: %w", &MemberError{ID: id, Err: err})
		}
		first, size = cmp.Or(first, &f), f.size
	}
	return size, nil
}

// snapshotFile is a starting snapshot on a member's disk.
type snapshotFile struct {
	fsys disk.FS
	path string
	size int64
}

// buildTree applies one session's history: created, its creates in
// order, closed.
func buildTree(created time.Time, nodes iter.Seq2[string, []byte]) (*datatree.Tree, Initial, error) {
	t := datatree.New()
	h := jute.TxnHeader{ClientID: sessionIDBase(1, created), Zxid: persist.Zxid(initialEpoch, 0), Time: created.UnixMilli()}
	apply := func(typ int32, body jute.Record) datatree.Result {
		h.Zxid++
		h.Type = typ
		r := t.Apply(&jute.Txn{Header: h, Body: body})
		h.Cxid++
		return r
	}
	apply(jute.OpCreateSession, &jute.CreateSessionTxn{TimeOut: int32(DefaultSessionTimeout.Milliseconds())})
	var in Initial
	for path, data := range nodes {
		if r := apply(jute.OpCreate, &jute.CreateTxn{Path: path, Data: data, ACL: OpenACL, ParentCVersion: -1}); r.Err != datatree.Ok {
			return nil, in, fmt.Errorf("create %s: %v", path, r.Err)
		}
		in.Znodes++
		in.Bytes += int64(len(data))
	}
	apply(jute.OpCloseSession, &jute.CloseSessionTxn{})
	in.Zxid, in.Digest = h.Zxid, t.Digest()
	return t, in, nil
}

// errNotFresh refuses a member whose folders hold a database already:
// a myid, or anything in version-2. Other files (a run's marker, say) are
// no database and are left alone.
var errNotFresh = errors.New("holds a ZooKeeper database already; a starting database goes where there is none")

// initMember writes member id's starting database: the snapshot of tree,
// or a copy of first's when there is one (the same bytes, without a
// second walk and encoding of the tree), the epoch files (both epoch)
// and myid.
func initMember(fsys disk.FS, cfg *Config, id uint64, tree *datatree.Tree, first *snapshotFile, epoch int64) (snapshotFile, error) {
	dataDir, logDir := memberDirs(cfg, id)
	dirs := persist.NewDirs(dataDir, logDir)
	for _, dir := range []string{dirs.Snap, dirs.Log} {
		if err := fsys.MkdirAll(dir); err != nil {
			return snapshotFile{}, err
		}
		names, err := fsys.ReadDir(dir)
		if err != nil {
			return snapshotFile{}, err
		}
		if len(names) > 0 {
			return snapshotFile{}, fmt.Errorf("%s %w", dir, errNotFresh)
		}
	}
	names, err := fsys.ReadDir(dataDir)
	if err != nil {
		return snapshotFile{}, err
	}
	if slices.Contains(names, "myid") {
		return snapshotFile{}, fmt.Errorf("%s %w", dataDir, errNotFresh)
	}
	f, err := writeStartingSnapshot(fsys, dirs.Snap, tree, first)
	if err != nil {
		return f, err
	}
	for _, name := range []string{persist.AcceptedEpochFile, persist.CurrentEpochFile} {
		if err := persist.WriteEpochFile(fsys, filepath.Join(dirs.Snap, name), epoch); err != nil {
			return f, err
		}
	}
	return f, writeMyid(fsys, dataDir, id)
}

// writeStartingSnapshot writes tree's snapshot into dir, or copies first
// there, through a .tmp file that is synced and renamed into place.
func writeStartingSnapshot(fsys disk.FS, dir string, tree *datatree.Tree, first *snapshotFile) (snapshotFile, error) {
	if first == nil {
		res, err := persist.WriteSnapshot(fsys, dir, tree, snap.Options{Atomic: true})
		return snapshotFile{fsys, res.Path, res.Bytes}, err
	}
	f := snapshotFile{fsys: fsys, path: filepath.Join(dir, filepath.Base(first.path))}
	in, err := first.fsys.Open(first.path)
	if err != nil {
		return f, err
	}
	defer in.Close()
	tmp := f.path + ".tmp"
	out, err := fsys.Create(tmp)
	if err != nil {
		return f, err
	}
	f.size, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Rename(tmp, f.path)
	}
	if err != nil {
		fsys.Remove(tmp)
		return f, fmt.Errorf("copy %s to %s: %w", first.path, tmp, err)
	}
	return f, nil
}
