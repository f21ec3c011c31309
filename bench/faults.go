package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/bench/internal/faults"
	"zkbench/engine"
	"zkbench/engine/disk"
	"zkbench/hlog"
	"zkbench/results"
	"zkbench/workloads"
	"zkbench/workloads/zkmanaged"
)

// ErrLostWrites is returned, wrapped, by a run with faults at whose end
// a write the ensemble had acknowledged was not on every member: the
// run's result is written, with lost_acked_writes and the keys.
var ErrLostWrites = faults.ErrLostWrites

// ErrFaultSpec wraps a faults value that does not parse.
var ErrFaultSpec = faults.ErrSpec

// safetyTimeout bounds the wait, after the workload, for every member to
// serve and catch up before the acknowledged writes are read back.
const safetyTimeout = time.Minute

// checkFaults checks the plan's faults against its ensemble, before
// anything starts.
func (p *Plan) checkFaults() error {
	if len(p.faults) == 0 {
		return nil
	}
	if p.Managed() {
		return faults.CheckServers(p.faults, faults.Ensemble{Servers: p.engine.Servers, Observers: p.engine.Observers,
			Measured: p.spec.Duration})
	}
	if !p.Embedded() {
		return fmt.Errorf("faults=%s: a %s target's members are not zkbench's to crash, cut off or slow down; faults need the embedded ensemble or --target zookeeper",
			faults.FormatList(p.faults), p.target)
	}
	return faults.Check(p.faults, faults.Ensemble{Servers: p.engine.Servers, Observers: p.engine.Observers,
		Partitions: p.engine.Transport == engine.TransportInProc, Measured: p.spec.Duration})
}

// prepareFaults puts the members' disks behind the fault schedule and
// its recorder among the event sinks; cfg is the ensemble's config.
func (r *runner) prepareFaults(cfg *engine.Config) {
	if len(r.plan.faults) == 0 {
		return
	}
	r.sched = faults.NewSchedule(r.plan.faults)
	r.faultRec = faults.NewRecorder(r.sched)
	base := cfg.FS
	cfg.FS = func(id uint64) disk.FS {
		inner := disk.OS
		if base != nil {
			inner = base(id)
		}
		return r.sched.Disk(id, inner)
	}
	sinks := engine.SinkFunc(func(e engine.Event) { r.servers.Publish(e); r.faultRec.Publish(e) })
	cfg.Events = sinks
}

// prepareServerFaults puts the real servers zkbench started under the
// fault schedule: kill is a SIGKILL of a JVM, the healing a start again.
func (r *runner) prepareServerFaults(e *zkmanaged.Ensemble) {
	if len(r.plan.faults) == 0 {
		return
	}
	r.sched = faults.NewSchedule(r.plan.faults)
	r.faultRec = faults.NewRecorder(r.sched)
	r.sched.AttachServers(e)
}

// observeFaults hooks the driver to the fault schedule: the faults'
// times count from its measured start, it reports every write, and it
// leaves the tree in place for the safety check.
func (r *runner) observeFaults(drv *workloads.Driver) {
	if r.sched == nil {
		return
	}
	if r.ens != nil {
		r.sched.Attach(r.ens)
	}
	drv.ObserveWrites(r.faultRec.Write)
}

// runFaults steps the schedule until the returned func is called.
func (r *runner) runFaults() func() {
	if r.sched == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.sched.Run(ctx) }()
	return func() { cancel(); <-done }
}

// safety heals what is still in force and reads every acknowledged
// write back from every member. It returns the check's finding; an
// error of its own (the ensemble would not serve again) is a notice.
type safety struct {
	lost []faults.Lost
	err  error
}

func (r *runner) endFaults(ctx context.Context) *safety {
	if r.sched == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, safetyTimeout)
	defer cancel()
	if r.managed != nil {
		r.sched.HealAll(time.Now())
		lost, err := r.sched.CheckAckedServers(cctx, r.faultRec.Acked())
		return &safety{lost: lost, err: err}
	}
	if r.ens == nil || r.ens.FirstFailure() != nil {
		return nil
	}
	r.sched.HealAll(time.Now())
	lost, err := faults.CheckAcked(cctx, r.ens, r.faultRec.Acked())
	return &safety{lost: lost, err: err}
}

// faultResults fills in result.json's faults and lost writes.
func (r *runner) faultResults(out *results.Result, res *workloads.Result, s *safety) {
	if r.sched == nil {
		return
	}
	out.Faults = r.faultRec.Results(res.Start.Add(res.Duration), writeLatency(res, r.interval()))
	if s == nil || s.err != nil {
		return
	}
	n := len(s.lost)
	out.LostAckedWrites = &n
	for i, l := range s.lost {
		if i == 10 {
			break
		}
		out.LostKeys = append(out.LostKeys, l.String())
	}
}

// lostError is the run's error for a failed safety check, nil for none.
func lostError(s *safety) error {
	if s == nil || len(s.lost) == 0 {
		return nil
	}
	var names []string
	for i, l := range s.lost {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(s.lost)-5))
			break
		}
		names = append(names, l.String())
	}
	return fmt.Errorf("%w: %d acknowledged writes are not on every member: %s", ErrLostWrites, len(s.lost), strings.Join(names, "; "))
}

// writeLatency merges the write ops' interval histograms that overlap
// [from, to).
func writeLatency(res *workloads.Result, every time.Duration) faults.Latency {
	return func(from, to time.Time) *hdrhistogram.Histogram {
		first, last := int(from.Sub(res.Start)/every), int(to.Sub(res.Start)/every)
		h := hlog.NewHistogram()
		for _, op := range res.Ops {
			if !op.Op.IsWrite() {
				continue
			}
			for i := max(first, 0); i <= last && i < len(op.Intervals); i++ {
				h.Merge(op.Intervals[i])
			}
		}
		if h.TotalCount() == 0 {
			return nil
		}
		return h
	}
}
