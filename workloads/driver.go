package workloads

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"zkbench/hlog"
)

// drainLimit is how long ops in flight at the end of the measured phase
// may take to reply before their sessions are closed under them: as long
// as the longest latency a histogram can hold, since a reply later than
// that could not be recorded anyway.
const drainLimit = hlog.Highest * time.Microsecond

// A Driver runs one workload against one target: it opens a session per
// client, prepares the tree, warms up, measures and cleans up.
//
// Clients run in closed loop (each issues its next op when the last one
// replied) or, with a rate, in open loop: op k of the run is scheduled at
// k/rate after the start, the next free client takes it, and its latency
// counts from the scheduled time. A target that stalls therefore shows
// the whole stall in the latency of every op that should have run during
// it, not in one slow op (coordinated omission).
type Driver struct {
	spec   Spec
	target Target
	ran    atomic.Bool

	phase atomic.Int32
	meter atomic.Pointer[meter] // set, after plan, when warm-up begins
	final atomic.Pointer[Live]

	// State of the running phase, shared by the workers.
	plan      plan
	stop      atomic.Bool   // no new ops: the run is over
	abandon   atomic.Bool   // replies from now on come too late to count
	quit      chan struct{} // closed when the run is cut short
	tickets   atomic.Int64  // ops taken: the open-loop schedule and the op limit
	window    func() bool   // SplitWrites' test, nil: no split
	onPlan    func(start time.Time)
	onWrite   func(Write) // ObserveWrites'
	preloaded bool        // the target started with the preloaded tree
	preloadBy PreloadMethod
	// ephemerals is what registering the ephemerals took; nil without.
	ephemerals *EphemeralStats

	// share is this driver's part of the workload, part its clients and
	// keys (set by Run).
	share Share
	part  part

	// The preload's progress: set before the phase turns Preloading.
	preloadStart              time.Time
	preloadDone, preloadTotal atomic.Int64 // znodes created or found; 0 total: no keys to create
}

// OnMeasure makes the driver call f with the instant the measured phase
// will begin, as soon as it is fixed (when warm-up begins), so that
// figures collected elsewhere can cover exactly the same phase. Call
// before Run.
func (d *Driver) OnMeasure(f func(start time.Time)) { d.onPlan = f }

// SplitWrites makes the driver sort every measured write's latency by
// inWindow(), asked when the write completes: the snapshot-stall
// comparison (writes while a snapshot is being written vs the rest).
// inWindow must be cheap and safe for concurrent use. Call before Run.
func (d *Driver) SplitWrites(inWindow func() bool) { d.window = inWindow }

// Write is one write a client completed, in warm-up or measuring.
type Write struct {
	End time.Time // its reply
	Err error
	// Key and Version: a setData's key and the version it gave it when
	// the target says (VersionedConn); else "" and -1.
	Key     string
	Version int32
}

// ObserveWrites makes the driver call f for every write its clients
// complete, warm-up included, from their goroutines at once: f must be
// safe for concurrent use and cheap. The fault measurements see gaps and
// errors through it, the safety check the acknowledged versions. Call
// before Run.
func (d *Driver) ObserveWrites(f func(Write)) { d.onWrite = f }

// observe tells the write observer of op, when it is a write.
func (d *Driver) observe(w *worker, op Op, end time.Duration, err error) {
	if d.onWrite == nil || !op.IsWrite() {
		return
	}
	wr := Write{End: d.plan.base.Add(end), Err: err, Version: -1}
	if op == OpSetData {
		wr.Key, wr.Version = w.setKey, w.setVer
	}
	d.onWrite(wr)
}

// Preloaded tells the driver that the target started with the tree
// PreloadNodes lists already in place (built as its starting database):
// Run then creates only the clients' folders. Call before Run.
func (d *Driver) Preloaded() { d.preloaded = true }

// Share makes the driver run share of the workload (see Share): spec
// stays the whole workload's, the driver takes its part. Call before Run.
func (d *Driver) Share(share Share) error {
	if err := share.check(&d.spec); err != nil {
		return err
	}
	d.share = share
	return nil
}

