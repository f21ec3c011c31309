package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"zkbench/bench/internal/collect"
	"zkbench/bench/internal/faults"
	"zkbench/engine"
	"zkbench/hlog"
	"zkbench/internal/runfolders"
	"zkbench/results"
	"zkbench/workloads"
	"zkbench/workloads/embedded"
	"zkbench/workloads/zkmanaged"
	"zkbench/workloads/zktarget"
)

// Sink hears how a run goes while it runs. Its methods are called one
// at a time from the run's goroutines and should return quickly: the run
// waits for them.
type Sink interface {
	// Progress is called about once a second while the workload runs.
	Progress(Progress)
	// Notice is a line for whoever started the run: the data folders it
	// kept, an error it survived, a sweep's next run and its figures.
	Notice(string)
}

// Progress is the state of a run's workload.
type Progress struct {
	workloads.Live
	// Snapshots counts the snapshots the members began so far; -1 for a
	// zk:// ensemble, which does not say (servers zkbench started are
	// counted from their files).
	Snapshots int
}

type discard struct{}

func (discard) Progress(Progress) {}
func (discard) Notice(string)     {}

// ErrInterrupted is returned, wrapped, when the caller's context ended a
// run or sweep before its planned end (SIGINT, SIGTERM). What was
// measured until then is written and marked interrupted.
var ErrInterrupted = errors.New("interrupted")

// Run carries out plan: it creates the output folder (plan.Out, or
// DefaultOut), starts the embedded ensemble in member folders it creates
// (or connects to the zk:// target), runs the workload, and writes
// result.json, one .hlog per op type and member, and report.html, the
// layout docs/result-schema.md describes. It removes the member folders
// it created unless the plan keeps them, and nothing else.
//
// A run that measured something returns its result even with an error:
// when a member failed on its own (a full disk, say) the run stops, and
// what it measured until then is written, since the figures up to the
// failure are often the point. The same goes for an interrupted run,
// whose error wraps ErrInterrupted. sink may be nil.
func Run(ctx context.Context, plan *Plan, sink Sink) (*results.Result, error) {
	if sink == nil {
		sink = discard{}
	}
	r := &runner{plan: plan, sink: sink}
	return r.run(ctx)
}

// runner carries out one plan: folders, ensemble, workload, results.
type runner struct {
	plan *Plan
	sink Sink

	folders    *runfolders.Set // what this run created and removes at the end
	memberDirs []string        // the member folders, data and log
	ens        *engine.Ensemble
	failRoles  map[uint64]string // the members' roles when a failure stopped them
	external   *zktarget.Target
	mntrStart  <-chan []zktarget.ServerStats // the external servers' mntr at the measured start
	servers    *collect.Servers
	system     *collect.System
	initial    *results.Setup // the snapshot preload, done before the members start
	// start is the snapshot file the members start from (preloadFrom),
	// read through before anything is created.
	start *engine.StartingSnapshot
	// sched strikes the plan's faults, faultRec measures them; nil
	// without faults.
	sched    *faults.Schedule
	faultRec *faults.Recorder

	// A managed target: its servers, their conf replies, the Java and
	// ZooKeeper they run on, the file watch's stop and mntr at the end.
	managed  *zkmanaged.Ensemble
	conf     []map[string]string
	install  zkmanaged.Install
	stopScan func(end time.Time)
	mntrEnd  []zktarget.ServerStats
	rolesEnd []string // srvr's modes, read before the servers stopped
	// serving: the ensemble serves clients until stopped (Serve), with no
	// run to collect figures for. Its members' own figures, in fixed
	// memory, are what the four-letter words report.
	serving bool
}

// interval is the length of one interval of the run's recordings and
// time series: the driver's, from the same measured length.
func (r *runner) interval() time.Duration { return hlog.RunInterval(r.plan.spec.Duration) }

