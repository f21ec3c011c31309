package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"zkbench/bench"
	"zkbench/profiles"
	"zkbench/results/summary"
)

// runFlags maps cli.md's `zkbench run` flags onto profile keys: a flag
// given on the command line overrides the profile, --set overrides both.
type runFlagKey struct{ flag, key, usage string }

var runFlagKeys = []runFlagKey{
	{"zoo-cfg", "zooCfg", "a ZooKeeper zoo.cfg that sets the ensemble (server lines, dataDir, snapCount, …); the other flags win"},
	{"servers", "servers", "voting members"},
	{"observers", "observers", "observers"},
	{"data-dir", "dataDir", "parent of the members' dataDirs (<dir>/server<id>); default a fresh temporary directory"},
	{"data-log-dir", "dataLogDir", "parent of the members' dataLogDirs (default: logs in the dataDirs)"},
	{"pre-alloc-size", "preAllocSize", "txn log preallocation step"},
	{"prealloc-mode", "preallocMode", "zookeeper|fallocate|zero|none"},
	{"snap-count", "snapCount", "txns between snapshots (zookeeper.snapCount)"},
	{"snap-randomize", "snapRandomize", "draw each snapshot threshold from [snapCount/2+1, snapCount]"},
	{"snap-size-limit", "snapSizeLimit", "log bytes that also trigger a snapshot"},
	{"force-sync", "forceSync", "fdatasync the txn log (zookeeper.forceSync)"},
	{"max-batch-size", "maxBatchSize", "txns per group commit at most"},
	{"workload", "workload", "write|read|mixed|create-delete or a profile's"},
	{"read-ratio", "readRatio", "getData share of the mixed workload"},
	{"clients", "clients", "concurrent sessions"},
	{"rate", "rate", "ops/s in total, open loop; 0 = closed loop"},
	{"duration", "duration", "measured phase"},
	{"warmup", "warmup", "unmeasured phase before it"},
	{"value-size", "valueSize", "bytes per value: 1KiB, uniform:512..4KiB, or SIZE:WEIGHT,... (100:50,1KiB:40,64KiB:10)"},
	{"keys", "keys", "keys the ops spread over"},
	{"key-dist", "keyDist", "uniform|zipf|sequential"},
	{"preload-from", "preloadFrom", "a ZooKeeper snapshot file every member starts from, the keys created beside its tree"},
	{"fault", "faults", "KIND:WHO@AT[+FOR], repeatable: crash|kill|partition|slow-disk=LATENCY|disk-full (--target zookeeper: kill) of leader|follower|observer|ID at AT into the measured phase, healed after FOR"},
	{"target", "target", "embedded; zookeeper[:ZK_HOME] to start real ZooKeeper servers; zk://host:port[,host:port...] for a running ensemble"},
	{"driver", "driver", "zk:// target: this run is the I-th of N drivers of the workload, which meet at a barrier on it (zkbench merge adds them up)"},
	{"client-transport", "clientTransport", "embedded target: tcp = ZooKeeper's client protocol on loopback ports, direct = in-process calls"},
}

// defaultProfile is the profile of a run or sweep without --profile.
const defaultProfile = "quick"

type runOptions struct {
	profile  string
	out      string
	sets     []string
	keepData bool
	progress bool
}

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	var o runOptions
	values := addRunFlags(fs, &o)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if o.profile == "list" {
		return profiles.List(stdout)
	}
	p, err := profiles.Load(o.profile)
	if err != nil {
		return usagef("--profile: %v", err)
	}
	if len(p.Vary) > 0 {
		return usagef("--profile %s is a sweep (it varies %s): use zkbench sweep", o.profile, p.Vary[0].Key)
	}
	plan, err := resolvePlan(p, fs, o, values, stderr)
	if err != nil {
		return err
	}
	plan.Out = cmp.Or(o.out, bench.DefaultOut(p.Name))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sink := newProgress(stderr, "run", o.progress)
	res, err := bench.Run(ctx, plan, sink)
	sink.Close()
	if res != nil {
		summary.Run(stdout, res, plan.Out)
	}
	if errors.Is(err, bench.ErrLostWrites) {
		return &problemError{err}
	}
	return err
}

// addRunFlags registers the flags run and sweep share: cli.md's run
// flags, --profile, --out, --set, --keep-data, --progress. It returns the
// knob flags' values by profile key.
func addRunFlags(fs *pflag.FlagSet, o *runOptions) map[string]*string {
	fs.StringVar(&o.profile, "profile", defaultProfile, "built-in profile name or profile file (list: zkbench run --profile list); "+
		"the knob flags' defaults below are the "+defaultProfile+" profile's")
	fs.StringVar(&o.out, "out", "", "output folder (default "+bench.DefaultRoot+"/<UTC timestamp>-<profile>)")
	p, _ := profiles.Builtin(defaultProfile)
	values := addKnobFlags(fs, p, func(string) bool { return true })
	fs.StringArrayVar(&o.sets, "set", nil, "key=value for any profile key (repeatable)")
	fs.BoolVar(&o.keepData, "keep-data", false, "keep the members' data folders after the run")
	fs.BoolVar(&o.progress, "progress", false, "progress when stderr is not a terminal, a line per change (a terminal gets one line, rewritten)")
	return values
}

// addKnobFlags registers the flags of runFlagKeys that keep selects,
// their defaults those of a plan from profile p, and says which p sets.
// It returns their values by profile key.
func addKnobFlags(fs *pflag.FlagSet, p *profiles.Profile, keep func(key string) bool) map[string]*string {
	plan, err := bench.NewPlan(p)
	if err != nil {
		panic(err) // a built-in profile: its tests load it
	}
	values := map[string]*string{}
	for _, f := range runFlagKeys {
		if !keep(f.key) {
			continue
		}
		usage := f.usage
		if slices.ContainsFunc(p.Settings, func(s profiles.Setting) bool { return s.Key == f.key }) {
			usage += "; the " + p.Name + " profile sets it"
		}
		v := plan.Value(f.key)
		values[f.key] = &v
		fs.Var(bench.NewFlagValue(f.key, &v), f.flag, usage)
	}
	return values
}

// resolvePlan builds the plan: profile, then flags given (--zoo-cfg
// first), then --set, then --keep-data; what a zoo.cfg held that it did
// not take goes to stderr. The caller checks it once everything is set.
func resolvePlan(p *profiles.Profile, fs *pflag.FlagSet, o runOptions, values map[string]*string, stderr io.Writer) (*bench.Plan, error) {
	plan, err := bench.NewPlan(p)
	if err != nil {
		return nil, usagef("--profile %v", err)
	}
	for _, f := range runFlagKeys {
		if _, ok := values[f.key]; ok && fs.Changed(f.flag) {
			if err := plan.Set(f.key, *values[f.key]); err != nil {
				return nil, usagef("--%s: %v", f.flag, err)
			}
		}
	}
	for _, s := range o.sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, usagef("--set %q: want key=value", s)
		}
		if err := plan.Set(k, v); err != nil {
			return nil, usagef("--set %v", err)
		}
	}
	if o.keepData {
		plan.Set("keepData", "true")
	}
	for _, n := range plan.ZooCfgNotes() {
		fmt.Fprintln(stderr, "zkbench: "+n)
	}
	return plan, nil
}
