// Package zkfixtures locates the files real ZooKeeper 3.8.0 wrote (logs,
// snapshots, epoch files, and the dumps its own tools printed of them),
// kept in this package's testdata/ so that every test that compares
// zkbench with ZooKeeper runs in a plain clone. testdata/zk-3.8.0/README.md
// says how they were produced.
package zkfixtures

import (
	"path/filepath"
	"runtime"
)

// Dir is the absolute path of the zk-3.8.0 fixture tree. It is derived
// from this file's location at build time, so it is valid wherever the
// source tree is, which is where tests run.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("zkfixtures: no caller information")
	}
	return filepath.Join(filepath.Dir(file), "testdata", "zk-3.8.0")
}
