package summary

import (
	"bytes"
	"strings"
	"testing"

	"zkbench/results"
)

// TestRunStall: the summary's snapshot-stall line gives the
// samples behind each p99, and a side without any is "none", not 0.
func TestRunStall(t *testing.T) {
	p := func(v int64) *int64 { return &v }
	tests := []struct {
		name  string
		stall results.SnapshotStall
		want  string
	}{
		{"counted", results.SnapshotStall{Windows: 3, WriteP99UsInside: p(4110), WriteP99UsOutside: p(26800), WritesInside: 4, WritesOutside: 9000,
			FsyncP99UsInside: p(900), FsyncP99UsOutside: p(800), FsyncsInside: 12, FsyncsOutside: 3000},
			"snapshot windows: 3; write p99 inside 4.11 ms (n=4) vs outside 26.8 ms (n=9000); fsync p99 inside 900 µs (n=12) vs outside 800 µs (n=3000)"},
		{"no write inside", results.SnapshotStall{Windows: 1, WriteP99UsOutside: p(2000), WritesOutside: 50,
			FsyncP99UsOutside: p(700), FsyncsOutside: 20},
			"snapshot windows: 1; write p99 inside none vs outside 2.00 ms (n=50); fsync p99 inside none vs outside 700 µs (n=20)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			Run(&b, &results.Result{Target: "embedded", SnapshotStall: tt.stall}, "out")
			if !strings.Contains(b.String(), tt.want+"\n") {
				t.Errorf("summary:\n%s\nwant the line %q", b.String(), tt.want)
			}
		})
	}
}
