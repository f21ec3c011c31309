package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/hlog"
	"zkbench/internal/zkref"
	"zkbench/results"
)

// Two drivers share a workload against one real ZooKeeper and meet at
// its barrier; merged, their counts are the sum of both and their
// percentiles those of both drivers' histograms added up. A driver the
// other does not join gives up with exit 2, having measured nothing.
func TestTwoDriversMerged(t *testing.T) {
	zkref.Need(t)
	srv, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{Props: []string{"-Dzookeeper.4lw.commands.whitelist=mntr"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	root := t.TempDir()
	dirs := []string{filepath.Join(root, "d1"), filepath.Join(root, "d2")}
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Go(func() {
			code, _, stderr := runCLI(t, "run", "--target", "zk://"+srv.Addr, "--driver", []string{"1/2", "2/2"}[i],
				"--workload", "mixed", "--clients", "4", "--keys", "40", "--duration", "2s", "--warmup", "300ms", "--out", dir)
			if code != 0 {
				t.Errorf("driver %d: exit %d: %s", i+1, code, stderr)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	out := filepath.Join(root, "merged")
	code, stdout, stderr := runCLI(t, "merge", dirs[0], dirs[1], "--out", out)
	if code != 0 || !strings.Contains(stdout, "getData") {
		t.Fatalf("merge: exit %d: %s%s", code, stdout, stderr)
	}
	merged, err := results.ReadFile(filepath.Join(out, results.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Ops) != 2 {
		t.Fatalf("merged ops %+v", merged.Ops)
	}
	for _, op := range merged.Ops {
		var sum int64
		raw := hlog.NewHistogram()
		for i, dir := range dirs {
			res, err := results.ReadFile(filepath.Join(dir, results.ResultFile))
			if err != nil {
				t.Fatal(err)
			}
			if res.Config.Other["driver"] != []string{"1/2", "2/2"}[i] || res.Config.Clients != 4 {
				t.Errorf("driver %d's config: %v", i+1, res.Config.Other["driver"])
			}
			for _, o := range res.Ops {
				if o.Op == op.Op {
					sum += o.Count
					raw.Merge(readHlog(t, filepath.Join(dir, o.Hlog)))
				}
			}
		}
		if op.Count == 0 || op.Count != sum || op.Count != raw.TotalCount() {
			t.Errorf("%s: merged %d ops, the drivers %d (their histograms %d)", op.Op, op.Count, sum, raw.TotalCount())
		}
		if op.Latency != results.PercentilesOf(raw) {
			t.Errorf("%s: merged percentiles %+v, of both drivers' histograms %+v", op.Op, op.Latency, results.PercentilesOf(raw))
		}
		if got := readHlog(t, filepath.Join(out, op.Hlog)); got.TotalCount() != sum {
			t.Errorf("%s: merged .hlog holds %d values, want %d", op.Op, got.TotalCount(), sum)
		}
	}

	alone := filepath.Join(root, "alone")
	code, _, stderr = runCLI(t, "run", "--target", "zk://"+srv.Addr, "--driver", "1/2", "--set", "barrierTimeout=1s",
		"--set", "root=/alone", "--clients", "2", "--keys", "10", "--duration", "1s", "--out", alone)
	if code != 2 || !strings.HasSuffix(stderr, "zkbench run: the other drivers did not arrive at /alone/drivers within 1s (driver 1/2)\n") {
		t.Errorf("alone at the barrier: exit %d: %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(alone, results.ResultFile)); err == nil {
		t.Error("a driver alone at the barrier wrote a result")
	}
}

func readHlog(t *testing.T, path string) *hdrhistogram.Histogram {
	t.Helper()
	ivs, err := hlog.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return hlog.Merge(ivs)
}
