// Package merge adds up the results of the drivers that ran one workload
// together (zkbench run --driver I/N, each on its own machine, against
// one real ensemble) into the result of the whole workload: one
// result.json, one .hlog per op, one report. Histograms add exactly (an
// HDR histogram's counts add bucket by bucket), so the merged
// percentiles are those of every driver's ops in one histogram; the
// drivers' intervals are aligned by their time stamps.
package merge

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/hlog"
	"zkbench/results"
	"zkbench/results/report"
)

// ErrUnlike is returned, wrapped, when the folders are not the drivers
// of one workload: a different workload or knob, a driver missing or
// given twice, a folder that is no driver's run.
var ErrUnlike = errors.New("not the drivers of one run")

// driverKey is the config key that says which driver a run was.
const driverKey = "driver"

// run is one driver's folder, read.
type run struct {
	dir    string
	res    *results.Result
	i, n   int
	hlogs  map[string][]*hdrhistogram.Histogram // by op
	ending time.Time                            // the end of its measured phase
}

// Merge reads the run folders in dirs, one per driver of a shared
// workload, checks that they are all N drivers of one run, and writes
// their sum into out, which must not exist or be empty. It returns the
// merged result. Nothing is written unless everything was read and
// checked.
func Merge(dirs []string, out string) (*results.Result, error) {
	if len(dirs) == 0 {
		return nil, errors.New("no run folder to merge")
	}
	runs := make([]*run, len(dirs))
	for k, d := range dirs {
		r, err := read(d)
		if err != nil {
			return nil, err
		}
		runs[k] = r
	}
	if err := alike(runs); err != nil {
		return nil, err
	}
	slices.SortFunc(runs, func(a, b *run) int { return a.i - b.i })
	merged, ops, start, err := sum(runs)
	if err != nil {
		return nil, err
	}
	if err := write(out, merged, ops, start); err != nil {
		return nil, err
	}
	return merged, nil
}

// read reads a driver's result.json and its ops' interval logs.
func read(dir string) (*run, error) {
	res, err := results.ReadFile(filepath.Join(dir, results.ResultFile))
	if err != nil {
		return nil, err
	}
	r := &run{dir: dir, res: res, hlogs: map[string][]*hdrhistogram.Histogram{},
		ending: res.Started.Add(time.Duration(res.DurationS * float64(time.Second)))}
	sh, _ := res.Config.Other[driverKey].(string)
	if _, err := fmt.Sscanf(sh, "%d/%d", &r.i, &r.n); err != nil || r.n < 2 {
		return nil, fmt.Errorf("%s: %w: not a run of one of several drivers (result.json has no config.driver I/N)", dir, ErrUnlike)
	}
	for _, op := range res.Ops {
		path := filepath.Join(dir, op.Hlog)
		ivs, err := hlog.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if n := hlog.Merge(ivs).TotalCount(); n != op.Count {
			return nil, fmt.Errorf("%s: holds %d values, result.json counts %d %s ops", path, n, op.Count, op.Op)
		}
		r.hlogs[op.Op] = ivs
	}
	return r, nil
}

// sameKeys are knobs allowed to differ between drivers: which one it
// was, and the folders of nothing (a zk:// run has no member folders).
var sameKeys = []string{driverKey, "dataDir", "dataLogDir"}

// alike refuses folders that are not the N drivers of one run, in one
// line naming what differs.
func alike(runs []*run) error {
	first := runs[0]
	seen := map[int]string{}
	for _, r := range runs {
		if r.n != first.n {
			return fmt.Errorf("%w: %s is driver %d/%d, %s driver %d/%d", ErrUnlike, first.dir, first.i, first.n, r.dir, r.i, r.n)
		}
		if d, ok := seen[r.i]; ok {
			return fmt.Errorf("%w: %s and %s are both driver %d/%d", ErrUnlike, d, r.dir, r.i, r.n)
		}
		seen[r.i] = r.dir
		if diff := differences(first.res, r.res); len(diff) > 0 {
			return fmt.Errorf("%w: %s and %s differ in %s", ErrUnlike, first.dir, r.dir, strings.Join(diff, ", "))
		}
	}
	var missing []string
	for i := 1; i <= first.n; i++ {
		if _, ok := seen[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, first.n))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: driver %s missing: the merge of some drivers is not the run's", ErrUnlike, strings.Join(missing, ", "))
	}
	return nil
}

