package report

import (
	"slices"
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

// TestProbeWriters: the cases table shows each case's writers and block,
// and the verdict, like the command's, judges the one-writer cases: a
// slow concurrent case informs the capacity model, not the verdict.
func TestProbeWriters(t *testing.T) {
	no := false
	entry := func(writers int, batch bool, p99 int64) results.ProbeEntry {
		block := 2300
		if batch {
			block *= 8
		}
		return results.ProbeEntry{Dir: "/d", Sync: "fdatasync", PreallocMode: "zookeeper", Count: 10, BlockSize: block,
			Writers: writers, Batch: batch, Latency: results.Percentiles{P50: 100, P99: p99, Max: p99}}
	}
	doc := &results.Probe{
		Config: results.ProbeConfig{Dirs: []string{"/d"}},
		Dirs:   []results.ProbeDir{{Dir: "/d", Device: device.Facts{Device: "nvme0n1", FSType: "xfs", Rotational: &no}}},
		Probes: []results.ProbeEntry{entry(1, false, 900), entry(3, false, 20_000), entry(3, true, 30_000)},
	}
	probes := []*probe{{label: "p", doc: doc}}
	cases := probeCasesTable(probes)
	wi, bi := slices.Index(cases.Head, "writers"), slices.Index(cases.Head, "block")
	if wi < 0 || bi < 0 || len(cases.Rows) != 3 {
		t.Fatalf("head %q, %d rows", cases.Head, len(cases.Rows))
	}
	for i, want := range [][2]string{{"1", "2300"}, {"3", "2300"}, {"3", "18400"}} {
		if w, b := cases.Rows[i][wi].Text, cases.Rows[i][bi].Text; w != want[0] || b != want[1] {
			t.Errorf("row %d: writers %q block %q, want %q %q", i, w, b, want[0], want[1])
		}
	}
	v := verdictTable(probes)
	if got := v.Rows[0][1].Text; got != "900 µs (fdatasync/zookeeper)" || v.Rows[0][2].Class != "good" {
		t.Errorf("verdict judged on %q (%+v), want the one-writer case's 900 µs and good", got, v.Rows[0][2])
	}
	if got := caseMode(doc.Probes[2]); got != "fdatasync/zookeeper ×3 18400B" {
		t.Errorf("case mode %q", got)
	}
	// A probe of concurrent writers only is judged on them.
	doc.Probes = doc.Probes[1:]
	if v := verdictTable(probes); v.Rows[0][2].Class != "bad" {
		t.Errorf("concurrent-only probe: verdict %+v, want too slow", v.Rows[0][2])
	}
}
