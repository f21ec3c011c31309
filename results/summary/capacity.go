package summary

import (
	"fmt"
	"io"
	"strconv"

	"zkbench/results"
	"zkbench/results/table"
)

// Capacity prints a capacity search: the answer first, then a line per
// step, the prediction against the measurement, and where the files are.
func Capacity(w io.Writer, c *results.Capacity, out string) {
	fmt.Fprintln(w, c.Answer())
	for _, warning := range c.Warnings {
		fmt.Fprintln(w, "warning: "+warning)
	}
	if c.PrimeS > 0 {
		fmt.Fprintf(w, "primed: %.0f s closed loop before the first step (%s/, not a step)\n", c.PrimeS, results.PrimeFolder)
	}
	fmt.Fprintln(w)
	rows := [][]string{{"STEP", "OFFERED", "CLIENTS", "ACHIEVED", "P50", "P99", "P99.9", "ERRORS", "CPU (ZKBENCH)", "LOG DEV", "SYNC SHARE", "TXNS/SYNC", "VERDICT"}}
	for i, st := range c.Steps {
		verdict := "pass"
		if !st.Pass {
			verdict = "fail: " + st.Why
		}
		offered := results.Thousands(st.Rate)
		if st.Repeat > 1 {
			offered += fmt.Sprintf(" (%d)", st.Repeat)
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), offered, strconv.Itoa(st.Clients), results.Thousands(st.AchievedOpsS),
			table.Micros(st.P50Us), table.Micros(st.P99Us), table.Micros(st.P999Us), itoa(st.Errors),
			fmt.Sprintf("%.0f%% (%.0f%%)", st.CPUPct, st.ProcCPUPct), pct(st.DiskUtilPct, 1), pct(st.SyncShare, 100), orDash(st.TxnsPerSync), verdict})
	}
	table.Write(w, rows, []bool{true, true, true, true, true, true, true, true, true, true, true, true, false})
	if p := c.Prediction; p != nil {
		predicted := results.Thousands(p.MaxRateOpsS)
		if !p.DiskBound && p.MaxRateOpsS > 0 {
			predicted = "over " + predicted
		}
		fmt.Fprintf(w, "\npredicted from %s: %s writes/s; measured %s (%s)\n  %s\n", p.Probe, predicted,
			results.Thousands(c.MaxRateOpsS), ratio(c.MaxRateOpsS, p), p.Note)
	}
	fmt.Fprintf(w, "\nresults: %s\n", Written(out))
}

func pct(v *float64, scale float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", *v*scale)
}

func orDash(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f", *v)
}

// ratio says how far the measurement is from the prediction.
func ratio(measured float64, p *results.Prediction) string {
	switch {
	case !p.DiskBound:
		return "the model puts no disk ceiling below the rates searched: the limit is elsewhere"
	case p.MaxRateOpsS == 0:
		return "the model found no rate"
	}
	return fmt.Sprintf("%+.0f%% of the prediction", 100*(measured-p.MaxRateOpsS)/p.MaxRateOpsS)
}
