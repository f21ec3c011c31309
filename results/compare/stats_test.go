package compare

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// noise is a fixed run-to-run jitter, so that tests are deterministic.
var noise = []float64{1.00, 1.02, 0.98, 1.01, 0.99}

// scaled returns noise times v.
func scaled(v float64) []float64 {
	out := make([]float64, len(noise))
	for i, f := range noise {
		out[i] = v * f
	}
	return out
}

func TestVerdicts(t *testing.T) {
	tests := []struct {
		name           string
		base, cand     []float64
		higherIsBetter bool
		want           Verdict
		wantLabel      string
	}{
		{"identical repeats", scaled(2000), scaled(2000), false, Unchanged, "p=1.000 n=5"},
		{"all values equal", []float64{5, 5, 5, 5}, []float64{5, 5, 5, 5}, false, Unchanged, "p=1.000 n=4"},
		{"latency 30% higher", scaled(2000), scaled(2600), false, Regressed, "p=0.008 n=5"},
		{"latency 5% higher", scaled(2000), scaled(2100), false, Worse, "p=0.008 n=5"},
		{"latency 3% higher, inside the noise", scaled(2000), []float64{2060, 2020, 2080, 2040, 2000}, false, Unchanged, "p=0.127 n=5"},
		{"latency 30% lower", scaled(2000), scaled(1400), false, Improved, "p=0.008 n=5"},
		{"throughput 30% lower", scaled(10000), scaled(7000), true, Regressed, "p=0.008 n=5"},
		{"throughput 30% higher", scaled(10000), scaled(13000), true, Improved, "p=0.008 n=5"},
		{"n=1 beyond the threshold", []float64{2000}, []float64{2600}, false, Regressed, "n=1, no significance test"},
		{"n=1 within the threshold", []float64{2000}, []float64{2100}, false, Worse, "n=1, no significance test"},
		{"n=1 exactly at the threshold", []float64{2000}, []float64{2200}, false, Worse, "n=1, no significance test"},
		{"n=1 better", []float64{2000}, []float64{1900}, false, Improved, "n=1, no significance test"},
		{"n=1 the same", []float64{2000}, []float64{2000}, false, Unchanged, "n=1, no significance test"},
		{"3+3 cannot be significant", scaled(2000)[:3], scaled(2600)[:3], false, Regressed, "n=3, too few runs for a significance test"},
		{"1+5 cannot be significant", []float64{2000}, scaled(2600), false, Regressed, "n=1+5, too few runs for a significance test"},
		{"from zero", []float64{0, 0, 0, 0}, []float64{10, 11, 12, 13}, false, Regressed, "p=0.029 n=4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, cand := slices.Clone(tt.base), slices.Clone(tt.cand)
			sc := compareSamples(base, cand)
			worsening := sc.Change
			if tt.higherIsBetter {
				worsening = -worsening
			}
			if got := judge(sc, worsening, 0.10); got != tt.want {
				t.Errorf("verdict %s, want %s (change %+.3f, %s)", got, tt.want, sc.Change, sc.testLabel())
			}
			if got := sc.testLabel(); got != tt.wantLabel {
				t.Errorf("test %q, want %q", got, tt.wantLabel)
			}
			if !slices.Equal(base, tt.base) || !slices.Equal(cand, tt.cand) {
				t.Error("compareSamples reordered its arguments")
			}
		})
	}
}

func TestSummaryInterval(t *testing.T) {
	few := compareSamples(scaled(100), scaled(100))
	if !math.IsInf(few.Baseline.Lo, -1) || !slices.ContainsFunc(few.Notes, func(n string) bool { return strings.Contains(n, "need >= 6 samples") }) {
		t.Errorf("5 runs: interval [%v, %v], notes %q; want an infinite interval and a note why", few.Baseline.Lo, few.Baseline.Hi, few.Notes)
	}
	enough := compareSamples([]float64{97, 98, 99, 100, 101, 102, 103, 104}, []float64{100})
	if s := enough.Baseline; s.Median != 100.5 || s.Lo != 97 || s.Hi != 103 {
		t.Errorf("8 runs: median %v in [%v, %v], want 100.5 in [97, 103]", s.Median, s.Lo, s.Hi)
	}
	single := compareSamples([]float64{100}, []float64{100})
	if len(single.Notes) != 0 {
		t.Errorf("n=1: notes %q, want none (the test label says n=1)", single.Notes)
	}
}

