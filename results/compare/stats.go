package compare

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// The statistics are benchstat's: no assumption about the distribution
// (benchmark results are rarely normal), so each side is summarized by
// its median with a 95% confidence interval and the two sides are
// compared with the Mann-Whitney U test at alpha 0.05.
const (
	Alpha      = 0.05
	Confidence = 0.95
)

var thresholds = benchmath.Thresholds{CompareAlpha: Alpha}

// floatSlack keeps a change that is exactly at the threshold from
// counting as beyond it because of rounding (110/100-1 > 0.1 in floats).
const floatSlack = 1e-9

// Summary is one side's values of one metric.
type Summary struct {
	// Values are the runs' values, in the order of Runs.Files.
	Values []float64
	Median float64
	// Lo and Hi bound the median's confidence interval; they are
	// infinite when there are too few runs for one (fewer than 6 at 95%).
	Lo, Hi float64
}

// N is the number of runs.
func (s Summary) N() int { return len(s.Values) }

// Verdict is the outcome for one metric.
type Verdict string

const (
	// Unchanged: no difference, or none the test can tell from noise.
	Unchanged Verdict = "unchanged"
	// Improved: better, significantly where a test was possible.
	Improved Verdict = "improved"
	// Worse: worse, but not beyond the allowed regression.
	Worse Verdict = "worse"
	// Regressed: worse beyond the allowed regression; fails the compare.
	Regressed Verdict = "regressed"
	// Inconclusive: no regression found, but the runs are too few for
	// their noise to have shown one the size of the allowed regression.
	Inconclusive Verdict = "inconclusive"
)

// Stats are one metric's statistics across both sides, before a
// threshold is applied.
type Stats struct {
	Baseline, Candidate Summary
	// Change is the candidate's median relative to the baseline's:
	// +0.3 is 30% higher. ±Inf when the baseline's median is 0.
	Change float64
	// Tested says whether the sample sizes allow the U test to reach
	// significance at all; P is its p-value when they do.
	Tested bool
	P      float64
	// Noise is the runs' spread: the pooled standard deviation of both
	// sides about their means, relative to the baseline's median. +Inf
	// when no side has two runs to measure it with.
	Noise float64
	// Detectable is the smallest relative change these run counts and
	// this noise detect with the power Power (+Inf with unknown noise).
	Detectable float64
	// Notes are benchmath's warnings, e.g. too few runs for an interval.
	Notes []string
}

// compareSamples summarizes base and cand and tests whether they differ.
func compareSamples(base, cand []float64) Stats {
	// NewSample sorts in place; the summaries keep the runs' order.
	b := benchmath.NewSample(slices.Clone(base), &thresholds)
	c := benchmath.NewSample(slices.Clone(cand), &thresholds)
	bs, warnings := summarize(b)
	cs, cWarnings := summarize(c)
	bs.Values, cs.Values = slices.Clone(base), slices.Clone(cand)
	sc := Stats{Baseline: bs, Candidate: cs,
		Change: relativeChange(bs.Median, cs.Median),
		Tested: testable(len(base), len(cand)),
		Noise:  relativeNoise(base, cand, bs.Median),
	}
	sc.Detectable = detectable(sc.Noise, len(base), len(cand))
	warnings = append(warnings, cWarnings...)
	if sc.Tested {
		cmp := benchmath.AssumeNothing.Compare(b, c)
		sc.P = cmp.P
		warnings = append(warnings, cmp.Warnings...)
	}
	sc.Notes = uniqueMessages(warnings)
	return sc
}

func summarize(s *benchmath.Sample) (Summary, []error) {
	sum := benchmath.AssumeNothing.Summary(s, Confidence)
	warnings := sum.Warnings
	if len(s.Values) == 1 {
		// A single run has no interval to speak of, and the output
		// already says n=1: a warning about it would only be noise.
		warnings = nil
	}
	return Summary{Median: sum.Center, Lo: sum.Lo, Hi: sum.Hi}, warnings
}

func uniqueMessages(errs []error) []string {
	var msgs []string
	for _, err := range errs {
		if !slices.Contains(msgs, err.Error()) {
			msgs = append(msgs, err.Error())
		}
	}
	return msgs
}

// testable reports whether the two-sided U test can reach significance
// at Alpha with n1 and n2 runs: its smallest possible p-value, when the
// samples do not overlap at all, is 2/C(n1+n2, n1). Below that (1+1,
// 2+2, 3+3, 1+n…) a test could never say "different", so the threshold
// alone has to decide or a regression would always pass.
func testable(n1, n2 int) bool {
	if n1 < 1 || n2 < 1 {
		return false
	}
	return 2/binomial(n1+n2, n1) < Alpha
}

