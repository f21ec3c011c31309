// Package runfolderstest keeps the run records of a package's tests out
// of the user's own: `zkbench purge --stale` run by hand must not find a
// test's folders (the tests kill runs on purpose), nor a test the user's.
package runfolderstest

import (
	"fmt"
	"os"
	"testing"
)

// inherited names the cache folder of the test process that started this
// one: a test that runs its own binary as a child (and may kill it) shares
// the parent's folder, which the parent removes.
const inherited = "ZKBENCH_TEST_CACHE"

// Main runs m with the records in a temporary cache folder, removed
// afterwards, and exits with m's code. Call it from TestMain.
func Main(m *testing.M) {
	if cache := os.Getenv(inherited); cache != "" {
		os.Setenv("XDG_CACHE_HOME", cache)
		os.Exit(m.Run())
	}
	cache, err := os.MkdirTemp("", "zkbench-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	os.Setenv(inherited, cache)
	code := m.Run()
	os.RemoveAll(cache)
	os.Exit(code)
}
