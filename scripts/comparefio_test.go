package scripts

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareFioVerdict runs compare-fio.sh with stand-ins for fio and
// zkbench that report given medians, so that its verdict is tested
// without timing anything: within 10% passes; on tmpfs, where a sync
// costs ~0.2 µs, Go's ~0.1 µs system call overhead passes too; more
// fails.
func TestCompareFioVerdict(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("compare-fio.sh needs jq")
	}
	for _, tc := range []struct {
		name        string
		fioNs, zkNs int
		code        int
		want        string
	}{
		{"disk, within 10%", 160_000, 170_000, 0, "zkbench median within 6.2% of fio's"},
		{"disk, 20% off", 100_000, 120_000, 1, "zkbench median is 20% (20.00 µs) off fio's"},
		{"tmpfs, Go's syscall overhead", 180, 270, 0, "only 0.09 µs off fio's: Go's ~0.1 µs system call overhead, accepted"},
		{"tmpfs, more than the overhead", 180, 500, 1, "zkbench median is 178% (0.32 µs) off fio's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := t.TempDir()
			fio := fmt.Sprintf("#!/bin/sh\necho '{\"jobs\":[{\"sync\":{\"lat_ns\":{\"percentile\":{\"50.000000\":%d,\"99.000000\":%d}}}}]}'\n", tc.fioNs, 2*tc.fioNs)
			// The stand-in probe writes probe.json into its --out folder.
			zk := fmt.Sprintf("#!/bin/bash\nwhile [ $# -gt 0 ]; do [ \"$1\" = --out ] && out=$2; shift; done\n"+
				"mkdir -p \"$out\" && echo '{\"probes\":[{\"latency_ns\":{\"p50\":%d,\"p99\":%d}}]}' >\"$out/probe.json\"\n", tc.zkNs, 2*tc.zkNs)
			for name, text := range map[string]string{"fio": fio, "zkbench": zk} {
				if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			dir := t.TempDir()
			env := []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "ZKBENCH=" + filepath.Join(bin, "zkbench"), "ROUNDS=3"}
			code, out := script(t, env, "compare-fio.sh", dir, "10")
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, output:\n%s\nwant exit %d and %q", code, out, tc.code, tc.want)
			}
			if names, _ := os.ReadDir(dir); len(names) != 0 {
				t.Errorf("%s holds %v", dir, names)
			}
		})
	}
}
