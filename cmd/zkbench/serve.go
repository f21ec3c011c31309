package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"zkbench/profiles"
)

// serveContext ends serve: on Ctrl-C or SIGTERM; tests replace it.
var serveContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// runServe runs the embedded ensemble for any ZooKeeper client until
// interrupted: member i (from 1) on host:(client-port + i - 1). It takes
// the run flags that configure the ensemble, a profile's too (its
// workload keys mean nothing here), and like run creates and removes
// only the member folders.
func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	var o runOptions
	fs.StringVar(&o.profile, "profile", "", "profile whose ensemble settings to use (default: ZooKeeper's defaults)")
	values := map[string]*string{}
	for _, f := range runFlagKeys {
		if f.key == "dataDir" || f.key == "dataLogDir" || engineKeys[f.key] != nil {
			values[f.key] = fs.String(f.flag, f.def, f.usage)
		}
	}
	port := fs.Int("client-port", 2181, "member i's client port is client-port + i - 1; 0: ports the system picks")
	host := fs.String("host", "127.0.0.1", "address the client ports listen on")
	fs.StringArrayVar(&o.sets, "set", nil, "key=value for any ensemble key (repeatable)")
	fs.BoolVar(&o.keepData, "keep-data", false, "keep the members' data folders after serving")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *port < 0 || *port > 65535 {
		return usagef("--client-port %d: want a port in 0..65535", *port)
	}
	p := &profiles.Profile{Name: "serve"}
	if o.profile != "" {
		var err error
		if p, err = profiles.Load(o.profile); err != nil {
			return usagef("--profile: %v", err)
		}
	}
	plan, err := resolvePlan(p, fs, o, values, nil)
	if err != nil {
		return err
	}
	if plan.target != "embedded" {
		return usagef("serve runs the embedded ensemble; target %s is not one", plan.target)
	}
	ctx, stop := serveContext()
	defer stop()
	r := &runner{plan: plan, stdout: stdout, stderr: stderr}
	defer r.cleanup()
	if err := r.prepareData(); err != nil {
		return err
	}
	if err := r.startEnsemble(ctx); err != nil {
		return err
	}
	addrs, err := r.ens.ListenClients(*host, *port)
	if err != nil {
		return usagef("--client-port %d: %v", *port, err)
	}
	r.printServing(addrs)
	runCtx, stopRun := r.untilFailure(ctx)
	<-runCtx.Done()
	stopRun()
	if failed := r.failed(); failed != nil {
		return usagef("%v", failed)
	}
	fmt.Fprintln(stdout, "stopping")
	return nil
}

// printServing says where each member listens and what it writes, and
// the connect string a client takes.
func (r *runner) printServing(addrs []string) {
	fmt.Fprintf(r.stdout, "zkbench serve: %d members serving ZooKeeper clients until interrupted\n", len(addrs))
	for i, id := range r.ens.Members() {
		dataDir, logDir := r.ens.Dirs(id)
		fmt.Fprintf(r.stdout, "  member %d  %-9s %-21s dataDir %s", id, strings.ToLower(r.ens.Status(id).Role), addrs[i], dataDir)
		if logDir != "" && logDir != dataDir {
			fmt.Fprintf(r.stdout, "  dataLogDir %s", logDir)
		}
		fmt.Fprintln(r.stdout)
	}
	fmt.Fprintf(r.stdout, "connect string: %s\n", strings.Join(addrs, ","))
}
