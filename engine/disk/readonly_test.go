package disk

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Every change through ReadOnly is refused and leaves the folder as it
// was; reads go through.
func TestReadOnlyRefusesChanges(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	ro := ReadOnly(OS)
	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"create", func() error { _, err := ro.Create(filepath.Join(dir, "new")); return err }},
		{"open sync", func() error { _, err := ro.OpenSync(filepath.Join(dir, "new")); return err }},
		{"open append", func() error { _, err := ro.OpenAppend(file); return err }},
		{"remove", func() error { return ro.Remove(file) }},
		{"rename", func() error { return ro.Rename(file, file+".2") }},
		{"sync dir", func() error { return ro.SyncDir(dir) }},
		{"mkdir of a missing dir", func() error { return ro.MkdirAll(filepath.Join(dir, "sub")) }},
		{"mkdir over a file", func() error { return ro.MkdirAll(file) }},
		{"write to an opened file", func() error {
			f, err := ro.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte("x"))
			if err == nil {
				return nil
			}
			return ErrReadOnly // the OS refused: opened read-only
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			var pe *fs.PathError
			if !errors.Is(err, ErrReadOnly) || (tc.name != "write to an opened file" && !errors.As(err, &pe)) {
				t.Errorf("err = %v, want ErrReadOnly naming the path", err)
			}
		})
	}
	names, err := os.ReadDir(dir)
	if b, _ := os.ReadFile(file); err != nil || len(names) != 1 || string(b) != "kept" {
		t.Errorf("folder changed: %v entries, %q, %v", len(names), b, err)
	}
	if err := ro.MkdirAll(dir); err != nil {
		t.Errorf("MkdirAll of an existing dir: %v", err)
	}
	if b, err := ReadFile(ro, file); err != nil || string(b) != "kept" {
		t.Errorf("read %q, %v", b, err)
	}
}
