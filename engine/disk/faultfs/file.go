package faultfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// errCrashed is what the handles of a crashed generation fail with.
var errCrashed = fmt.Errorf("handle opened before a simulated crash: %w", os.ErrClosed)

var errNegativeOffset = errors.New("negative offset")

// file is a handle. Its mutable fields are guarded by n.mu, so that a
// handle, like an *os.File, may be used from several goroutines.
type file struct {
	fs         *FS
	n          *node
	name       string // as given to open, like os.File.Name
	gen        uint64
	writable   bool
	syncWrites bool // OpenSync: every write is durable on return

	off    int64 // guarded by n.mu
	closed bool  // guarded by n.mu
}

// lock locks the node and checks the handle may still do op; on error the
// node is left unlocked.
func (f *file) lock(op string, write bool) error {
	f.n.mu.Lock()
	var err error
	switch {
	case f.closed:
		err = os.ErrClosed
	case f.n.dead || f.fs.gen.Load() != f.gen:
		err = errCrashed
	case write && !f.writable:
		err = syscall.EBADF
	default:
		return nil
	}
	f.n.mu.Unlock()
	return &fs.PathError{Op: op, Path: f.name, Err: err}
}

func (f *file) Name() string { return f.name }

func (f *file) Close() error {
	if err := f.lock("close", false); err != nil {
		f.n.mu.Lock()
		f.closed = true
		f.n.mu.Unlock()
		return err
	}
	defer f.n.mu.Unlock()
	f.closed = true
	return nil
}

func (f *file) Read(p []byte) (int, error) {
	if err := f.lock("read", false); err != nil {
		return 0, err
	}
	defer f.n.mu.Unlock()
	n := f.n.readAt(p, f.off)
	f.off += int64(n)
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "readat", Path: f.name, Err: errNegativeOffset}
	}
	if err := f.lock("read", false); err != nil {
		return 0, err
	}
	defer f.n.mu.Unlock()
	n := f.n.readAt(p, off)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *file) Write(p []byte) (int, error) { return f.write("write", p, 0, true) }

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "writeat", Path: f.name, Err: errNegativeOffset}
	}
	return f.write("write", p, off, false)
}

// write writes p at off, or at the handle's offset and advances it when
// atOffset.
func (f *file) write(op string, p []byte, off int64, atOffset bool) (int, error) {
	if f.syncWrites {
		// Sleep before writing so that the write and its durability
		// happen together: a crash during the sleep loses the write and
		// fails the call.
		f.fs.sleep()
	}
	if err := f.lock(op, true); err != nil {
		return 0, err
	}
	defer f.n.mu.Unlock()
	n := f.n
	if atOffset {
		off = f.off
	}
	if len(p) == 0 {
		return 0, nil
	}
	end := off + int64(len(p))
	if grow := end - n.size; grow > 0 && n.linked {
		if err := f.fs.reserve(grow); err != nil {
			return 0, &fs.PathError{Op: op, Path: f.name, Err: err}
		}
	}
	n.writeAt(p, off)
	n.unsynced = extent{off, int64(len(p))}
	n.modTime = time.Now()
	if f.syncWrites {
		// Like an O_DSYNC write whose writeback fails: the bytes are in
		// the file but not durable, and the call reports nothing written.
		if err := f.fs.syncErr(); err != nil {
			f.fs.stats.failedSyncs.Add(1)
			return 0, &fs.PathError{Op: op, Path: f.name, Err: err}
		}
		n.sync()
		f.fs.stats.syncWrites.Add(1)
	}
	if atOffset {
		f.off = end
	}
	f.fs.stats.writes.Add(1)
	f.fs.stats.bytesWritten.Add(int64(len(p)))
	return len(p), nil
}

func (f *file) Size() (int64, error) {
	if err := f.lock("stat", false); err != nil {
		return 0, err
	}
	defer f.n.mu.Unlock()
	return f.n.size, nil
}

func (f *file) Truncate(size int64) error {
	if size < 0 {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: syscall.EINVAL}
	}
	if err := f.lock("truncate", true); err != nil {
		return err
	}
	defer f.n.mu.Unlock()
	n := f.n
	if n.linked {
		if delta := size - n.size; delta > 0 {
			if err := f.fs.reserve(delta); err != nil {
				return &fs.PathError{Op: "truncate", Path: f.name, Err: err}
			}
		} else {
			f.fs.used.Add(delta)
		}
	}
	n.truncate(size)
	n.modTime = time.Now()
	return nil
}

func (f *file) Allocate(off, length int64) error {
	if off < 0 || length <= 0 {
		return &fs.PathError{Op: "fallocate", Path: f.name, Err: syscall.EINVAL}
	}
	if err := f.lock("fallocate", true); err != nil {
		return err
	}
	defer f.n.mu.Unlock()
	n := f.n
	end := off + length
	if grow := end - n.size; grow > 0 {
		if n.linked {
			if err := f.fs.reserve(grow); err != nil {
				return &fs.PathError{Op: "fallocate", Path: f.name, Err: err}
			}
		}
		n.allocate(end)
		n.modTime = time.Now()
	}
	return nil
}

func (f *file) Datasync() error { return f.sync("fdatasync", &f.fs.stats.datasyncs) }

func (f *file) Sync() error { return f.sync("fsync", &f.fs.stats.syncs) }

func (f *file) sync(op string, counter *atomic.Int64) error {
	// Fail fast on a dead handle rather than sleeping first.
	if err := f.lock(op, false); err != nil {
		return err
	}
	f.n.mu.Unlock()
	// The latency comes before the data is made durable, so a crash during
	// it loses the data and fails the call, as it would on a device.
	f.fs.sleep()
	if err := f.lock(op, false); err != nil {
		return err
	}
	defer f.n.mu.Unlock()
	counter.Add(1)
	if err := f.fs.syncErr(); err != nil {
		f.fs.stats.failedSyncs.Add(1)
		return &fs.PathError{Op: op, Path: f.name, Err: err}
	}
	f.n.sync()
	return nil
}
