package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"zkbench/engine"
	"zkbench/results/collect"
	"zkbench/workloads"
	"zkbench/workloads/embedded"
	"zkbench/workloads/zktarget"
)

// runner carries out one plan: folders, ensemble, workload, results.
type runner struct {
	plan     *runPlan
	out      string
	stdout   io.Writer
	stderr   io.Writer
	progress bool

	removeDirs []string // what this run created and removes at the end
	ens        *engine.Ensemble
	failRoles  map[uint64]string // the members' roles when a failure stopped them
	external   *zktarget.Target
	mntrStart  <-chan []zktarget.ServerStats // the external servers' mntr at the measured start
	servers    *collect.Servers
	system     *collect.System
}

func (r *runner) run(ctx context.Context) (err error) {
	if err := r.prepareOut(); err != nil {
		return err
	}
	if r.plan.target == "embedded" {
		defer r.cleanup()
		if err := r.prepareData(); err != nil {
			return err
		}
		if err := r.startEnsemble(ctx); err != nil {
			return err
		}
	}
	target, err := r.target(ctx)
	if err != nil {
		return err
	}
	drv, err := workloads.NewDriver(r.plan.spec, target)
	if err != nil {
		return usagef("%v", err)
	}
	if r.servers != nil {
		drv.SplitWrites(r.servers.InSnapshot)
		drv.OnMeasure(r.servers.Reset)
	}
	if r.external != nil {
		drv.OnMeasure(r.mntrAtStart)
	}
	sysCtx, stopSys := context.WithCancel(context.Background())
	defer stopSys()
	r.system = collect.NewSystem(r.devices(), time.Second)
	go r.system.Run(sysCtx)
	stopWatch := r.watch(drv)
	started := time.Now()
	runCtx, stopRun := r.untilFailure(ctx)
	res, runErr := drv.Run(runCtx)
	stopRun()
	stopWatch()
	stopSys()
	if res == nil {
		if failed := r.failed(); failed != nil {
			return usagef("%v (before anything was measured)", failed)
		}
		if ctx.Err() != nil {
			return usagef("interrupted before anything was measured")
		}
		return usagef("%v", runErr)
	}
	end := res.Start.Add(res.Duration)
	roles := r.stopEnsemble(end)
	failed := r.failed() // checked once all have stopped: any failure until then counts
	result, err := r.assemble(res, started, roles)
	if err != nil {
		return err
	}
	if err := r.write(result, res); err != nil {
		return err
	}
	r.summary(result)
	if failed != nil {
		// What was measured until then is written: the figures up to a
		// full disk are often the point.
		return usagef("%v (the run stopped after %v of measuring; results so far in %s)",
			failed, res.Duration.Round(time.Millisecond), relPath(r.out))
	}
	if runErr != nil {
		fmt.Fprintf(r.stderr, "zkbench run: warning: %v\n", runErr)
	}
	return nil
}

// prepareOut creates the run's output folder (prepareOutDir).
func (r *runner) prepareOut() (err error) {
	r.out, err = prepareOutDir(r.out, r.plan.profile)
	return err
}

// prepareOutDir creates a run's or sweep's output folder, by default
// results/<UTC timestamp>-<profile>, and returns its path. An existing
// non-empty folder is refused, so that nothing is ever overwritten.
func prepareOutDir(out, profile string) (string, error) {
	if out == "" {
		out = filepath.Join("results", time.Now().UTC().Format("20060102T150405Z")+"-"+profile)
	}
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return out, usagef("--out %s: folder exists and is not empty", out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return out, usagef("--out %s: %v", out, probeUnwrapPath(err))
	}
	return out, nil
}

