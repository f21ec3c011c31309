package compare

import (
	"errors"
	"fmt"
	"path/filepath"

	"zkbench/results"
)

// maxRate is a capacity search's metric: the highest offered rate that
// met its SLA. A nightly capacity search tracks it as a run's
// throughput is tracked.
const maxRate = "max_rate"

// slaKey carries a capacity search's SLA among the knobs of the run that
// stands for it: searches against different SLAs are different
// experiments.
const slaKey = "sla"

// capacityFiles lists the capacity.json at path: path itself (the
// file, or a capacity folder), or each subfolder's (repeated searches).
// ok is false when there is none, so that path is read as runs.
func capacityFiles(path string, dir bool) (files []string, ok bool) {
	if !dir {
		return []string{path}, filepath.Base(path) == results.CapacityFile
	}
	if f := filepath.Join(path, results.CapacityFile); isFile(f) {
		return []string{f}, true
	}
	subs, _ := filepath.Glob(filepath.Join(path, "*", results.CapacityFile))
	return subs, len(subs) > 0
}

// capacityRun is a capacity search as one run of the comparison: its
// maximum is the run's only figure.
func capacityRun(path string) (*results.Result, error) {
	c, err := results.ReadCapacity(path)
	if err != nil {
		return nil, err
	}
	return &results.Result{Profile: c.Profile, Started: c.Started, Target: c.Target, Interrupted: c.Interrupted,
		Config: results.Config{Workload: c.Workload, Other: map[string]any{
			slaKey: fmt.Sprintf("p%v<=%dus", c.SLA.Percentile, c.SLA.MaxUs)}},
		Total: results.Total{ThroughputOpsS: c.MaxRateOpsS}}, nil
}

// isCapacity reports whether r stands for a capacity search.
func isCapacity(r *results.Result) bool { _, ok := r.Config.Other[slaKey]; return ok }

func allCapacity(runs []*results.Result) bool {
	for _, r := range runs {
		if !isCapacity(r) {
			return false
		}
	}
	return len(runs) > 0
}

func maxRateMetric() metric {
	return metric{name: maxRate, unit: UnitOpsPerSecond, higherIsBetter: true,
		value: func(r *results.Result) (float64, error) {
			if !isCapacity(r) {
				return 0, errors.New("not a capacity search (max_rate is capacity.json's)")
			}
			return r.Total.ThroughputOpsS, nil
		}}
}
