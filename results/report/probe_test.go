package report

import (
	"strings"
	"testing"

	"zkbench/results"
	"zkbench/results/device"
)

// TestProbeVerdictDurability: the report judges a directory as the probe
// command does: memory is not durable, syncs faster than stable storage
// are doubted, and a file from before latency_ns falls back to µs.
func TestProbeVerdictDurability(t *testing.T) {
	no := false
	doc := func(f device.Facts, p50us, p50ns int64) *results.Probe {
		return &results.Probe{
			Dirs: []results.ProbeDir{{Dir: "/d", Device: f}},
			Probes: []results.ProbeEntry{{Dir: "/d", Sync: "fdatasync", Count: 10,
				Latency: results.Percentiles{P50: p50us}, LatencyNs: results.Percentiles{P50: p50ns}}},
		}
	}
	ssd := device.Facts{Device: "nvme0n1", FSType: "xfs", Rotational: &no}
	for _, tc := range []struct {
		name       string
		doc        *results.Probe
		class      string
		want, lack string
	}{
		{"tmpfs", doc(device.Facts{FSType: "tmpfs", Device: "tmpfs", Virtual: true}, 0, 300), "bad", "not durable", "good for"},
		{"ssd", doc(ssd, 40, 40_000), "good", "good for", "but"},
		{"ssd too fast", doc(ssd, 2, 2_000), "caution", "good for a ZooKeeper transaction log (p99 under 10.0 ms); but a median sync of 2.0 µs", "not durable"},
		{"no latency_ns", doc(ssd, 40, 0), "good", "good for", "but"},
	} {
		c := probeVerdict(tc.doc, "/d", 100, 10_000)
		if c.Class != tc.class || !strings.Contains(c.Text, tc.want) || strings.Contains(c.Text, tc.lack) {
			t.Errorf("%s: %+v, want class %s saying %q and not %q", tc.name, c, tc.class, tc.want, tc.lack)
		}
	}
}
