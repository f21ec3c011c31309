package compare

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"zkbench/results"
)

// ErrNotComparable is returned, wrapped, when the runs are not one
// experiment: the sides (or the runs within a side) differ in what was
// asked of the target, or a run was interrupted. Options.Force compares
// them anyway, with the differences among the report's notes.
var ErrNotComparable = errors.New("not comparable")

// experimentKeys are what makes two runs the same experiment: what the
// clients asked of which kind of target. Runs that differ in one of these
// measure different things, so a change between them says nothing about
// the knob (a mount, a version) the comparison is meant to judge.
var experimentKeys = []struct {
	name  string
	value func(*results.Result) string
}{
	{"workload", func(r *results.Result) string { return r.Config.Workload }},
	{"mix", func(r *results.Result) string { return otherKnob(r, "mix") }},
	{"target", targetKind},
	{"clients", func(r *results.Result) string { return strconv.Itoa(r.Config.Clients) }},
	{"rate", func(r *results.Result) string { return strconv.FormatFloat(r.Config.Rate, 'f', -1, 64) }},
	{slaKey, func(r *results.Result) string { return otherKnob(r, slaKey) }},
}

func otherKnob(r *results.Result, key string) string {
	if v, ok := r.Config.Other[key]; ok {
		return fmt.Sprint(v)
	}
	return ""
}

// targetKind is "embedded" or "external": two real ensembles at
// different addresses are still the same kind of experiment.
func targetKind(r *results.Result) string {
	if strings.HasPrefix(r.Target, "zk://") {
		return "external"
	}
	return r.Target
}

// mismatches lists the experiment keys in which the sides, or the runs
// within one side, differ, and the interrupted runs. Keys a sweep varied
// between the sides of LoadSweepSides are its point, not a mismatch.
func mismatches(base, cand *Runs) []string {
	var found []string
	for _, side := range []struct {
		name string
		rs   *Runs
	}{{"baseline", base}, {"candidate", cand}} {
		for _, f := range side.rs.Interruptions() {
			found = append(found, side.name+" "+f)
		}
		found = append(found, side.rs.differences(side.name)...)
	}
	b, c := base.results[0], cand.results[0]
	var keys []string
	for _, k := range experimentKeys {
		if bv, cv := k.value(b), k.value(c); bv != cv && !slices.Contains(base.varied, k.name) {
			keys = append(keys, fmt.Sprintf("%s (%s vs %s)", k.name, orUnset(bv), orUnset(cv)))
		}
	}
	if len(keys) > 0 {
		found = append(found, "baseline and candidate differ in "+strings.Join(keys, ", "))
	}
	return found
}

// differences names the knobs in which a side's runs differ from its
// first: such runs are not repeats of one experiment. Every knob counts
// here, not only the experiment keys (a folder of runs of different
// snapCounts is no sample of one), except the member folders, which are
// fresh temporary ones for each run unless given.
func (rs *Runs) differences(side string) []string {
	var found []string
	first := rs.results[0].Config.Flat()
	first["target"] = rs.results[0].Target
	for _, k := range slices.Sorted(maps.Keys(first)) {
		if k == "dataDir" || k == "dataLogDir" {
			continue
		}
		for i, r := range rs.results[1:] {
			flat := r.Config.Flat()
			flat["target"] = r.Target
			if v0, v := fmt.Sprint(first[k]), fmt.Sprint(flat[k]); v != v0 {
				found = append(found, fmt.Sprintf("%s %s: its runs differ in %s (%s in %s, %s in %s), so they are not repeats",
					side, rs.Path, k, v0, rs.Files[0], v, rs.Files[i+1]))
				break
			}
		}
	}
	return found
}

// Interruptions name the runs that were interrupted, and the sweep they
// came from when that was cut short: runs that are not a complete sample.
func (rs *Runs) Interruptions() []string {
	var found []string
	for i, r := range rs.results {
		if r.Interrupted {
			found = append(found, fmt.Sprintf("%s: an interrupted run (%.2f s measured)", rs.Files[i], r.DurationS))
		}
	}
	if rs.sweep != nil && rs.sweep.Interrupted {
		found = append(found, fmt.Sprintf("%s: from a sweep interrupted after %d of %d runs",
			rs.Path, len(rs.sweep.Runs), rs.sweep.Planned))
	}
	return found
}

func orUnset(v string) string { return cmp.Or(v, "unset") }

// runNames lists the side's runs by folder name, the first few only
// for a long list.
func (rs *Runs) runNames() string {
	const shown = 6
	var names []string
	for _, f := range rs.Files {
		names = append(names, filepath.Base(filepath.Dir(f)))
	}
	if len(names) > shown {
		names = append(names[:shown], fmt.Sprintf("and %d more", len(names)-shown))
	}
	return strings.Join(names, ", ")
}
