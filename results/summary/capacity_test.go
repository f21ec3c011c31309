package summary

import (
	"bytes"
	"strings"
	"testing"

	"zkbench/results"
)

// The summary's first line is the answer; a prediction without a disk
// ceiling is not given as a percentage of the measurement.
func TestCapacitySummary(t *testing.T) {
	c := &results.Capacity{Workload: "write", MaxRateOpsS: 3100, Converged: true,
		SLA: results.CapacitySLA{Percentile: 99, MaxUs: 10_000}, Limit: results.LimitCPU, LimitEvidence: "the CPU was 97% busy",
		Steps:      []results.CapacityStep{{Rate: 3100, AchievedOpsS: 3100, Pass: true}, {Rate: 3200, AchievedOpsS: 3000, Why: "p99 12.0 ms over 10.0 ms"}},
		Prediction: &results.Prediction{Probe: "p", MaxRateOpsS: 200000, Note: "the disk is not the limit"}}
	var b bytes.Buffer
	Capacity(&b, c, "out")
	lines := strings.Split(b.String(), "\n")
	if lines[0] != "max 3,100 writes/s at p99 ≤ 10.0 ms — limited by the CPU (the CPU was 97% busy)" {
		t.Errorf("first line %q", lines[0])
	}
	for _, want := range []string{"fail: p99 12.0 ms over 10.0 ms",
		"predicted from p: over 200,000 writes/s; measured 3,100 (the model puts no disk ceiling below the rates searched: the limit is elsewhere)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	c.Prediction.DiskBound, c.Prediction.MaxRateOpsS = true, 4000
	b.Reset()
	Capacity(&b, c, "out")
	if !strings.Contains(b.String(), "predicted from p: 4,000 writes/s; measured 3,100 (-22% of the prediction)") {
		t.Errorf("summary:\n%s", b.String())
	}
}
