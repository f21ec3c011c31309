// Package injectfs wraps a member's file system so that faults can be
// switched on and off while the member runs: every sync taking longer (a
// slow disk), writes failing with ENOSPC (a full disk), and an abrupt end
// of the member (Crash), either a power loss that drops what was never
// synced or a killed process whose written data the OS keeps.
//
// It wraps the real file system as faultfs wraps nothing: faultfs is a
// disk in memory for tests, injectfs puts the same faults over any
// disk.FS, the real one included, at the cost of a little bookkeeping per
// write. Over a file system that simulates power loss itself (faultfs),
// a power loss is left to it.
//
// The power-loss model over a real disk is faultfs's: a file keeps the
// length and content it had at its last Datasync or Sync (from the open
// for files that existed before); what was written since is lost — the
// bytes past that length cut off, the bytes rewritten inside it zeroed,
// which is what they held before for the writes a ZooKeeper member makes
// (a transaction log fills its zeroed preallocation, every other file is
// written once). Directory entries, truncations and renames are kept, as
// faultfs keeps them. A real machine's page cache would have written back
// some of what was lost (Linux within about 30 s): the model is the
// worst case of a power loss, not its average.
package injectfs

import (
	"io/fs"
	"sync"
	"sync/atomic"
	"time"

	"zkbench/engine/disk"
)

var (
	_ disk.FS   = (*FS)(nil)
	_ disk.File = (*file)(nil)
)

// FS is a disk.FS with switchable faults. It is safe for concurrent use.
type FS struct {
	inner disk.FS

	delay atomic.Int64 // added to every sync, ns
	full  atomic.Bool
	kill  atomic.Bool // Crash ends the process only, the data stays

	// mu is held shared by every call that reads or changes a file's
	// data or length, exclusively by Crash: a write in flight either
	// lands before the power goes or fails after.
	mu    sync.RWMutex
	gen   uint64            // bumped by Crash; handles of older generations are dead
	files map[string]*track // by path, files written through this FS

	// tmu guards the tracks for handles, which hold mu only shared.
	tmu sync.Mutex
}

// note changes name's track; the caller holds mu shared.
func (f *FS) note(name string, change func(*track)) {
	f.tmu.Lock()
	if t, ok := f.files[name]; ok {
		change(t)
	}
	f.tmu.Unlock()
}

// track is what a power loss would keep of one file.
type track struct {
	durable int64  // length at the last sync
	dirty   []span // ranges inside durable rewritten since
	synced  bool   // the whole file is durable (OpenSync)
}

type span struct{ off, end int64 }

// New wraps inner.
func New(inner disk.FS) *FS { return &FS{inner: inner, files: map[string]*track{}} }

// SetSyncDelay makes every Datasync and Sync take d longer (0: as the
// disk does), as a device whose flushes are slow does.
func (f *FS) SetSyncDelay(d time.Duration) { f.delay.Store(int64(max(d, 0))) }

// SetFull makes every write, fallocate and growing truncate fail with
// ENOSPC while full is true, as a full device does.
func (f *FS) SetFull(full bool) { f.full.Store(full) }

// SetKill chooses what the next Crash is: a power loss (false, the
// default) or the end of the process (true).
func (f *FS) SetKill(kill bool) { f.kill.Store(kill) }

// Crash ends everything opened so far: each handle's later calls fail
// with os.ErrClosed, as a dead process's would. Unless SetKill(true),
// it is a power loss too: every file keeps only what was synced (see the
// package comment); with tear, an inner file system that simulates power
// loss may also keep a torn prefix of the last unsynced write.
func (f *FS) Crash(tear bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	if f.kill.Load() {
		return
	}
	if c, ok := f.inner.(interface{ Crash(tear bool) }); ok {
		c.Crash(tear)
		clear(f.files)
		return
	}
	for name, t := range f.files {
		// A file that cannot be rolled back keeps what it has: the crash
		// is a model, and the next start reads whatever is there.
		_ = rollBack(f.inner, name, t)
	}
	clear(f.files)
}

