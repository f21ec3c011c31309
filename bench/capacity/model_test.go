package capacity

import (
	"fmt"
	"path/filepath"
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
// dir, each with syncs of us microseconds.
func writeProbe(t *testing.T, us int64, dirs ...string) string {
	t.Helper()
	folder := t.TempDir()
	doc := &results.Probe{}
	for i, d := range dirs {
		h := constantSyncs(us)
		h.SetStartTimeMs(1000)
		h.SetEndTimeMs(2000)
		name := fmt.Sprintf("%d.hlog", i+1)
		if err := hlog.WriteFile(filepath.Join(folder, name), time.Unix(1, 0), []*hdrhistogram.Histogram{h}); err != nil {
			t.Fatal(err)
		}
		doc.Dirs = append(doc.Dirs, results.ProbeDir{Dir: d, Bandwidth: &results.ProbeBandwidth{MBs: 1000}})
		doc.Probes = append(doc.Probes, results.ProbeEntry{Dir: d, Mount: d, Sync: "fdatasync", PreallocMode: "zookeeper",
			BlockSize: 2300, Count: 1000, Hlog: name})
	}
	if err := doc.WriteFile(filepath.Join(folder, results.ProbeFile)); err != nil {
		t.Fatal(err)
	}
	return folder
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
