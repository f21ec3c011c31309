package bench

import (
	"errors"
	"strings"
	"testing"

	"zkbench/profiles"
)

func TestCheckMemory(t *testing.T) {
	const gib = 1 << 30
	for _, tc := range []struct {
		name      string
		settings  string
		available uint64
		refused   bool
	}{
		// 1M × 1 KiB on 3 members: 1 GiB of shared values and 3 × 282 MB
		// of nodes, doubled: about 3.7 GiB.
		{"a million fits in 24 GiB", "workload = write\nkeys = 1000000\nvalueSize = 1KiB\nrate = 5000\nduration = 20s", 20 * gib, false},
		{"a million does not fit in 2 GiB", "workload = write\nkeys = 1000000\nvalueSize = 1KiB\nrate = 5000\nduration = 20s", 2 * gib, true},
		{"ten million do not fit in 24 GiB", "workload = write\nkeys = 10000000\nvalueSize = 1KiB", 24 * gib, true},
		{"an external target holds its tree elsewhere", "workload = write\nkeys = 10000000\ntarget = zk://127.0.0.1:2181", 1 * gib, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := profiles.Parse("p", "p.profile", strings.NewReader(tc.settings))
			if err != nil {
				t.Fatal(err)
			}
			plan, err := NewPlan(p)
			if err != nil {
				t.Fatal(err)
			}
			err = checkMemory(plan, tc.available)
			if refused := errors.Is(err, ErrNoMemory); refused != tc.refused {
				t.Fatalf("refused %v (%v), want %v", refused, err, tc.refused)
			}
			if tc.refused && !strings.Contains(err.Error(), "is available") {
				t.Errorf("%v: want the estimate and the memory available", err)
			}
		})
	}
}

// The estimate grows with what a run holds: more keys, larger values,
// more members.
func TestEstimateMemoryGrows(t *testing.T) {
	base := "workload = write\nrate = 1000\nduration = 10s\n"
	estimate := func(extra string) int64 {
		p, err := profiles.Parse("p", "p.profile", strings.NewReader(base+extra))
		if err != nil {
			t.Fatal(err)
		}
		plan, err := NewPlan(p)
		if err != nil {
			t.Fatal(err)
		}
		return estimateMemory(plan).bytes()
	}
	small := estimate("keys = 100000\nvalueSize = 1KiB\nservers = 3")
	for _, larger := range []string{
		"keys = 200000\nvalueSize = 1KiB\nservers = 3",
		"keys = 100000\nvalueSize = 4KiB\nservers = 3",
		"keys = 100000\nvalueSize = 1KiB\nservers = 5",
	} {
		if got := estimate(larger); got <= small {
			t.Errorf("%q: %d, not above %d", larger, got, small)
		}
	}
}
