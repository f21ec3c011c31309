// Package capacity answers a capacity planner's question: the highest
// offered rate a target holds within a latency SLA, what runs out first
// there, and what a disk probe predicts for it.
//
// The search is open loop, a run per offered rate (a step): it doubles
// the rate from a start until a step fails, then bisects between the
// last passing and the first failing rate until they are within a
// resolution (5%) of each other, and runs the maximum, the failure just
// above it and any narrow failure again until most of a few steps agree.
// A step passes when the chosen percentile of the workload's main op is
// within the SLA, at least 97% of the offered rate was achieved, and no
// op failed. Each step is a
// whole bench.Run (its own warm-up, its requests drained before it
// ends), so the search works on every target bench runs.
package capacity

import (
	"context"
	"errors"
	"fmt"
	"math"

	"zkbench/results"
)

// MinAchieved is the share of the offered rate a passing step achieves:
// below it the target fell behind, whatever its latencies say.
const MinAchieved = results.MinAchievedShare

// DefaultResolution is how close the bisection brings the last passing
// and the first failing rate: 5% of the passing one.
const DefaultResolution = 0.05

// DefaultRepeats is how many steps at the maximum decide it: near the
// knee one step's percentile swings by orders of magnitude between runs
// of the same rate (a stall that a run happens to catch leaves a backlog
// the little headroom drains slowly), so one lucky step must not make
// the answer.
const DefaultRepeats = 3

// Stepper measures one offered rate, judged against the search's SLA. An
// error wrapping context.Canceled or bench.ErrInterrupted with a step
// whose Interrupted is set keeps that step in the record but ends the
// search; any other error ends it too.
type Stepper func(ctx context.Context, rate float64) (results.CapacityStep, error)

// Search is where the rate search starts and stops.
type Search struct {
	// Start is the first offered rate, ops/s.
	Start float64
	// Max is the highest rate the ramp tries: a target that passes there
	// is reported as holding at least Max. 0: no cap.
	Max float64
	// Min is the lowest rate tried when the start fails already, halving
	// down to it.
	Min float64
	// Resolution is the bisection's stopping width relative to the
	// passing rate; 0 means DefaultResolution.
	Resolution float64
	// Repeats is how many steps at the candidate maximum decide it, the
	// step that made it the candidate among them: it stands when most of
	// them pass. A rate whose step failed by a narrow margin (Narrow) is
	// decided the same way. 0 means DefaultRepeats; 1 lets a single step
	// decide.
	Repeats int
	// SLA is what the steps were judged against, to tell a narrow
	// failure from a clear one; zero: every failure is clear.
	SLA results.CapacitySLA
}

// Outcome is what a search found.
type Outcome struct {
	Steps []results.CapacityStep // in the order they ran
	// Max is the highest passing rate, 0 when none passed.
	Max float64
	// Converged: the knee lies between Max and a failing rate within
	// the resolution.
	Converged   bool
	Interrupted bool
	// Knee is the index in Steps of the failing step closest above Max
	// (the one whose figures say what ran out), -1 when none failed.
	Knee int
}

// errStop ends the search without an error of its own.
var errStop = errors.New("stop")

// Run searches with measure and calls onStep after each step. Only an
// error of measure's that is not an interruption is returned; an
// interruption gives the outcome so far, Interrupted set.
func (s Search) Run(ctx context.Context, measure Stepper, onStep func(results.CapacityStep)) (Outcome, error) {
	if s.Start <= 0 {
		return Outcome{}, fmt.Errorf("start rate %v: want more than 0", s.Start)
	}
	res := s.Resolution
	if res <= 0 {
		res = DefaultResolution
	}
	o := Outcome{Knee: -1}
	var stepErr error
	one := func(rate float64) error {
		if ctx.Err() != nil {
			o.Interrupted = true
			return errStop
		}
		st, err := measure(ctx, rate)
		if st.Rate != 0 || err == nil {
			o.Steps = append(o.Steps, st)
			if onStep != nil {
				onStep(st)
			}
		}
		switch {
		case st.Interrupted || ctx.Err() != nil:
			o.Interrupted = true
			return errStop
		case err != nil:
			stepErr = err
			return errStop
		}
		return nil
	}
	try := func(rate float64) (bool, error) { return s.decide(rate, false, &o.Steps, one) }
	failed := func(rate float64) float64 { return s.failedAbove(o.Steps, rate) }
	confirm := func(rate float64) (bool, error) { return s.decide(rate, true, &o.Steps, one) }
	lo, hi, err := s.bracket(try, failed)
	for err == nil && lo > 0 {
		if hi > 0 {
			if lo, hi, err = bisect(lo, hi, res, try); err != nil {
				break
			}
		}
		var held, above bool
		if held, err = confirm(lo); err != nil {
			break
		}
		if !held {
			// Most steps at lo failed: it is the knee's side now, and
			// the search goes on below it.
			hi = lo
			lo, err = s.below(hi, o.Steps, try)
			continue
		}
		if hi == 0 { // the cap passed
			break
		}
		// The failure above the maximum bounds the answer as much as
		// the maximum does: a stall caught there would end the search
		// low, so it is run again too.
		if above, err = confirm(hi); err != nil || !above {
			o.Converged = err == nil
			break
		}
		lo, hi, err = s.up(hi, try, failed)
	}
	o.Max = lo
	o.Knee = kneeIndex(o.Steps, lo)
	if errors.Is(err, errStop) {
		err = stepErr
	}
	return o, err
}