func (r *runner) run(ctx context.Context) (*results.Result, error) {
	if err := r.plan.Check(); err != nil {
		return nil, err
	}
	if err := r.plan.checkSessions(); err != nil {
		return nil, err
	}
	if err := r.readStart(); err != nil {
		return nil, err
	}
	if err := r.locateManaged(); err != nil {
		return nil, err
	}
	if r.plan.Embedded() {
		avail, err := availableMemory()
		if err != nil {
			return nil, err
		}
		if err := checkMemory(r.plan, avail); err != nil {
			return nil, err
		}
	}
	folders, err := runfolders.Begin("run")
	if err != nil {
		return nil, err
	}
	r.folders = folders
	defer r.cleanup()
	if !r.plan.staleNamed {
		nameStale(r.sink)
	}
	if err := r.prepareOut(); err != nil {
		return nil, err
	}
	if r.plan.Embedded() || r.plan.Managed() {
		if err := r.prepareData(r.estimateSpace()); err != nil {
			return nil, err
		}
		r.nameData()
		if err := r.initialize(); err != nil {
			return nil, err
		}
		start := r.startEnsemble
		if r.plan.Managed() {
			start = r.startManaged
		}
		if err := start(ctx); err != nil {
			return nil, r.unmeasured(ctx, err)
		}
	}
	drv, err := r.driver(ctx)
	if err != nil {
		return nil, r.unmeasured(ctx, err)
	}
	res, runErr := r.measure(ctx, drv)
	if res == nil {
		if failed := r.failed(); failed != nil {
			return nil, fmt.Errorf("%w (before anything was measured)", failed)
		}
		return nil, r.unmeasured(ctx, runErr)
	}
	safe := r.endFaults(ctx)
	roles := r.stopEnsemble(res.Start.Add(res.Duration))
	failed := r.failed() // checked once all have stopped: any failure until then counts
	result := r.assemble(res, roles)
	r.faultResults(result, res, safe)
	// A member's failure cancels the workload too; only the caller's
	// context ending is an interruption.
	result.Interrupted = failed == nil && res.Interrupted && ctx.Err() != nil
	if err := r.write(result, res); err != nil {
		return nil, err
	}
	if failed != nil {
		return result, fmt.Errorf("%w (the run stopped after %v of measuring; results so far in %s)",
			failed, res.Duration.Round(time.Millisecond), r.plan.Out)
	}
	if err := lostError(safe); err != nil {
		return result, fmt.Errorf("%w (results in %s)", err, r.plan.Out)
	}
	if safe != nil && safe.err != nil {
		r.sink.Notice(fmt.Sprintf("warning: %v", safe.err))
	}
	if result.Interrupted {
		return result, fmt.Errorf("%w after %s; what was measured is in %s, marked interrupted",
			ErrInterrupted, measuredOf(res.Duration, r.plan.spec.Duration), r.plan.Out)
	}
	if runErr != nil {
		r.sink.Notice(fmt.Sprintf("warning: %v", runErr))
	}
	return result, nil
}

// unmeasured is the error of a run that ended before it measured:
// ErrInterrupted when the caller's context ended it, whatever step it
// cut short (starting the ensemble, connecting, preloading), else err.
func (r *runner) unmeasured(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w before anything was measured", ErrInterrupted)
	}
	return err
}

// measuredOf says how much of the planned measuring a run did: "3.47s
// of 10s measuring", or without the plan where an op count ends the run.
func measuredOf(measured, planned time.Duration) string {
	if planned <= 0 {
		return measured.Round(time.Millisecond).String() + " of measuring"
	}
	return fmt.Sprintf("%v of %v measuring", measured.Round(time.Millisecond), planned)
}

// driver connects the workload to the target and, for an embedded
// ensemble, to the server-side figures.
func (r *runner) driver(ctx context.Context) (*workloads.Driver, error) {
	target, err := r.target(ctx)
	if err != nil {
		return nil, err
	}
	spec := r.plan.spec
	if (r.ens != nil || r.managed != nil) && (!r.plan.keepData || r.sched != nil) {
		// The members' folders go after the run and the tree with them:
		// deleting it first, a delete per znode, would only make a run of
		// a large tree minutes longer.
		spec.Cleanup = false
	}
	drv, err := workloads.NewDriver(spec, target)
	if err != nil {
		return nil, err
	}
	if err := drv.Share(r.plan.share); err != nil {
		return nil, err
	}
	if r.initial != nil && r.initial.Method == preloadSnapshot {
		drv.Preloaded()
	}
	if r.plan.preloadMethod() == preloadMulti {
		drv.PreloadBy(workloads.PreloadMulti)
	}
	if r.servers != nil {
		drv.SplitWrites(r.servers.InSnapshot)
	}
	r.observeFaults(drv)
	// The driver takes one function: every figure begins at the measured start.
	drv.OnMeasure(func(start time.Time) {
		if r.servers != nil {
			r.servers.Reset(start)
		}
		if r.sched != nil {
			r.sched.Begin(start)
		}
		if r.external != nil {
			r.mntrAtStart(start)
		}
	})
	return drv, nil
}

