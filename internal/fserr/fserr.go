// Package fserr words file errors for messages that name the file
// already: zkbench's one-line errors say "--dir /x: permission denied",
// not "--dir /x: open /x/.scratch: permission denied".
package fserr

import (
	"errors"
	"io/fs"
)

// Reason is the OS's reason of a *fs.PathError in err, without its
// operation and path; any other error as it is.
func Reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
