package bench

import (
	"testing"
	"time"
)

// The wait for the ensemble to serve grows with the tree: a minute for
// small ones, more for a million 1 KiB znodes than a busy machine takes
// to send them to a learner.
func TestStartTimeout(t *testing.T) {
	for _, tc := range []struct {
		keys string
		want time.Duration
	}{{"1000", time.Minute}, {"1000000", 100 * time.Second}} {
		p := planFrom(t, "workload = write\nvalueSize = 1KiB\nkeys = "+tc.keys)
		if got := startTimeout(p); got < tc.want {
			t.Errorf("keys=%s: %v, want at least %v", tc.keys, got, tc.want)
		}
	}
}
