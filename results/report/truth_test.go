package report

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-echarts/go-echarts/v2/charts"

	"zkbench/engine"
	"zkbench/results"
)

// TestMissingIsNotZero: a figure without a sample (no write completed
// inside a snapshot window) or not measured (a real ensemble's fsync
// percentiles) is a dash in tables and a gap in charts, never 0 and
// never a change from another run.
func TestMissingIsNotZero(t *testing.T) {
	noWriteInside := func(r *results.Result) {
		withoutHlogs(r)
		r.SnapshotStall.WriteP99UsInside, r.SnapshotStall.WritesInside = nil, 0
	}
	external := func(r *results.Result) {
		withoutHlogs(r)
		r.Target = "zk://127.0.0.1:2181"
		r.Config.Other["target"] = r.Target
		r.Config.Servers, r.Config.SnapCount, r.Config.PreAllocSize = 0, 0, 0
		r.SnapshotStall, r.Events = results.SnapshotStall{}, []results.Event{}
		for i := range r.Servers {
			// What mntr gives: a count, a mean, the slow ones.
			r.Servers[i] = results.Server{ID: i + 1, Role: "follower",
				Fsync: results.Fsync{Source: results.SourceMntr, Count: 500, Latency: results.Percentiles{Mean: 2000}, OverWarningThreshold: 1}}
		}
	}
	// Servers zkbench started: fsyncs from mntr, snapshots from their files.
	managed := func(r *results.Result) {
		withoutHlogs(r)
		r.Target = "zookeeper"
		r.Config.Other["target"] = r.Target
		for i := range r.Servers {
			r.Servers[i].Fsync = results.Fsync{Source: results.SourceMntr, Count: 500, Latency: results.Percentiles{Mean: 2000}}
		}
	}
	tests := []struct {
		name    string
		edit    func(*results.Result)
		heading string // of the table to look in
		row     string
		column  string
		want    string
	}{
		{"no write inside, compared", noWriteInside, "Compared with run-a", "write p99 inside snapshots", "candidate", "–"},
		{"no write inside, stall table", noWriteInside, "Snapshot stall", "candidate", "write p99 inside", "–"},
		{"external fsync p99", external, "fsync per member", "candidate", "p99", "–"},
		{"external fsync mean", external, "fsync per member", "candidate", "mean", "2.00 ms"},
		{"external snapshots", external, "fsync per member", "candidate", "snapshots", "–"},
		{"external fsync compared", external, "Compared with run-a", "server 1 fsync p99", "candidate", "–"},
		{"external stall", external, "Snapshot stall", "candidate", "windows", "not measured on this target (a zk:// ensemble)"},
		{"managed fsync p99", managed, "fsync per member", "candidate", "p99", "–"},
		{"managed fsync mean", managed, "fsync per member", "candidate", "mean", "2.00 ms"},
		{"managed snapshots", managed, "fsync per member", "candidate", "snapshots", "1"},
		{"managed fsync compared", managed, "Compared with run-a", "server 1 fsync p99", "candidate", "–"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeResult(t, tt.edit)
			page := renderString(t, "testdata/run-a", dir)
			head, rows := tableAfter(t, page, tt.heading)
			head = slices.Clone(head)
			for i, h := range head {
				if h == dirLabel(dir) {
					head[i] = "candidate"
				}
			}
			for i := range rows {
				if rows[i][0].Text == dirLabel(dir) {
					rows[i][0].Text = "candidate"
				}
			}
			col := tt.column
			if tt.heading == "Compared with run-a" {
				// metric rows, run columns
				if got := lookup(t, head, rows, tt.row, col, 0).Text; got != tt.want {
					t.Errorf("%s: %q, want %q", tt.row, got, tt.want)
				}
				return
			}
			if got := lookup(t, head, rows, tt.row, col, 0).Text; got != tt.want {
				t.Errorf("%s %s: %q, want %q", tt.row, col, got, tt.want)
			}
		})
	}
	// The stall chart has a gap where the figure is missing, not a bar of 0.
	page := renderString(t, writeResult(t, noWriteInside))
	if !strings.Contains(page, `"data":[{"value":"-"},`) {
		t.Error("the stall chart has no gap for the missing write p99 inside snapshots")
	}
	// A real ensemble's configuration was not read: no ensemble knob at 0.
	page = renderString(t, writeResult(t, external))
	for _, knob := range []string{"<td>servers</td>", "<td>snapCount</td>", "<td>preAllocSize</td>"} {
		if strings.Contains(page, knob) {
			t.Errorf("the report of a real ensemble lists %s", knob)
		}
	}
	if strings.Contains(page, "No snapshot during the measured phase") {
		t.Error("the report of a real ensemble says it took no snapshot: that was not observed")
	}
	// Nor charts of what was not observed: they would be empty frames.
	for _, chart := range []string{"Transactions per sync", "Snapshots and log rolls per member", "fsync p99 per second"} {
		if strings.Contains(page, `"text":"`+chart+`"`) {
			t.Errorf("the report of a real ensemble draws %q", chart)
		}
	}
	if !strings.Contains(page, "not measured on this target (real servers: mntr has no percentiles; mean 2.00 ms over 1500 syncs)") {
		t.Error("the verdict does not say the fsync p99 was not measured")
	}
	// Servers zkbench started: no fsync chart, and it says why.
	page = renderString(t, writeResult(t, managed))
	for _, chart := range []string{"Transactions per sync", "fsync latency by percentile"} {
		if strings.Contains(page, `"text":"`+chart+`"`) {
			t.Errorf("the report of managed servers draws %q", chart)
		}
	}
	if !strings.Contains(page, "not measured on this target (real servers; mntr has no percentiles)") {
		t.Error("the report of managed servers does not say their stall's fsync side was not measured")
	}
	if !strings.Contains(page, "not measured on this target (mntr has no percentiles)") {
		t.Error("the report of managed servers does not say their fsync charts were not measured")
	}
}