// differences lists the knobs, and the target, in which b's run differs
// from a's, with both values.
func differences(a, b *results.Result) []string {
	fa, fb := a.Config.Flat(), b.Config.Flat()
	fa["target"], fb["target"] = a.Target, b.Target
	var diff []string
	for _, k := range slices.Sorted(maps.Keys(mapsUnion(fa, fb))) {
		if slices.Contains(sameKeys, k) {
			continue
		}
		if va, vb := fmt.Sprint(fa[k]), fmt.Sprint(fb[k]); va != vb {
			diff = append(diff, fmt.Sprintf("%s (%s vs %s)", k, va, vb))
		}
	}
	return diff
}

func mapsUnion(a, b map[string]any) map[string]any {
	u := maps.Clone(a)
	maps.Copy(u, b)
	return u
}

// sum adds the drivers' figures up: ops by op, their intervals aligned
// by time from the earliest driver's start; the rest (the servers'
// figures from mntr, the setup, the environment) is the first driver's,
// since all of them read the same ensemble over the same phase.
func sum(runs []*run) (*results.Result, map[string][]*hdrhistogram.Histogram, time.Time, error) {
	first := runs[0].res
	start, end := runs[0].res.Started, runs[0].ending
	for _, r := range runs {
		start, end = minTime(start, r.res.Started), maxTime(end, r.ending)
	}
	step := intervalOf(runs)
	m := *first
	m.Started, m.DurationS = start, end.Sub(start).Seconds()
	m.Config.Other = maps.Clone(first.Config.Other)
	delete(m.Config.Other, driverKey)
	m.Config.Other["drivers"] = runs[0].n
	m.Ops, m.Total, m.MergedFrom = nil, results.Total{}, nil
	var hosts []string
	ops := map[string][]*hdrhistogram.Histogram{}
	for _, r := range runs {
		abs, err := filepath.Abs(r.dir)
		if err != nil {
			return nil, nil, start, err
		}
		m.MergedFrom = append(m.MergedFrom, abs)
		m.Interrupted = m.Interrupted || r.res.Interrupted
		if h := r.res.Environment.Hostname; !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
		if r.res.Setup != nil && m.Setup != nil {
			setup := *m.Setup
			setup.PreloadS = max(setup.PreloadS, r.res.Setup.PreloadS)
			m.Setup = &setup
		}
		for _, op := range r.res.Ops {
			ops[op.Op] = align(ops[op.Op], r.hlogs[op.Op], start, step)
			m.Ops = addOp(m.Ops, op)
		}
	}
	m.Environment.Hostname = strings.Join(hosts, ",")
	for k := range m.Ops {
		op := &m.Ops[k]
		closeGaps(ops[op.Op], step)
		op.Latency = results.PercentilesOf(hlog.Merge(ops[op.Op]))
		op.ThroughputOpsS = results.PerSecond(op.Count, m.DurationS)
		m.Total.Count += op.Count
		m.Total.Errors += op.Errors
	}
	m.Total.ThroughputOpsS = results.PerSecond(m.Total.Count, m.DurationS)
	m.Total.SessionsBusyPct = meanBusy(runs)
	m.Timeseries = timeseries(ops, step)
	return &m, ops, start, nil
}

// meanBusy is the drivers' sessions' busy share: the mean of theirs, as
// each ran an equal share of the sessions; nil when one has none.
func meanBusy(runs []*run) *float64 {
	var sum float64
	for _, r := range runs {
		if r.res.Total.SessionsBusyPct == nil {
			return nil
		}
		sum += *r.res.Total.SessionsBusyPct
	}
	mean := sum / float64(len(runs))
	return &mean
}

