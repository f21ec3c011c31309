package report

import (
	"slices"
	"testing"

	"zkbench/hlog"
	"zkbench/results"
)

func TestSpectrum(t *testing.T) {
	uniform := hlog.NewHistogram()
	for v := int64(1); v <= 1000; v++ {
		_ = uniform.RecordValue(v)
	}
	one := hlog.NewHistogram()
	_ = one.RecordValue(42)

	tests := []struct {
		name  string
		pts   []spectrumPoint
		first spectrumPoint
		last  spectrumPoint
		at    map[float64]int64 // x → µs of points that must be there
	}{
		{"1..1000", spectrum(uniform), spectrumPoint{1, 1}, spectrumPoint{1000, 1000},
			map[float64]int64{10: 900, 100: 990}},
		{"one value", spectrum(one), spectrumPoint{1, 42}, spectrumPoint{1, 42}, nil},
		{"summary", summarySpectrum(results.Percentiles{Min: 1, P50: 5, P90: 9, P99: 20, P999: 50, Max: 80}, 5000),
			spectrumPoint{1, 1}, spectrumPoint{5000, 80}, map[float64]int64{2: 5, 10: 9, 100: 20, 1000: 50}},
		{"summary of 50 values", summarySpectrum(results.Percentiles{Min: 1, P50: 5, P90: 9, P99: 20, P999: 50, Max: 80}, 50),
			spectrumPoint{1, 1}, spectrumPoint{50, 80}, map[float64]int64{10: 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.pts) == 0 {
				t.Fatal("no points")
			}
			if tt.pts[0] != tt.first || tt.pts[len(tt.pts)-1] != tt.last {
				t.Errorf("from %v to %v, want from %v to %v", tt.pts[0], tt.pts[len(tt.pts)-1], tt.first, tt.last)
			}
			for i := 1; i < len(tt.pts); i++ {
				if tt.pts[i].X < tt.pts[i-1].X || tt.pts[i].Us < tt.pts[i-1].Us {
					t.Errorf("not monotonic at %d: %v", i, tt.pts)
				}
			}
			for x, us := range tt.at {
				i := slices.IndexFunc(tt.pts, func(p spectrumPoint) bool { return p.X == x })
				if i < 0 || tt.pts[i].Us != us {
					t.Errorf("no point (%v, %d) in %v", x, us, tt.pts)
				}
			}
		})
	}
	if pts := spectrum(hlog.NewHistogram()); pts != nil {
		t.Errorf("spectrum of nothing = %v", pts)
	}
	if pts := summarySpectrum(results.Percentiles{}, 0); pts != nil {
		t.Errorf("summary spectrum of nothing = %v", pts)
	}
}

func TestRoundSig(t *testing.T) {
	for _, tt := range []struct{ v, want float64 }{
		{0, 0}, {1, 1}, {1.258925, 1.259}, {12589.25, 12590}, {0.0012345, 0.001235},
	} {
		if got := roundSig(tt.v, 4); got != tt.want {
			t.Errorf("roundSig(%v, 4) = %v, want %v", tt.v, got, tt.want)
		}
	}
}
