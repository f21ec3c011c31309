package bench

import (
	"context"
	"fmt"
	"strings"

	"zkbench/engine"
	"zkbench/internal/runfolders"
)

// Member is where one member of a served ensemble listens and writes.
type Member struct {
	ID         uint64
	Role       string // leading, following, observing; spare: no vote until a reconfig adds it
	Addr       string // host:port of its client port
	DataDir    string
	DataLogDir string // "" or DataDir when the logs stay in the dataDir
}

// Serve starts plan's embedded ensemble for any ZooKeeper client, member
// i (from 1) listening on host:(port + i - 1), or on ports the system
// picks for port 0; it tells ready where the members are and serves until
// ctx ends or a member fails. Like Run it creates and removes only the
// member folders (kept if the plan says so); the plan's workload keys
// mean nothing here. sink may be nil.
func Serve(ctx context.Context, plan *Plan, host string, port int, sink Sink, ready func([]Member)) error {
	if !plan.Embedded() {
		return fmt.Errorf("serve runs the embedded ensemble; target %s is not one", plan.target)
	}
	if err := plan.Check(); err != nil {
		return err
	}
	if sink == nil {
		sink = discard{}
	}
	r := &runner{plan: plan, sink: sink, serving: true}
	if err := r.readStart(); err != nil {
		return err
	}
	folders, err := runfolders.Begin("serve")
	if err != nil {
		return err
	}
	r.folders = folders
	defer r.cleanup()
	// What clients will write is not known: only the ensemble's own
	// needs are checked.
	idle := spaceEstimate{members: plan.engine.Servers + plan.engine.Observers + plan.engine.SpareMembers, prealloc: max(plan.engine.PreAllocSize, 1<<20)}
	if r.start != nil {
		idle.tree = r.start.SnapshotBytes
	}
	if err := r.prepareData(idle); err != nil {
		return err
	}
	if r.start != nil {
		if _, err := engine.InitializeFrom(plan.engine, *r.start); err != nil {
			return fmt.Errorf("preloadFrom: %v", memberFailure(err))
		}
	}
	if err := r.startEnsemble(ctx); err != nil {
		return err
	}
	addrs, err := r.ens.ListenClients(host, port)
	if err != nil {
		return fmt.Errorf("--client-port %d: %w", port, err)
	}
	ready(r.members(addrs))
	runCtx, stopRun := r.untilFailure(ctx)
	<-runCtx.Done()
	stopRun()
	if failed := r.failed(); failed != nil {
		return failed
	}
	return nil
}

func (r *runner) members(addrs []string) []Member {
	var ms []Member
	for i, id := range r.ens.Members() {
		dataDir, logDir := r.ens.Dirs(id)
		role := strings.ToLower(r.ens.Status(id).Role)
		if c := r.plan.engine; int(id) > c.Servers+c.Observers {
			role = "spare" // following without a vote until a reconfig adds it
		}
		ms = append(ms, Member{ID: id, Role: role, Addr: addrs[i], DataDir: dataDir, DataLogDir: logDir})
	}
	return ms
}
