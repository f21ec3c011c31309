// Package faultfs is an in-memory disk.FS for tests that need a disk to
// misbehave on purpose: power loss with or without torn writes, slow syncs,
// a full disk and failing syncs. It models durability exactly at the level
// the engine cares about — what a crash keeps — and is deterministic given
// a seed.
//
// The model, and where it is simpler than a real file system:
//   - File content is durable only after Datasync or Sync of any handle to
//     the file, or when written through a handle from OpenSync. Datasync and
//     Sync are the same here: both persist data and length.
//   - Directory entries (create, rename, remove) and Truncate are durable the
//     moment they return, so SyncDir only checks its argument. A real file
//     system can lose an unsynced create or rename; tests of that need more
//     than this package.
//   - Allocate, like a write, changes the length only until a crash unless a
//     sync follows.
//   - A sync that fails (FailSyncs) makes nothing durable and leaves the data
//     dirty, so a later successful sync persists it. Linux may instead drop
//     the dirty pages on an I/O error.
//   - A write that would grow the content past the SetNoSpace limit fails as
//     a whole; nothing of it is written.
//   - Paths are cleaned with filepath.Clean and taken literally: "a" and
//     "/a" are different files, and "." and "/" always exist. Directories
//     cannot be renamed or opened as files.
package faultfs

import (
	"errors"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"zkbench/engine/disk"
)

var (
	_ disk.FS   = (*FS)(nil)
	_ disk.File = (*file)(nil)
)

// Options configure an FS.
type Options struct {
	// SyncLatency, when set, is called on every Datasync/Sync (and on every
	// write of a file opened with OpenSync) and the call sleeps that long
	// before returning, to emulate a device. It is called from many
	// goroutines at once.
	SyncLatency func() time.Duration
	// Seed seeds the lengths Crash tears writes to, and nothing else.
	Seed int64
}

// FS is an in-memory file system with fault injection. It is safe for
// concurrent use; so are its files, as an *os.File is.
type FS struct {
	opts Options

	// mu guards the namespace and rng. Lock order: mu, then a node's mu.
	// File methods take only their node's mu.
	mu    sync.Mutex
	files map[string]*node
	dirs  map[string]time.Time // created; "." and "/" are implicit
	rng   *rand.Rand

	gen      atomic.Uint64 // bumped by Crash; handles of older generations are dead
	used     atomic.Int64  // sum of the sizes of linked files
	limit    atomic.Int64  // SetNoSpace; 0 = unlimited
	syncFail atomic.Pointer[error]

	stats struct {
		creates, removes, renames              atomic.Int64
		writes, bytesWritten                   atomic.Int64
		syncs, datasyncs, syncWrites, syncDirs atomic.Int64
		failedSyncs, noSpace, crashes          atomic.Int64
	}
}

// New returns an empty FS: only "." and "/" exist.
func New(opts Options) *FS {
	return &FS{
		opts:  opts,
		files: make(map[string]*node),
		dirs:  make(map[string]time.Time),
		rng:   rand.New(rand.NewPCG(uint64(opts.Seed), 0x6661756c74667321)),
	}
}

// Stats counts what an FS has been asked to do.
type Stats struct {
	Creates, Removes, Renames int64
	// Writes and BytesWritten count successful Write and WriteAt calls.
	Writes, BytesWritten int64
	// Syncs and Datasyncs count calls on live handles, including those that
	// FailSyncs made fail; SyncWrites counts writes to OpenSync files.
	Syncs, Datasyncs, SyncWrites, SyncDirs int64
	FailedSyncs                            int64 // syncs and sync writes failed by FailSyncs
	NoSpace                                int64 // operations failed with ENOSPC
	Crashes                                int64
}

// Stats returns the counters so far.
func (f *FS) Stats() Stats {
	s := &f.stats
	return Stats{
		Creates: s.creates.Load(), Removes: s.removes.Load(), Renames: s.renames.Load(),
		Writes: s.writes.Load(), BytesWritten: s.bytesWritten.Load(),
		Syncs: s.syncs.Load(), Datasyncs: s.datasyncs.Load(), SyncWrites: s.syncWrites.Load(), SyncDirs: s.syncDirs.Load(),
		FailedSyncs: s.failedSyncs.Load(), NoSpace: s.noSpace.Load(), Crashes: s.crashes.Load(),
	}
}

