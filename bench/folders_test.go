package bench

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"zkbench/internal/runfolders"
)

// shortRun is a one-member write run of 200 ms, in profile keys.
var shortRun = []string{"servers", "1", "workload", "write", "clients", "2", "keys", "10",
	"warmup", "0s", "duration", "200ms", "clientTransport", "direct"}

// markers lists the run markers under dir.
func markers(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == runfolders.Marker {
			found = append(found, path)
		}
		return nil
	})
	return found
}

// A --data-dir and --data-log-dir that do not exist are created with
// their parents, named before the run starts, and removed after it, and
// nothing that was there before; --keep-data keeps them, unmarked.
func TestRunCreatesMissingDataParents(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run("keepData="+strconv.FormatBool(keep), func(t *testing.T) {
			base := t.TempDir()
			foreign := filepath.Join(base, "theirs")
			os.WriteFile(foreign, []byte("x"), 0o644)
			data, logs := filepath.Join(base, "new", "data"), filepath.Join(base, "newlog", "logs")
			out := filepath.Join(t.TempDir(), "out")
			notices, err := runOnDisk(t, newFullDisk(1<<40), out, append(slices.Clone(shortRun),
				"dataDir", data, "dataLogDir", logs, "keepData", strconv.FormatBool(keep))...)
			if err != nil {
				t.Fatal(err)
			}
			named := "data folders: " + filepath.Join(data, "server1") + " " + filepath.Join(logs, "server1") + " ("
			if !strings.Contains(notices, named) {
				t.Errorf("notices lack %q:\n%s", named, notices)
			}
			want := []string{"theirs"}
			if keep {
				want = []string{"new", "newlog", "theirs"}
				if _, err := os.Stat(filepath.Join(logs, "server1", "version-2")); err != nil {
					t.Errorf("kept log folder: %v", err)
				}
			}
			var got []string
			ents, _ := os.ReadDir(base)
			for _, e := range ents {
				got = append(got, e.Name())
			}
			if !slices.Equal(got, want) {
				t.Errorf("base holds %v, want %v", got, want)
			}
			if m := append(markers(t, base), markers(t, out)...); len(m) > 0 {
				t.Errorf("markers left after a finished run: %v", m)
			}
			if _, err := os.Stat(filepath.Join(out, "result.json")); err != nil {
				t.Error(err)
			}
		})
	}
}

// The case: 1000 keys of 64 KiB on three members, preloaded by
// creates, is 188 MiB of preload alone, and with snapCount 1000 two snapshots of that tree per
// member come on top: more than a disk with 300 MiB free holds, which
// the old check (preallocation and a margin) let through. The run is
// refused before it writes anything, with the estimate and the free
// space named, and leaves nothing behind.
func TestRunRefusesWhatWouldFillTheDisk(t *testing.T) {
	old := freeSpace
	t.Cleanup(func() { freeSpace = old })
	freeSpace = func(string) (int64, bool) { return 300 << 20, true }
	base := t.TempDir()
	d := newFullDisk(300 << 20)
	out := filepath.Join(base, "out")
	_, err := runOnDisk(t, d, out, "servers", "3", "workload", "write", "keys", "1000", "valueSize", "64KiB", "preload", "create",
		"rate", "100", "warmup", "0s", "duration", "1s", "snapCount", "1000", "dataDir", filepath.Join(base, "data"))
	if err == nil || !strings.Contains(err.Error(), "--data-dir "+filepath.Join(base, "data")+": 300MiB free, this run needs about ") ||
		!strings.Contains(err.Error(), "3 members × (a log of 1100 txns") {
		t.Fatalf("err = %v, want a refusal naming the free space and the estimate", err)
	}
	if n := d.hits.Load(); n > 0 || d.left.Load() != 300<<20 {
		t.Errorf("the refused run wrote %d bytes (%d refused writes)", 300<<20-d.left.Load(), n)
	}
	if left, _ := os.ReadDir(base); len(left) != 0 {
		t.Errorf("a refused run left %v", left)
	}
}

func TestEstimateSpace(t *testing.T) {
	const rec64K = 64<<10 + txnOverhead // a 64 KiB value's record; its node is as big
	for _, tc := range []struct {
		name       string
		settings   []string
		txns       int64
		logBytes   int64
		snapshots  int64
		tree       int64
		closedLoop bool
	}{
		{"issue: preload of 1000 × 64KiB, 100 writes/s for 10s",
			[]string{"workload", "write", "keys", "1000", "valueSize", "64KiB", "rate", "100", "warmup", "0s", "duration", "10s"},
			2000, 2000 * rec64K, 0, 1000 * rec64K, false},
		{"mixed at 1000 ops/s: a tenth writes, warm-up counted",
			[]string{"workload", "mixed", "readRatio", "0.9", "keys", "10", "valueSize", "64KiB", "rate", "1000", "warmup", "5s", "duration", "10s"},
			10 + 1500, 1510 * rec64K, 0, 10 * rec64K, false},
		{"closed loop: 600 writes/s a client",
			[]string{"workload", "write", "keys", "10", "valueSize", "64KiB", "clients", "4", "warmup", "1s", "duration", "2s"},
			10 + 7200, 7210 * rec64K, 0, 10 * rec64K, true},
		{"closed loop without syncs: 1500 writes/s a client",
			[]string{"workload", "write", "keys", "10", "valueSize", "64KiB", "clients", "4", "warmup", "1s", "duration", "2s", "forceSync", "false"},
			10 + 18000, 18010 * rec64K, 0, 10 * rec64K, true},
		{"snapCount 1000, randomized: one every 501 txns at most",
			[]string{"workload", "write", "keys", "10", "valueSize", "64KiB", "rate", "1000", "warmup", "0s", "duration", "10s", "snapCount", "1000"},
			10010, 10010 * rec64K, 10010 / 501, 10 * rec64K, false},
		{"preload by snapshot: no txns logged, a starting snapshot",
			[]string{"preload", "snapshot", "workload", "write", "keys", "1000", "valueSize", "64KiB", "rate", "100", "warmup", "0s", "duration", "10s"},
			1000, 1000 * rec64K, 1, 1000 * rec64K, false},
		{"reads only: the preload is all",
			[]string{"workload", "read", "keys", "100", "valueSize", "64KiB", "warmup", "0s", "duration", "10s"},
			100, 100 * rec64K, 0, 100 * rec64K, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// snapCount 100000 unless the case sets it: the quick profile's
			// 10000 would snapshot in most cases. A preload by creates
			// unless the case sets it, the one that logs the keys.
			plan := quickPlan(t, append([]string{"snapCount", "100000", "preload", "create"}, tc.settings...)...)
			e := estimateSpace(plan)
			if e.txns != tc.txns || e.logBytes != tc.logBytes || e.snapshots != tc.snapshots || e.tree != tc.tree || e.closedLoop != tc.closedLoop {
				t.Errorf("got txns %d log %d snapshots %d tree %d closed loop %v\nwant txns %d log %d snapshots %d tree %d closed loop %v",
					e.txns, e.logBytes, e.snapshots, e.tree, e.closedLoop, tc.txns, tc.logBytes, tc.snapshots, tc.tree, tc.closedLoop)
			}
			if e.members != 3 {
				t.Errorf("members %d", e.members)
			}
		})
	}
}
