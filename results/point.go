package results

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/hlog"
)

// OpsPoint is the point of a run's time series for the interval ending
// end into the measured phase, from the ops' histograms of that interval
// (every op together): p50, p99 and max, and ops/s over the longest of
// their spans (the last interval may be shorter). The server, CPU and
// disk figures are the caller's to add.
func OpsPoint(end time.Duration, ivs []*hdrhistogram.Histogram) TimePoint {
	all := hlog.NewHistogram()
	var length float64
	for _, iv := range ivs {
		all.Merge(iv)
		length = max(length, float64(iv.EndTimeMs()-iv.StartTimeMs())/1000)
	}
	pt := TimePoint{T: end.Seconds(), P50Us: all.ValueAtQuantile(50), P99Us: all.ValueAtQuantile(99), MaxUs: all.Max(),
		Disk: map[string]DiskPoint{}}
	if length > 0 {
		pt.OpsS = float64(all.TotalCount()) / length
	}
	return pt
}

// PerSecond is a throughput; 0 for a phase that did not run (JSON has no
// NaN).
func PerSecond(n int64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}
