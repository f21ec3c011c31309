package capacity

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"zkbench/bench"
	"zkbench/internal/runfolders/runfolderstest"
	"zkbench/profiles"
	"zkbench/results"
	"zkbench/workloads"
)

func TestMain(m *testing.M) { runfolderstest.Main(m) }

// memoryPlan is the quick profile on an in-memory target: one member,
// no log sync, in-process client calls, so that a step's rate is far
// below what the target holds.
func memoryPlan(t *testing.T) *bench.Plan {
	t.Helper()
	p, err := profiles.Load("quick")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := bench.NewPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"servers", "1"}, {"keys", "20"}, {"forceSync", "false"}, {"clientTransport", "direct"},
		{"workload", "write"}, {"dataDir", t.TempDir()}} {
		if err := plan.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	return plan
}

// The search adds no load of its own: far from saturation a step
// achieves its offered rate within 1%. The schedule, not the clock,
// decides how many ops a step has: an in-memory target answers each
// long before the next is due.
func TestStepMeetsOfferedRate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cap")
	// An SLA of an hour: only the rate decides. A step of 5 s lets a
	// machine busy with other work fall 50 ms behind the schedule at the
	// end before the rate misses by 1%.
	sla := results.CapacitySLA{Percentile: 99, MaxUs: 3_600_000_000, MinAchieved: MinAchieved}
	c, err := Run(context.Background(), Options{Plan: memoryPlan(t), Name: "quick", Out: out, SLA: sla,
		StepDuration: 5 * time.Second, Warmup: 200 * time.Millisecond, Search: Search{Start: 1000, Max: 1000, Repeats: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Steps) != 1 {
		t.Fatalf("%d steps, want 1 at the cap", len(c.Steps))
	}
	st := c.Steps[0]
	if math.Abs(st.AchievedOpsS-st.Rate) > 0.01*st.Rate || st.Errors != 0 {
		t.Errorf("offered %v, achieved %v with %d errors: want within 1%%", st.Rate, st.AchievedOpsS, st.Errors)
	}
	if !st.Pass || c.MaxRateOpsS != 1000 || c.Converged {
		t.Errorf("pass %v max %v converged %v: want the cap, a lower bound", st.Pass, c.MaxRateOpsS, c.Converged)
	}
	for _, f := range []string{results.CapacityFile, "report.html", st.Hlog, filepath.Join(st.Dir, results.ResultFile)} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	saved, err := results.ReadCapacity(filepath.Join(out, results.CapacityFile))
	if err != nil || len(saved.Steps) != 1 || saved.MaxRateOpsS != 1000 {
		t.Errorf("capacity.json: %+v, %v", saved, err)
	}
}

// stopper ends the search's context, as Ctrl-C does, at the first
// progress report of a measured phase after a notice starting with at:
// independent of how fast the steps go.
type stopper struct {
	cancel context.CancelFunc
	at     string
	armed  *bool
}

func (s stopper) Progress(p bench.Progress) {
	if *s.armed && p.Phase == workloads.Measuring {
		s.cancel()
	}
}

func (s stopper) Notice(msg string) {
	if strings.HasPrefix(msg, s.at) {
		*s.armed = true
	}
}

// Interrupted in its second step, the search keeps the first step and
// the cut one, marked, in capacity.json and the report.
func TestRunInterruptedKeepsSteps(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cap")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sla := results.CapacitySLA{Percentile: 99, MaxUs: 1_000_000, MinAchieved: MinAchieved}
	c, err := Run(ctx, Options{Plan: memoryPlan(t), Name: "quick", Out: out, SLA: sla, StepDuration: time.Second,
		Warmup: 0, Search: Search{Start: 200}, Sink: stopper{cancel: cancel, at: "step 1: 200 ops/s offered", armed: new(bool)}})
	if !errors.Is(err, bench.ErrInterrupted) {
		t.Fatalf("error %v, want ErrInterrupted", err)
	}
	if c == nil || !c.Interrupted || len(c.Steps) != 2 || !c.Steps[0].Pass || !c.Steps[1].Interrupted || c.MaxRateOpsS != 200 {
		t.Fatalf("capacity %+v: want the first step passed, the second interrupted", c)
	}
	saved, err := results.ReadCapacity(filepath.Join(out, results.CapacityFile))
	if err != nil || !saved.Interrupted {
		t.Errorf("capacity.json %+v, %v: want it marked interrupted", saved, err)
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Error(err)
	}
}

func TestPrimeFor(t *testing.T) {
	plan := func(target string) *bench.Plan {
		p := memoryPlan(t)
		if err := p.Set("target", target); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		target string
		given  time.Duration
		set    bool
		want   time.Duration
		err    string
	}{
		{target: "embedded", want: 0},
		{target: "zk://127.0.0.1:2181", want: DefaultPrime},
		{target: "zookeeper", want: 0},
		{target: "zk://127.0.0.1:2181", given: 0, set: true, want: 0},
		{target: "zk://127.0.0.1:2181", given: 10 * time.Second, set: true, want: 10 * time.Second},
		{target: "embedded", given: 10 * time.Second, set: true, err: "--prime: the embedded ensemble starts anew for every step"},
		{target: "zookeeper", given: 10 * time.Second, set: true, err: "--prime: --target zookeeper starts its servers anew for every step"},
		{target: "embedded", given: -time.Second, set: true, err: "--prime -1s: want 0 or more"},
		{target: "embedded", given: 0, set: true, want: 0},
	} {
		got, err := PrimeFor(plan(tc.target), tc.given, tc.set)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s, --prime %v: %v, want an error saying %q", tc.target, tc.given, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s, --prime %v (set %v): %v, %v; want %v", tc.target, tc.given, tc.set, got, err, tc.want)
		}
	}
}