// addOp adds op's counts to its entry of ops, appending one for a new op.
func addOp(ops []results.OpStats, op results.OpStats) []results.OpStats {
	k := slices.IndexFunc(ops, func(o results.OpStats) bool { return o.Op == op.Op })
	if k < 0 {
		return append(ops, results.OpStats{Op: op.Op, Count: op.Count, Errors: op.Errors, Hlog: op.Op + ".hlog"})
	}
	ops[k].Count += op.Count
	ops[k].Errors += op.Errors
	return ops
}

// intervalOf is the drivers' interval length: that of the first full
// interval of any op (every driver of one run has the same, from the
// same planned duration); a run of one interval has no other.
func intervalOf(runs []*run) time.Duration {
	var step int64
	for _, r := range runs {
		for _, ivs := range r.hlogs {
			if len(ivs) > 1 {
				step = max(step, ivs[0].EndTimeMs()-ivs[0].StartTimeMs())
			}
		}
	}
	if step <= 0 {
		return hlog.RunInterval(time.Duration(runs[0].res.DurationS * float64(time.Second)))
	}
	return time.Duration(step) * time.Millisecond
}

// align adds ivs into merged, each interval into the slot of
// [start + k·step, start + (k+1)·step) its own start is nearest: the
// drivers start their measured phases together to within milliseconds,
// a small part of an interval. A slot starts at its bound and ends with
// the latest interval put into it (the last may be short); a slot none
// fell into (closeGaps) lasts a step.
func align(merged, ivs []*hdrhistogram.Histogram, start time.Time, step time.Duration) []*hdrhistogram.Histogram {
	s, w := start.UnixMilli(), step.Milliseconds()
	for _, iv := range ivs {
		k := max(0, int(math.Round(float64(iv.StartTimeMs()-s)/float64(w))))
		for len(merged) <= k {
			h := hlog.NewHistogram()
			at := s + int64(len(merged))*w
			h.SetStartTimeMs(at)
			h.SetEndTimeMs(at) // no interval in it yet
			merged = append(merged, h)
		}
		merged[k].Merge(iv)
		merged[k].SetEndTimeMs(max(merged[k].EndTimeMs(), iv.EndTimeMs()))
	}
	return merged
}

// closeGaps gives the slots no interval fell into their step's length.
func closeGaps(ivs []*hdrhistogram.Histogram, step time.Duration) {
	for _, h := range ivs {
		if h.EndTimeMs() == h.StartTimeMs() {
			h.SetEndTimeMs(h.StartTimeMs() + step.Milliseconds())
		}
	}
}

// timeseries has a point per merged interval: every op together. CPU
// and disk were each driver's machine's, which are not the target's,
// and are left out.
func timeseries(ops map[string][]*hdrhistogram.Histogram, step time.Duration) []results.TimePoint {
	n := 0
	for _, ivs := range ops {
		n = max(n, len(ivs))
	}
	points := make([]results.TimePoint, 0, n)
	for k := range n {
		var at []*hdrhistogram.Histogram
		for _, name := range slices.Sorted(maps.Keys(ops)) {
			if ivs := ops[name]; k < len(ivs) {
				at = append(at, ivs[k])
			}
		}
		points = append(points, results.OpsPoint(time.Duration(k+1)*step, at))
	}
	return points
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// write puts the merged result.json, .hlog files and report into out,
// created if missing; an out that holds anything is refused, so that
// nothing is overwritten.
func write(out string, m *results.Result, ops map[string][]*hdrhistogram.Histogram, start time.Time) error {
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return fmt.Errorf("--out %s: folder exists and is not empty", out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	for _, op := range m.Ops {
		comment := fmt.Sprintf("zkbench: %s latency, %d drivers merged", op.Op, len(m.MergedFrom))
		if err := hlog.WriteFile(filepath.Join(out, op.Hlog), start, ops[op.Op], comment); err != nil {
			return err
		}
	}
	if err := m.WriteFile(filepath.Join(out, results.ResultFile)); err != nil {
		return err
	}
	return report.WriteFile(filepath.Join(out, "report.html"), []string{out})
}
