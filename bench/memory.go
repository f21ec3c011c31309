package bench

import (
	"errors"
	"fmt"

	"github.com/shirou/gopsutil/v3/mem"

	"zkbench/internal/size"
)

// What an embedded run holds in memory, estimated before it starts so that
// a tree too large for the machine is refused instead of the process being
// killed half-way through a preload. Every member holds the whole tree;
// the values the members restore from their starting snapshot are shared
// (snap.Values), while a value a write brings is each member's own.
const (
	// znodeMemory is what a znode costs a member besides its data: the
	// tree's node, path and indexes, measured by engine's
	// BenchmarkEnsembleMemoryPerZnode (250 bytes) plus a key's path.
	znodeMemory = 250 + 32
	// gcHeadroom is the Go heap's size over what is live: the collector
	// lets the heap grow to twice the live data (GOGC=100) before it runs.
	gcHeadroom = 2
)

// ErrNoMemory refuses a run whose tree would not fit in the memory
// available.
var ErrNoMemory = errors.New("not enough memory")

// memoryEstimate is what an embedded run's trees take.
type memoryEstimate struct {
	members int
	znodes  int64
	shared  int64 // the starting values, held once
	own     int64 // values writes bring, per member
}

func estimateMemory(p *Plan) memoryEstimate {
	c, s := p.engine, p.spec
	value := int64(s.Values.Mean())
	writes, _ := measuredWrites(s, value, closedLoopUnsyncedWrites)
	e := memoryEstimate{members: c.Servers + c.Observers, znodes: int64(s.Keys)}
	if s.Preload {
		e.shared = e.znodes * value
	}
	e.own = min(writes, e.znodes) * value
	// Ephemerals come by writes: each member holds its own copy.
	e.znodes += int64(s.Ephemerals)
	e.own += int64(s.Ephemerals) * value
	return e
}

// bytes is the process's expected peak.
func (e memoryEstimate) bytes() int64 {
	live := e.shared + int64(e.members)*(e.znodes*znodeMemory+e.own)
	return gcHeadroom * live
}

// checkMemory refuses an embedded plan whose estimate exceeds available.
func checkMemory(p *Plan, available uint64) error {
	if !p.Embedded() {
		return nil
	}
	e := estimateMemory(p)
	if need := e.bytes(); need > int64(min(available, 1<<62)) {
		return fmt.Errorf("%w: keys=%d needs about %s (%d members × %d znodes at %d B each, %s of values held once, %s written per member, ×%d for the garbage collector), %s is available",
			ErrNoMemory, e.znodes, size.Human(need), e.members, e.znodes, znodeMemory,
			size.Human(e.shared), size.Human(e.own), gcHeadroom, size.Human(int64(min(available, 1<<62))))
	}
	return nil
}

// availableMemory is the memory the machine can give without swapping.
func availableMemory() (uint64, error) {
	m, err := mem.VirtualMemory()
	if err != nil {
		return 0, fmt.Errorf("reading the memory available: %w", err)
	}
	return m.Available, nil
}
