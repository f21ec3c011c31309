package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"zkbench/bench"
	"zkbench/internal/progress"
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
	values := addKnobFlags(fs, &profiles.Profile{Name: "serve"}, bench.EnsembleKey)
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
	plan, err := resolvePlan(p, fs, o, values, stderr)
	if err != nil {
		return err
	}
	ctx, stop := serveContext()
	defer stop()
	err = bench.Serve(ctx, plan, *host, *port, progress.New(stderr, "serve", progress.Quiet, 0), func(ms []bench.Member) {
		printServing(stdout, ms)
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopping")
	return nil
}

// printServing says where each member listens and what it writes, and
// the connect string a client takes.
func printServing(w io.Writer, ms []bench.Member) {
	fmt.Fprintf(w, "zkbench serve: %d members serving ZooKeeper clients until interrupted\n", len(ms))
	var addrs []string
	for _, m := range ms {
		fmt.Fprintf(w, "  member %d  %-9s %-21s dataDir %s", m.ID, m.Role, m.Addr, m.DataDir)
		if m.DataLogDir != "" && m.DataLogDir != m.DataDir {
			fmt.Fprintf(w, "  dataLogDir %s", m.DataLogDir)
		}
		fmt.Fprintln(w)
		addrs = append(addrs, m.Addr)
	}
	fmt.Fprintf(w, "connect string: %s\n", strings.Join(addrs, ","))
}