// takeShare narrows the spec to the driver's part: its clients, its
// part of the rate (the clients' share of it) and of the op limit, and
// its keys.
func (d *Driver) takeShare() {
	s, sh := &d.spec, d.share
	total := s.Clients
	lo, hi := sh.Split(int64(total))
	d.part.clientLo, s.Clients = int(lo), int(hi-lo)
	s.Rate = s.Rate * float64(hi-lo) / float64(total)
	if s.Ops > 0 {
		lo, hi := sh.Split(s.Ops)
		s.Ops = hi - lo
	}
	klo, khi := sh.Split(int64(s.Keys))
	d.part.keyLo, d.part.keyHi = int(klo), int(khi)
}

// shared says whether other drivers run the rest of the workload.
func (d *Driver) shared() bool { return d.share.N > 1 }

// plan is when the phases of a run begin and end. Times are offsets from
// base, read with clock: time.Since on a monotonic base reads one clock
// where time.Now reads two, and the clock is read once per op.
type plan struct {
	base       time.Time     // warm-up begins
	start, end time.Duration // measuring begins and ends (noEnd: it does not)
	ops        int64         // op limit of the measured phase, 0: none
	period     float64       // open loop: ns between two ops of the schedule; 0: closed loop
	k0         int64         // open loop: the first op of the schedule in the measured phase
}

const noEnd = time.Duration(math.MaxInt64)

func (p *plan) clock() time.Duration { return time.Since(p.base) }

// length is the measured phase's, or 0 when it ends on an op count.
func (p *plan) length() time.Duration {
	if p.end == noEnd {
		return 0
	}
	return p.end - p.start
}

// past says whether t is at or after the end of the measured phase.
func (p *plan) past(t time.Duration) bool { return t >= p.end }

// NewDriver validates spec and returns a driver for it.
func NewDriver(spec Spec, t Target) (*Driver, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return &Driver{spec: spec, target: t, quit: make(chan struct{}), share: Whole, part: part{keyHi: spec.Keys}}, nil
}

// Run runs the workload once. When ctx ends during warm-up or measuring,
// Run stops the clients, closes the sessions and returns what was measured
// with Interrupted set; when it ends earlier, or the target fails to
// connect or to preload, Run returns an error. Cleanup is skipped when
// the sessions had to be closed under ops in flight (interrupted, or no
// reply within a minute of the end); a failed cleanup is returned
// together with the result.
func (d *Driver) Run(ctx context.Context) (*Result, error) {
	if d.ran.Swap(true) {
		return nil, errors.New("workloads: a Driver runs once")
	}
	defer d.phase.Store(int32(Done))
	d.takeShare()
	s := &d.spec
	d.phase.Store(int32(Connecting))
	sess, err := connect(ctx, d.target, s.Clients)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer sess.close()

	l := newLayout(s.Root, s.Keys, s.Depth)
	v := newValues(s.Values, s.Seed)
	d.preloadStart = time.Now()
	d.phase.Store(int32(Preloading))
	setup, err := d.prepare(ctx, sess, l, v)
	if err != nil {
		return nil, fmt.Errorf("preload: %w", err)
	}
	var own *owners
	if s.Ephemerals > 0 {
		var st EphemeralStats
		own, st, err = d.register(ctx, sess, v)
		if err != nil {
			return nil, fmt.Errorf("ephemerals: %w", err)
		}
		defer own.close()
		d.ephemerals = &st
	}
	if d.shared() {
		d.phase.Store(int32(Waiting))
		if err := d.share.barrier(ctx, sess.conns[0], s.Root+"/drivers"); err != nil {
			return nil, err
		}
	}

	res := d.drive(ctx, sess, l, v, own)
	res.Preload = setup
	if own != nil {
		own.close() // before cleanup, which need not delete what the sessions' ends do
	}
	if !s.Cleanup || d.abandon.Load() {
		// The sessions were closed under the ops in flight: nothing left
		// to clean up with, and a target that hung would hang cleanup too.
		return res, nil
	}
	d.phase.Store(int32(CleaningUp))
	if err := d.cleanup(ctx, sess, l); err != nil {
		return res, fmt.Errorf("cleanup: %w", err)
	}
	return res, nil
}

