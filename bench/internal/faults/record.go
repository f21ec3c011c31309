package faults

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/engine"
	"zkbench/results"
	"zkbench/workloads"
)

// Recorder hears what a run with faults needs to measure them: every
// write the driver completes (Write), the engine's elections, restores
// and syncs (Publish), and the version each setData acknowledged per key.
// Its methods are safe for concurrent use and cheap: they run on the
// clients' and the members' paths.
type Recorder struct {
	sched *Schedule
	// clock, when set, dates the events kept instead of their own times:
	// a test that steps the schedule on a clock of its own dates them on
	// the same one.
	clock func() time.Time

	mu     sync.Mutex
	lastOK time.Time          // the latest successful write so far
	gaps   []gap              // per fault window, the longest so far
	long   []gap              // every gap of at least longGap, in order
	errs   []map[string]int64 // per fault window, failed writes by kind
	events []engine.Event     // elections, member up/down, syncs
	// Real servers' polls: each one's mode at the last, and every time
	// one answered with a mode after not answering (Member, Time).
	modes   map[int]string
	serving []engine.Event

	ackMu sync.Mutex
	acked map[string]int32 // key → highest acknowledged version
}

type gap struct{ from, to time.Time }

// longGap is the shortest gap kept for the gaps while a fault is in
// force: below it a gap is the time between two writes of a busy run,
// and keeping them all would cost memory per write.
const longGap = 10 * time.Millisecond

func (g gap) len() time.Duration { return g.to.Sub(g.from) }

// NewRecorder records for sched's faults.
func NewRecorder(sched *Schedule) *Recorder {
	n := len(sched.faults)
	r := &Recorder{sched: sched, gaps: make([]gap, n), errs: make([]map[string]int64, n), acked: map[string]int32{}}
	for i := range r.errs {
		r.errs[i] = map[string]int64{}
	}
	sched.observe = r.serverModes
	return r
}

// Publish keeps the events a fault's figures come from.
func (r *Recorder) Publish(e engine.Event) {
	switch e.Kind {
	case engine.EventLeaderElected, engine.EventMemberUp, engine.EventMemberDown, engine.EventLearnerSynced:
		if r.clock != nil {
			e.Time = r.clock()
		}
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
	}
}

// Write takes one completed write.
func (r *Recorder) Write(w workloads.Write) {
	if w.Err == nil && w.Key != "" && w.Version >= 0 {
		r.ackMu.Lock()
		if v, ok := r.acked[w.Key]; !ok || w.Version > v {
			r.acked[w.Key] = w.Version
		}
		r.ackMu.Unlock()
	}
	start := r.sched.Start()
	r.mu.Lock()
	defer r.mu.Unlock()
	if start.IsZero() {
		if w.Err == nil && w.End.After(r.lastOK) {
			r.lastOK = w.End
		}
		return
	}
	if w.Err != nil {
		if i := r.window(start, w.End); i >= 0 {
			r.errs[i][workloads.ErrorKind(w.Err)]++
		}
		return
	}
	if !w.End.After(r.lastOK) {
		return // a reply that overtook this one closed the gap already
	}
	g := gap{r.lastOK, w.End}
	if g.from.IsZero() {
		g.from = start
	}
	r.lastOK = w.End
	for i := range r.sched.faults {
		from, to := r.bounds(start, i)
		if g.from.Before(to) && g.to.After(from) && g.len() > r.gaps[i].len() {
			r.gaps[i] = g
		}
	}
	if g.len() >= longGap {
		r.long = append(r.long, g)
	}
}

// bounds is fault i's window: from its time to the next later fault's.
func (r *Recorder) bounds(start time.Time, i int) (from, to time.Time) {
	at := r.sched.faults[i].spec.At
	next := time.Duration(1<<63 - 1)
	for _, f := range r.sched.faults {
		if f.spec.At > at && f.spec.At < next {
			next = f.spec.At
		}
	}
	from = start.Add(at)
	if next == time.Duration(1<<63-1) {
		return from, time.Unix(1<<62, 0)
	}
	return from, start.Add(next)
}

// window is the fault window holding t, or -1 (before the first fault).
// Faults struck at the same time share it: the first of them counts.
func (r *Recorder) window(start, t time.Time) int {
	best := -1
	for i := range r.sched.faults {
		if from, to := r.bounds(start, i); !t.Before(from) && t.Before(to) && best < 0 {
			best = i
		}
	}
	return best
}

// Acked returns each key's highest acknowledged version.
func (r *Recorder) Acked() map[string]int32 {
	r.ackMu.Lock()
	defer r.ackMu.Unlock()
	out := make(map[string]int32, len(r.acked))
	for k, v := range r.acked {
		out[k] = v
	}
	return out
}

// Latency gives the writes' latency histogram of [from, to), at the
// resolution of the run's time series; nil when nothing was recorded.
type Latency func(from, to time.Time) *hdrhistogram.Histogram