// measure runs the workload with the system sampled beside it, until it
// ends, ctx ends or a member fails.
func (r *runner) measure(ctx context.Context, drv *workloads.Driver) (*workloads.Result, error) {
	sysCtx, stopSys := context.WithCancel(context.Background())
	defer stopSys()
	r.system = collect.NewSystem(r.devices(), r.interval())
	go r.system.Run(sysCtx)
	stopWatch := r.watch(drv)
	defer stopWatch()
	runCtx, stopRun := r.untilFailure(ctx)
	defer stopRun()
	defer r.runFaults()()
	return drv.Run(runCtx)
}

// DefaultRoot is the folder, in the working directory, that holds the
// result folders of runs, sweeps and probes not given one: apart from
// the source tree's packages when run from a checkout.
const DefaultRoot = "zkbench-results"

// DefaultOut is a new result folder's path: DefaultRoot/<UTC
// timestamp>-<name>.
func DefaultOut(name string) string {
	return filepath.Join(DefaultRoot, time.Now().UTC().Format("20060102T150405Z")+"-"+name)
}

// initialize writes every member's starting database when the plan
// preloads by snapshot (the preloaded tree) or from one (the user's
// file): the members then restore it as they start.
func (r *runner) initialize() error {
	start := time.Now()
	var in engine.Initial
	var err error
	switch r.plan.preloadMethod() {
	case preloadSnapshot:
		in, err = engine.Initialize(r.plan.engine, start, workloads.PreloadNodes(r.plan.spec))
	case preloadFromSnapshot:
		in, err = engine.InitializeFrom(r.plan.engine, *r.start)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("preload: %v", memberFailure(err))
	}
	r.initial = &results.Setup{Znodes: in.Znodes, Bytes: in.Bytes, Method: r.plan.preloadMethod(),
		PreloadS: time.Since(start).Seconds()}
	return nil
}

// readStart reads the preloadFrom snapshot through, before the run
// creates anything: a file that is no whole snapshot, or whose tree
// holds the workload's root, refuses the run with nothing left behind.
func (r *runner) readStart() error {
	if r.plan.preloadFrom == "" {
		return nil
	}
	s, err := engine.ReadStartingSnapshot(r.plan.preloadFrom, r.plan.spec.Root)
	if err != nil {
		return fmt.Errorf("preloadFrom: %w", err)
	}
	r.start = &s
	return nil
}

// estimateSpace is the plan's estimate with the starting snapshot's
// tree, which every snapshot of the run writes again.
func (r *runner) estimateSpace() spaceEstimate {
	e := estimateSpace(r.plan)
	if r.start != nil {
		e.tree += r.start.SnapshotBytes
	}
	return e
}

func (r *runner) startEnsemble(ctx context.Context) error {
	cfg := r.plan.engine
	if !r.serving {
		cfg = r.plan.runEngine()
		r.servers = collect.NewServers(time.Now(), cfg.FsyncWarningThreshold, r.interval())
		r.servers.KeepIntervals(0) // until the driver's Reset at the measured phase
		cfg.Events = r.servers
		r.prepareFaults(&cfg)
	}
	e, err := engine.Start(cfg)
	if err != nil {
		switch {
		case errors.Is(err, engine.ErrConfig):
			return err
		case errors.Is(err, engine.ErrMemberFailed):
			return fmt.Errorf("start the ensemble: %v", memberFailure(err))
		}
		return fmt.Errorf("start the ensemble: %w", err)
	}
	r.ens = e
	wctx, cancel := context.WithTimeout(ctx, startTimeout(r.plan))
	defer cancel()
	wctx, stop := r.untilFailure(wctx)
	defer stop()
	if err := e.WaitServing(wctx); err != nil {
		if failed := r.failed(); failed != nil {
			return fmt.Errorf("start the ensemble: %v", failed)
		}
		return err
	}
	return nil
}

