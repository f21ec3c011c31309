package report

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"zkbench/results"
)

// A capacity folder's report opens with the answer and the
// latency–throughput curve, the SLA and the maximum marked on it, then
// a row per step with what was not measured as a dash.
func TestRenderCapacity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cap")
	util, share := 96.0, 0.62
	fsync := int64(8100)
	c := &results.Capacity{Workload: "write", Target: "embedded", MaxRateOpsS: 3100, Converged: true,
		SLA: results.CapacitySLA{Percentile: 99, MaxUs: 10_000, MinAchieved: 0.97}, Limit: results.LimitDisk,
		LimitEvidence: "the leader's log sync is 62% of the mean latency at 3,200 ops/s",
		Steps: []results.CapacityStep{
			{Rate: 1600, AchievedOpsS: 1600, P50Us: 900, P99Us: 3000, P999Us: 5000, Pass: true, Dir: "01-1600"},
			{Rate: 3200, AchievedOpsS: 3150, P50Us: 4000, P99Us: 15000, P999Us: 30000, DiskUtilPct: &util, SyncShare: &share,
				LeaderFsyncP99Us: &fsync, Why: "p99 15.0 ms over 10.0 ms", Dir: "02-3200"},
			{Rate: 3100, AchievedOpsS: 3100, P50Us: 2000, P99Us: 9000, P999Us: 12000, Pass: true, Dir: "03-3100"},
		}}
	if err := mkdirAndWrite(dir, c); err != nil {
		t.Fatal(err)
	}
	page := renderString(t, dir)
	titles := sectionTitle.FindAllStringSubmatch(page, -1)
	if len(titles) == 0 || titles[0][1] != "Capacity cap" {
		t.Fatalf("sections %v: want the capacity first", titles)
	}
	for _, want := range []string{"max 3,100 writes/s at p99 ≤ 10.0 ms — limited by the log disk", "Latency against throughput",
		`"name":"SLA 10.0 ms"`, `"name":"max 3,100 ops/s"`, "p99 15.0 ms over 10.0 ms", "62%", "8.10 ms"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if n := len(chartDiv.FindAllString(page, -1)); n != 1 {
		t.Errorf("%d charts, want the curve", n)
	}
}

func mkdirAndWrite(dir string, c *results.Capacity) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return c.WriteFile(filepath.Join(dir, results.CapacityFile))
}

func TestRatePoints(t *testing.T) {
	steps := []results.CapacityStep{
		{Rate: 1000, AchievedOpsS: 1000, P50Us: 900, P99Us: 3000, P999Us: 5000, Pass: true},
		{Rate: 2000, AchievedOpsS: 2000, P50Us: 1000, P99Us: 12000, P999Us: 20000},
		{Rate: 2000, AchievedOpsS: 1990, P50Us: 1100, P99Us: 8000, P999Us: 15000, Pass: true, Repeat: 2},
		{Rate: 2000, AchievedOpsS: 1980, P50Us: 1200, P99Us: 9000, P999Us: 16000, Pass: true, Repeat: 3},
		{Rate: 1500, AchievedOpsS: 700, Interrupted: true},
	}
	want := []results.CapacityStep{
		{Rate: 1000, AchievedOpsS: 1000, P50Us: 900, P99Us: 3000, P999Us: 5000, Pass: true},
		{Rate: 2000, AchievedOpsS: 1990, P50Us: 1100, P99Us: 9000, P999Us: 16000, Pass: true},
	}
	if got := ratePoints(steps); !reflect.DeepEqual(got, want) {
		t.Errorf("ratePoints = %+v\nwant %+v", got, want)
	}
}
