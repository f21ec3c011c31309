package capacity

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"zkbench/results"
)

// fakeTarget's latency grows with the offered rate as a queue's does,
// p99 = base / (1 - rate/saturation), and it achieves at most its
// saturation: the rate where p99 meets the SLA is known exactly.
type fakeTarget struct {
	baseUs, saturation float64
	sla                results.CapacitySLA
	steps              int
}

func (f *fakeTarget) knee() float64 {
	return f.saturation * (1 - f.baseUs/float64(f.sla.MaxUs))
}

func (f *fakeTarget) measure(_ context.Context, rate float64) (results.CapacityStep, error) {
	f.steps++
	st := results.CapacityStep{Rate: rate, AchievedOpsS: min(rate, f.saturation)}
	if rate >= f.saturation {
		st.P99Us = 60_000_000
	} else {
		st.P99Us = int64(f.baseUs / (1 - rate/f.saturation))
	}
	st.P50Us, st.P999Us = st.P99Us/3, st.P99Us*2
	st.Pass, st.Why = Judge(st, f.sla)
	return st, nil
}

func TestSearchFindsKnee(t *testing.T) {
	sla := results.CapacitySLA{Percentile: 99, MaxUs: 10_000}
	for _, tc := range []struct {
		name         string
		start, max   float64
		base, satur  float64
		wantBoundary bool
	}{
		{"ramp from below", 500, 0, 1000, 3444, true},
		{"start far above the knee", 50_000, 0, 1000, 3444, true},
		{"fast target", 100, 0, 300, 52_000, true},
		{"knee between ramp steps", 1000, 0, 2000, 9_000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTarget{baseUs: tc.base, saturation: tc.satur, sla: sla}
			o, err := Search{Start: tc.start, Max: tc.max}.Run(context.Background(), f.measure, nil)
			if err != nil {
				t.Fatal(err)
			}
			knee := f.knee()
			if o.Max > knee || o.Max < 0.95*knee {
				t.Errorf("max %v, knee %.0f: not within 5%% below it", o.Max, knee)
			}
			if !o.Converged || o.Interrupted {
				t.Errorf("converged %v interrupted %v", o.Converged, o.Interrupted)
			}
			if o.Knee < 0 || o.Steps[o.Knee].Pass || o.Steps[o.Knee].Rate > 1.06*o.Max {
				t.Errorf("knee step %d of %+v", o.Knee, o.Steps)
			}
			if len(o.Steps) != f.steps || len(o.Steps) > 16 {
				t.Errorf("%d steps recorded of %d run", len(o.Steps), f.steps)
			}
		})
	}
}

// flakyTarget passes every rate up to its knee, except where lucky or
// unlucky lists the verdicts of a rate's first steps, in order: a stall
// caught or missed, as near a real knee.
type flakyTarget struct {
	knee     float64
	verdicts map[float64][]bool
	rates    []float64
}

func (f *flakyTarget) measure(_ context.Context, rate float64) (results.CapacityStep, error) {
	f.rates = append(f.rates, rate)
	pass := rate <= f.knee
	if v := f.verdicts[rate]; len(v) > 0 {
		pass, f.verdicts[rate] = v[0], v[1:]
	}
	return results.CapacityStep{Rate: rate, Pass: pass}, nil
}

func TestSearchConfirmsTheMaximum(t *testing.T) {
	for _, tc := range []struct {
		name     string
		search   Search
		knee     float64
		verdicts map[float64][]bool
		max      float64
		rates    []float64
	}{
		{name: "steady", search: Search{Start: 1000}, knee: 2900,
			max: 2875, rates: []float64{1000, 2000, 4000, 3000, 2500, 2750, 2875, 2875, 3000}},
		{name: "one of three fails", search: Search{Start: 1000}, knee: 2900, verdicts: map[float64][]bool{2875: {true, false}},
			max: 2875, rates: []float64{1000, 2000, 4000, 3000, 2500, 2750, 2875, 2875, 2875, 3000}},
		{name: "a lucky step is not the answer", search: Search{Start: 1000}, knee: 2800, verdicts: map[float64][]bool{2875: {true}},
			max: 2750, rates: []float64{1000, 2000, 4000, 3000, 2500, 2750, 2875, 2875, 2875, 2750}},
		{name: "lucky in the ramp, above the knee", search: Search{Start: 1000}, knee: 3000, verdicts: map[float64][]bool{4000: {true}},
			max: 3000, rates: []float64{1000, 2000, 4000, 8000, 6000, 5000, 4500, 4250, 4125, 4000, 4000, 3000, 3500, 3250, 3125, 3000, 3125}},
		{name: "one step decides", search: Search{Start: 1000, Repeats: 1}, knee: 2800, verdicts: map[float64][]bool{2875: {true}},
			max: 2875, rates: []float64{1000, 2000, 4000, 3000, 2500, 2750, 2875}},
		{name: "the start fails its confirmation", search: Search{Start: 1000, Min: 1}, knee: 600, verdicts: map[float64][]bool{1000: {true}},
			max: 594, rates: []float64{1000, 2000, 1500, 1250, 1125, 1063, 1032, 1000, 1000, 500, 750, 625, 563, 594, 610, 594, 610}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &flakyTarget{knee: tc.knee, verdicts: tc.verdicts}
			o, err := tc.search.Run(context.Background(), f.measure, nil)
			if err != nil {
				t.Fatal(err)
			}
			if o.Max != tc.max || !o.Converged {
				t.Errorf("max %v converged %v, want %v converged", o.Max, o.Converged, tc.max)
			}
			if !slices.Equal(f.rates, tc.rates) {
				t.Errorf("rates %v\nwant  %v", f.rates, tc.rates)
			}
			if o.Knee < 0 || o.Steps[o.Knee].Pass || o.Steps[o.Knee].Rate <= o.Max {
				t.Errorf("knee step %d of %+v", o.Knee, o.Steps)
			}
		})
	}
}

