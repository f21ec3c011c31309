package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zkbench/results"
	htmlreport "zkbench/results/report"
)

// A sweep of two keys, one of them repeated: every combination runs, the
// repeats interleaved, each in its own folder with the varied values in
// its result.json; sweep.json indexes them; report.html and a table of
// every combination.
func TestSweepRunsTheCrossProduct(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep")
	code, stdout, stderr := runCLI(t, "sweep", "--vary", "snap-count=200,400", "--vary", "maxBatchSize=1,1000",
		"--repeat", "2", "--duration", "1s", "--warmup", "200ms", "--clients", "2", "--keys", "20",
		"--workload", "write", "--servers", "1", "--data-dir", t.TempDir(), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sw, err := results.ReadSweep(filepath.Join(out, results.SweepFile))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sw.Vary, []string{"snapCount", "maxBatchSize"}) || sw.Repeat != 2 || len(sw.Runs) != 8 {
		t.Fatalf("vary %v, repeat %d, %d runs", sw.Vary, sw.Repeat, len(sw.Runs))
	}
	var order []string
	for _, r := range sw.Runs {
		order = append(order, sw.Label(r))
		res, err := results.ReadFile(filepath.Join(out, r.Dir, results.ResultFile))
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Config.SnapCount; r.Values["snapCount"] != fmt.Sprint(got) {
			t.Errorf("%s: snapCount %d", r.Dir, got)
		}
		if got := res.Config.MaxBatchSize; r.Values["maxBatchSize"] != fmt.Sprint(got) {
			t.Errorf("%s: maxBatchSize %d", r.Dir, got)
		}
		if res.Total.Count == 0 {
			t.Errorf("%s: no ops", r.Dir)
		}
	}
	want := []string{
		"snapCount=200 maxBatchSize=1", "snapCount=200 maxBatchSize=1000",
		"snapCount=400 maxBatchSize=1", "snapCount=400 maxBatchSize=1000",
		"snapCount=200 maxBatchSize=1 #2", "snapCount=200 maxBatchSize=1000 #2",
		"snapCount=400 maxBatchSize=1 #2", "snapCount=400 maxBatchSize=1000 #2",
	}
	if !slices.Equal(order, want) {
		t.Errorf("runs in order\n%q\nwant\n%q", order, want)
	}
	if sw.Runs[0].Dir != "1-snapCount=200-maxBatchSize=1-r1" {
		t.Errorf("first folder %q", sw.Runs[0].Dir)
	}
	if _, err := os.Stat(filepath.Join(out, htmlreport.File)); err != nil {
		t.Error(err)
	}
	for _, label := range want[:4] {
		if !strings.Contains(stdout, label) {
			t.Errorf("the table has no row %q:\n%s", label, stdout)
		}
	}
}

// Everything a sweep is refused for is refused before its first run:
// nothing is created, not even the output folder.
func TestSweepRefusesBadInput(t *testing.T) {
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "x"), []byte("x"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"nothing varied", nil, "nothing to vary"},
		{"unknown key", []string{"--vary", "bogus=1,2"}, "--vary bogus: unknown key"},
		{"key in another case", []string{"--vary", "snapcount=200,400"}, "--vary snapcount: unknown key; did you mean snapCount?"},
		{"no values", []string{"--vary", "snapCount"}, "want key=v1,v2"},
		{"empty value", []string{"--vary", "snapCount=200,,400"}, "empty value"},
		{"value twice", []string{"--vary", "snapCount=200,200"}, "200 given twice"},
		{"bad value last", []string{"--vary", "snapCount=200,lots"}, "snapCount=lots"},
		{"engine refuses", []string{"--vary", "snapCount=200,1"}, "snapCount 1"},
		{"workload refuses", []string{"--vary", "workload=write,nope"}, "nope"},
		{"also a flag", []string{"--vary", "snapCount=200,400", "--snap-count", "300"}, "--snap-count: snapCount is also varied"},
		{"also --set", []string{"--vary", "snapCount=200,400", "--set", "snapCount=300"}, "snapCount is also varied"},
		{"repeat 0", []string{"--vary", "snapCount=200,400", "--repeat", "0"}, "--repeat 0"},
		{"out not empty", []string{"--vary", "snapCount=200,400", "--out", full}, "not empty"},
		{"unknown profile", []string{"--profile", "nope"}, "--profile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "o")
			args := append([]string{"sweep", "--duration", "1s"}, tc.args...)
			if !slices.Contains(tc.args, "--out") {
				args = append(args, "--out", out)
			}
			code, _, stderr := runCLI(t, args...)
			if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and a line with %q", code, stderr, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a refused sweep created %s", out)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(full, "x")); err != nil || string(b) != "x" {
		t.Errorf("a refused sweep touched a foreign file: %q %v", b, err)
	}
}
