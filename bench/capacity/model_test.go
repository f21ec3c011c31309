package capacity

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/hlog"
	"zkbench/results"
)

func constantSyncs(us int64) *hdrhistogram.Histogram {
	h := hlog.NewHistogram()
	for range 1000 {
		h.RecordValue(us)
	}
	return h
}

func TestModelCeiling(t *testing.T) {
	sla := results.CapacitySLA{Percentile: 99, MaxUs: 10_000}
	t.Run("syncs alone never reach the SLA", func(t *testing.T) {
		m := Model{RecordBytes: 1124, SLA: sla, MaxRate: 50_000}
		if rate, bound := m.Ceiling(constantSyncs(1000)); bound || rate != 50_000 {
			t.Errorf("ceiling %v bound %v: want no disk bound below the cap", rate, bound)
		}
	})
	t.Run("a sync over the SLA", func(t *testing.T) {
		m := Model{RecordBytes: 1124, SLA: sla}
		if rate, bound := m.Ceiling(constantSyncs(12_000)); !bound || rate != 0 {
			t.Errorf("ceiling %v bound %v: want 0", rate, bound)
		}
	})
	t.Run("bandwidth bound", func(t *testing.T) {
		// A sync of S µs carries rate·S writes, each 1,124 bytes at
		// 3/10 µs a byte (10 MB/s shared by 3): S = 1000 + rate·S·1124·0.3e-6.
		// A write waits for the sync under way, then its own: about 2S
		// ≤ 10 ms, S ≤ 5 ms, rate ≤ 0.8/(1124·0.3e-6) ≈ 2,372/s.
		m := Model{RecordBytes: 1124, SLA: sla, SharedDevice: true, BandwidthBps: 10e6}
		rate, bound := m.Ceiling(constantSyncs(1000))
		if !bound || rate < 0.8*2372 || rate > 1.25*2372 {
			t.Errorf("ceiling %v bound %v: want about 2,372", rate, bound)
		}
		again, _ := m.Ceiling(constantSyncs(1000))
		if again != rate {
			t.Errorf("ceiling %v then %v: not deterministic", rate, again)
		}
	})
}

// BenchmarkModelPercentile is one rate's simulation, the search's unit
// of work (about 20 per prediction).
func BenchmarkModelPercentile(b *testing.B) {
	m := Model{RecordBytes: 1124, SLA: results.CapacitySLA{Percentile: 99, MaxUs: 10_000}, SharedDevice: true, BandwidthBps: 500e6}
	syncs := constantSyncs(300)
	for b.Loop() {
		m.Percentile(syncs, 5000)
	}
}

// writeProbe writes a probe folder of one fdatasync/zookeeper case per
// dir, each with syncs of us microseconds, as a probe from before
// concurrent writers wrote it (no writers field).
func writeProbe(t *testing.T, us int64, dirs ...string) string {
	t.Helper()
	var cases []probeCaseSpec
	for _, d := range dirs {
		cases = append(cases, probeCaseSpec{dir: d, us: us})
	}
	return writeProbeCases(t, cases...)
}

// probeCaseSpec is one fdatasync/zookeeper case of a synthetic probe:
// its syncs all take us microseconds.
type probeCaseSpec struct {
	dir     string
	writers int // 0: absent, as in a probe.json from before concurrent writers
	batch   bool
	us      int64
}

