package workloads

import "testing"

// The barrier's reading of its folder: complete when every driver has a
// node newer than the last completed barrier, or when a barrier that
// completed after this driver arrived left its marker.
func TestBarrierArrived(t *testing.T) {
	two := Share{I: 1, N: 2}
	tests := []struct {
		name      string
		names     []string
		mine      int64
		done      bool
		wantReady string
	}{
		{"alone", []string{"d1-0000000003"}, 3, false, ""},
		{"both", []string{"d1-0000000003", "d2-0000000004"}, 3, true, "ready-0000000004"},
		{"a stale node of an earlier barrier", []string{"ready-0000000002", "d2-0000000001", "d1-0000000003"}, 3, false, ""},
		{"completed after I came", []string{"ready-0000000004"}, 3, true, ""},
		{"a marker older than me", []string{"ready-0000000002", "d1-0000000003"}, 3, false, ""},
		{"foreign names", []string{"d1-0000000003", "x", "d9-0000000005", "dx-1"}, 3, false, ""},
	}
	for _, tt := range tests {
		done, ready := two.arrived(tt.names, tt.mine)
		if done != tt.done || ready != tt.wantReady {
			t.Errorf("%s: done %v ready %q, want %v %q", tt.name, done, ready, tt.done, tt.wantReady)
		}
	}
}