// decide measures rate until its steps settle its verdict: most of
// Repeats steps agreeing or, unless sure is asked for, its latest step
// when that one is not a narrow failure.
func (s Search) decide(rate float64, sure bool, steps *[]results.CapacityStep, one func(float64) error) (bool, error) {
	n, need := s.repeats()
	for {
		passes, fails, last := tally(*steps, rate)
		switch {
		case passes >= need:
			return true, nil
		case fails > n-need:
			return false, nil
		case passes+fails > 0 && !sure && !s.Narrow(last):
			return last.Pass, nil
		}
		if err := one(rate); err != nil {
			return false, err
		}
	}
}

// repeats is how many steps decide a rate, and how many of them make a
// majority.
func (s Search) repeats() (n, need int) {
	n = s.Repeats
	if n <= 0 {
		n = DefaultRepeats
	}
	return n, n/2 + 1
}

// failedAbove is the lowest rate above rate whose steps failed and have
// not mostly passed; 0 when there is none. A ramp that goes on from a
// rate that held after all stops there rather than doubling past it.
func (s Search) failedAbove(steps []results.CapacityStep, rate float64) float64 {
	_, need := s.repeats()
	low := 0.0
	for _, st := range steps {
		if st.Pass || st.Interrupted || st.Rate <= rate || low > 0 && st.Rate >= low {
			continue
		}
		if passes, _, _ := tally(steps, st.Rate); passes < need {
			low = st.Rate
		}
	}
	return low
}

// tally counts the steps at rate that passed and failed, and returns the
// latest of them.
func tally(steps []results.CapacityStep, rate float64) (passes, fails int, last results.CapacityStep) {
	for _, st := range steps {
		if st.Rate != rate || st.Interrupted {
			continue
		}
		if st.Pass {
			passes++
		} else {
			fails++
		}
		last = st
	}
	return passes, fails, last
}

// Narrow reports a step that failed by its percentile alone, and by less
// than twice the SLA: what a stall the step happened to catch does, on a
// target that holds the rate otherwise (a fresh real ensemble failed 500
// writes/s at p99 12.5 ms and held 2,750/s warm).
func (s Search) Narrow(st results.CapacityStep) bool {
	if st.Pass || s.SLA.MaxUs <= 0 || st.Errors > 0 || st.Interrupted {
		return false
	}
	v := percentileOf(st, s.SLA.Percentile)
	return achieved(st, s.SLA) && v > s.SLA.MaxUs && v < 2*s.SLA.MaxUs
}

// below is the next candidate under hi, a rate that failed its
// confirmation: the highest rate under it whose step passed, else the
// first passing one halving down from it (0 when none down to Min does).
func (s Search) below(hi float64, steps []results.CapacityStep, try func(float64) (bool, error)) (float64, error) {
	lo := 0.0
	for _, st := range steps {
		if st.Pass && st.Rate < hi {
			lo = max(lo, st.Rate)
		}
	}
	for rate := hi; lo == 0; {
		next := roundRate(rate / 2)
		if next >= rate || next < max(s.Min, 1) {
			return 0, nil
		}
		rate = next
		pass, err := try(rate)
		if err != nil {
			return 0, err
		}
		if pass {
			return rate, nil
		}
	}
	return lo, nil
}

// bracket finds a passing rate lo and a failing one hi: doubling from
// Start while steps pass, or halving while they fail. hi is 0 when the
// cap passed, lo 0 when nothing down to Min passed.
func (s Search) bracket(try func(float64) (bool, error), failed func(float64) float64) (lo, hi float64, err error) {
	rate := roundRate(s.Start)
	if s.Max > 0 {
		rate = min(rate, roundRate(s.Max))
	}
	pass, err := try(rate)
	if err != nil {
		return 0, 0, err
	}
	if !pass {
		hi = rate
		for {
			rate = roundRate(rate / 2)
			if rate < max(s.Min, 1) || rate == hi {
				return 0, hi, nil
			}
			if pass, err = try(rate); err != nil {
				return 0, hi, err
			}
			if pass {
				return rate, hi, nil
			}
			hi = rate
		}
	}
	return s.up(rate, try, failed)
}

// up doubles from rate, which passed, until a step fails: lo is the last
// rate that passed and hi the one that failed, 0 when the cap passed.
func (s Search) up(rate float64, try func(float64) (bool, error), failed func(float64) float64) (lo, hi float64, err error) {
	for {
		lo = rate
		if s.Max > 0 && lo >= s.Max {
			return lo, 0, nil
		}
		rate = roundRate(rate * 2)
		if s.Max > 0 {
			rate = min(rate, roundRate(s.Max))
		}
		if f := failed(lo); f > 0 {
			rate = min(rate, f)
		}
		pass, err := try(rate)
		if err != nil {
			return lo, 0, err
		}
		if !pass {
			return lo, rate, nil
		}
	}
}

// bisect narrows [lo, hi] until hi is within res of lo.
func bisect(lo, hi, res float64, try func(float64) (bool, error)) (float64, float64, error) {
	for hi-lo > res*lo {
		mid := roundRate((lo + hi) / 2)
		if mid <= lo || mid >= hi {
			break // whole ops/s: nothing left between them
		}
		pass, err := try(mid)
		if err != nil {
			return lo, hi, err
		}
		if pass {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, hi, nil
}

// kneeIndex is the failing step of the lowest rate above lo.
func kneeIndex(steps []results.CapacityStep, lo float64) int {
	knee := -1
	for i, st := range steps {
		if st.Pass || st.Interrupted || st.Rate <= lo {
			continue
		}
		if knee < 0 || st.Rate < steps[knee].Rate {
			knee = i
		}
	}
	return knee
}

// roundRate keeps rates whole ops/s: they are typed by people and
// compared between runs.
func roundRate(r float64) float64 { return math.Max(1, math.Round(r)) }
