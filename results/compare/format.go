package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"

	"zkbench/results/table"
)

// WriteText writes the report as an aligned table with a verdict line,
// for a terminal or a job log.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "baseline:  %s\ncandidate: %s\n\n", r.Baseline.describe(), r.Candidate.describe())
	// Numbers right-aligned, words left: the columns of table().
	right := []bool{false, true, true, true, false, false}
	for _, row := range table.Lines(r.table(), right) {
		b.WriteString(row + "\n")
	}
	b.WriteString("\n" + r.method() + "\n")
	for _, n := range r.notes() {
		b.WriteString("note: " + n + "\n")
	}
	b.WriteString(r.conclusion() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report as a Markdown table, for a pull
// request or a wiki page.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n\nbaseline: %s, candidate: %s\n\n",
		r.conclusion(), r.Baseline.describeMarkdown(), r.Candidate.describeMarkdown())
	t := r.table()
	for i, row := range t {
		if i == 0 {
			row = []string{"metric", "baseline", "candidate", "change", "test", "verdict"}
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		if i == 0 {
			b.WriteString("|---|--:|--:|--:|---|---|\n")
		}
	}
	b.WriteString("\n" + r.method() + "\n")
	if notes := r.notes(); len(notes) > 0 {
		b.WriteString("\nNotes:\n")
		for _, n := range notes {
			b.WriteString("- " + n + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// table is the header and one row per metric, shared by text and
// Markdown. No cell holds a "|", so none needs escaping for Markdown.
func (r *Report) table() [][]string {
	t := [][]string{{"METRIC", "BASELINE", "CANDIDATE", "CHANGE", "TEST", "VERDICT"}}
	for _, row := range r.Rows {
		t = append(t, []string{row.Metric,
			formatSummary(row.Baseline, row.Unit), formatSummary(row.Candidate, row.Unit),
			formatChange(row.Change), row.testLabel(), r.verdictText(row)})
	}
	return t
}

func (r *Report) method() string {
	m := fmt.Sprintf("median ± %.0f%% confidence interval of each side's runs; Mann-Whitney U test at alpha %v. "+
		"A metric fails when it is significantly worse by more than %s", Confidence*100, Alpha, formatPct(r.MaxRegression))
	if slices.ContainsFunc(r.Rows, func(row Row) bool { return !row.Tested }) {
		m += " (by the threshold alone where there are too few runs for the test)"
	}
	return m + fmt.Sprintf(". Where nothing regressed but the runs' noise hides a %s change (%.0f%% power), the result is inconclusive.",
		formatPct(r.MaxRegression), Power*100)
}

// notes are what was compared with --force, then the rows' warnings.
func (r *Report) notes() []string {
	var forced []string
	for _, f := range r.Forced {
		forced = append(forced, "compared with --force: "+f)
	}
	return append(forced, r.metricNotes()...)
}

// metricNotes are the rows' warnings, each once, naming the metrics it
// is about unless it is about all of them.
func (r *Report) metricNotes() []string {
	var notes []string
	metrics := map[string][]string{}
	for _, row := range r.Rows {
		for _, n := range row.Notes {
			if metrics[n] == nil {
				notes = append(notes, n)
			}
			metrics[n] = append(metrics[n], row.Metric)
		}
	}
	for i, n := range notes {
		if len(metrics[n]) < len(r.Rows) {
			notes[i] = strings.Join(metrics[n], ", ") + ": " + n
		}
	}
	return notes
}

// Conclusion is the outcome in one line: which metrics regressed, that
// the runs cannot tell, or that none regressed.
func (r *Report) Conclusion() string {
	bad := r.regressedMetrics()
	switch {
	case len(bad) > 0:
		return fmt.Sprintf("%d of %d metrics regressed beyond %s: %s",
			len(bad), len(r.Rows), formatPct(r.MaxRegression), strings.Join(bad, ", "))
	case r.Inconclusive():
		return r.undecided()
	}
	return "no metric regressed beyond " + formatPct(r.MaxRegression)
}

// undecided says why an inconclusive comparison is: the run counts, the
// noise of the noisiest undecided metric, and the runs that would decide.
func (r *Report) undecided() string {
	var worst Row
	for _, row := range r.Rows {
		if row.Verdict == Inconclusive && !(row.Noise <= worst.Noise) {
			worst = row
		}
	}
	runs := runCounts(worst.Baseline.N(), worst.Candidate.N())
	metrics := strings.Join(r.metricsJudged(Inconclusive), ", ")
	change := formatPct(r.MaxRegression)
	need := RunsNeeded(worst.Noise, r.MaxRegression)
	switch {
	case r.MaxRegression <= 0 && !math.IsInf(worst.Noise, 1):
		return fmt.Sprintf("%s, noise ±%s (%s): with --max-regression 0%% any noise hides a regression; allow some",
			runs, formatNoise(worst.Noise), metrics)
	case need == 0:
		return fmt.Sprintf("%s, too few to measure the noise (%s): a %s regression would not show; repeat the runs, at least %d per side",
			runs, metrics, change, MinRuns)
	}
	return fmt.Sprintf("%s, noise ±%s (%s): a %s regression would not show; about %d runs per side would show one",
		runs, formatNoise(worst.Noise), metrics, change, need)
}

// runCounts is "3 runs per side" or "5+3 runs".
func runCounts(n1, n2 int) string {
	switch {
	case n1 != n2:
		return fmt.Sprintf("%d+%d runs", n1, n2)
	case n1 == 1:
		return "1 run per side"
	}
	return fmt.Sprintf("%d runs per side", n1)
}

// formatNoise prints a relative noise as a percentage, to two significant
// figures where it is small.
func formatNoise(noise float64) string {
	if noise < 0.1 {
		return strconv.FormatFloat(noise*100, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(noise*100, 'f', 0, 64) + "%"
}

// conclusion is Conclusion marked for a reader scanning a job log.
func (r *Report) conclusion() string {
	switch {
	case r.Regressed():
		return "FAIL: " + r.Conclusion()
	case r.Inconclusive():
		return "inconclusive: " + r.Conclusion()
	}
	return "ok: " + r.Conclusion()
}

func (r *Report) verdictText(row Row) string {
	switch row.Verdict {
	case Regressed:
		return "REGRESSED, beyond " + formatPct(r.MaxRegression)
	case Worse:
		return "worse, within " + formatPct(r.MaxRegression)
	case Unchanged:
		if row.Tested && row.Change != 0 {
			return "no significant change"
		}
	case Inconclusive:
		if math.IsInf(row.Noise, 1) {
			return "inconclusive, noise unknown"
		}
		return "inconclusive, noise ±" + formatNoise(row.Noise)
	}
	return string(row.Verdict)
}

func (rs *Runs) describe() string {
	return rs.Path + " " + rs.count()
}

func (rs *Runs) describeMarkdown() string {
	return "`" + rs.Path + "` " + rs.count()
}

// count says how many runs a side holds and which: "(3 runs: r1, r2,
// r3)".
func (rs *Runs) count() string {
	if len(rs.Files) == 1 {
		return "(1 run)"
	}
	return fmt.Sprintf("(%d runs: %s)", len(rs.Files), rs.runNames())
}

// formatSummary prints a side as benchstat does: the median ± the
// confidence interval's half-width in percent, "∞" when there are too
// few runs for one; a single run is just its value.
func formatSummary(s Summary, unit string) string {
	v := formatValue(s.Median, unit)
	if s.N() == 1 {
		return v
	}
	ci := benchmath.Summary{Center: s.Median, Lo: s.Lo, Hi: s.Hi}
	return v + " ± " + ci.PctRangeString()
}

// formatValue prints a latency the way people read them (850 µs,
// 1.23 ms, 1.5 s) and a throughput as ops/s.
func formatValue(v float64, unit string) string {
	if unit == UnitOpsPerSecond {
		return table.Figure(v) + " ops/s"
	}
	return table.Micros(v)
}

func formatChange(c float64) string {
	switch {
	case math.IsInf(c, 1):
		return "+∞%"
	case math.IsInf(c, -1):
		return "-∞%"
	case c == 0:
		return "0%"
	}
	return fmt.Sprintf("%+.1f%%", c*100)
}

func formatPct(fraction float64) string {
	return strconv.FormatFloat(fraction*100, 'f', -1, 64) + "%"
}

// The JSON output, a contract for scripts like result.json: snake_case
// names, percentages in _pct, and null where a number does not exist
// (an interval with too few runs, a change from a baseline of 0).
type jsonReport struct {
	Baseline         jsonSide  `json:"baseline"`
	Candidate        jsonSide  `json:"candidate"`
	MaxRegressionPct float64   `json:"max_regression_pct"`
	Alpha            float64   `json:"alpha"`
	Confidence       float64   `json:"confidence"`
	Regressed        bool      `json:"regressed"`
	Inconclusive     bool      `json:"inconclusive"`
	Conclusion       string    `json:"conclusion"`
	Forced           []string  `json:"forced,omitempty"`
	Metrics          []jsonRow `json:"metrics"`
}

type jsonSide struct {
	Path string   `json:"path"`
	Runs []string `json:"runs"`
}

type jsonRow struct {
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	// Better is "higher" or "lower".
	Better    string      `json:"better"`
	Baseline  jsonSummary `json:"baseline"`
	Candidate jsonSummary `json:"candidate"`
	ChangePct *float64    `json:"change_pct"`
	// P is null when the run counts allow no test.
	P *float64 `json:"p"`
	// NoisePct and DetectablePct are null when the noise is unknown.
	NoisePct      *float64 `json:"noise_pct"`
	DetectablePct *float64 `json:"detectable_pct"`
	Test          string   `json:"test"`
	Verdict       Verdict  `json:"verdict"`
	Notes         []string `json:"notes,omitempty"`
}

type jsonSummary struct {
	N      int       `json:"n"`
	Median float64   `json:"median"`
	CILo   *float64  `json:"ci_lo"`
	CIHi   *float64  `json:"ci_hi"`
	Values []float64 `json:"values"`
}

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	out := jsonReport{
		Baseline:         jsonSide{r.Baseline.Path, r.Baseline.Files},
		Candidate:        jsonSide{r.Candidate.Path, r.Candidate.Files},
		MaxRegressionPct: r.MaxRegression * 100,
		Alpha:            Alpha,
		Confidence:       Confidence,
		Regressed:        r.Regressed(),
		Inconclusive:     r.Inconclusive(),
		Conclusion:       r.conclusion(),
		Forced:           r.Forced,
		Metrics:          make([]jsonRow, 0, len(r.Rows)),
	}
	for _, row := range r.Rows {
		out.Metrics = append(out.Metrics, toJSONRow(row))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // notes say ">= 6 samples"
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("compare: write JSON: %w", err)
	}
	return nil
}

func toJSONRow(row Row) jsonRow {
	j := jsonRow{Metric: row.Metric, Unit: row.Unit, Better: "lower",
		Baseline: toJSONSummary(row.Baseline), Candidate: toJSONSummary(row.Candidate),
		ChangePct: finite(row.Change * 100), Test: row.testLabel(),
		NoisePct: finite(row.Noise * 100), DetectablePct: finite(row.Detectable * 100),
		Verdict: row.Verdict, Notes: row.Notes}
	if row.HigherIsBetter {
		j.Better = "higher"
	}
	if row.Tested {
		j.P = finite(row.P)
	}
	return j
}

func toJSONSummary(s Summary) jsonSummary {
	return jsonSummary{N: s.N(), Median: s.Median, CILo: finite(s.Lo), CIHi: finite(s.Hi), Values: s.Values}
}

// finite returns a pointer to v, or nil (JSON null) when v is infinite
// or NaN, which JSON cannot hold.
func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}