func writeProbeCases(t *testing.T, cases ...probeCaseSpec) string {
	t.Helper()
	folder := t.TempDir()
	doc := &results.Probe{}
	for i, c := range cases {
		h := constantSyncs(c.us)
		h.SetStartTimeMs(1000)
		h.SetEndTimeMs(2000)
		name := fmt.Sprintf("%d.hlog", i+1)
		if err := hlog.WriteFile(filepath.Join(folder, name), time.Unix(1, 0), []*hdrhistogram.Histogram{h}); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(doc.Dirs, func(d results.ProbeDir) bool { return d.Dir == c.dir }) {
			doc.Dirs = append(doc.Dirs, results.ProbeDir{Dir: c.dir, Bandwidth: &results.ProbeBandwidth{MBs: 1000}})
		}
		block := 2300
		if c.batch {
			block *= 8
		}
		doc.Probes = append(doc.Probes, results.ProbeEntry{Dir: c.dir, Mount: c.dir, Sync: "fdatasync", PreallocMode: "zookeeper",
			BlockSize: block, Count: 1000, Writers: c.writers, Batch: c.batch, Hlog: name})
	}
	if err := doc.WriteFile(filepath.Join(folder, results.ProbeFile)); err != nil {
		t.Fatal(err)
	}
	return folder
}

// TestPredictPicksWriters: the prediction draws from the case with as
// many writers as members share the device, with its batch case, and
// else from the one-writer case, saying the prediction is optimistic.
func TestPredictPicksWriters(t *testing.T) {
	sla := results.CapacitySLA{Percentile: 99, MaxUs: 10_000}
	one := probeCaseSpec{dir: "/d", writers: 1, us: 100}
	three := probeCaseSpec{dir: "/d", writers: 3, us: 300}
	threeBatch := probeCaseSpec{dir: "/d", writers: 3, batch: true, us: 700}
	for _, tc := range []struct {
		name        string
		members     int
		cases       []probeCaseSpec
		writers     int   // of the case used
		p50         int64 // its median sync
		batchBlock  int
		note, lacks string
		err         string
	}{
		{"three members, three writers", 3, []probeCaseSpec{one, three, threeBatch}, 3, 300, 18400,
			"3 writers at once, as the members share the device; a 18400-byte sync p50 700 µs", "optimistic", ""},
		{"the batch case missing", 3, []probeCaseSpec{one, three}, 3, 300, 0,
			"3 writers at once, as the members share the device; a batch's bytes beyond the probe's block at the sequential 1000 MB/s shared", "optimistic", ""},
		{"a probe from before writers", 3, []probeCaseSpec{{dir: "/d", us: 100}}, 1, 100, 0,
			"one writer at a time: the probe has no 3-writer case, so the prediction is optimistic", "18400", ""},
		{"five members, no five-writer case", 5, []probeCaseSpec{one, three, threeBatch}, 1, 100, 0,
			"the probe has no 5-writer case, so the prediction is optimistic on a device that serializes the members' concurrent flushes (probe with --writers 1,5)", "18400", ""},
		{"one member", 1, []probeCaseSpec{one, three, threeBatch}, 1, 100, 0, "one writer at a time; a batch's bytes", "optimistic", ""},
		{"only three writers probed", 3, []probeCaseSpec{three}, 3, 300, 0, "3 writers at once", "optimistic", ""},
		{"neither probed", 5, []probeCaseSpec{three}, 0, 0, 0, "", "", "no fdatasync/zookeeper case of /d with 5 writers or one: probe with --writers 1,5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Model{Members: tc.members, RecordBytes: 1124, SLA: sla, MaxRate: 20_000}
			p, err := PredictFromProbe(writeProbeCases(t, tc.cases...), "", m)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Writers != tc.writers || p.SyncP50Us != tc.p50 || p.BatchBlockBytes != tc.batchBlock || p.Members != tc.members {
				t.Errorf("writers %d, p50 %d µs, batch block %d, members %d; want %d, %d, %d, %d",
					p.Writers, p.SyncP50Us, p.BatchBlockBytes, p.Members, tc.writers, tc.p50, tc.batchBlock, tc.members)
			}
			if !strings.Contains(p.Note, tc.note) || strings.Contains(p.Note, tc.lacks) {
				t.Errorf("note %q\nwant it to say %q and not %q", p.Note, tc.note, tc.lacks)
			}
		})
	}
}