func TestSearchCapPasses(t *testing.T) {
	f := &fakeTarget{baseUs: 100, saturation: 1e9, sla: results.CapacitySLA{Percentile: 99, MaxUs: 10_000}}
	o, err := Search{Start: 1000, Max: 5000}.Run(context.Background(), f.measure, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Max != 5000 || o.Converged || o.Knee != -1 {
		t.Errorf("max %v converged %v knee %d: want the cap, not converged", o.Max, o.Converged, o.Knee)
	}
	// A start above the cap starts at the cap.
	above, err := Search{Start: 9000, Max: 5000}.Run(context.Background(), f.measure, nil)
	if err != nil || above.Max != 5000 || above.Steps[0].Rate != 5000 {
		t.Errorf("start 9000, cap 5000: max %v, first step %v (%v): want the cap", above.Max, above.Steps[0].Rate, err)
	}
}

func TestSearchNothingPasses(t *testing.T) {
	f := &fakeTarget{baseUs: 20_000, saturation: 1e6, sla: results.CapacitySLA{Percentile: 99, MaxUs: 10_000}}
	o, err := Search{Start: 64, Min: 4}.Run(context.Background(), f.measure, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Max != 0 || o.Converged || len(o.Steps) != 5 { // 64, 32, 16, 8, 4
		t.Errorf("max %v converged %v steps %d", o.Max, o.Converged, len(o.Steps))
	}
}

func TestSearchInterruptedKeepsSteps(t *testing.T) {
	f := &fakeTarget{baseUs: 1000, saturation: 3444, sla: results.CapacitySLA{Percentile: 99, MaxUs: 10_000}}
	ctx, cancel := context.WithCancel(context.Background())
	measure := func(ctx context.Context, rate float64) (results.CapacityStep, error) {
		st, _ := f.measure(ctx, rate)
		if f.steps == 3 {
			cancel()
			st.Interrupted, st.Pass = true, false
			return st, errors.New("interrupted")
		}
		return st, nil
	}
	o, err := Search{Start: 500}.Run(ctx, measure, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Interrupted || o.Converged || len(o.Steps) != 3 || o.Max != 1000 {
		t.Errorf("interrupted %v converged %v steps %d max %v", o.Interrupted, o.Converged, len(o.Steps), o.Max)
	}
}

func TestSearchStepErrorEnds(t *testing.T) {
	down := errors.New("connect: refused")
	o, err := Search{Start: 500}.Run(context.Background(), func(context.Context, float64) (results.CapacityStep, error) {
		return results.CapacityStep{}, down
	}, nil)
	if !errors.Is(err, down) || len(o.Steps) != 0 {
		t.Errorf("err %v steps %d", err, len(o.Steps))
	}
}

func TestJudge(t *testing.T) {
	sla := results.CapacitySLA{Percentile: 99.9, MaxUs: 10_000}
	for _, tc := range []struct {
		st   results.CapacityStep
		pass bool
		why  string
	}{
		{results.CapacityStep{Rate: 1000, AchievedOpsS: 999, P99Us: 20_000, P999Us: 9_000}, true, ""},
		{results.CapacityStep{Rate: 1000, AchievedOpsS: 969, P999Us: 9_000}, false, "achieved 969 of 1000 ops/s (97%)"},
		{results.CapacityStep{Rate: 1000, AchievedOpsS: 1000, P999Us: 10_001, Errors: 2}, false, "p99.9 10.0 ms over 10.0 ms and 2 errors"},
		{results.CapacityStep{Rate: 1000, AchievedOpsS: 1000, Interrupted: true}, false, "interrupted"},
	} {
		pass, why := Judge(tc.st, sla)
		if pass != tc.pass || why != tc.why {
			t.Errorf("Judge(%+v) = %v %q, want %v %q", tc.st, pass, why, tc.pass, tc.why)
		}
	}
}

func FuzzParsePercentile(f *testing.F) {
	for _, s := range []string{"99", "99.9", "95", "", "99.90", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePercentile(s)
		if err == nil && p != 99 && p != 99.9 {
			t.Errorf("ParsePercentile(%q) = %v", s, p)
		}
		if err != nil && !strings.Contains(err.Error(), "want 99 or 99.9") {
			t.Errorf("ParsePercentile(%q): %v", s, err)
		}
	})
}

// stallTarget meets the SLA below its knee with p99 1 ms and misses it
// far above; p99s lists the p99s of a rate's first steps, in order: a
// stall a step caught.
type stallTarget struct {
	knee  float64
	sla   results.CapacitySLA
	p99s  map[float64][]int64
	rates []float64
}

func (f *stallTarget) measure(_ context.Context, rate float64) (results.CapacityStep, error) {
	f.rates = append(f.rates, rate)
	st := results.CapacityStep{Rate: rate, AchievedOpsS: rate, P99Us: 1000}
	if rate > f.knee {
		st.P99Us = 50_000
	}
	if v := f.p99s[rate]; len(v) > 0 {
		st.P99Us, f.p99s[rate] = v[0], v[1:]
	}
	st.Pass, st.Why = Judge(st, f.sla)
	return st, nil
}

func TestSearchRunsANarrowFailureAgain(t *testing.T) {
	sla := results.CapacitySLA{Percentile: 99, MaxUs: 10_000}
	for _, tc := range []struct {
		name        string
		p99s        map[float64][]int64
		max         float64
		rates       []float64
		knee, start float64 // 2900 and 500 when 0
	}{
		{"a stall in the ramp", map[float64][]int64{500: {12_500}},
			2875, []float64{500, 500, 1000, 2000, 4000, 3000, 2500, 2750, 2875, 2875, 3000}, 0, 0},
		{"the stall again: the rate fails", map[float64][]int64{1000: {12_500, 15_000}},
			969, []float64{500, 1000, 1000, 750, 875, 938, 969, 969}, 0, 0},
		// 1375 fails once, clearly, and holds when run again as the
		// failure above the candidate: the ramp from it stops at 1500,
		// which failed before, rather than doubling past it.
		{"the ramp from a failure that held stops at the next known one", map[float64][]int64{1375: {25_000}},
			1438, []float64{1000, 2000, 1500, 1250, 1375, 1313, 1313, 1375, 1375, 1438, 1438, 1500}, 1450, 1000},
		// 1000 is run again only as the failure above the candidate 969:
		// it passes twice, and the ramp goes on from it.
		{"a clear failure is run again only above the candidate", map[float64][]int64{1000: {25_000}},
			2875, []float64{500, 1000, 750, 875, 938, 969, 969, 1000, 1000, 2000, 4000, 3000, 2500, 2750, 2875, 2875, 3000}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &stallTarget{knee: cmp.Or(tc.knee, 2900), sla: sla, p99s: tc.p99s}
			o, err := Search{Start: cmp.Or(tc.start, 500), SLA: sla}.Run(context.Background(), f.measure, nil)
			if err != nil {
				t.Fatal(err)
			}
			if o.Max != tc.max || !slices.Equal(f.rates, tc.rates) {
				t.Errorf("max %v after %v\nwant %v after %v", o.Max, f.rates, tc.max, tc.rates)
			}
		})
	}
}

func TestNarrow(t *testing.T) {
	s := Search{SLA: results.CapacitySLA{Percentile: 99.9, MaxUs: 10_000}}
	for _, tc := range []struct {
		st     results.CapacityStep
		narrow bool
	}{
		{results.CapacityStep{Rate: 1000, AchievedOpsS: 1000, P999Us: 19_000}, true},
		{results.CapacityStep{Rate: 1000, AchievedOpsS: 1000, P999Us: 20_000}, false},                // twice the SLA
		{results.CapacityStep{Rate: 1000, AchievedOpsS: 1000, P999Us: 9_000, Pass: true}, false},     // passed
		{results.CapacityStep{Rate: 1000, AchievedOpsS: 900, P999Us: 12_000}, false},                 // behind the rate
		{results.CapacityStep{Rate: 1000, AchievedOpsS: 1000, P999Us: 12_000, Errors: 1}, false},     // errors
		{results.CapacityStep{Rate: 1000, AchievedOpsS: 1000, P99Us: 12_000, P999Us: 30_000}, false}, // the SLA's percentile
	} {
		if got := s.Narrow(tc.st); got != tc.narrow {
			t.Errorf("Narrow(%+v) = %v, want %v", tc.st, got, tc.narrow)
		}
	}
	if (Search{}).Narrow(results.CapacityStep{Rate: 1000, AchievedOpsS: 1000, P99Us: 12_000}) {
		t.Error("without an SLA every failure is clear")
	}
}
