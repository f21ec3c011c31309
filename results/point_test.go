package results

import (
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/hlog"
)

// A point adds the ops' intervals together and takes its rate over the
// longest of their spans; a phase that did not run has no rate.
func TestOpsPoint(t *testing.T) {
	a, b := hlog.NewHistogram(), hlog.NewHistogram()
	for i := range 100 {
		a.RecordValue(int64(100 + i))
	}
	b.RecordValue(5000)
	a.SetStartTimeMs(1000)
	a.SetEndTimeMs(1500)
	b.SetStartTimeMs(1000)
	b.SetEndTimeMs(1250)
	pt := OpsPoint(2*time.Second, []*hdrhistogram.Histogram{a, b})
	if pt.T != 2 || pt.OpsS != 202 || pt.MaxUs < 5000 || pt.P50Us < 140 || pt.P50Us > 160 {
		t.Errorf("point %+v: want t 2 s, 101 ops over 0.5 s, max 5000 µs, p50 about 150 µs", pt)
	}
	if empty := OpsPoint(time.Second, nil); empty.OpsS != 0 || empty.Disk == nil {
		t.Errorf("no intervals: %+v", empty)
	}
	if got := PerSecond(10, 0); got != 0 {
		t.Errorf("PerSecond over no time: %v", got)
	}
}