// TestPredictUsesConcurrentCosts: slower concurrent syncs, and a batch
// block that costs more than the bandwidth says, each lower the ceiling.
func TestPredictUsesConcurrentCosts(t *testing.T) {
	m := Model{Members: 3, RecordBytes: 1124, SLA: results.CapacitySLA{Percentile: 99, MaxUs: 10_000}, MaxRate: 5000}
	ceiling := func(cases ...probeCaseSpec) float64 {
		t.Helper()
		p, err := PredictFromProbe(writeProbeCases(t, cases...), "", m)
		if err != nil {
			t.Fatal(err)
		}
		if !p.DiskBound {
			t.Fatalf("%+v: not disk bound", p)
		}
		return p.MaxRateOpsS
	}
	// Syncs of nearly 5 ms: a write waits for the sync under way and
	// its own, so the few µs a batch's bytes add decide where 10 ms is
	// crossed.
	one := probeCaseSpec{dir: "/d", writers: 1, us: 4990}
	three := probeCaseSpec{dir: "/d", writers: 3, us: 4995}
	alone := ceiling(one)
	concurrent := ceiling(one, three)
	batch := ceiling(one, three, probeCaseSpec{dir: "/d", writers: 3, batch: true, us: 9000})
	if !(batch < concurrent && concurrent < alone) {
		t.Errorf("ceilings: one writer %v, three %v, three with a costly batch %v; want each lower than the one before", alone, concurrent, batch)
	}
}

// TestExtraUs: a batch's bytes beyond the probe's block cost the batch
// case's difference in proportion up to its block, the bandwidth beyond.
func TestExtraUs(t *testing.T) {
	batch := Model{ProbeBlock: 2000, BatchBlock: 18000, BatchCostUs: 400}
	plain := Model{ProbeBlock: 2000}
	const perByte = 0.01 // µs: 100 MB/s
	for _, tc := range []struct {
		m     Model
		bytes int
		want  float64
	}{
		{batch, 1000, 0},
		{batch, 2000, 0},
		{batch, 10000, 200},
		{batch, 18000, 400},
		{batch, 28000, 500},
		{plain, 1000, 0},
		{plain, 12000, 100},
	} {
		if got := tc.m.extraUs(tc.bytes, perByte); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%+v: extraUs(%d) = %v, want %v", tc.m, tc.bytes, got, tc.want)
		}
	}
}

func TestPredictFromProbe(t *testing.T) {
	sla := results.CapacitySLA{Percentile: 99, MaxUs: 10_000}
	m := Model{Members: 3, RecordBytes: 1124, SLA: sla, MaxRate: 20_000}
	t.Run("memory: not the disk", func(t *testing.T) {
		p, err := PredictFromProbe(writeProbe(t, 1, "/dev/shm/p"), "", m)
		if err != nil {
			t.Fatal(err)
		}
		if p.DiskBound || !strings.Contains(p.Note, "the disk is not the limit below 20,000 writes/s") {
			t.Errorf("prediction %+v: want the disk not the limit", p)
		}
	})
	t.Run("a slow disk", func(t *testing.T) {
		p, err := PredictFromProbe(writeProbe(t, 20_000, "/slow"), "", m)
		if err != nil {
			t.Fatal(err)
		}
		if !p.DiskBound || p.MaxRateOpsS != 0 || !strings.Contains(p.Note, "the disk alone is too slow") {
			t.Errorf("prediction %+v: want no rate", p)
		}
	})
	t.Run("no probed dir on the log's mount", func(t *testing.T) {
		_, err := PredictFromProbe(writeProbe(t, 100, "/a", "/b"), t.TempDir(), m)
		if err == nil || !strings.Contains(err.Error(), "no probed directory is on") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("not a probe folder", func(t *testing.T) {
		dir := t.TempDir()
		_, err := PredictFromProbe(dir, "", m)
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("error %v: want the folder named", err)
		}
	})
}