// SetNoSpace sets the total bytes of file content across the FS above which
// writes, Allocate and growing Truncates fail with an error wrapping
// syscall.ENOSPC; 0 means unlimited. Shrinking and overwriting always work.
func (f *FS) SetNoSpace(limit int64) { f.limit.Store(max(limit, 0)) }

// FailSyncs makes every subsequent Datasync and Sync, and every write to an
// OpenSync file, fail with an error wrapping err (a *fs.PathError); nil
// stops it. Nothing is made durable by a failed call.
func (f *FS) FailSyncs(err error) {
	if err == nil {
		f.syncFail.Store(nil)
		return
	}
	f.syncFail.Store(&err)
}

func (f *FS) syncErr() error {
	if p := f.syncFail.Load(); p != nil {
		return *p
	}
	return nil
}

// reserve accounts for delta more bytes of content, or fails when that
// would exceed the limit.
func (f *FS) reserve(delta int64) error {
	for {
		used, limit := f.used.Load(), f.limit.Load()
		if limit > 0 && used+delta > limit {
			f.stats.noSpace.Add(1)
			return syscall.ENOSPC
		}
		if f.used.CompareAndSwap(used, used+delta) {
			return nil
		}
	}
}

func (f *FS) sleep() {
	if f.opts.SyncLatency == nil {
		return
	}
	if d := f.opts.SyncLatency(); d > 0 {
		time.Sleep(d)
	}
}

// Crash simulates a power loss. Every file keeps only what was made durable.
// With tear, a file whose last write was not made durable also keeps a
// seeded-random prefix (0 to all of it) of that write; its other unsynced
// writes are lost either way. Files are visited in name order, so the
// outcome depends only on the seed and the operations before.
//
// Every handle opened before the crash is dead afterwards: each of its
// methods returns an error wrapping os.ErrClosed. The FS itself stays
// usable, like a rebooted machine, and keeps its limits and injected errors.
func (f *FS) Crash(tear bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen.Add(1)
	var used int64
	for _, name := range slices.Sorted(maps.Keys(f.files)) {
		old := f.files[name]
		old.mu.Lock()
		var keep int64
		if tear && old.unsynced.n > 0 {
			keep = f.rng.Int64N(old.unsynced.n + 1)
		}
		n := old.afterCrash(keep)
		old.dead = true
		old.mu.Unlock()
		n.linked = true
		f.files[name] = n
		used += n.size
	}
	// Old nodes are all dead or unlinked now, so nothing else moves used.
	f.used.Store(used)
	f.stats.crashes.Add(1)
}

func (f *FS) isDir(name string) bool {
	_, ok := f.dirs[name]
	return ok || name == "." || name == "/"
}

// checkParent reports whether name's directory exists.
func (f *FS) checkParent(name string) error {
	dir := filepath.Dir(name)
	switch {
	case f.isDir(dir):
		return nil
	case f.files[dir] != nil:
		return syscall.ENOTDIR
	}
	return syscall.ENOENT
}

// Create creates a new file for writing; it fails with fs.ErrExist when the
// name is taken.
func (f *FS) Create(name string) (disk.File, error) { return f.create("open", name, false) }

// OpenSync creates a new file whose every write is durable on return and
// pays the sync latency.
func (f *FS) OpenSync(name string) (disk.File, error) { return f.create("open", name, true) }