// dirLabel is how the report labels a temporary folder: its base name.
func dirLabel(dir string) string { return dir[strings.LastIndex(dir, "/")+1:] }

// TestMissingInSweep: a combination whose runs had no write inside a
// snapshot window shows a dash, not 0 with -100%, and the figure's line
// has a gap there.
func TestMissingInSweep(t *testing.T) {
	tl := &tally{}
	first := fixtureResult(t, func(r *results.Result) {})
	none := fixtureResult(t, func(r *results.Result) { r.SnapshotStall.WriteP99UsInside, r.SnapshotStall.WritesInside = nil, 0 })
	tl.add("", "a", labelled{label: "a", res: first})
	tl.add("", "b", labelled{label: "b", res: none})
	tb := combinationTable(tl, []headline{stallInsideHeadline})
	if got := tb.Rows[1][2]; got != missing() {
		t.Errorf("missing figure: %+v, want a dash", got)
	}
	if got := tb.Rows[0][2].Text; !strings.HasSuffix(got, ", n=270") {
		t.Errorf("present figure %q: no sample count", got)
	}
	ls := tl.lines(figure{curves: []curve{{label: "inside", h: stallInsideHeadline}}})
	se := ls[0].medians("", tl.categories)
	if se.data[1].Value != "-" {
		t.Errorf("the line has %v for the missing figure, want a gap", se.data[1].Value)
	}
}

func fixtureResult(t *testing.T, edit func(*results.Result)) *results.Result {
	t.Helper()
	r, err := results.ReadFile("testdata/run-a/result.json")
	if err != nil {
		t.Fatal(err)
	}
	edit(r)
	return r
}

// TestAnswerFirst: a run's report opens with the verdict (throughput,
// p99 per op, the slowest member's fsync p99, the stall, warnings) and
// ends with the configuration: what differs from the defaults in view,
// the rest folded, no key twice.
func TestAnswerFirst(t *testing.T) {
	page := renderString(t, "testdata/run-a")
	verdict, charts, config := strings.Index(page, "<h2>Verdict</h2>"), strings.Index(page, `<div class="chart"`),
		strings.Index(page, "<h2>Configuration</h2>")
	if verdict < 0 || !(verdict < charts && charts < config) {
		t.Fatalf("verdict at %d, first chart at %d, configuration at %d: want them in that order", verdict, charts, config)
	}
	_, rows := tableAfter(t, page, "Verdict")
	var keys []string
	for _, r := range rows {
		keys = append(keys, r[0].Text)
	}
	want := []string{"throughput", "setData p99", "getData p99", "slowest member's fsync p99", "snapshot stall", "warnings"}
	if !slices.Equal(keys, want) {
		t.Errorf("verdict rows %q, want %q", keys, want)
	}
	if got := rows[3][1].Text; got != "4.75 ms (server 3, follower)" {
		t.Errorf("fsync verdict %q", got)
	}
	if got := rows[4][1].Text; !strings.Contains(got, "inside 2 windows") || !strings.Contains(got, "(n=270)") {
		t.Errorf("stall verdict %q: no window or sample count", got)
	}
	// Each key once, in the whole page's row labels of the configuration.
	seen := map[string]int{}
	for _, m := range regexp.MustCompile(`<tr><td(?: class="[a-z]+")?>([A-Za-z]+)</td>`).FindAllStringSubmatch(page[config:], -1) {
		seen[m[1]]++
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("%s listed %d times", k, n)
		}
	}
	changed, _ := tableAfter(t, page, "Differs from zkbench&#39;s defaults")
	if !slices.Equal(changed, []string{"", "default", "run-a"}) {
		t.Errorf("differing knobs' columns %q", changed)
	}
	_, diff := tableAfter(t, page, "Differs from zkbench&#39;s defaults")
	for _, r := range diff {
		if r[0].Text == "clients" || r[0].Text == "forceSync" {
			t.Errorf("%s is at its default but listed as differing", r[0].Text)
		}
	}
	if !slices.ContainsFunc(diff, func(r []cell) bool { return r[0].Text == "readRatio" && r[1].Text == "0.9" && r[2].Text == "0.75" }) {
		t.Errorf("readRatio (0.75, default 0.9) is not among the differing knobs: %v", diff)
	}
	if !strings.Contains(page, "<details><summary>") || !strings.Contains(page, "at zkbench&#39;s defaults</summary>") {
		t.Error("the knobs at their defaults are not folded")
	}
}