// Live returns a progress snapshot. It is safe to call at any time from
// any goroutine, and cheap: the histogram work is done once per second.
func (d *Driver) Live() Live {
	if final := d.final.Load(); final != nil {
		l := *final
		l.Phase = Phase(d.phase.Load()) // cleaning up, then done
		return l
	}
	l := Live{Phase: Phase(d.phase.Load())}
	if l.Phase == Preloading {
		l.Elapsed = time.Since(d.preloadStart)
		l.Preloaded, l.PreloadTotal = d.preloadDone.Load(), d.preloadTotal.Load()
		return l
	}
	m := d.meter.Load()
	if m == nil || l.Phase != WarmingUp {
		return l
	}
	p := &d.plan
	now := p.clock()
	if now < p.start {
		l.Elapsed, l.Total = now, p.start
		return l
	}
	l.Phase = Measuring
	l.Total = p.length()
	m.live(now-p.start, &l)
	return l
}

// drive runs warm-up and the measured phase, and with owners of
// ephemerals and a churn period their churn alongside.
func (d *Driver) drive(ctx context.Context, sess *sessions, l *layout, v *values, own *owners) *Result {
	s := &d.spec
	p := &d.plan
	*p = plan{base: time.Now(), start: s.Warmup, end: noEnd, ops: s.Ops}
	if s.Duration > 0 {
		p.end = p.start + s.Duration
	}
	if s.Rate > 0 {
		p.period = float64(time.Second) / s.Rate
		p.k0 = int64(math.Ceil(float64(s.Warmup) / p.period))
	}
	m := newMeter(p.base.Add(p.start), min(s.Clients, runtime.GOMAXPROCS(0)), hlog.RunInterval(s.Duration))
	if d.onPlan != nil {
		d.onPlan(p.base.Add(p.start))
	}
	d.meter.Store(m)
	d.phase.Store(int32(WarmingUp)) // Live reports Measuring from plan.start on

	workers := make([]*worker, s.Clients)
	var wg sync.WaitGroup
	for i := range workers {
		w := newWorker(d.part.clientLo+i, sess.conns[i], s, l, v, d.part)
		w.shard = m.shard(i)
		workers[i] = w
		if p.period > 0 {
			wg.Go(func() { d.openLoop(w, m) })
		} else {
			wg.Go(func() { d.closedLoop(w, m) })
		}
	}
	var churn []ChurnEvent
	churned, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(churned)
		if own != nil && s.EphemeralChurn > 0 {
			churn = d.churn(ctx, own, v, done)
		}
	}()
	interrupted, at := d.wait(ctx, &wg, sess)
	close(done)
	<-churned
	res := d.result(workers, m, interrupted, at)
	if d.ephemerals != nil {
		st := *d.ephemerals
		st.Churn = churn
		res.Ephemerals = &st
	}
	return res
}

// wait waits for the workers to finish. When ctx ends first, or ops are
// still in flight drainLimit after the end, it stops the workers and
// closes the sessions under the ops in flight, which then do not count.
// It returns whether ctx ended the run, and when.
func (d *Driver) wait(ctx context.Context, wg *sync.WaitGroup, sess *sessions) (interrupted bool, at time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var drain <-chan time.Time
	if p := &d.plan; p.end != noEnd {
		t := time.NewTimer(p.end - p.clock() + drainLimit)
		defer t.Stop()
		drain = t.C
	}
	select {
	case <-done:
		return false, 0
	case <-ctx.Done():
		interrupted, at = true, d.plan.clock()
	case <-drain:
	}
	d.abandon.Store(true)
	d.stop.Store(true)
	close(d.quit)
	sess.close()
	<-done
	return interrupted, at
}

// closedLoop runs one client in closed loop: each op is issued when the
// previous one replied. An op's start is taken as the previous op's end,
// saving a clock read per op; the difference is the driver's own work
// between the two, well below the histograms' microsecond.
func (d *Driver) closedLoop(w *worker, m *meter) {
	p := &d.plan
	now := p.clock()
	for !d.stop.Load() {
		measured := now >= p.start
		if measured {
			if !d.admit(now) {
				return
			}
			w.started++
		}
		op := w.next()
		err := w.do(op)
		end := p.clock()
		d.observe(w, op, end, err)
		if measured {
			d.settle(w, m, op, now, end, err)
		}
		now = end
	}
}