// A primed search runs the plan closed loop first, in a folder of its
// own that is not a step.
func TestPrimeRunsBeforeTheFirstStep(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cap")
	sla := results.CapacitySLA{Percentile: 99, MaxUs: 3_600_000_000, MinAchieved: MinAchieved}
	c, err := Run(context.Background(), Options{Plan: memoryPlan(t), Name: "quick", Out: out, SLA: sla, Prime: 300 * time.Millisecond,
		StepDuration: time.Second, Warmup: 100 * time.Millisecond, Search: Search{Start: 100, Max: 100, Repeats: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if c.PrimeS != 0.3 || len(c.Steps) != 1 || c.Steps[0].Dir == results.PrimeFolder {
		t.Errorf("prime %v s, steps %+v: want 0.3 s and one step of its own", c.PrimeS, c.Steps)
	}
	primed, err := results.ReadFile(filepath.Join(out, results.PrimeFolder, results.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if primed.Config.Rate != 0 || primed.Total.Count == 0 {
		t.Errorf("the prime: rate %v, %d ops; want a closed loop that ran", primed.Config.Rate, primed.Total.Count)
	}
}

type notices []string

func (n *notices) Progress(bench.Progress) {}
func (n *notices) Notice(s string)         { *n = append(*n, s) }

func TestWarnOnce(t *testing.T) {
	var got notices
	s := &warnOnce{Sink: &got, seen: map[string]bool{}}
	for _, n := range []string{"warning: conf not allowed", "data folders: a", "warning: conf not allowed", "data folders: a", "warning: other"} {
		s.Notice(n)
	}
	want := notices{"warning: conf not allowed", "data folders: a", "data folders: a", "warning: other"}
	if !slices.Equal(got, want) {
		t.Errorf("passed on %q, want %q", got, want)
	}
}

// cancelOn cancels when a notice begins with prefix.
type cancelOn struct {
	prefix string
	cancel context.CancelFunc
}

func (c cancelOn) Progress(bench.Progress) {}
func (c cancelOn) Notice(s string) {
	if strings.HasPrefix(s, c.prefix) {
		c.cancel()
	}
}

// Interrupted after the prime and before any step: the search says so
// (exit 130, not 0) and keeps the prime's run, named, in a folder
// capacity.json marks.
func TestInterruptedAfterThePrime(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cap")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sla := results.CapacitySLA{Percentile: 99, MaxUs: 3_600_000_000, MinAchieved: MinAchieved}
	c, err := Run(ctx, Options{Plan: memoryPlan(t), Name: "quick", Out: out, SLA: sla, Prime: 200 * time.Millisecond,
		StepDuration: time.Second, Warmup: 100 * time.Millisecond, Search: Search{Start: 100, Max: 100},
		Sink: cancelOn{prefix: "primed the target", cancel: cancel}})
	if c != nil || !errors.Is(err, bench.ErrInterrupted) || !strings.Contains(err.Error(), results.PrimeFolder) {
		t.Fatalf("capacity %v, err %v: want none, interrupted, naming the prime's run", c, err)
	}
	saved, err := results.ReadCapacity(filepath.Join(out, results.CapacityFile))
	if err != nil || !saved.Interrupted || len(saved.Steps) != 0 || saved.PrimeS != 0.2 {
		t.Errorf("capacity.json %+v (%v): want it interrupted, primed 0.2 s, no step", saved, err)
	}
	if _, err := os.Stat(filepath.Join(out, results.PrimeFolder, results.ResultFile)); err != nil {
		t.Errorf("the prime's run: %v", err)
	}
}
