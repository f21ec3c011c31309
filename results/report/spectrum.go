package report

import (
	"math"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/results"
)

// The percentile spectrum is HdrHistogram's standard latency plot: the
// latency at each percentile, with the percentile on a log scale of
// 1/(1-percentile) so that 90%, 99%, 99.9%… are evenly spaced and the
// tail, where the trouble is, gets most of the width.

// spectrumStepsPerDecade is how many points one factor of ten (from 90%
// to 99%, say) gets.
const spectrumStepsPerDecade = 20

// spectrumPoint is one point of a spectrum: X is 1/(1-percentile/100).
type spectrumPoint struct {
	X  float64
	Us int64
}

// spectrum samples h from the 0th percentile up to the finest percentile
// its count resolves (1 - 1/count), ending at its maximum. An empty
// histogram has no spectrum.
func spectrum(h *hdrhistogram.Histogram) []spectrumPoint {
	n := float64(h.TotalCount())
	if n == 0 {
		return nil
	}
	var pts []spectrumPoint
	for k := 0; ; k++ {
		x := math.Pow(10, float64(k)/spectrumStepsPerDecade)
		if x >= n {
			break
		}
		pts = append(pts, spectrumPoint{X: roundSig(x, 4), Us: h.ValueAtQuantile(100 - 100/x)})
	}
	return append(pts, spectrumPoint{X: roundSig(max(n, 1), 4), Us: h.Max()})
}

// summarySpectrum is the spectrum of a result.json summary, for an op
// without an .hlog: its few percentiles, ending at the maximum.
func summarySpectrum(p results.Percentiles, count int64) []spectrumPoint {
	if count == 0 {
		return nil
	}
	pts := []spectrumPoint{{1, p.Min}, {2, p.P50}, {10, p.P90}, {100, p.P99}, {1000, p.P999}}
	for len(pts) > 1 && pts[len(pts)-1].X >= float64(count) {
		pts = pts[:len(pts)-1] // percentiles the count does not resolve
	}
	return append(pts, spectrumPoint{X: float64(count), Us: p.Max})
}

// roundSig rounds v to digits significant digits, to keep the page small.
func roundSig(v float64, digits int) float64 {
	if v == 0 {
		return 0
	}
	scale := math.Pow(10, float64(digits)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*scale) / scale
}