// Results says what each fault did, measured until end.
func (r *Recorder) Results(end time.Time, latency Latency) []results.Fault {
	r.sched.mu.Lock()
	start, srv := r.sched.start, r.sched.srv
	faults := make([]struck, len(r.sched.faults))
	for i, f := range r.sched.faults {
		faults[i] = *f
	}
	r.sched.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	secs := func(t time.Time) float64 { return t.Sub(start).Seconds() }
	out := make([]results.Fault, len(faults))
	for i, f := range faults {
		from, next := r.bounds(start, i)
		to := next
		if to.After(end) {
			to = end
		}
		res := results.Fault{Spec: f.spec.String(), Kind: string(f.spec.Kind), Member: int(f.member), Role: f.role,
			AtS: f.spec.At.Seconds(), WindowEnd: secs(to), WriteErrors: r.errs[i]}
		if f.err != nil {
			res.Error = f.err.Error()
		}
		if !f.at.IsZero() {
			res.AtS = secs(f.at)
			from = f.at
		}
		if !f.healed.IsZero() {
			h := secs(f.healed)
			res.HealedS = &h
		}
		g := r.gaps[i]
		last := r.lastOK
		if last.Before(start) {
			last = start
		}
		if tail := (gap{last, end}); last.Before(to) && tail.len() > g.len() {
			g = tail // no write succeeded since: the gap lasts to the end
		}
		if !g.to.IsZero() {
			res.UnavailableS, res.GapFromS, res.GapToS = g.len().Seconds(), secs(g.from), secs(g.to)
		}
		if !f.at.IsZero() {
			until := to
			if !f.healed.IsZero() && f.healed.Before(until) {
				until = f.healed
			}
			if g := r.longestIn(f.at, until, last, end); !g.to.IsZero() {
				res.InForceGapS, res.InForceGapFromS, res.InForceGapToS = g.len().Seconds(), secs(g.from), secs(g.to)
			}
		}
		if !f.at.IsZero() && f.member != 0 && srv != nil {
			r.followServer(&res, f, from, next, latency, srv.LogFile(int(f.member)))
		} else if !f.at.IsZero() && f.member != 0 {
			// An election the last fault caused counts even when it came
			// after the measured phase (the run heals before its check).
			r.follow(&res, f, from, next, latency)
		}
		out[i] = res
	}
	return out
}

// longestIn is the longest gap of at least longGap that overlaps
// [from, to), the tail from last to end included; zero when none.
func (r *Recorder) longestIn(from, to, last, end time.Time) gap {
	var best gap
	for _, g := range append(r.long, gap{last, end}) {
		if g.from.Before(to) && g.to.After(from) && g.len() >= longGap && g.len() > best.len() {
			best = g
		}
	}
	return best
}

// follow fills in the election, restore, sync and serving figures of
// fault f from the events in [from, to).
func (r *Recorder) follow(res *results.Fault, f struck, from, to time.Time, latency Latency) {
	ms := func(d time.Duration) *float64 { v := float64(d.Microseconds()) / 1000; return &v }
	for _, e := range r.events {
		if e.Kind == engine.EventLeaderElected && !e.Time.Before(from) && e.Time.Before(to) {
			res.ElectionMs, res.NewLeader = ms(e.Time.Sub(from)), int(e.Member)
			break
		}
	}
	if f.healed.IsZero() {
		return
	}
	back := f.healed // when the member could start serving again
	for _, e := range r.events {
		if e.Member != f.member || e.Time.Before(f.healed) {
			continue
		}
		switch e.Kind {
		case engine.EventMemberUp:
			if res.Restore == nil {
				res.Restore = restoreOf(e)
				back = e.Time.Add(e.Duration)
			}
		case engine.EventLearnerSynced:
			if res.Sync == nil {
				txns := e.Txns
				res.Sync = &results.FaultSync{Mode: e.Mode, Txns: &txns, Bytes: e.Bytes, Ms: *ms(e.Time.Sub(back)), Leader: int(e.Peer)}
				res.ServingAgainMs = ms(e.Time.Sub(f.healed))
				if h := latency(back, e.Time); h != nil {
					p := results.PercentilesOf(h)
					res.WritesDuringSync = &p
				}
			}
		case engine.EventLeaderElected:
			if res.ServingAgainMs == nil {
				res.ServingAgainMs = ms(e.Time.Sub(f.healed))
			}
		}
	}
}

// restoreOf is a member-up event's restore, by phase when it has them.
func restoreOf(e engine.Event) *results.FaultRestore {
	ms := func(d time.Duration) *float64 { v := float64(d.Microseconds()) / 1000; return &v }
	nodes := e.Nodes
	r := &results.FaultRestore{Ms: *ms(e.Duration), Nodes: &nodes, Zxid: fmt.Sprintf("0x%x", e.Zxid), Skipped: []string{}}
	p := e.Restore
	if p == nil {
		return r
	}
	if p.Snapshot != "" {
		r.Snapshot = filepath.Base(p.Snapshot)
	}
	bytes, snapNodes, replayed, files := p.SnapshotBytes, p.Nodes, p.Replayed, p.LogFiles
	r.SnapshotBytes, r.SnapshotNodes = &bytes, &snapNodes
	for _, s := range p.Skipped {
		r.Skipped = append(r.Skipped, fmt.Sprintf("%s: %v", filepath.Base(s.Path), s.Err))
	}
	r.PickMs, r.LoadMs = ms(p.Pick), ms(p.Load)
	r.ReplayedTxns, r.LogFiles, r.ReplayMs, r.EpochCheckMs = &replayed, &files, ms(p.Replay), ms(p.EpochCheck)
	return r
}
