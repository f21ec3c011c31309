package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zkbench/results"
	"zkbench/workloads"
)

// interrupter is a Sink that ends the run's context, as Ctrl-C does, at
// the first progress report of the measured phase, or at a notice
// starting with atNotice. Neither depends on how fast the run goes.
type interrupter struct {
	cancel   context.CancelFunc
	atNotice string
}

func (i *interrupter) Progress(p Progress) {
	if i.atNotice == "" && p.Phase == workloads.Measuring {
		i.cancel()
	}
}

func (i *interrupter) Notice(msg string) {
	if i.atNotice != "" && strings.HasPrefix(msg, i.atNotice) {
		i.cancel()
	}
}

// tinyPlan is a one-member run of the quick profile with settings (key,
// value pairs) on top.
func tinyPlan(t *testing.T, out string, settings ...string) *Plan {
	t.Helper()
	plan := quickPlan(t, append([]string{"servers", "1", "clients", "2", "keys", "20", "warmup", "0s"}, settings...)...)
	plan.Out = out
	return plan
}

// A run stopped while it measures (an hour planned) writes what it
// measured, marked interrupted, and says so with ErrInterrupted.
func TestRunInterrupted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Run(ctx, tinyPlan(t, out, "duration", "1h"), &interrupter{cancel: cancel})
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "of 1h0m0s measuring") {
		t.Fatalf("error %v, want ErrInterrupted saying how much of the hour was measured", err)
	}
	if res == nil || !res.Interrupted {
		t.Fatalf("result %+v, want one marked interrupted", res)
	}
	saved, err := results.ReadFile(filepath.Join(out, results.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if !saved.Interrupted || saved.DurationS >= 3600 {
		t.Errorf("result.json: interrupted %v, duration_s %v", saved.Interrupted, saved.DurationS)
	}
}

// A sweep stopped before or during a run marks sweep.json interrupted,
// with the runs it planned and the complete ones; the run cut short
// keeps its folder (marked interrupted) outside the index.
func TestSweepInterrupted(t *testing.T) {
	tests := []struct {
		name   string
		sink   func(cancel context.CancelFunc) Sink
		cutRun bool // run 2 measured and was cut short
	}{
		{"before run 2 started", func(c context.CancelFunc) Sink { return &interrupter{cancel: c, atNotice: "run 2/3"} }, false},
		{"while run 2 measured", func(c context.CancelFunc) Sink { return &secondRunInterrupter{interrupter: interrupter{cancel: c}} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "sweep")
			// Run 1 ends after its ops; run 2 has an hour unless cut.
			base := tinyPlan(t, out, "duration", "1h", "ops", "200")
			sw, err := NewSweep(base, nil, 3)
			if err != nil {
				t.Fatal(err)
			}
			if err := sw.runs[1].plan.Set("ops", "0"); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			index, err := sw.Run(ctx, tt.sink(cancel))
			if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "during run 2 of 3") {
				t.Fatalf("error %v", err)
			}
			saved, rerr := results.ReadSweep(filepath.Join(out, results.SweepFile))
			if rerr != nil {
				t.Fatal(rerr)
			}
			if index == nil || !saved.Interrupted || saved.Planned != 3 || len(saved.Runs) != 1 {
				t.Errorf("sweep.json: interrupted %v, planned %d, %d runs", saved.Interrupted, saved.Planned, len(saved.Runs))
			}
			cutFile := filepath.Join(out, sw.runs[1].dir, results.ResultFile)
			if !tt.cutRun {
				if _, err := os.Stat(cutFile); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("run 2 never measured, yet its result.json: %v", err)
				}
				return
			}
			if cut, err := results.ReadFile(cutFile); err != nil || !cut.Interrupted {
				t.Errorf("run 2's result.json: %v, %+v", err, cut)
			}
		})
	}
}

// secondRunInterrupter interrupts the sweep's second run once it
// measures.
type secondRunInterrupter struct {
	interrupter
	second bool
}

func (s *secondRunInterrupter) Notice(msg string) {
	s.second = s.second || strings.HasPrefix(msg, "run 2/")
}

func (s *secondRunInterrupter) Progress(p Progress) {
	if s.second {
		s.interrupter.Progress(p)
	}
}