func binomial(n, k int) float64 {
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
	}
	return c
}

func relativeChange(base, cand float64) float64 {
	switch {
	case base == cand:
		return 0
	case base == 0:
		return math.Inf(int(math.Copysign(1, cand)))
	}
	return cand/base - 1
}

// Power is the chance a comparison is meant to have of finding a true
// change the size of the allowed regression; 80% is the usual choice.
const Power = 0.8

// powerFactor turns noise into the smallest change the U test detects
// at Alpha with Power: (z(1-Alpha/2) + z(Power)) / sqrt(ARE), the normal
// approximation of a two-sample test, widened by the U test's asymptotic
// relative efficiency to the t test (3/π for normal data). Small samples
// do somewhat worse than this, which MinRuns covers.
var powerFactor = (1.959964 + 0.841621) / math.Sqrt(3/math.Pi)

// MinRuns is the fewest runs per side RunsNeeded asks for: fewer give no
// 95% confidence interval of a median.
const MinRuns = 6

// relativeNoise is the pooled standard deviation of base and cand about
// their own means, relative to ref (the baseline's median): the
// run-to-run noise of the metric. +Inf when neither side has two runs.
func relativeNoise(base, cand []float64, ref float64) float64 {
	var sum float64
	df := 0
	for _, side := range [][]float64{base, cand} {
		if len(side) < 2 {
			continue
		}
		mean := 0.0
		for _, v := range side {
			mean += v
		}
		mean /= float64(len(side))
		for _, v := range side {
			sum += (v - mean) * (v - mean)
		}
		df += len(side) - 1
	}
	switch {
	case df == 0:
		return math.Inf(1)
	case sum == 0:
		return 0
	case ref == 0:
		return math.Inf(1)
	}
	return math.Sqrt(sum/float64(df)) / math.Abs(ref)
}

// detectable is the smallest relative change n1 and n2 runs with this
// noise detect with Power.
func detectable(noise float64, n1, n2 int) float64 {
	if n1 < 1 || n2 < 1 {
		return math.Inf(1)
	}
	return powerFactor * noise * math.Sqrt(1/float64(n1)+1/float64(n2))
}

// RunsNeeded is how many runs per side detect a relative change of
// change with Power, given the noise: 2·(powerFactor·noise/change)²,
// and at least MinRuns. 0 when the noise is unknown.
func RunsNeeded(noise, change float64) int {
	if math.IsInf(noise, 0) || math.IsNaN(noise) || change <= 0 {
		return 0
	}
	n := 2 * math.Pow(powerFactor*noise/change, 2)
	return max(MinRuns, int(math.Ceil(n-floatSlack)))
}

// decide turns a verdict that found no regression into Inconclusive
// when the runs could not have found one the size of maxRegression. A
// significant difference is a finding whatever the power; without a
// test (too few runs), only a regression beyond the threshold is.
func decide(v Verdict, sc Stats, maxRegression float64) Verdict {
	if v == Regressed || sc.Detectable <= maxRegression+floatSlack {
		return v
	}
	if sc.Tested && v != Unchanged {
		return v
	}
	return Inconclusive
}

// judge applies the threshold. worsening is the change in the direction
// that is bad for the metric (the change itself for latency, its
// negation for throughput); maxRegression is the largest worsening
// allowed, 0.1 for 10%.
func judge(sc Stats, worsening, maxRegression float64) Verdict {
	significant := !sc.Tested || sc.P < Alpha
	switch {
	case !significant || worsening == 0:
		return Unchanged
	case worsening < 0:
		return Improved
	case worsening > maxRegression+floatSlack:
		return Regressed
	}
	return Worse
}

// testLabel says how a comparison was decided, benchstat style:
// "p=0.008 n=5", or why there was no test.
func (sc Stats) testLabel() string {
	n1, n2 := sc.Baseline.N(), sc.Candidate.N()
	n := fmt.Sprintf("n=%d+%d", n1, n2)
	if n1 == n2 {
		n = fmt.Sprintf("n=%d", n1)
	}
	switch {
	case n1 == 1 && n2 == 1:
		return "n=1, no significance test"
	case !sc.Tested:
		return n + ", too few runs for a significance test"
	}
	return fmt.Sprintf("p=%.3f %s", sc.P, n)
}
