package report

import (
	"strings"
	"testing"

	"github.com/go-echarts/go-echarts/v2/charts"

	"zkbench/results"
)

// A fault is marked on the charts over time and in its member's lane:
// where it struck, where it healed, the gaps without a write.
func TestFaultMarks(t *testing.T) {
	healed := 14.0
	res := fixtureResult(t, func(r *results.Result) {
		r.DurationS = 30
		r.Faults = []results.Fault{{Spec: "crash:leader@8s+6s", Kind: "crash", Member: 3, Role: "leader", AtS: 8, HealedS: &healed,
			InForceGapS: 1.3, InForceGapFromS: 8, InForceGapToS: 9.3, UnavailableS: 4.7, GapFromS: 16, GapToS: 20.7}}
	})
	main := string(optionJS(timeChart("t", "", unitMicros, true, []series{{name: "p99", opts: []charts.SeriesOpts{runMarks(res)}}})))
	for _, want := range []string{`"name":"crash s3","xAxis":8`, `"name":"healed s3","xAxis":14`,
		`"name":"no writes","xAxis":8,`, `{"xAxis":9.3}`, `"name":"no writes","xAxis":16,`, `{"xAxis":20.7}`} {
		if !strings.Contains(main, want) {
			t.Errorf("chart over time without %s", want)
		}
	}
	lanes := string(optionJS(laneChart(memberLanes([]*run{{label: "r", res: res}}))))
	if !strings.Contains(lanes, `{"coord":[8,2.5],"lineStyle":{"color":"`+faultColour) {
		t.Errorf("member 3's lane has no mark of the crash: %s", lanes)
	}
}
