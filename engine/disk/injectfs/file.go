package injectfs

import (
	"io/fs"
	"os"
	"syscall"

	"zkbench/engine/disk"
)

// file is a handle whose writes are noted for a power loss and refused
// on a full disk, and which dies with a Crash.
type file struct {
	disk.File
	fs   *FS
	name string
	gen  uint64
	off  int64 // where the next Write lands
}

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// live holds the FS's lock shared and says whether the handle is alive;
// the caller releases the lock.
func (h *file) live(op string) error {
	h.fs.mu.RLock()
	if h.gen != h.fs.gen {
		h.fs.mu.RUnlock()
		return pathErr(op, h.name, os.ErrClosed)
	}
	return nil
}

// writing checks a write of n bytes at off: alive, and room on the disk.
// On nil the lock is held.
func (h *file) writing(op string) error {
	if err := h.live(op); err != nil {
		return err
	}
	if h.fs.full.Load() {
		h.fs.mu.RUnlock()
		return pathErr(op, h.name, syscall.ENOSPC)
	}
	return nil
}

// wrote notes n bytes written at off. The caller holds the FS's lock
// shared, so that a Crash sees the write and its note together.
func (h *file) wrote(off int64, n int) {
	if n <= 0 {
		return
	}
	h.fs.note(h.name, func(t *track) { t.rewrote(off, off+int64(n)) })
}

func (h *file) Read(p []byte) (int, error) {
	if err := h.live("read"); err != nil {
		return 0, err
	}
	defer h.fs.mu.RUnlock()
	n, err := h.File.Read(p)
	h.off += int64(n)
	return n, err
}

func (h *file) ReadAt(p []byte, off int64) (int, error) {
	if err := h.live("read"); err != nil {
		return 0, err
	}
	defer h.fs.mu.RUnlock()
	return h.File.ReadAt(p, off)
}

func (h *file) Write(p []byte) (int, error) {
	if err := h.writing("write"); err != nil {
		return 0, err
	}
	defer h.fs.mu.RUnlock()
	off := h.off
	n, err := h.File.Write(p)
	h.off += int64(n)
	h.wrote(off, n)
	return n, err
}

func (h *file) WriteAt(p []byte, off int64) (int, error) {
	if err := h.writing("write"); err != nil {
		return 0, err
	}
	defer h.fs.mu.RUnlock()
	n, err := h.File.WriteAt(p, off)
	h.wrote(off, n)
	return n, err
}

func (h *file) Allocate(off, n int64) error {
	if err := h.writing("fallocate"); err != nil {
		return err
	}
	defer h.fs.mu.RUnlock()
	return h.File.Allocate(off, n)
}

func (h *file) Truncate(size int64) error {
	if err := h.live("truncate"); err != nil {
		return err
	}
	cur, err := h.File.Size()
	if err == nil && size > cur && h.fs.full.Load() {
		err = pathErr("truncate", h.name, syscall.ENOSPC)
	}
	if err == nil {
		err = h.File.Truncate(size)
	}
	if err == nil {
		h.fs.note(h.name, func(t *track) { t.truncated(size) })
	}
	h.fs.mu.RUnlock()
	return err
}

func (h *file) Datasync() error { return h.sync("sync", h.File.Datasync) }
func (h *file) Sync() error     { return h.sync("sync", h.File.Sync) }

// sync waits out the injected delay, then syncs: on success the file is
// durable as it is now.
func (h *file) sync(op string, do func() error) error {
	h.fs.sleep()
	if err := h.live(op); err != nil {
		return err
	}
	size, err := h.File.Size()
	if err == nil {
		err = do()
	}
	if err == nil {
		h.fs.note(h.name, func(t *track) { t.durable, t.dirty = size, t.dirty[:0] })
	}
	h.fs.mu.RUnlock()
	return err
}

func (h *file) Size() (int64, error) {
	if err := h.live("stat"); err != nil {
		return 0, err
	}
	defer h.fs.mu.RUnlock()
	return h.File.Size()
}

// Close closes the handle; a dead one's descriptor is closed all the same.
func (h *file) Close() error { return h.File.Close() }
