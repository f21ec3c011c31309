package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
	"zkbench/bench/internal/faults"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/shirou/gopsutil/v3/host"
	"github.com/shirou/gopsutil/v3/mem"

	"zkbench/bench/internal/collect"
	"zkbench/hlog"
	"zkbench/results"
	"zkbench/results/device"
	"zkbench/results/report"
	"zkbench/workloads"
)

// assemble builds result.json from the driver's and the servers' figures.
func (r *runner) assemble(res *workloads.Result, roles map[uint64]string) *results.Result {
	p := r.plan
	out := &results.Result{
		Schema: results.Schema, ZkbenchVersion: Version(), Profile: p.profile,
		Started: res.Start.UTC(), DurationS: res.Duration.Seconds(), Target: p.target,
		Config:      r.config(),
		Environment: r.environment(),
	}
	secs := res.Duration.Seconds()
	for _, op := range res.Ops {
		out.Ops = append(out.Ops, results.OpStats{
			Op: op.Op.String(), Count: op.Count, Errors: op.Errors,
			ThroughputOpsS: results.PerSecond(op.Count, secs),
			Latency:        results.PercentilesOf(op.Latency), Hlog: op.Op.String() + ".hlog",
		})
		out.Total.Count += op.Count
		out.Total.Errors += op.Errors
	}
	out.Total.ThroughputOpsS = results.PerSecond(out.Total.Count, secs)
	if out.Config.Rate > 0 {
		busy := 100 * res.SessionsBusy
		out.Total.SessionsBusyPct = &busy
	}
	if r.servers != nil {
		out.Servers = r.servers.Results(roles, func(id uint64) string { return fmt.Sprintf("fsync-%d.hlog", id) })
		out.Events = r.servers.Events()
		out.SnapshotStall = r.stall(res)
	}
	if r.external != nil {
		mntr := r.externalServers(context.Background(), r.external, r.baseline(res.Duration > 0), r.mntrEnd)
		if r.managed != nil {
			out.Servers = managedServers(out.Servers, mntr)
			r.countSnapshotNodes(out.Servers)
		} else {
			out.Servers = mntr
		}
	}
	out.Timeseries = r.timeseries(res)
	out.Setup = r.setup(res)
	out.Ephemerals = ephemerals(res.Ephemerals)
	if out.Events == nil {
		out.Events = []results.Event{}
	}
	out.Warnings = results.RunWarnings(out)
	return out
}

// setup is result.json's setup: the snapshot preload's figures, or
// what the driver's creates took, or both when the members started from
// a user's snapshot and the keys were created beside its tree, with the
// members' start-up restores.
func (r *runner) setup(res *workloads.Result) *results.Setup {
	method := r.plan.preloadMethod()
	if method == "" {
		return nil
	}
	st := r.initial
	if st == nil {
		st = &results.Setup{Method: method}
	}
	if method != preloadSnapshot {
		p := res.Preload
		st.Znodes, st.Bytes, st.PreloadS = st.Znodes+p.Znodes, st.Bytes+p.Bytes, st.PreloadS+p.Duration.Seconds()
	}
	st.RestoreMs = []float64{}
	if r.servers != nil {
		st.RestoreMs = r.servers.Restores()
	}
	return st
}

// ephemerals is result.json's ephemerals; nil without.
func ephemerals(st *workloads.EphemeralStats) *results.Ephemerals {
	if st == nil {
		return nil
	}
	e := &results.Ephemerals{Znodes: st.Znodes, Sessions: st.Sessions, RegisterS: st.Register.Seconds(), Churn: []results.Churn{}}
	for _, c := range st.Churn {
		rc := results.Churn{AtS: c.At.Seconds(), Znodes: c.Znodes, CloseMs: ms(c.Close), RegisterMs: ms(c.Register)}
		if c.Err != nil {
			rc.Error = c.Err.Error()
		}
		e.Churn = append(e.Churn, rc)
	}
	return e
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r *runner) config() results.Config {
	p := r.plan
	c := results.Config{
		Workload: p.spec.Workload, Clients: p.spec.Clients, Rate: p.spec.Rate,
		ValueSize: p.spec.Values.Mean(), Keys: p.spec.Keys,
		Other: map[string]any{"target": p.target},
	}
	if len(p.faults) > 0 {
		c.Other["faults"] = faults.FormatList(p.faults)
	}
	for k, v := range p.spec.Knobs() {
		c.Other[k] = v
	}
	if r.ens != nil {
		e := r.ens.Config()
		c.Servers, c.Observers = e.Servers, e.Observers
		c.DataDir, c.DataLogDir = e.DataDir, e.DataLogDir
		c.PreAllocSize, c.PreallocMode = e.PreAllocSize, e.PreallocMode.String()
		c.SnapCount, c.SnapRandomize = e.SnapCount, e.SnapRandomize
		c.ForceSync, c.MaxBatchSize = e.ForceSync, e.MaxBatchSize
		for k, v := range e.Knobs() {
			c.Other[k] = v
		}
		c.Other["clientTransport"] = p.clientTransport
	}
	if r.managed != nil {
		r.fillManagedConfig(&c)
	} else if r.conf != nil {
		confKnobs(&c, r.conf) // a zk:// ensemble's, as it says it runs
	}
	if p.preloadFrom != "" {
		c.Other["preloadFrom"] = p.preloadFrom
	}
	if p.zooCfg != "" {
		c.Other["zooCfg"] = p.zooCfg
	}
	if p.share.N > 1 {
		c.Other["driver"] = p.share.String()
	}
	return c
}

