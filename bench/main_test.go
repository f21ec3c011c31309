package bench

import (
	"fmt"
	"os"
	"testing"
)

// TestMain keeps the records of the runs the tests start (and kill) out
// of the user's own: `zkbench purge --stale` run by hand must not find
// a test's folders, nor a test the user's.
func TestMain(m *testing.M) {
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
