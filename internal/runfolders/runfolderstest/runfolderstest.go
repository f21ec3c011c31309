// Package runfolderstest keeps the run records of a package's tests out
// of the user's own: `zkbench purge --stale` run by hand must not find a
// test's folders (the tests kill runs on purpose), nor a test the user's.
package runfolderstest

import (
	"fmt"
	"os"
	"testing"
)

// Main runs m with the records in a temporary cache folder, removed
// afterwards, and exits with m's code. Call it from TestMain.
func Main(m *testing.M) {
	cache, err := os.MkdirTemp("", "zkbench-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	code := m.Run()
	os.RemoveAll(cache)
	os.Exit(code)
}
