package capacity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"zkbench/bench"
	"zkbench/results"
	"zkbench/results/report"
	"zkbench/results/table"
)

// Options is one capacity search.
type Options struct {
	// Plan is the run every step is: workload, target, knobs. Each step
	// runs a clone with its rate, clients, warm-up and duration set.
	Plan *bench.Plan
	// Name names the default output folder (…-<Name>-capacity).
	Name string
	// Out is the capacity folder, new or empty; "" for the default.
	Out string
	SLA results.CapacitySLA
	// StepDuration and Warmup are each step's measured phase and the
	// unmeasured one before it.
	StepDuration, Warmup time.Duration
	// Clients fixes every step's sessions; 0 sizes them per step for
	// the rate (AutoClients).
	Clients int
	// Prime is a closed-loop run of the plan before the first step, its
	// figures kept in PrimeFolder but not a step: a JVM server compiles
	// its hot code in its first minutes under load, and a search that
	// begins cold finds a fraction of what the warm servers hold. 0: none.
	Prime  time.Duration
	Search Search
	// PredictFrom is a probe folder whose syncs predict the disk-bound
	// ceiling; "" for none.
	PredictFrom string
	// Members and RecordBytes describe the ensemble for the prediction.
	Members     int
	RecordBytes int
	Sink        bench.Sink
}

// AutoClients is the sessions a step at rate needs so that the
// load generator never runs out of free clients while the target meets
// the SLA: twice the ops in flight at that latency (Little's law), at
// least min and at most 1,024.
func AutoClients(rate float64, sla time.Duration, least int) int {
	n := int(math.Ceil(2 * rate * sla.Seconds()))
	return min(max(n, least, 1), 1024)
}

// Run searches, writes capacity.json after every step (so that an
// interruption or a failure keeps what was measured) and report.html at
// the end, and returns the capacity. An interrupted search returns it
// with an error wrapping bench.ErrInterrupted.
func Run(ctx context.Context, o Options) (*results.Capacity, error) {
	var prediction *results.Prediction
	if o.PredictFrom != "" { // before anything is created: a bad folder is refused with nothing left
		p, err := PredictFromProbe(o.PredictFrom, cmp.Or(o.Plan.Value("dataLogDir"), o.Plan.Value("dataDir")),
			Model{Members: o.Members, RecordBytes: o.RecordBytes, SLA: o.SLA})
		if err != nil {
			return nil, fmt.Errorf("--predict-from %w", err)
		}
		prediction = p
	}
	_, statErr := os.Stat(o.Out)
	out, err := bench.PrepareOut(o.Out, o.Name+"-capacity")
	if err != nil {
		return nil, err
	}
	created := o.Out == "" || os.IsNotExist(statErr)
	c := &results.Capacity{ZkbenchVersion: bench.Version(), Profile: o.Name, Started: time.Now().UTC(),
		Target: o.Plan.Value("target"), Workload: o.Plan.Value("workload"), SLA: o.SLA,
		Resolution: cmp.Or(o.Search.Resolution, DefaultResolution), Repeats: cmp.Or(o.Search.Repeats, DefaultRepeats), Prediction: prediction}
	var sink bench.Sink = quiet{}
	if o.Sink != nil {
		sink = &warnOnce{Sink: o.Sink, seen: map[string]bool{}}
	}
	path := filepath.Join(out, results.CapacityFile)
	if o.Plan.Managed() {
		c.Warnings = append(c.Warnings, ColdServers)
	}
	if primed, err := prime(ctx, o, out, sink); err != nil {
		if !primed && created {
			os.RemoveAll(out) // ours, and nothing in it ran
		}
		return nil, err
	}
	c.PrimeS = o.Prime.Seconds()
	leastClients, _ := strconv.Atoi(o.Plan.Value("clients"))
	n := 0
	measure := func(ctx context.Context, rate float64) (results.CapacityStep, error) {
		n++
		clients := o.Clients
		if clients == 0 {
			clients = AutoClients(rate, time.Duration(o.SLA.MaxUs)*time.Microsecond, leastClients)
		}
		plan := o.Plan.Clone()
		for k, v := range map[string]string{"rate": fmt.Sprint(rate), "clients": strconv.Itoa(clients),
			"duration": o.StepDuration.String(), "warmup": o.Warmup.String()} {
			if err := plan.Set(k, v); err != nil {
				return results.CapacityStep{}, err
			}
		}
		dir := fmt.Sprintf("%02d-%.0f", n, rate)
		plan.Out = filepath.Join(out, dir)
		res, err := bench.Run(ctx, plan, sink)
		if res == nil {
			return results.CapacityStep{}, err
		}
		st := StepOf(res, rate, clients, o.SLA)
		st.Dir, st.Repeat = dir, 1
		for _, prev := range c.Steps {
			if prev.Rate == rate {
				st.Repeat++
			}
		}
		if op := mainOp(res); op.Hlog != "" {
			st.Hlog = filepath.Join(dir, op.Hlog)
		}
		sink.Notice(stepLine(n, st))
		c.Steps = append(c.Steps, st) // the same steps, in the same order, as the search's record
		c.DurationS = time.Since(c.Started).Seconds()
		if werr := c.WriteFile(path); werr != nil && err == nil {
			err = werr
		}
		return st, err
	}
	search := o.Search
	if search.SLA.MaxUs == 0 {
		search.SLA = o.SLA
	}
	oc, searchErr := search.Run(ctx, measure, nil)
	c.Steps, c.MaxRateOpsS, c.Converged, c.Interrupted = oc.Steps, oc.Max, oc.Converged, oc.Interrupted
	c.DurationS = time.Since(c.Started).Seconds()
	if knee := kneeStep(oc); knee != nil {
		c.Limit, c.LimitEvidence = Attribute(*knee, c.Target)
	}
	if len(c.Steps) == 0 {
		if searchErr == nil && oc.Interrupted {
			searchErr = fmt.Errorf("%w before the first step", bench.ErrInterrupted)
		}
		if c.PrimeS == 0 {
			if created {
				os.Remove(out) // ours and empty: a search that measured nothing leaves nothing
			}
			return nil, searchErr
		}
		// The prime's run is in out: keep it, marked and named.
		c.Interrupted = oc.Interrupted
		if err := c.WriteFile(path); err != nil {
			return nil, errors.Join(searchErr, err)
		}
		return nil, fmt.Errorf("%w (no step measured; the prime's run is in %s)", searchErr, filepath.Join(out, results.PrimeFolder))
	}
	if err := c.WriteFile(path); err != nil {
		return c, err
	}
	if err := report.WriteFile(filepath.Join(out, report.File), []string{out}); err != nil {
		return c, err
	}
	switch {
	case c.Interrupted:
		return c, fmt.Errorf("%w after %d steps; what was measured is in %s, marked interrupted", bench.ErrInterrupted, len(c.Steps), out)
	case searchErr != nil && !errors.Is(searchErr, bench.ErrInterrupted):
		return c, fmt.Errorf("%w (the search stopped after %d steps; results so far in %s)", searchErr, len(c.Steps), out)
	}
	return c, nil
}

