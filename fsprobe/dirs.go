package fsprobe

import (
	"errors"
	"io/fs"

	"zkbench/engine/disk"
	"zkbench/internal/fserr"
	"zkbench/internal/runfolders"
)

// MakeMissingDirs creates each of dirs that fsys does not have, with its
// missing parents, so that the folder a log will live in can be probed
// before it exists. The folders go into set, which removes them (and only
// them) when it ends. It returns the outermost folder created for each.
func MakeMissingDirs(fsys disk.FS, set *runfolders.Set, dirs []string) ([]string, error) {
	var created []string
	for _, d := range dirs {
		if _, err := fsys.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			continue // CheckDir tells what else is wrong with it
		}
		made, err := set.MkdirAll(d)
		if len(made) > 0 {
			created = append(created, made[0])
		}
		if err != nil {
			return created, &DirError{Dir: d, Problem: "cannot be created", Err: fserr.Reason(err)}
		}
	}
	return created, nil
}
