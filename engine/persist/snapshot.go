package persist

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"time"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/snap"
)

// ErrSnapshotExists means a snapshot with the tree's zxid is already on
// disk: no txn was applied since it was written, so there is nothing new.
var ErrSnapshotExists = errors.New("snapshot for this zxid already exists")

// WriteSnapshot writes a fuzzy snapshot of tree into dir (a version-2
// directory) while the tree keeps taking writes. As in ZooKeeper, the file
// is named after the last zxid applied when the walk begins, and the digest
// block is the one recorded after the last txn applied when the walk ends,
// so it may be newer than the name; replaying the log from the name's zxid
// repairs the fuzz.
func WriteSnapshot(fsys disk.FS, dir string, tree *datatree.Tree, opts snap.Options) (snap.Result, error) {
	zxid := tree.LastProcessedZxid()
	fill := func(w *snap.Writer) (*snap.Digest, error) { return fillSnapshot(w, tree) }
	res, err := snap.WriteFile(fsys, dir, zxid, opts, fill)
	if !errors.Is(err, fs.ErrExist) {
		return res, err
	}
	// A snapshot torn by a crash may carry the very name we need: restore
	// skipped it and ended at its zxid. ZooKeeper writes over it; we replace
	// it only when it fails the validity test, never a good one.
	if verr := snap.Valid(fsys, res.Path); !errors.Is(verr, snap.ErrInvalid) {
		return res, fmt.Errorf("%s: %w", res.Path, ErrSnapshotExists)
	}
	if err := fsys.Remove(res.Path); err != nil {
		return res, fmt.Errorf("replace torn snapshot %s: %w", res.Path, err)
	}
	return snap.WriteFile(fsys, dir, zxid, opts, fill)
}

// EncodeSnapshot serializes tree to w in the snapshot file format: what a
// leader streams to a learner after SNAP (ZooKeeper sends the same
// serialization, sessions and then the tree, over the learner's socket).
func EncodeSnapshot(w io.Writer, tree *datatree.Tree) error {
	sw := snap.NewWriter(w)
	d, err := fillSnapshot(sw, tree)
	if err != nil {
		return err
	}
	return sw.Finish(d)
}

func fillSnapshot(w *snap.Writer, tree *datatree.Tree) (*snap.Digest, error) {
	ts := tree.Sessions()
	sessions := make([]snap.Session, len(ts))
	for i, s := range ts {
		sessions[i] = snap.Session{ID: s.ID, Timeout: s.Timeout}
	}
	if err := w.WriteSessions(sessions); err != nil {
		return nil, err
	}
	ta := tree.ACLs()
	acls := make([]snap.ACLEntry, len(ta))
	for i, a := range ta {
		acls[i] = snap.ACLEntry{Ref: a.Ref, ACL: a.ACL}
	}
	if err := w.WriteACLs(acls); err != nil {
		return nil, err
	}
	err := tree.Walk(func(v datatree.NodeView) error {
		n := snap.Node(v)
		return w.WriteNode(&n)
	})
	if err != nil {
		return nil, err
	}
	d := tree.LastDigest()
	return &snap.Digest{Zxid: d.Zxid, Version: d.Version, Value: d.Digest}, nil
}

// SnapshotEvent describes a background snapshot: Begin is sent when it is
// triggered, End when its file is closed (or synced, with snap.Options
// Fsync), with what it wrote or the error that stopped it.
type SnapshotEvent struct {
	Path     string
	Zxid     int64
	Start    time.Time
	Duration time.Duration // 0 in the begin event
	Bytes    int64
	Nodes    int
	Sessions int
	Err      error
}

// SnapshotterOptions configure a Snapshotter.
type SnapshotterOptions struct {
	Snap    snap.Options
	OnBegin func(SnapshotEvent)
	OnEnd   func(SnapshotEvent)
}

// Snapshotter takes snapshots in the background, one at a time, as
// ZooKeeper's snapshot thread does: a trigger while one is running is
// refused ("Too busy to snap, skipping").
type Snapshotter struct {
	fsys disk.FS
	dir  string
	opts SnapshotterOptions

	mu      sync.Mutex
	running bool
	wg      sync.WaitGroup
}

// NewSnapshotter returns a Snapshotter writing into dir (a version-2
// directory).
func NewSnapshotter(fsys disk.FS, dir string, opts SnapshotterOptions) *Snapshotter {
	return &Snapshotter{fsys: fsys, dir: dir, opts: opts}
}

// Start begins a snapshot of tree in a new goroutine and reports true, or
// reports false when the previous snapshot is still being written.
func (s *Snapshotter) Start(tree *datatree.Tree) bool {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return false
	}
	s.running = true
	s.wg.Add(1)
	s.mu.Unlock()
	ev := SnapshotEvent{Zxid: tree.LastProcessedZxid(), Start: time.Now()}
	if s.opts.OnBegin != nil {
		s.opts.OnBegin(ev)
	}
	go func() {
		defer s.wg.Done()
		res, err := WriteSnapshot(s.fsys, s.dir, tree, s.opts.Snap)
		ev.Path, ev.Zxid, ev.Err = res.Path, res.Zxid, err
		ev.Duration = time.Since(ev.Start)
		ev.Bytes, ev.Nodes, ev.Sessions = res.Bytes, res.Nodes, res.Sessions
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
		if s.opts.OnEnd != nil {
			s.opts.OnEnd(ev)
		}
	}()
	return true
}

// Busy reports whether a snapshot is being written.
func (s *Snapshotter) Busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// Wait blocks until the running snapshot, if any, is finished.
func (s *Snapshotter) Wait() { s.wg.Wait() }