// prepareData checks the data parents and creates the member folders.
// A parent must exist and be writable; a member folder that exists
// already holds files this run did not create, so the run is refused.
func (r *runner) prepareData() error {
	p := r.plan
	if p.dataDir == "" {
		tmp, err := os.MkdirTemp("", "zkbench-data-")
		if err != nil {
			return usagef("temporary data folder: %v", err)
		}
		p.dataDir = tmp
		r.removeDirs = append(r.removeDirs, tmp)
	}
	p.engine.DataDir, p.engine.DataLogDir = p.dataDir, p.logDir
	for _, parent := range []struct{ flag, dir string }{{"--data-dir", p.dataDir}, {"--data-log-dir", p.logDir}} {
		if parent.dir == "" {
			continue
		}
		if err := checkParent(parent.flag, parent.dir, p.engine); err != nil {
			return err
		}
		for i := 1; i <= p.engine.Servers+p.engine.Observers; i++ {
			d := filepath.Join(parent.dir, "server"+strconv.Itoa(i))
			if err := os.Mkdir(d, 0o755); err != nil {
				if errors.Is(err, os.ErrExist) {
					return usagef("%s %s: %s exists already; zkbench only writes into member folders it creates", parent.flag, parent.dir, d)
				}
				return usagef("%s %s: %v", parent.flag, parent.dir, probeUnwrapPath(err))
			}
			r.removeDirs = append(r.removeDirs, d)
		}
	}
	return nil
}

// checkParent refuses a missing, unwritable or nearly full data parent.
func checkParent(flag, dir string, cfg engine.Config) error {
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return usagef("%s %s: %v", flag, dir, probeUnwrapPath(err))
	case !st.IsDir():
		return usagef("%s %s: not a directory", flag, dir)
	case unix.Access(dir, unix.W_OK) != nil:
		return usagef("%s %s: not writable", flag, dir)
	}
	var fs unix.Statfs_t
	if unix.Statfs(dir, &fs) == nil {
		free := int64(fs.Bavail) * int64(fs.Bsize)
		need := int64(cfg.Servers+cfg.Observers) * (max(cfg.PreAllocSize, 1<<20) + 16<<20)
		if free < need {
			return usagef("%s %s: %d bytes free, a run needs at least %d", flag, dir, free, need)
		}
	}
	return nil
}

func (r *runner) cleanup() {
	if r.ens != nil {
		r.ens.Stop()
	}
	if r.plan.keepData && r.ens != nil {
		fmt.Fprintf(r.stderr, "zkbench: data kept in %s\n", r.plan.dataDir)
		return
	}
	for i := len(r.removeDirs) - 1; i >= 0; i-- {
		os.RemoveAll(r.removeDirs[i])
	}
}

func (r *runner) startEnsemble(ctx context.Context) error {
	cfg := r.plan.engine
	r.servers = collect.NewServers(time.Now(), cfg.FsyncWarningThreshold)
	cfg.Events = r.servers
	e, err := engine.Start(cfg)
	if err != nil {
		switch {
		case errors.Is(err, engine.ErrConfig):
			return usagef("%v", err)
		case errors.Is(err, engine.ErrMemberFailed):
			return usagef("start the ensemble: %v", memberFailure(err))
		}
		return fmt.Errorf("start the ensemble: %w", err)
	}
	r.ens = e
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	wctx, stop := r.untilFailure(wctx)
	defer stop()
	if err := e.WaitServing(wctx); err != nil {
		if failed := r.failed(); failed != nil {
			return usagef("start the ensemble: %v", failed)
		}
		return err
	}
	return nil
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
		return usagef("member %d: %v", me.ID, pe)
	}
	return usagef("%v", err)
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
	t, err := externalTarget(ctx, r.plan.target)
	r.external = t
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
				if r.progress && now.Sub(lastLine) >= time.Second {
					lastLine = now
					r.progressLine(live)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (r *runner) progressLine(l workloads.Live) {
	snaps := 0
	if r.servers != nil {
		snaps = len(r.servers.Windows())
	}
	fmt.Fprintf(r.stderr, "run: %-11s %6.1fs  %8.0f ops/s  p99 %-9s  errors %d  snapshots %d\n",
		l.Phase, l.Elapsed.Seconds(), l.OpsPerSec, probeMicros(l.P99.Microseconds()), l.Errors, snaps)
}

// stopEnsemble stops the members and closes the server-side collection;
// it returns each member's role at the end.
func (r *runner) stopEnsemble(end time.Time) map[uint64]string {
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
