//go:build linux

package disk

import (
	"os"

	"golang.org/x/sys/unix"
)

const oDsync = unix.O_DSYNC

func fdatasync(fd int, name string) error {
	for {
		err := unix.Fdatasync(fd)
		if err != unix.EINTR {
			return wrapPath("fdatasync", name, err)
		}
	}
}

func fallocate(fd int, name string, off, n int64) error {
	for {
		err := unix.Fallocate(fd, 0, off, n)
		if err != unix.EINTR {
			return wrapPath("fallocate", name, err)
		}
	}
}

func wrapPath(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return &os.PathError{Op: op, Path: path, Err: err}
}
