//go:build linux

package disk

import (
	"os"

	"golang.org/x/sys/unix"
)

const oDsync = unix.O_DSYNC

func fdatasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return wrapPath("fdatasync", f.Name(), err)
		}
	}
}

func fallocate(f *os.File, off, n int64) error {
	for {
		err := unix.Fallocate(int(f.Fd()), 0, off, n)
		if err != unix.EINTR {
			return wrapPath("fallocate", f.Name(), err)
		}
	}
}

func wrapPath(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return &os.PathError{Op: op, Path: path, Err: err}
}