// openLoop runs one client in open loop: it takes the next op of the
// schedule, waits for its time if that is still ahead, and measures from
// the scheduled time. A client that is late takes the op at once: the
// backlog of a stalled target is worked off at full speed, and every op
// of it carries the time it waited.
func (d *Driver) openLoop(w *worker, m *meter) {
	p := &d.plan
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	now := p.clock()
	for !d.stop.Load() {
		k := d.tickets.Add(1) - 1
		due := time.Duration(float64(k) * p.period)
		measured := k >= p.k0
		if measured && (p.past(due) || p.past(now) || p.ops > 0 && k-p.k0 >= p.ops) {
			return
		}
		if wait := due - now; wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-d.quit:
				return
			}
		}
		if measured {
			w.started++
		}
		op := w.next()
		err := w.do(op)
		end := p.clock()
		d.observe(w, op, end, err)
		if measured {
			d.settle(w, m, op, due, end, err)
			w.busy += end - max(due, now)
		}
		now = end
	}
}

// admit decides whether a closed-loop client may begin a measured op at
// now, and counts it.
func (d *Driver) admit(now time.Duration) bool {
	p := &d.plan
	return !p.past(now) && (p.ops == 0 || d.tickets.Add(1) <= p.ops)
}

// settle records a measured op, unless its reply came after the run gave
// up waiting.
func (d *Driver) settle(w *worker, m *meter, op Op, start, end time.Duration, err error) {
	if d.abandon.Load() {
		w.unfinished++
		return
	}
	m.record(w.shard, op, end-d.plan.start, end-start, err, d.window)
	w.lastEnd = max(w.lastEnd, end)
}

// result gathers what the workers measured.
func (d *Driver) result(workers []*worker, m *meter, interrupted bool, at time.Duration) *Result {
	p := &d.plan
	var started, unfinished int64
	var lastEnd, busy time.Duration
	for _, w := range workers {
		started += w.started
		unfinished += w.unfinished
		lastEnd = max(lastEnd, w.lastEnd)
		busy += w.busy
	}
	stop := p.end
	if p.ops > 0 && started >= p.ops {
		stop = min(stop, lastEnd) // the op limit ended the run: at its last reply
	}
	if interrupted {
		stop = min(stop, at)
	}
	if stop == noEnd { // cannot happen: without an end, only the op limit or ctx stops clients
		stop = lastEnd
	}
	stop = max(stop, p.start)
	res := &Result{
		Start:       p.base.Add(p.start),
		Duration:    stop - p.start,
		Ops:         m.finish(stop-p.start, d.spec.Mix.Ops()),
		Interrupted: interrupted,
		Unfinished:  unfinished,
	}
	if d.window != nil {
		res.WritesInside, res.WritesOutside = m.splitWrites()
	}
	if p.period > 0 {
		res.Unstarted = max(0, p.scheduled(stop)-started)
		if len(workers) > 0 && res.Duration > 0 {
			res.SessionsBusy = min(1, float64(busy)/float64(res.Duration)/float64(len(workers)))
		}
	}
	d.final.Store(finalLive(res))
	return res
}

// scheduled counts the ops the open-loop schedule places in the measured
// phase before stop.
func (p *plan) scheduled(stop time.Duration) int64 {
	n := int64(math.Ceil(float64(stop)/p.period)) - p.k0
	if p.ops > 0 {
		n = min(n, p.ops)
	}
	return max(0, n)
}

// finalLive is the snapshot Live returns once measuring is over: the
// whole measured phase.
func finalLive(r *Result) *Live {
	l := &Live{Phase: Done, Elapsed: r.Duration, Total: r.Duration}
	all := hlog.NewHistogram()
	for _, op := range r.Ops {
		l.Count += op.Count
		l.Errors += op.Errors
		all.Merge(op.Latency)
	}
	if r.Duration > 0 {
		l.OpsPerSec = float64(l.Count) / r.Duration.Seconds()
	}
	l.P99 = time.Duration(all.ValueAtQuantile(99)) * time.Microsecond
	return l
}
