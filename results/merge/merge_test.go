package merge

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/hlog"
	"zkbench/results"
)

// driverRun writes a run folder of driver i of n: ops of each name with
// random latencies over a 2 s measured phase of 100 ms intervals that
// starts at start, and returns every value recorded, by op.
func driverRun(t *testing.T, dir string, i, n int, start time.Time, seed uint64, config func(*results.Config)) map[string][]int64 {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	const measured = 2 * time.Second
	res := &results.Result{Started: start, DurationS: measured.Seconds(), Target: "zk://127.0.0.1:2181",
		Config: results.Config{Workload: "mixed", Clients: 8, Keys: 100, Other: map[string]any{
			"driver": strings.Join([]string{itoa(i), itoa(n)}, "/"), "duration": "2s", "mix": "getData:90,setData:10"}},
		Environment: results.Environment{Hostname: "host" + itoa(i)}}
	if config != nil {
		config(&res.Config)
	}
	values := map[string][]int64{}
	for _, op := range []string{"getData", "setData"} {
		rec := hlog.NewRecorder(start, 100*time.Millisecond)
		count := 0
		for at := time.Duration(0); at < measured; at += time.Duration(r.IntN(400)) * time.Microsecond {
			v := time.Duration(r.ExpFloat64()*2000) * time.Microsecond
			rec.Record(start.Add(at), v)
			values[op] = append(values[op], hlog.Micros(v))
			count++
		}
		rec.Finish(start.Add(measured))
		if err := hlog.WriteFile(filepath.Join(dir, op+".hlog"), start, rec.Intervals()); err != nil {
			t.Fatal(err)
		}
		res.Ops = append(res.Ops, results.OpStats{Op: op, Count: int64(count), Errors: int64(i), Hlog: op + ".hlog",
			Latency: results.PercentilesOf(rec.Total())})
	}
	if err := res.WriteFile(filepath.Join(dir, results.ResultFile)); err != nil {
		t.Fatal(err)
	}
	return values
}

func itoa(i int) string { return string(rune('0' + i)) }

