package disk

import (
	"errors"
	"fmt"
	"io/fs"
)

// ErrReadOnly is what a ReadOnly file system answers to anything that
// would change it.
var ErrReadOnly = errors.New("read-only file system")

// ReadOnly returns fsys with every change refused with ErrReadOnly: the
// view for inspecting folders zkbench does not own (a production dataDir,
// another run's), so that no code path can alter them, whoever runs it
// (root ignores file modes). Files are opened read-only. MkdirAll of a
// directory that exists succeeds, as it changes nothing.
func ReadOnly(fsys FS) FS { return readOnlyFS{fsys} }

type readOnlyFS struct{ fs FS }

func refused(op, name string) error { return &fs.PathError{Op: op, Path: name, Err: ErrReadOnly} }

func (r readOnlyFS) Create(name string) (File, error) { return nil, refused("create", name) }
func (r readOnlyFS) OpenAppend(name string) (File, error) {
	return nil, refused("open for append", name)
}
func (r readOnlyFS) OpenSync(name string) (File, error)   { return nil, refused("create", name) }
func (r readOnlyFS) Remove(name string) error             { return refused("remove", name) }
func (r readOnlyFS) Rename(old, _ string) error           { return refused("rename", old) }
func (r readOnlyFS) SyncDir(dir string) error             { return refused("sync", dir) }
func (r readOnlyFS) Open(name string) (File, error)       { return r.fs.Open(name) }
func (r readOnlyFS) ReadDir(dir string) ([]string, error) { return r.fs.ReadDir(dir) }
func (r readOnlyFS) Stat(name string) (fs.FileInfo, error) {
	return r.fs.Stat(name)
}

func (r readOnlyFS) MkdirAll(dir string) error {
	fi, err := r.fs.Stat(dir)
	switch {
	case err == nil && fi.IsDir():
		return nil
	case err == nil:
		return refused("mkdir", dir)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w (it does not exist)", refused("mkdir", dir))
	}
	return err
}
