package main

import (
	"cmp"
	"context"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"zkbench/bench"
	"zkbench/bench/capacity"
	"zkbench/internal/size"
	"zkbench/profiles"
	"zkbench/results"
	"zkbench/results/summary"
)

// runCapacity is `zkbench capacity [run flags…] --max-p99 10ms`: the
// rate search, its summary and exit code.
func runCapacity(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("capacity", stderr)
	var o runOptions
	values := addRunFlags(fs, &o)
	maxP99 := fs.String("max-p99", "10ms", "the SLA: the percentile's latency at most this")
	pct := fs.String("percentile", "99", "the SLA's percentile: 99 or 99.9")
	step := fs.Duration("step", 5*time.Second, "each step's measured phase (its warm-up: --warmup, 2s unless given)")
	start := fs.Float64("start-rate", 500, "the first offered rate, ops/s: doubled until a step fails, then bisected")
	primeFlag := fs.Duration("prime", 0, "a closed-loop run before the first step, to warm the target (default 1m on a zk:// target, else 0)")
	repeats := fs.Int("repeats", capacity.DefaultRepeats, "steps at the candidate maximum: it stands when most of them pass")
	predict := fs.String("predict-from", "", "a probe folder (zkbench probe --dir LOGDIR): predict the disk-bound ceiling from its syncs")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	sla, err := parseSLA(*maxP99, *pct)
	if err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected argument %q", fs.Arg(0))
	case fs.Changed("rate") || fs.Changed("duration"):
		return usagef("--rate and --duration are each step's, set by the search: use --start-rate and --step")
	case *start <= 0 || *step <= 0 || *repeats <= 0:
		return usagef("--start-rate, --step and --repeats: want more than 0")
	}
	p, err := profiles.Load(o.profile)
	if err != nil {
		return usagef("--profile: %v", err)
	}
	plan, err := resolvePlan(p, fs, o, values, stderr)
	if err != nil {
		return err
	}
	prime, err := capacity.PrimeFor(plan, *primeFlag, fs.Changed("prime"))
	if err != nil {
		return usagef("%v", err)
	}
	warmup := 2 * time.Second
	if fs.Changed("warmup") {
		warmup, _ = time.ParseDuration(plan.Value("warmup"))
	}
	clients := 0 // sized per step for its rate
	if fs.Changed("clients") {
		clients, _ = strconv.Atoi(plan.Value("clients"))
	}
	if err := plan.Set("rate", "1"); err == nil {
		err = plan.Check()
	}
	if err != nil {
		return usagef("%v", err)
	}
	vs, _ := size.Parse(plan.Value("valueSize"))
	servers, _ := strconv.Atoi(plan.Value("servers"))
	out := cmp.Or(o.out, bench.DefaultOut(p.Name+"-capacity"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sink := newProgress(stderr, "capacity", o.progress)
	c, err := capacity.Run(ctx, capacity.Options{Plan: plan, Name: p.Name, Out: out, SLA: sla, StepDuration: *step,
		Warmup: warmup, Clients: clients, Prime: prime, Search: capacity.Search{Start: *start, Min: 1, Max: 200000, Repeats: *repeats},
		PredictFrom: *predict, Members: servers, RecordBytes: int(vs) + capacity.RecordOverhead, Sink: sink})
	sink.Close()
	if c != nil {
		summary.Capacity(stdout, c, out)
	}
	return err
}

// parseSLA reads --max-p99 and --percentile.
func parseSLA(maxLatency, percentile string) (results.CapacitySLA, error) {
	d, err := time.ParseDuration(maxLatency)
	if err != nil || d < time.Microsecond {
		return results.CapacitySLA{}, usagef("--max-p99 %q: want a latency above 0, such as 10ms", maxLatency)
	}
	pc, err := capacity.ParsePercentile(percentile)
	if err != nil {
		return results.CapacitySLA{}, usagef("--percentile %v", err)
	}
	return results.CapacitySLA{Percentile: pc, MaxUs: d.Microseconds(), MinAchieved: capacity.MinAchieved}, nil
}
