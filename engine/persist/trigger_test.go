package persist

import (
	"math/rand/v2"
	"testing"
)

// gaps returns how many txns pass between consecutive triggers.
func gaps(tr *SnapTrigger, txns int, size int64) []int {
	var out []int
	n := 0
	for range txns {
		n++
		if tr.Appended(size) {
			out = append(out, n)
			n = 0
		}
	}
	return out
}

func TestSnapTriggerRandomizedRange(t *testing.T) {
	// With ZooKeeper's fixtures' snapCount=50, log files hold 26..50 txns.
	tr := NewSnapTrigger(50, 0, true, rand.New(rand.NewPCG(1, 2)))
	g := gaps(tr, 100000, 100)
	lo, hi := g[0], g[0]
	seen := map[int]bool{}
	for _, n := range g {
		lo, hi = min(lo, n), max(hi, n)
		seen[n] = true
	}
	if lo != 26 || hi != 50 {
		t.Errorf("gaps span [%d, %d], want [26, 50]", lo, hi)
	}
	if len(seen) != 25 {
		t.Errorf("%d distinct gaps, want all 25 of [26, 50]", len(seen))
	}
}

func TestSnapTriggerFixed(t *testing.T) {
	tr := NewSnapTrigger(1000, 0, false, nil)
	for _, n := range gaps(tr, 10000, 100) {
		if n != 1000 {
			t.Fatalf("gap %d, want exactly 1000", n)
		}
	}
	if tr.Threshold() != 1000 {
		t.Errorf("threshold %d", tr.Threshold())
	}
}

func TestSnapTriggerSize(t *testing.T) {
	// 1 KiB records against a 64 KiB size limit, far below snapCount.
	tr := NewSnapTrigger(100000, 64<<10, false, nil)
	for _, n := range gaps(tr, 1000, 1024) {
		if n != 64 {
			t.Fatalf("gap %d txns, want 64 (64 KiB of 1 KiB records)", n)
		}
	}
	tr = NewSnapTrigger(100000, 64<<10, true, rand.New(rand.NewPCG(3, 4)))
	for _, n := range gaps(tr, 10000, 1024) {
		if n < 33 || n > 64 {
			t.Fatalf("randomized size gap %d txns, want 33..64", n)
		}
	}
}

func TestSnapTriggerMinimum(t *testing.T) {
	tr := NewSnapTrigger(0, 0, false, nil)
	if g := gaps(tr, 10, 1); g[0] != MinSnapCount {
		t.Errorf("snapCount 0 gives gap %d, want %d", g[0], MinSnapCount)
	}
}