// Merged counts are the sum of the drivers', merged percentiles those of
// every driver's values in one histogram, and the intervals line up.
func TestMergeAddsExactly(t *testing.T) {
	root := t.TempDir()
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var dirs []string
	raw := map[string]*hdrhistogram.Histogram{"getData": hlog.NewHistogram(), "setData": hlog.NewHistogram()}
	for i := 1; i <= 3; i++ {
		dir := filepath.Join(root, "d"+itoa(i))
		// The drivers' measured phases begin a few ms apart, as after the barrier.
		for op, vs := range driverRun(t, dir, i, 3, start.Add(time.Duration(i*3)*time.Millisecond), uint64(i), nil) {
			for _, v := range vs {
				raw[op].RecordValue(v)
			}
		}
		dirs = append(dirs, dir)
	}
	out := filepath.Join(root, "merged")
	m, err := Merge([]string{dirs[2], dirs[0], dirs[1]}, out)
	if err != nil {
		t.Fatal(err)
	}
	back, err := results.ReadFile(filepath.Join(out, results.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, op := range back.Ops {
		want := raw[op.Op]
		if op.Count != want.TotalCount() || op.Errors != 1+2+3 {
			t.Errorf("%s: count %d errors %d, want %d and 6", op.Op, op.Count, op.Errors, want.TotalCount())
		}
		if op.Latency != results.PercentilesOf(want) {
			t.Errorf("%s: merged percentiles %+v, of all values %+v", op.Op, op.Latency, results.PercentilesOf(want))
		}
		ivs, err := hlog.ReadFile(filepath.Join(out, op.Hlog))
		if err != nil {
			t.Fatal(err)
		}
		// 2 s of 100 ms intervals: 20 slots, each the three drivers' k-th.
		if len(ivs) != 20 || hlog.Merge(ivs).TotalCount() != want.TotalCount() {
			t.Errorf("%s: %d intervals holding %d values", op.Op, len(ivs), hlog.Merge(ivs).TotalCount())
		}
		for k, iv := range ivs {
			if got := iv.StartTimeMs() - start.UnixMilli(); got != int64(3+100*k) {
				t.Errorf("%s: interval %d starts at +%d ms", op.Op, k, got)
				break
			}
		}
		total += op.Count
	}
	if back.Total.Count != total || back.Config.Other["drivers"] != 3.0 || back.Config.Other["driver"] != nil ||
		len(back.MergedFrom) != 3 || !strings.HasSuffix(back.MergedFrom[0], "d1") ||
		back.Environment.Hostname != "host1,host2,host3" || len(back.Timeseries) != 20 {
		t.Errorf("merged result: total %+v config %v from %v hosts %s, %d points", back.Total, back.Config.Other,
			back.MergedFrom, back.Environment.Hostname, len(back.Timeseries))
	}
	if want := start.Add(3 * time.Millisecond); !m.Started.Equal(want) || m.DurationS != 2.006 {
		t.Errorf("merged phase %v + %v s, want %v + 2.006 s", m.Started, m.DurationS, want)
	}
	for _, f := range []string{"report.html", "getData.hlog", "setData.hlog"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// Runs that are not the N drivers of one run are refused in one line
// naming what is wrong, before anything is written.
func TestMergeRefusesUnlikeRuns(t *testing.T) {
	root := t.TempDir()
	start := time.Now()
	d1 := filepath.Join(root, "d1")
	driverRun(t, d1, 1, 2, start, 1, nil)
	d2 := filepath.Join(root, "d2")
	driverRun(t, d2, 2, 2, start, 2, nil)
	other := filepath.Join(root, "other")
	driverRun(t, other, 2, 2, start, 3, func(c *results.Config) { c.Clients = 16; c.Workload = "write" })
	twice := filepath.Join(root, "twice")
	driverRun(t, twice, 1, 2, start, 4, nil)
	three := filepath.Join(root, "three")
	driverRun(t, three, 2, 3, start, 5, nil)
	alone := filepath.Join(root, "alone")
	driverRun(t, alone, 1, 2, start, 6, func(c *results.Config) { delete(c.Other, "driver") })
	bad := filepath.Join(root, "bad")
	driverRun(t, bad, 2, 2, start, 7, nil)
	os.WriteFile(filepath.Join(bad, "setData.hlog"), []byte("#[StartTime: 1.000 (seconds since epoch)]\n"), 0o644)
	full := filepath.Join(root, "full")
	os.MkdirAll(full, 0o755)
	os.WriteFile(filepath.Join(full, "x"), nil, 0o644)
	tests := []struct {
		dirs []string
		out  string
		want string
	}{
		{[]string{d1, other}, "", "not the drivers of one run: " + d1 + " and " + other + " differ in clients (8 vs 16), workload (mixed vs write)"},
		{[]string{d1, twice}, "", "not the drivers of one run: " + d1 + " and " + twice + " are both driver 1/2"},
		{[]string{d1}, "", "not the drivers of one run: driver 2/2 missing: the merge of some drivers is not the run's"},
		{[]string{d1, three}, "", "is driver 1/2, " + three + " driver 2/3"},
		{[]string{alone, d2}, "", alone + ": not the drivers of one run: not a run of one of several drivers"},
		{[]string{d1, bad}, "", filepath.Join(bad, "setData.hlog") + ": holds 0 values, result.json counts"},
		{[]string{d1, d2}, full, "--out " + full + ": folder exists and is not empty"},
	}
	for _, tt := range tests {
		out := tt.out
		if out == "" {
			out = filepath.Join(root, "m")
		}
		_, err := Merge(tt.dirs, out)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: got %v, want %q", tt.dirs, err, tt.want)
		}
		if tt.out == "" && !errors.Is(err, ErrUnlike) && !strings.Contains(tt.want, "holds") {
			t.Errorf("%v: %v is not ErrUnlike", tt.dirs, err)
		}
		if _, err := os.Stat(filepath.Join(root, "m")); err == nil {
			t.Fatalf("%v: a refused merge wrote %s", tt.dirs, filepath.Join(root, "m"))
		}
	}
}

func TestMeanBusy(t *testing.T) {
	pct := func(v float64) *float64 { return &v }
	driver := func(busy *float64) *run {
		return &run{res: &results.Result{Total: results.Total{SessionsBusyPct: busy}}}
	}
	if got := meanBusy([]*run{driver(pct(20)), driver(pct(40))}); got == nil || *got != 30 {
		t.Errorf("two open-loop drivers busy 20%% and 40%%: %v, want 30", got)
	}
	if got := meanBusy([]*run{driver(pct(20)), driver(nil)}); got != nil {
		t.Errorf("a closed-loop driver among them: %v, want null", *got)
	}
}
