package summary

import (
	"strings"
	"testing"

	"zkbench/results"
)

func TestServers(t *testing.T) {
	p99 := int64(4000)
	embedded := &results.Result{Target: "embedded", Servers: []results.Server{{ID: 1, Role: "leader",
		Fsync:     results.Fsync{Count: 10, Txns: 40, Latency: results.Percentiles{P50: 300, P99: 2000}},
		Snapshots: []results.Snapshot{{}}, LogRolls: 1}},
		SnapshotStall: results.SnapshotStall{Windows: 1, WriteP99UsInside: &p99, WritesInside: 5, FsyncP99UsOutside: &p99, FsyncsOutside: 9}}
	mntr := results.Fsync{Source: results.SourceMntr, Count: 10, Latency: results.Percentiles{Mean: 3000}}
	managed := &results.Result{Target: "zookeeper", Servers: []results.Server{{ID: 1, Role: "leader", Fsync: mntr,
		Snapshots: []results.Snapshot{{}, {}}, LogRolls: 2}}, SnapshotStall: embedded.SnapshotStall}
	external := &results.Result{Target: "zk://h:1", Servers: []results.Server{{ID: 1, Role: "follower", Fsync: mntr}}}
	for _, tc := range []struct {
		name      string
		res       *results.Result
		row, note string
		stall     string
	}{
		{"embedded", embedded, "1 leader 10 4.0 300 µs 2.00 ms 1 1", "",
			"snapshot windows: 1; write p99 inside 4.00 ms (n=5) vs outside none; fsync p99 inside none vs outside 4.00 ms (n=9)"},
		{"managed", managed, "1 leader 10 3.00 ms 0 2 2", "mntr",
			"snapshot windows: 1; write p99 inside 4.00 ms (n=5) vs outside none; fsync p99 not measured on this target"},
		{"zk://", external, "1 follower 10 3.00 ms 0 - -", "not watched", ""},
	} {
		rows, right, note := servers(tc.res)
		if len(rows) != 2 || len(right) != len(rows[0]) || strings.Join(strings.Fields(strings.Join(rows[1], " ")), " ") != tc.row {
			t.Errorf("%s: rows %q", tc.name, rows)
		}
		if !strings.Contains(note, tc.note) {
			t.Errorf("%s: note %q", tc.name, note)
		}
		if got := stall(tc.res); got != tc.stall {
			t.Errorf("%s: stall %q, want %q", tc.name, got, tc.stall)
		}
	}
}