// ColdServers is the warning of a search on servers zkbench starts: it
// starts them anew for every step.
const ColdServers = "each step started its ZooKeeper servers anew, so every rate is a cold JVM's (its first seconds run code " +
	"not yet compiled): for a warm server's, search a running ensemble (--target zk://…), which --prime warms first"

// DefaultPrime is how long a search primes a running ensemble of real
// servers (zk://) by default: a fresh ZooKeeper ensemble on 2 cores held
// 243 writes/s within p99 10 ms in its first search, 1,625 in the next
// and 2,750–3,250 from the third on.
const DefaultPrime = time.Minute

// PrimeFor is the prime of a search of plan: given when set, else
// DefaultPrime on a zk:// target and none on targets zkbench starts. A
// prime is refused on servers zkbench starts, anew for every step (and
// the embedded ensemble, compiled ahead of time, needs none).
func PrimeFor(plan *bench.Plan, given time.Duration, set bool) (time.Duration, error) {
	switch {
	case set && given < 0:
		return 0, fmt.Errorf("--prime %s: want 0 or more", given)
	case set && given > 0 && plan.Managed():
		return 0, errors.New("--prime: --target zookeeper starts its servers anew for every step, so nothing primed would carry over")
	case set && given > 0 && plan.Embedded():
		return 0, errors.New("--prime: the embedded ensemble starts anew for every step, so nothing primed would carry over")
	case set:
		return given, nil
	case plan.Embedded() || plan.Managed():
		return 0, nil
	}
	return DefaultPrime, nil
}

// prime runs the plan closed loop for o.Prime before the first step, so
// that the target is as warm as in service; its run folder is kept.
// ran says the run began, and so left its folder.
func prime(ctx context.Context, o Options, out string, sink bench.Sink) (ran bool, err error) {
	if o.Prime <= 0 {
		return false, nil
	}
	plan := o.Plan.Clone()
	for k, v := range map[string]string{"rate": "0", "duration": o.Prime.String(), "warmup": "0s"} {
		if err := plan.Set(k, v); err != nil {
			return false, err
		}
	}
	plan.Out = filepath.Join(out, results.PrimeFolder)
	res, err := bench.Run(ctx, plan, sink)
	if err != nil {
		if res != nil {
			return true, fmt.Errorf("priming the target: %w (its run: %s)", err, plan.Out)
		}
		return false, fmt.Errorf("priming the target: %w", err)
	}
	sink.Notice(fmt.Sprintf("primed the target: %s closed loop, %s ops/s (%s/)", o.Prime, thousands(res.Total.ThroughputOpsS), results.PrimeFolder))
	return true, nil
}

// kneeStep is the step whose figures say what ran out: the failing one
// just above the maximum; nil when none failed.
func kneeStep(oc Outcome) *results.CapacityStep {
	if oc.Knee < 0 {
		return nil
	}
	return &oc.Steps[oc.Knee]
}

// stepLine is a step's figures for the progress notices.
func stepLine(n int, st results.CapacityStep) string {
	verdict := "pass"
	if !st.Pass {
		verdict = "fail: " + st.Why
	}
	again := ""
	if st.Repeat > 1 {
		again = fmt.Sprintf(", again (%d)", st.Repeat)
	}
	return fmt.Sprintf("step %d: %s ops/s offered%s (%d clients), %.0f achieved, p99 %s, CPU %.0f%%: %s",
		n, thousands(st.Rate), again, st.Clients, st.AchievedOpsS, table.Micros(st.P99Us), st.CPUPct, verdict)
}

// warnOnce passes each warning on once: every step of a search repeats
// the same ones (a four-letter word the servers do not allow, say).
type warnOnce struct {
	bench.Sink
	mu   sync.Mutex
	seen map[string]bool
}

func (s *warnOnce) Notice(msg string) {
	if strings.HasPrefix(msg, "warning: ") {
		s.mu.Lock()
		seen := s.seen[msg]
		s.seen[msg] = true
		s.mu.Unlock()
		if seen {
			return
		}
	}
	s.Sink.Notice(msg)
}

type quiet struct{}

func (quiet) Progress(bench.Progress) {}
func (quiet) Notice(string)           {}
