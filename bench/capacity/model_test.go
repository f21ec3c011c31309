package capacity

import (
	"testing"

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
