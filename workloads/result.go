package workloads

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Result is what a run measured: the measured phase only, warm-up,
// preload and cleanup excluded.
type Result struct {
	Start time.Time // when the measured phase began
	// Duration is the measured phase: the planned duration, or until the
	// op count was reached, or until the run was interrupted. Throughput
	// is Count / Duration.
	Duration time.Duration
	Ops      []OpResult // one per op of the mix, in the mix's order
	// Interrupted says the context ended the run before its planned end.
	Interrupted bool
	// Unstarted counts open-loop ops scheduled inside the measured phase
	// that no client had started when it ended: the backlog of a target
	// that fell behind the rate.
	Unstarted int64
	// Unfinished counts ops started inside the measured phase that had no
	// reply when the run was interrupted, or a minute after its end.
	Unfinished int64
	// SessionsBusy is the share of the open loop's measured phase that
	// its sessions spent waiting for replies (0 in a closed loop). Near 1,
	// ops due found every session taken and waited for one: the clients
	// set the pace, not only the target.
	SessionsBusy float64
	// WritesInside and WritesOutside are the measured writes' latencies
	// sorted by the test given to SplitWrites; nil without one.
	WritesInside, WritesOutside *hdrhistogram.Histogram
	// Preload is what was preloaded before warm-up; zero without preload.
	Preload PreloadStats
	// Ephemerals is the ephemeral znodes' owners and churn; nil without
	// ephemerals.
	Ephemerals *EphemeralStats
}

// OpResult is one op type's share of a run.
type OpResult struct {
	Op Op
	// Count is the ops that succeeded: the ones in the histograms.
	Count int64
	// Errors is the ops that failed, by kind (the ZooKeeper error name:
	// NoNode, ConnectionLoss, …) in ErrorKinds.
	Errors     int64
	ErrorKinds map[string]int64
	// Intervals has one latency histogram per interval of the measured
	// phase (hlog.RunInterval of the spec's Duration), stamped with its
	// start and end, empty intervals included; the last may be shorter.
	// Microseconds, hlog's range and precision.
	Intervals []*hdrhistogram.Histogram
	// Latency is all of Intervals together.
	Latency *hdrhistogram.Histogram
}

// Phase is what a run is doing.
type Phase int32

const (
	Connecting Phase = iota // opening the sessions
	Preloading              // creating the folders and keys
	Waiting                 // at the barrier, for the other drivers of a shared workload
	WarmingUp               // running the workload, not yet measuring
	Measuring
	CleaningUp // deleting what the run created
	Done
)

func (p Phase) String() string {
	return [...]string{"connecting", "preloading", "waiting for the other drivers", "warming up", "measuring", "cleaning up", "done"}[p]
}

// Live is a progress snapshot of a run.
type Live struct {
	Phase Phase
	// Elapsed is the time into the preload, the warm-up or the measured
	// phase, Total that phase's length (0: it ends on an op count, or it
	// is the preload). Once measuring is over both are the measured
	// phase's.
	Elapsed, Total time.Duration
	Count          int64 // ops that succeeded so far in the measured phase
	Errors         int64
	// OpsPerSec is of the last complete interval (hlog.RunInterval(Duration)),
	// P99 of every complete interval of the measured phase so far; both
	// are zero before the first interval is complete, and nothing was measured in warm-up.
	OpsPerSec float64
	P99       time.Duration
	// Preloaded is, while preloading, the znodes created (or found from
	// an earlier run) so far, of PreloadTotal; 0 of 0 when the target
	// started with the tree or the workload preloads none.
	Preloaded, PreloadTotal int64
}
