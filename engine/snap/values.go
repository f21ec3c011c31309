package snap

import (
	"bytes"
	"hash/maphash"
	"sync"
	"unsafe"
	"weak"
)

// minShared is the shortest data a Values pool keeps: an entry costs about
// 50 bytes of map and weak pointer, so sharing shorter data would cost more
// than it saves.
const minShared = 64

// Values is a pool of node data shared by snapshot reads: members that
// restore the same starting snapshot hold each distinct value once instead
// of once per member. Data from a pool is shared and must never be
// modified; the data tree replaces a node's data and never writes into it.
//
// The pool holds its values weakly: a value lives as long as some member's
// tree refers to it, not as long as the pool. A workload that rewrites
// every preloaded key therefore frees the starting tree's values once all
// members have replaced them, as each member's own copies would be freed.
// It is safe for concurrent use.
type Values struct {
	seed   maphash.Seed
	shards [64]valueShard
}

type valueShard struct {
	mu sync.Mutex
	m  map[uint64]sharedValue
	// sweepAt is the size at which the shard next drops entries whose
	// value was collected: sweeping when the map has doubled since the last
	// sweep keeps the cost per insert constant.
	sweepAt int
	_       [32]byte // keeps neighbouring shards' locks off one cache line
}

// sharedValue is a weak reference to a value's bytes: the pointer to its
// first byte (the start of its allocation) and its length.
type sharedValue struct {
	first weak.Pointer[byte]
	n     int
}

func (s sharedValue) bytes() []byte {
	p := s.first.Value()
	if p == nil {
		return nil
	}
	return unsafe.Slice(p, s.n)
}

// minSweep is the smallest shard size that is swept at all.
const minSweep = 1024

// NewValues returns an empty pool.
func NewValues() *Values {
	v := &Values{seed: maphash.MakeSeed()}
	for i := range v.shards {
		v.shards[i].m = make(map[uint64]sharedValue)
		v.shards[i].sweepAt = minSweep
	}
	return v
}

// get returns the pool's copy of b, adding one when it has none. Data
// whose hash another live value holds keeps a copy of its own: a collision
// costs memory, never correctness.
func (v *Values) get(b []byte) []byte {
	if len(b) < minShared {
		return bytes.Clone(b)
	}
	h := maphash.Bytes(v.seed, b)
	s := &v.shards[h%uint64(len(v.shards))]
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.m[h].bytes(); old != nil {
		if bytes.Equal(old, b) {
			return old
		}
		return bytes.Clone(b)
	}
	c := bytes.Clone(b)
	s.m[h] = sharedValue{first: weak.Make(&c[0]), n: len(c)}
	if len(s.m) >= s.sweepAt {
		s.sweep()
	}
	return c
}

// sweep drops the entries whose value was collected.
func (s *valueShard) sweep() {
	for h, e := range s.m {
		if e.first.Value() == nil {
			delete(s.m, h)
		}
	}
	s.sweepAt = max(minSweep, 2*len(s.m))
}

// size is the number of entries the pool holds, live or not yet swept.
func (v *Values) size() int {
	n := 0
	for i := range v.shards {
		s := &v.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}
