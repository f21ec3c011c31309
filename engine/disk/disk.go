// Package disk is the only place in the engine that touches files. It is cut
// at the seam a storage engine needs for measurement and for fault
// injection: a file system (FS) and its files (File), durable-write
// primitives (Sync with fdatasync, fsync or O_DSYNC), preallocation modes,
// and an event Sink that hears about every sync and every extension.
package disk

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// FS is a file system. Names are plain OS paths.
type FS interface {
	// Create creates a new file for writing; it fails with fs.ErrExist when
	// the name is taken, so that nothing is ever overwritten by accident.
	Create(name string) (File, error)
	// OpenAppend opens an existing file read-write for appending at its end.
	OpenAppend(name string) (File, error)
	// Open opens a file read-only.
	Open(name string) (File, error)
	// OpenSync creates a new file whose every write is durable on return
	// (O_DSYNC), as used by the probe's odsync method.
	OpenSync(name string) (File, error)
	Remove(name string) error
	Rename(oldname, newname string) error
	MkdirAll(dir string) error
	// ReadDir lists the names of a directory's entries (not sorted).
	ReadDir(dir string) ([]string, error)
	Stat(name string) (fs.FileInfo, error)
	// SyncDir makes a directory's entries (creates, renames) durable.
	SyncDir(dir string) error
}

// File is an open file.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.WriterAt
	io.Closer
	Name() string
	// Size returns the current length of the file.
	Size() (int64, error)
	// Truncate sets the file's length.
	Truncate(size int64) error
	// Allocate reserves blocks for [off, off+n) and extends the length to
	// cover it, like fallocate(2) with mode 0.
	Allocate(off, n int64) error
	// Datasync makes written data durable without forcing metadata that is
	// not needed to read it back (fdatasync(2)).
	Datasync() error
	// Sync makes data and all metadata durable (fsync(2)).
	Sync() error
}

// ReadFile reads a whole file through fsys.
func ReadFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// WriteFileAtomic writes data to name through name.tmp, syncs it and renames
// it into place, the way ZooKeeper writes its epoch files.
func WriteFileAtomic(fsys FS, name string, data []byte) error {
	tmp := name + ".tmp"
	if err := fsys.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := fsys.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fsys.Rename(tmp, name)
}

// SyncMethod is how a writer makes its appends durable.
type SyncMethod int

const (
	SyncFdatasync SyncMethod = iota // fdatasync after each batch (ZooKeeper's FileChannel.force(false))
	SyncFsync                       // fsync after each batch
	SyncODsync                      // every write is synchronous (file opened O_DSYNC)
	SyncNone                        // never sync (forceSync=no)
)

var syncNames = []string{"fdatasync", "fsync", "odsync", "none"}

func (m SyncMethod) String() string {
	if m >= 0 && int(m) < len(syncNames) {
		return syncNames[m]
	}
	return fmt.Sprintf("SyncMethod(%d)", int(m))
}

// ParseSyncMethod parses fdatasync, fsync, odsync or none.
func ParseSyncMethod(s string) (SyncMethod, error) {
	for i, n := range syncNames {
		if s == n {
			return SyncMethod(i), nil
		}
	}
	return 0, fmt.Errorf("unknown sync method %q (want fdatasync, fsync, odsync or none)", s)
}

// Flush makes f's written data durable with method m. For SyncODsync and
// SyncNone there is nothing left to do: the writes already were, or never
// will be.
func Flush(f File, m SyncMethod) error {
	switch m {
	case SyncFdatasync:
		return f.Datasync()
	case SyncFsync:
		return f.Sync()
	}
	return nil
}

// SyncEvent describes one sync of a log file.
type SyncEvent struct {
	Path     string
	Start    time.Time
	Duration time.Duration
	Bytes    int64 // bytes made durable by this sync
	Txns     int   // records made durable by this sync
}

// ExtendEvent describes one preallocation step of a log file.
type ExtendEvent struct {
	Path     string
	Mode     PreallocMode
	From, To int64 // file length before and after
	Duration time.Duration
}

// Sink hears about every sync and extension. Implementations must be cheap
// and must not block: they run on the write path.
type Sink interface {
	Synced(SyncEvent)
	Extended(ExtendEvent)
}

// Discard is a Sink that ignores everything.
var Discard Sink = discard{}

type discard struct{}

func (discard) Synced(SyncEvent)     {}
func (discard) Extended(ExtendEvent) {}

// TimedFlush runs Flush and reports it to sink with the bytes and txns it
// made durable. It is the single way both the transaction log and the probe
// sync, so that their numbers mean the same thing.
func TimedFlush(f File, m SyncMethod, sink Sink, bytes int64, txns int) error {
	if m == SyncNone {
		return nil
	}
	start, d, err := Time(func() error { return Flush(f, m) })
	sink.Synced(SyncEvent{Path: f.Name(), Start: start, Duration: d, Bytes: bytes, Txns: txns})
	return err
}

// clockBase anchors Time's readings. time.Since on a Time that carries a
// monotonic reading reads one clock where time.Now reads two (wall and
// monotonic): on tmpfs, where fdatasync takes ~0.3 µs, the second read
// before and after is a tenth of the figure.
var clockBase = time.Now()

// Time runs op and says when it began and how long it took, reading the
// monotonic clock once on each side. It is how every sync and timed write
// on the log path is measured.
func Time(op func() error) (start time.Time, d time.Duration, err error) {
	t0 := time.Since(clockBase)
	err = op()
	d = time.Since(clockBase) - t0
	return clockBase.Add(t0), d, err
}

// OS is the real file system.
var OS FS = osFS{}

type osFS struct{}

func (osFS) Create(name string) (File, error) {
	return openOS(name, os.O_RDWR|os.O_CREATE|os.O_EXCL)
}

func (osFS) OpenSync(name string) (File, error) {
	return openOS(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|oDsync)
}

func (osFS) OpenAppend(name string) (File, error) {
	f, err := openOS(name, os.O_RDWR)
	if err != nil {
		return nil, err
	}
	if _, err := f.(*osFile).Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (osFS) Open(name string) (File, error) { return openOS(name, os.O_RDONLY) }

func openOS(name string, flag int) (File, error) {
	f, err := os.OpenFile(name, flag, 0o644)
	if err != nil {
		return nil, err
	}
	return &osFile{File: f, fd: int(f.Fd())}, nil
}

func (osFS) Remove(name string) error             { return os.Remove(name) }
func (osFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }
func (osFS) MkdirAll(dir string) error            { return os.MkdirAll(dir, 0o755) }
func (osFS) Stat(name string) (fs.FileInfo, error) {
	return os.Stat(name)
}

func (osFS) ReadDir(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// osFile keeps the descriptor it was opened with: os.File.Fd costs a call
// into the poller per sync, and on tmpfs every nanosecond of the syscall's
// wrapping shows in the figure.
type osFile struct {
	*os.File
	fd int
}

func (f *osFile) Size() (int64, error) {
	fi, err := f.File.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (f *osFile) Datasync() error { return fdatasync(f.fd, f.Name()) }

func (f *osFile) Allocate(off, n int64) error { return fallocate(f.fd, f.Name(), off, n) }
