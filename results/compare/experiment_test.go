package compare

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"zkbench/results"
)

// Runs of different experiments, or interrupted ones, are refused with
// every difference named; Force compares them and notes why it had to.
func TestNotComparable(t *testing.T) {
	change := func(f func(*results.Result)) []*results.Result {
		rs := fakeRuns(10000, 2000)
		for _, r := range rs {
			f(r)
		}
		return rs
	}
	oneOf := func(i int, f func(*results.Result)) []*results.Result {
		rs := fakeRuns(10000, 2000)
		f(rs[i])
		return rs
	}
	tests := []struct {
		name string
		cand []*results.Result
		want []string // in the error; none: comparable
	}{
		{"same experiment", fakeRuns(10000, 2000), nil},
		{"another profile, same experiment", change(func(r *results.Result) { r.Profile = "nightly" }), nil},
		{"another zk:// ensemble", nil, nil}, // filled in below: both sides external
		{"workload and mix", change(func(r *results.Result) {
			r.Config.Workload = "write"
			r.Config.Other["mix"] = "setData:100"
		}), []string{"baseline and candidate differ in workload (mixed vs write), mix (getData:90,setData:10 vs setData:100)"}},
		{"target kind", change(func(r *results.Result) { r.Target = "zk://127.0.0.1:2181" }), []string{"target (embedded vs external)"}},
		{"clients", change(func(r *results.Result) { r.Config.Clients = 32 }), []string{"clients (16 vs 32)"}},
		{"rate", change(func(r *results.Result) { r.Config.Rate = 5000 }), []string{"rate (0 vs 5000)"}},
		{"one run of a side differs", oneOf(3, func(r *results.Result) { r.Config.Clients = 4 }),
			[]string{"candidate ", ": its runs differ in clients (16 in ", "run-1/result.json, 4 in ", "run-4/result.json), so they are not repeats"}},
		{"another snapCount: what the comparison is for", change(func(r *results.Result) { r.Config.SnapCount = 5000 }), nil},
		{"one run of a side has another snapCount", oneOf(2, func(r *results.Result) { r.Config.SnapCount = 5000 }),
			[]string{": its runs differ in snapCount (0 in ", "run-1/result.json, 5000 in ", "run-3/result.json), so they are not repeats"}},
		{"an interrupted run", oneOf(1, func(r *results.Result) { r.Interrupted, r.DurationS = true, 3.47 }),
			[]string{"candidate ", "run-2/result.json: an interrupted run (3.47 s measured)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := fakeRuns(10000, 2000)
			cand := tt.cand
			if cand == nil {
				for i := range base {
					base[i].Target = "zk://10.0.0.1:2181"
				}
				cand = change(func(r *results.Result) { r.Target = "zk://10.0.0.2:2181,10.0.0.3:2181" })
			}
			bdir, cdir := writeRuns(t, base), writeRuns(t, cand)
			rep, err := compareDirs(t, bdir, cdir, Options{MaxRegression: 0.1})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrNotComparable) {
				t.Fatalf("error %v, want ErrNotComparable", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("no %q in %q", w, err)
				}
			}
			rep, err = compareDirs(t, bdir, cdir, Options{MaxRegression: 0.1, Force: true})
			if err != nil {
				t.Fatalf("--force: %v", err)
			}
			if len(rep.Forced) == 0 || !strings.Contains(strings.Join(rep.notes(), "\n"), "compared with --force: ") {
				t.Errorf("--force: notes %q", rep.notes())
			}
		})
	}
}

// The two sides of one sweep differ in what the sweep varied: that is
// the comparison asked for. A sweep cut short is not a complete sample.
func TestSweepSidesComparable(t *testing.T) {
	write := func(interrupted bool) string {
		dir := t.TempDir()
		s := &results.Sweep{Vary: []string{"clients"}, Repeat: 5, Planned: 12, Interrupted: interrupted}
		for i := range 10 {
			clients := strconv.Itoa(8 * (1 + i%2))
			r := fakeRun(10000, 2000)
			r.Config.Clients = 8 * (1 + i%2)
			name := "run" + strconv.Itoa(i+1)
			writeRun(t, filepath.Join(dir, name), r)
			s.Runs = append(s.Runs, results.SweepRun{Dir: name, Values: map[string]string{"clients": clients}, Repeat: 1 + i/2})
		}
		if err := s.WriteFile(filepath.Join(dir, results.SweepFile)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	base, cand, err := LoadSweepSides(write(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compare(base, cand, Options{MaxRegression: 0.1}); err != nil {
		t.Errorf("a sweep of clients=8,16: %v", err)
	}
	base, cand, err = LoadSweepSides(write(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compare(base, cand, Options{MaxRegression: 0.1}); !errors.Is(err, ErrNotComparable) || !strings.Contains(err.Error(), "from a sweep interrupted after 10 of 12 runs") {
		t.Errorf("an interrupted sweep: %v", err)
	}
}