// TestLatencyUnits: no latency in the report is a raw count of µs.
func TestLatencyUnits(t *testing.T) {
	page := renderString(t, "testdata/run-a", "testdata/run-b", "testdata/probe-a")
	for _, heading := range []string{"Latency by percentile", "fsync per member", "Sync latency per case"} {
		i := strings.Index(page, heading)
		tb := tableElement.FindString(page[i:])
		head := headCell.FindAllStringSubmatch(tb, -1)
		for _, r := range tableRow.FindAllStringSubmatch(tb, -1) {
			for j, c := range dataCell.FindAllStringSubmatch(r[1], -1) {
				if h := head[j][1]; slices.Contains([]string{"min", "mean", "p50", "p90", "p99", "p99.9", "max"}, h) {
					if !strings.HasSuffix(c[2], "s") && c[2] != "–" {
						t.Errorf("%s: %s %q has no unit", heading, h, c[2])
					}
				}
			}
		}
	}
	if strings.Contains(page, `"name":"µs"`) {
		t.Error("a chart's axis is in raw µs")
	}
}

// TestSnapshotMarks: a window of a few ms in a long run is drawn wide
// enough to see, election labels alternate instead of printing over each
// other, and each member has a lane of its own windows and log rolls.
func TestSnapshotMarks(t *testing.T) {
	res := fixtureResult(t, func(r *results.Result) {
		r.DurationS = 60
		r.Events = []results.Event{
			{T: 0.5, Server: 1, Kind: engine.EventLeaderElected.String()},
			{T: 0.6, Server: 2, Kind: engine.EventLeaderElected.String()},
			{T: 10, Server: 3, Kind: engine.EventSnapshotStart.String()},
			{T: 10.002, Server: 3, Kind: engine.EventSnapshotEnd.String()},
			{T: 10.001, Server: 2, Kind: engine.EventLogRoll.String()},
		}
	})
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	main := optionJS(timeChart("t", "", unitMicros, true, []series{{name: "p99", opts: []charts.SeriesOpts{runMarks(res)}}}))
	wide := js([2]markItem{{Name: "snapshot s3", XAxis: 10}, {XAxis: 10 + 60*minWindowShare}})
	if !strings.Contains(string(main), wide) {
		t.Errorf("the 2 ms window is not widened to %s: %s", wide, main)
	}
	if !strings.Contains(string(main), `"position":"insideEndTop"`) || !strings.Contains(string(main), `"position":"insideStartTop"`) {
		t.Error("the two elections' labels are not staggered")
	}
	if strings.Contains(string(main), "log roll") {
		t.Error("log rolls are on the main charts: dozens of labels bury the lines")
	}
	lanes := memberLanes([]*run{{label: "r", res: res}})
	if len(lanes) != 3 {
		t.Fatalf("%d lanes, want one per member", len(lanes))
	}
	chart := string(optionJS(laneChart(lanes)))
	for _, want := range []string{
		`{"coord":[10.001,1.6],"lineStyle":{"color":"#888"`,   // s2's log roll in lane 2
		`"xAxis":10,"yAxis":2.7},{"xAxis":10.24,"yAxis":3.3}`, // s3's window in lane 3, widened
		`return ['s1', 's2', 's3'][v - 1]`,
	} {
		if !strings.Contains(chart, want) {
			t.Errorf("lane chart lacks %s", want)
		}
	}
}

// TestDefaultKnobs: the defaults a run is held against are what a run
// records, derived values included, not the zeros that mean "derive".
func TestDefaultKnobs(t *testing.T) {
	d := defaultKnobs()
	for _, k := range []string{"minSessionTimeoutMs", "maxSessionTimeoutMs", "snapCount", "clients", "preAllocSize"} {
		if v, ok := d[k].(float64); !ok || v == 0 {
			t.Errorf("default %s = %v", k, d[k])
		}
	}
}

// TestLogSpectrumZero: a 0 µs point on a log axis (tmpfs) is a gap; it
// used to leave the probe's whole spectrum chart empty.
func TestLogSpectrumZero(t *testing.T) {
	se := spectrumSeries("tmpfs", []spectrumPoint{{X: 1, Us: 0}, {X: 100, Us: 0}, {X: 300, Us: 2}}, lineStyle(colour(0), ""))
	js := string(optionJS(spectrumChart("t", "", true, []series{se})))
	if !strings.Contains(js, `"data":[{"value":[1,"-"]},{"value":[100,"-"]},{"value":[300,2]}]`) {
		t.Errorf("zeros on the log axis are not gaps: %s", js)
	}
}
