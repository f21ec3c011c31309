package faultfs

import (
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Fixed returns a latency function that always returns d.
func Fixed(d time.Duration) func() time.Duration {
	return func() time.Duration { return d }
}

// Samples returns a latency function that draws uniformly from samples with
// a generator seeded by seed, so that a test can inject a known distribution
// and check the percentiles it measures. The draws are deterministic for
// one goroutine; concurrent callers share the sequence in whatever order
// they arrive. It panics without samples.
func Samples(seed int64, samples ...time.Duration) func() time.Duration {
	if len(samples) == 0 {
		panic("faultfs: Samples needs at least one sample")
	}
	s := slices.Clone(samples)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6c6174656e6379))
	return func() time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return s[rng.IntN(len(s))]
	}
}