// startTimeout bounds the wait for the ensemble to serve: a minute, or
// for a large tree as long as sending it to a learner (a SNAP) at
// 10 MB/s takes, a pace a busy 2-core machine keeps, on top of the
// restores done by then.
func startTimeout(p *Plan) time.Duration {
	return max(time.Minute, time.Duration(estimateSpace(p).tree/(10<<20))*time.Second)
}

// untilFailure returns ctx, ended also when a member fails on its own
// (its disk filled, say). The engine keeps the others going, as
// ZooKeeper does, but a benchmark of what is left is not the one asked
// for: the run stops and says why. The ensemble is stopped at once, with
// the members' roles noted first: calls waiting for a quorum that went
// with the failed members would otherwise hold the end of the run until
// the survivors give up their leader (syncLimit ticks). The returned
// func ends the watch; r.failRoles may be read after it returns.
func (r *runner) untilFailure(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	if r.ens == nil {
		return ctx, cancel
	}
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-r.ens.Failure():
			cancel()
			r.failRoles = r.roles()
			r.ens.Stop()
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(); <-exited }
}

// failed returns the line for the first member that failed on its own,
// or nil.
func (r *runner) failed() error {
	if r.ens == nil {
		return nil
	}
	if err := r.ens.FirstFailure(); err != nil {
		return memberFailure(err)
	}
	return nil
}

// memberFailure words a member's failure as the member and, when a file
// operation failed (a full disk), the OS's own words for it: operation,
// file, reason. The engine's wrapping around them only repeats the file.
func memberFailure(err error) error {
	var me *engine.MemberError
	var pe *fs.PathError
	if errors.As(err, &me) && errors.As(me.Err, &pe) {
		return fmt.Errorf("member %d: %v", me.ID, pe)
	}
	return err
}

func (r *runner) target(ctx context.Context) (workloads.Target, error) {
	if r.ens != nil && r.plan.clientTransport == clientDirect {
		return embedded.New(r.ens), nil
	}
	if r.ens != nil {
		addrs, err := r.ens.ListenClients("127.0.0.1", 0)
		if err != nil {
			return nil, err
		}
		return zktarget.New("zk://" + strings.Join(addrs, ","))
	}
	url := r.plan.target
	if r.managed != nil {
		url = r.managed.Target()
	}
	t, err := externalTarget(ctx, url)
	r.external = t
	if err == nil && r.managed == nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		r.conf = r.readConf(cctx, t.Servers())
	}
	return t, err
}

// watch starts the progress line and the switch of server-side collection
// to the measured phase; the returned func stops both.
func (r *runner) watch(drv *workloads.Driver) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		measuring := false
		lastLine := time.Now()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				live := drv.Live()
				if live.Phase == workloads.Measuring {
					measuring = true
				}
				if measuring && live.Phase > workloads.Measuring && r.servers != nil {
					r.servers.Finish(now) // cleanup's syncs are not the run's
				}
				if now.Sub(lastLine) >= time.Second {
					lastLine = now
					r.sink.Progress(r.progress(live))
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (r *runner) progress(l workloads.Live) Progress {
	p := Progress{Live: l, Snapshots: -1}
	if r.servers != nil {
		p.Snapshots = len(r.servers.Windows())
	}
	return p
}

// stopEnsemble stops the members and closes the server-side collection;
// it returns each member's role at the end.
func (r *runner) stopEnsemble(end time.Time) map[uint64]string {
	if r.managed != nil {
		return r.stopManaged(end)
	}
	if r.ens == nil {
		return nil
	}
	roles := r.failRoles
	if roles == nil {
		roles = r.roles()
	}
	r.ens.Stop()
	r.servers.Finish(end)
	return roles
}

// roles returns each member's role now.
func (r *runner) roles() map[uint64]string {
	roles := map[uint64]string{}
	for _, id := range r.ens.Members() {
		st := r.ens.Status(id)
		role := strings.ToLower(st.Role)
		switch st.Role {
		case "LEADING":
			role = "leader"
		case "FOLLOWING":
			role = "follower"
		case "OBSERVING":
			role = "observer"
		case "":
			role = "down"
		}
		roles[id] = role
	}
	return roles
}

func (r *runner) devices() []string {
	var names []string
	for _, d := range r.deviceFacts() {
		if !d.Virtual && d.Disk != "" && !slices.Contains(names, d.Disk) {
			names = append(names, d.Disk)
		}
	}
	return names
}