func TestTestable(t *testing.T) {
	tests := []struct {
		n1, n2 int
		want   bool
	}{
		{1, 1, false}, {2, 2, false}, {3, 3, false}, {1, 5, false}, {2, 5, false},
		{4, 4, true}, {3, 5, true}, {5, 5, true}, {1, 50, true}, {0, 5, false},
	}
	for _, tt := range tests {
		if got := testable(tt.n1, tt.n2); got != tt.want {
			t.Errorf("testable(%d, %d) = %v, want %v", tt.n1, tt.n2, got, tt.want)
		}
	}
}

func TestParseMaxRegression(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr string
	}{
		{"10%", 0.10, ""},
		{"2.5%", 0.025, ""},
		{"0%", 0, ""},
		{" 15% ", 0.15, ""},
		{"ten%", 0, `"ten%" is not a percentage such as 10%`},
		{"10", 0, `"10" is not a percentage`},
		{"%", 0, "not a percentage"},
		{"NaN%", 0, "not a percentage"},
		{"-5%", 0, "negative"},
	}
	for _, tt := range tests {
		got, err := ParseMaxRegression(tt.in)
		switch {
		case tt.wantErr == "" && (err != nil || math.Abs(got-tt.want) > 1e-12):
			t.Errorf("ParseMaxRegression(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseMaxRegression(%q) error %v, want one containing %q", tt.in, err, tt.wantErr)
		}
	}
}

// A comparison that found no regression says so only when the runs
// could have found one the size of the threshold; else it is
// inconclusive.
func TestUnderpowered(t *testing.T) {
	tests := []struct {
		name       string
		base, cand []float64
		want       Verdict
		wantNoise  float64 // +Inf: unknown
	}{
		{"3 runs, noise 12%", []float64{10000, 11200, 8800}, []float64{10000, 11200, 8800}, Inconclusive, 0.12},
		{"3 runs, noise 12%, 5% better by the threshold alone", []float64{10000, 11200, 8800}, []float64{9500, 10700, 8300}, Inconclusive, 0.12},
		{"5 runs, 20.9% slower, not significant", []float64{10000, 14000, 7000, 12000, 9000}, []float64{7910, 13000, 6000, 12500, 5000}, Inconclusive, 0.323},
		{"5 runs, noise 1.6%", scaled(2000), scaled(2000), Unchanged, 0.0158},
		{"3 runs, noise 2%, by the threshold alone", []float64{2000, 2040, 1960}, []float64{2000, 2040, 1960}, Unchanged, 0.02},
		{"1 run a side: noise unknown", []float64{2000}, []float64{2100}, Inconclusive, math.Inf(1)},
		{"1 run a side, beyond the threshold: still a regression", []float64{2000}, []float64{2600}, Regressed, math.Inf(1)},
		{"noisy but significantly worse", []float64{1000, 1100, 900, 1050, 950, 1000}, []float64{2000, 2200, 1800, 2100, 1900, 2000}, Regressed, 0.112},
		{"noisy but significantly better", []float64{2000, 2200, 1800, 2100, 1900, 2000}, []float64{1000, 1100, 900, 1050, 950, 1000}, Improved, 0.056},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := compareSamples(tt.base, tt.cand)
			if got := decide(judge(sc, sc.Change, 0.10), sc, 0.10); got != tt.want {
				t.Errorf("verdict %s, want %s (noise %.3f, detectable %.3f, %s)", got, tt.want, sc.Noise, sc.Detectable, sc.testLabel())
			}
			if math.IsInf(tt.wantNoise, 1) != math.IsInf(sc.Noise, 1) || math.Abs(sc.Noise-tt.wantNoise) > 0.001 {
				t.Errorf("noise %.4f, want %.4f", sc.Noise, tt.wantNoise)
			}
		})
	}
}

func TestRunsNeeded(t *testing.T) {
	tests := []struct {
		noise, change float64
		want          int
	}{
		{0.12, 0.10, 24}, // 2·(2.867·1.2)² = 23.7
		{0.05, 0.10, 6},  // 4.1, but at least MinRuns
		{0.10, 0.05, 66}, // 2·(2.867·2)² = 65.8
		{math.Inf(1), 0.10, 0},
	}
	for _, tt := range tests {
		if got := RunsNeeded(tt.noise, tt.change); got != tt.want {
			t.Errorf("RunsNeeded(%v, %v) = %d, want %d", tt.noise, tt.change, got, tt.want)
		}
	}
	// The count it asks for does detect the change.
	for _, noise := range []float64{0.03, 0.08, 0.12, 0.3} {
		n := RunsNeeded(noise, 0.1)
		if d := detectable(noise, n, n); d > 0.1+floatSlack {
			t.Errorf("noise %v: %d runs detect %v, not 10%%", noise, n, d)
		}
	}
}
