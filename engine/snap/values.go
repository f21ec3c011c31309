package snap

import (
	"bytes"
	"hash/maphash"
	"sync"
)

// minShared is the shortest data a Values pool keeps: an entry costs about
// 50 bytes of map, so sharing shorter data would cost more than it saves.
const minShared = 64

// Values is a pool of node data shared by snapshot reads: members that
// restore the same starting snapshot hold each distinct value once instead
// of once per member. Data from a pool is shared and must never be
// modified; the data tree replaces a node's data and never writes into it.
// A pool keeps what it shares alive for as long as it is kept itself. It is
// safe for concurrent use.
type Values struct {
	seed   maphash.Seed
	shards [64]valueShard
}

type valueShard struct {
	mu sync.Mutex
	m  map[uint64][]byte
	_  [40]byte // keeps neighbouring shards' locks off one cache line
}

// NewValues returns an empty pool.
func NewValues() *Values {
	v := &Values{seed: maphash.MakeSeed()}
	for i := range v.shards {
		v.shards[i].m = make(map[uint64][]byte)
	}
	return v
}

// get returns the pool's copy of b, adding one when it has none. Data
// whose hash another value holds keeps a copy of its own: a collision
// costs memory, never correctness.
func (v *Values) get(b []byte) []byte {
	if len(b) < minShared {
		return bytes.Clone(b)
	}
	h := maphash.Bytes(v.seed, b)
	s := &v.shards[h%uint64(len(v.shards))]
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[h]; ok {
		if bytes.Equal(old, b) {
			return old
		}
		return bytes.Clone(b)
	}
	c := bytes.Clone(b)
	s.m[h] = c
	return c
}