// rollBack makes name what a power loss would leave of it.
func rollBack(inner disk.FS, name string, t *track) error {
	if t.synced {
		return nil
	}
	h, err := inner.OpenAppend(name)
	if err != nil {
		return err
	}
	defer h.Close()
	size, err := h.Size()
	if err != nil {
		return err
	}
	if size > t.durable {
		if err := h.Truncate(t.durable); err != nil {
			return err
		}
	}
	for _, s := range t.dirty {
		if _, err := h.WriteAt(make([]byte, s.end-s.off), s.off); err != nil {
			return err
		}
	}
	return nil
}

func (f *FS) sleep() {
	if d := time.Duration(f.delay.Load()); d > 0 {
		time.Sleep(d)
	}
}

// Create creates name; until synced, none of it survives a power loss.
func (f *FS) Create(name string) (disk.File, error) {
	return f.open(name, func() (disk.File, error) { return f.inner.Create(name) }, 0, false)
}

// OpenSync creates name with every write durable on return.
func (f *FS) OpenSync(name string) (disk.File, error) {
	return f.open(name, func() (disk.File, error) { return f.inner.OpenSync(name) }, 0, true)
}

// OpenAppend opens name for appending; what it holds now is durable.
func (f *FS) OpenAppend(name string) (disk.File, error) {
	return f.open(name, func() (disk.File, error) { return f.inner.OpenAppend(name) }, -1, false)
}

func (f *FS) open(name string, open func() (disk.File, error), durable int64, synced bool) (disk.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, err := open()
	if err != nil {
		return nil, err
	}
	size, err := h.Size()
	if err != nil {
		h.Close()
		return nil, err
	}
	if _, known := f.files[name]; !known {
		if durable < 0 {
			durable = size
		}
		f.files[name] = &track{durable: durable, synced: synced}
	}
	return &file{File: h, fs: f, name: name, gen: f.gen, off: size}, nil
}

// Open opens name read-only; reads need no bookkeeping.
func (f *FS) Open(name string) (disk.File, error) { return f.inner.Open(name) }

// Remove removes name.
func (f *FS) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.inner.Remove(name); err != nil {
		return err
	}
	delete(f.files, name)
	return nil
}

// Rename renames oldname, its unsynced data with it.
func (f *FS) Rename(oldname, newname string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.inner.Rename(oldname, newname); err != nil {
		return err
	}
	if t, ok := f.files[oldname]; ok {
		f.files[newname] = t
		delete(f.files, oldname)
	} else {
		delete(f.files, newname)
	}
	return nil
}

func (f *FS) MkdirAll(dir string) error             { return f.inner.MkdirAll(dir) }
func (f *FS) ReadDir(dir string) ([]string, error)  { return f.inner.ReadDir(dir) }
func (f *FS) Stat(name string) (fs.FileInfo, error) { return f.inner.Stat(name) }
func (f *FS) SyncDir(dir string) error              { return f.inner.SyncDir(dir) }

// rewrote notes that [off, end) was written: the part inside the durable
// length is zeroed by a power loss, the rest cut off with the length.
func (t *track) rewrote(off, end int64) {
	t.dirty = appendSpan(t.dirty, span{off, min(end, t.durable)})
}

// truncated notes a new length, durable at once.
func (t *track) truncated(size int64) {
	t.durable = min(t.durable, size)
	t.dirty = clip(t.dirty, size)
}

// appendSpan adds s, merged with the last span when they touch: a log's
// appends between two syncs are one span.
func appendSpan(spans []span, s span) []span {
	if s.end <= s.off {
		return spans
	}
	if n := len(spans); n > 0 && spans[n-1].end >= s.off && spans[n-1].off <= s.end {
		spans[n-1] = span{min(spans[n-1].off, s.off), max(spans[n-1].end, s.end)}
		return spans
	}
	return append(spans, s)
}

// clip drops what lies at or past size.
func clip(spans []span, size int64) []span {
	out := spans[:0]
	for _, s := range spans {
		if s.off < size {
			out = append(out, span{s.off, min(s.end, size)})
		}
	}
	return out
}
