package fserr

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestReason(t *testing.T) {
	other := errors.New("not a file error")
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"path error", &fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, syscall.EACCES},
		{"wrapped path error", fmt.Errorf("create: %w", &fs.PathError{Op: "mkdir", Path: "/y", Err: syscall.ENOSPC}), syscall.ENOSPC},
		{"other", other, other},
		{"nil", nil, nil},
	} {
		if got := Reason(tc.err); got != tc.want {
			t.Errorf("%s: Reason = %v, want %v", tc.name, got, tc.want)
		}
	}
}
