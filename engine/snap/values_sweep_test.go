package snap

import (
	"encoding/binary"
	"runtime"
	"testing"
)

// Entries whose values were collected are swept as the pool grows, so a
// long life of restores and rewrites keeps the pool's map near the number
// of live values.
func TestValuesSweepCollectedEntries(t *testing.T) {
	const n = 70_000 // over minSweep entries in each of the 64 shards
	fill := func(pool *Values, base int) [][]byte {
		kept := make([][]byte, 0, n)
		for i := range n {
			v := make([]byte, minShared)
			binary.BigEndian.PutUint64(v, uint64(base+i))
			kept = append(kept, pool.get(v))
		}
		return kept
	}
	pool := NewValues()
	fill(pool, 0) // dropped at once, as a rewritten tree drops its values
	if got := pool.size(); got != n {
		t.Fatalf("%d entries for %d live values", got, n)
	}
	runtime.GC()
	second := fill(pool, n)
	if got := pool.size(); got >= 3*n/2 {
		t.Errorf("%d entries for %d live values after %d were collected: dead entries are not swept", got, len(second), n)
	}
}
