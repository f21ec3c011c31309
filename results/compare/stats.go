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
	}
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