func (f *FS) create(op, name string, syncWrites bool) (disk.File, error) {
	p := filepath.Clean(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkParent(p); err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	if f.files[p] != nil || f.isDir(p) {
		return nil, &fs.PathError{Op: op, Path: name, Err: syscall.EEXIST}
	}
	n := &node{linked: true, modTime: time.Now()}
	f.files[p] = n
	f.stats.creates.Add(1)
	return &file{fs: f, n: n, name: name, gen: f.gen.Load(), writable: true, syncWrites: syncWrites}, nil
}

// OpenAppend opens an existing file read-write with its offset at the end.
func (f *FS) OpenAppend(name string) (disk.File, error) { return f.open(name, true) }

// Open opens a file read-only.
func (f *FS) Open(name string) (disk.File, error) { return f.open(name, false) }

func (f *FS) open(name string, writable bool) (disk.File, error) {
	p := filepath.Clean(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.files[p]
	if n == nil {
		err := error(syscall.ENOENT)
		if f.isDir(p) {
			err = syscall.EISDIR
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	h := &file{fs: f, n: n, name: name, gen: f.gen.Load(), writable: writable}
	if writable {
		n.mu.Lock()
		h.off = n.size
		n.mu.Unlock()
	}
	return h, nil
}

// Remove removes a file or an empty directory.
func (f *FS) Remove(name string) error {
	p := filepath.Clean(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := f.files[p]; n != nil {
		delete(f.files, p)
		f.unlink(n)
		f.stats.removes.Add(1)
		return nil
	}
	if _, ok := f.dirs[p]; !ok {
		err := error(syscall.ENOENT)
		if f.isDir(p) {
			err = syscall.EBUSY // "." or "/"
		}
		return &fs.PathError{Op: "remove", Path: name, Err: err}
	}
	if f.hasChildren(p) {
		return &fs.PathError{Op: "remove", Path: name, Err: syscall.ENOTEMPTY}
	}
	delete(f.dirs, p)
	f.stats.removes.Add(1)
	return nil
}

// unlink takes n out of the namespace. Open handles keep working on it, as
// on a POSIX file system, but its bytes no longer count against the limit.
func (f *FS) unlink(n *node) {
	n.mu.Lock()
	n.linked = false
	f.used.Add(-n.size)
	n.mu.Unlock()
}

func (f *FS) hasChildren(dir string) bool {
	for p := range f.files {
		if filepath.Dir(p) == dir {
			return true
		}
	}
	for p := range f.dirs {
		if filepath.Dir(p) == dir {
			return true
		}
	}
	return false
}

// errRenameDir is returned for a rename of a directory, which the model
// does not support.
var errRenameDir = errors.New("faultfs: renaming a directory is not supported")

// Rename renames a file, replacing newname if it is a file.
func (f *FS) Rename(oldname, newname string) error {
	op, np := filepath.Clean(oldname), filepath.Clean(newname)
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func(err error) error {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	n := f.files[op]
	switch {
	case n == nil && f.isDir(op):
		return fail(errRenameDir)
	case n == nil:
		return fail(syscall.ENOENT)
	}
	if err := f.checkParent(np); err != nil {
		return fail(err)
	}
	if f.isDir(np) {
		return fail(syscall.EISDIR)
	}
	if op == np {
		return nil
	}
	if old := f.files[np]; old != nil {
		f.unlink(old)
	}
	f.files[np] = n
	delete(f.files, op)
	f.stats.renames.Add(1)
	return nil
}

// MkdirAll creates dir and any missing parents.
func (f *FS) MkdirAll(dir string) error {
	p := filepath.Clean(dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	var missing []string
	for d := p; !f.isDir(d); d = filepath.Dir(d) {
		if f.files[d] != nil {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		missing = append(missing, d)
	}
	now := time.Now()
	for _, d := range missing {
		f.dirs[d] = now
	}
	return nil
}

// ReadDir lists the names of dir's direct children, sorted.
func (f *FS) ReadDir(dir string) ([]string, error) {
	p := filepath.Clean(dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkDir(p); err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	var names []string
	for c := range f.files {
		if filepath.Dir(c) == p {
			names = append(names, filepath.Base(c))
		}
	}
	for c := range f.dirs {
		if filepath.Dir(c) == p {
			names = append(names, filepath.Base(c))
		}
	}
	slices.Sort(names)
	return names, nil
}

func (f *FS) checkDir(p string) error {
	switch {
	case f.isDir(p):
		return nil
	case f.files[p] != nil:
		return syscall.ENOTDIR
	}
	return syscall.ENOENT
}

// Stat describes a file or directory.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	p := filepath.Clean(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := f.files[p]; n != nil {
		n.mu.Lock()
		defer n.mu.Unlock()
		return fileInfo{name: filepath.Base(p), size: n.size, mode: 0o644, modTime: n.modTime}, nil
	}
	if f.isDir(p) {
		return fileInfo{name: filepath.Base(p), mode: fs.ModeDir | 0o755, modTime: f.dirs[p]}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: syscall.ENOENT}
}

// SyncDir checks that dir is a directory. Entries are durable anyway.
func (f *FS) SyncDir(dir string) error {
	p := filepath.Clean(dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkDir(p); err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	f.stats.syncDirs.Add(1)
	return nil
}

type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi fileInfo) ModTime() time.Time { return fi.modTime }
func (fi fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi fileInfo) Sys() any           { return nil }