func (r *runner) deviceFacts() []results.Device {
	var ds []results.Device
	logDir := r.plan.logDir
	if logDir == "" {
		logDir = r.plan.dataDir // the logs live in the dataDirs
	}
	for _, d := range []struct{ role, dir string }{{"dataDir", r.plan.dataDir}, {"dataLogDir", logDir}} {
		if d.dir == "" {
			continue
		}
		if f, err := device.Lookup(d.dir); err == nil {
			ds = append(ds, results.Device{Role: d.role, Facts: f})
		}
	}
	return ds
}

func (r *runner) environment() results.Environment {
	env := results.Environment{OS: runtime.GOOS, CPUs: runtime.NumCPU(), Devices: r.deviceFacts()}
	env.Hostname, _ = os.Hostname()
	if v, err := host.KernelVersion(); err == nil {
		env.Kernel = v
	}
	if m, err := mem.VirtualMemory(); err == nil {
		env.Memory = m.Total
	}
	if env.Devices == nil {
		env.Devices = []results.Device{}
	}
	return env
}

// stall compares write latency and fsync latency inside snapshot windows
// (some member writing a snapshot) with outside them; both were sorted
// as they completed.
func (r *runner) stall(res *workloads.Result) results.SnapshotStall {
	st := results.SnapshotStall{Windows: len(r.servers.Windows())}
	st.WriteP99UsInside, st.WritesInside = results.StallOf(res.WritesInside)
	st.WriteP99UsOutside, st.WritesOutside = results.StallOf(res.WritesOutside)
	inside, outside := r.servers.FsyncStall()
	st.FsyncP99UsInside, st.FsyncsInside = results.StallOf(inside)
	st.FsyncP99UsOutside, st.FsyncsOutside = results.StallOf(outside)
	return st
}

// timeseries has one point per interval of the measured phase.
func (r *runner) timeseries(res *workloads.Result) []results.TimePoint {
	n := 0
	for _, op := range res.Ops {
		n = max(n, len(op.Intervals))
	}
	fsyncs := r.fsyncIntervals()
	samples := r.system.Samples()
	points := make([]results.TimePoint, 0, n)
	for i := range n {
		var ivs []*hdrhistogram.Histogram
		for _, op := range res.Ops {
			if i < len(op.Intervals) {
				ivs = append(ivs, op.Intervals[i])
			}
		}
		end := time.Duration(i+1) * r.interval()
		pt := results.OpsPoint(end, ivs)
		if i < len(fsyncs) {
			pt.FsyncP99Us = fsyncs[i].ValueAtQuantile(99)
		}
		if s, ok := sampleAt(samples, res.Start.Add(end), r.interval()); ok {
			pt.CPUPct, pt.ProcCPUPct = s.CPUPct, s.ProcCPUPct
			for name, d := range s.Disk {
				pt.Disk[name] = results.DiskPoint{WriteBytesS: d.WriteBytesS, UtilPct: d.UtilPct}
			}
		}
		points = append(points, pt)
	}
	return points
}

// fsyncIntervals merges every member's fsync histograms interval by
// interval.
func (r *runner) fsyncIntervals() []*hdrhistogram.Histogram {
	if r.ens == nil {
		return nil
	}
	var merged []*hdrhistogram.Histogram
	for _, id := range r.ens.Members() {
		for i, iv := range r.servers.FsyncIntervals(id) {
			if i == len(merged) {
				merged = append(merged, hlog.NewHistogram())
			}
			merged[i].Merge(iv)
		}
	}
	return merged
}

// sampleAt returns the system sample taken closest to t, within every.
func sampleAt(ss []collect.Sample, t time.Time, every time.Duration) (collect.Sample, bool) {
	best, found := collect.Sample{}, false
	for _, s := range ss {
		if d := s.T.Sub(t).Abs(); d <= every && (!found || d < best.T.Sub(t).Abs()) {
			best, found = s, true
		}
	}
	return best, found
}

// write puts result.json, the .hlog files and report.html into the
// output folder.
func (r *runner) write(result *results.Result, res *workloads.Result) error {
	for _, op := range res.Ops {
		path := filepath.Join(r.plan.Out, op.Op.String()+".hlog")
		if err := hlog.WriteFile(path, res.Start, op.Intervals, "zkbench: "+op.Op.String()+" latency"); err != nil {
			return err
		}
	}
	if r.ens != nil {
		for _, id := range r.ens.Members() {
			path := filepath.Join(r.plan.Out, fmt.Sprintf("fsync-%d.hlog", id))
			if err := hlog.WriteFile(path, res.Start, r.servers.FsyncIntervals(id), fmt.Sprintf("zkbench: txn log sync latency of member %d", id)); err != nil {
				return err
			}
		}
	}
	if err := r.writeConf(); err != nil {
		return err
	}
	if err := result.WriteFile(filepath.Join(r.plan.Out, results.ResultFile)); err != nil {
		return err
	}
	return report.WriteFile(filepath.Join(r.plan.Out, "report.html"), []string{r.plan.Out})
}
