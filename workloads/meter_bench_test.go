package workloads

import (
	"testing"
	"time"

	"zkbench/hlog"
)

// BenchmarkMeterRecord is the cost of recording one op's latency into
// its client's shard: the part of the driver's per-op overhead that is
// not the clock read (BenchmarkClockRead).
func BenchmarkMeterRecord(b *testing.B) {
	m := newMeter(time.Now(), 1, hlog.FinestRunInterval)
	s := m.shard(0)
	end := time.Duration(0)
	for b.Loop() {
		end += 400 // an op every 400 ns: a new second every 2.5M ops
		m.record(s, OpGetData, end, 350*time.Nanosecond, nil, nil)
	}
}
