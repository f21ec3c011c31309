package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"zkbench/engine"
	"zkbench/results"
)

// renderString renders dirs and returns the page without the inlined
// ECharts, which is checked once, in TestEChartsInlined.
func renderString(t *testing.T, dirs ...string) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, dirs); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Count(page, echartsJS) != 1 {
		t.Fatalf("ECharts is not inlined exactly once")
	}
	return strings.Replace(page, echartsJS, "", 1)
}

var (
	sectionTitle = regexp.MustCompile(`<h2>([^<]*)</h2>`)
	chartDiv     = regexp.MustCompile(`<div class="chart" id="(chart\d+)"></div>`)
)

func TestRenderKinds(t *testing.T) {
	// The answer first, then the charts, then the configuration.
	runSections := []string{"Latency by percentile", "Over time", "fsync per member", "Snapshots", "CPU and disks", "Configuration"}
	tests := []struct {
		name     string
		dirs     []string
		title    string
		sections []string
		charts   int
	}{
		{"run", []string{"testdata/run-a"}, "zkbench run run-a",
			append([]string{"Verdict"}, runSections...), 12},
		{"runs", []string{"testdata/run-a", "testdata/run-b"}, "zkbench: 2 runs compared",
			append([]string{"Verdict of 2 runs", "Compared with run-a"}, runSections...), 14},
		// The sweep's own section: 5 charts against snapCount.
		{"sweep", []string{"testdata/sweep"}, "zkbench sweep of snapCount: 2 runs",
			append([]string{"Sweep of snapCount", "Verdict of 2 runs", "Compared with snapCount=5000"}, runSections...), 14 + 5},
		// Against each of 2 keys: throughput, 2 ops × 3 latency stats
		// (a chart each: there are several series), fsync, stall.
		{"sweep with repeats", []string{"testdata/sweep-repeats"}, "zkbench sweep of snapCount × preAllocSize: 12 runs",
			append([]string{"Sweep of snapCount × preAllocSize", "Verdict of 12 runs", "Compared with snapCount=2000 preAllocSize=64MiB"}, runSections...), 13 + 2*9},
		{"sweep among others", []string{"testdata/run-a", "testdata/sweep"}, "zkbench: 3 runs compared",
			append([]string{"Verdict of 3 runs", "sweep: sweep of snapCount", "Compared with run-a"}, runSections...), 14 + 5},
		{"probe", []string{"testdata/probe-a"}, "zkbench probe probe-a", []string{"Disk probe"}, 1},
		{"probes", []string{"testdata/probe-a", "testdata/probe-b"}, "zkbench: 2 probes compared",
			[]string{"2 disk probes", "Probes compared with probe-a"}, 1},
		{"mix", []string{"testdata/run-a", "testdata/probe-a/probe.json"}, "zkbench: 1 run and 1 probe",
			append(append([]string{"Verdict"}, runSections...), "Disk probe"), 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := renderString(t, tt.dirs...)
			if !strings.Contains(page, "<title>"+tt.title+"</title>") {
				t.Errorf("title is not %q", tt.title)
			}
			var got []string
			for _, m := range sectionTitle.FindAllStringSubmatch(page, -1) {
				got = append(got, m[1])
			}
			if strings.Join(got, "|") != strings.Join(tt.sections, "|") {
				t.Errorf("sections %q, want %q", got, tt.sections)
			}
			divs := chartDiv.FindAllStringSubmatch(page, -1)
			if len(divs) != tt.charts {
				t.Errorf("%d charts, want %d", len(divs), tt.charts)
			}
			for _, d := range divs {
				if !strings.Contains(page, "\n    \""+d[1]+"\": {") {
					t.Errorf("chart %s has no option", d[1])
				}
			}
			// Self-contained: nothing to fetch, not even a link.
			for _, ref := range []string{"http://", "https://", "src=", "<link", "url("} {
				if strings.Contains(page, ref) {
					t.Errorf("the page refers to %q", ref)
				}
			}
		})
	}
}

// TestRenderRunCharts checks what the run charts are made of: the
// percentile axis, the marks from events, the overlaid runs.
func TestRenderRunCharts(t *testing.T) {
	page := renderString(t, "testdata/run-a", "testdata/run-b")
	for _, want := range []string{
		`"type":"log","name":"percentile"`,                   // the spectrum's x axis
		`"formatter":function (x) { return +(100 - 100 / x)`, // labelled in percent, a function, not a string
		`{"name":"leader s1","xAxis":0.5,"lineStyle":`,       // leader election from events
		`{"coord":[6,1.6],"lineStyle":`,                      // log roll from events, in s2's lane
		`[{"name":"snapshot s1","xAxis":4},{"xAxis":5.5}]`,   // snapshot window from events
		`"name":"run-b p99"`,                                 // overlaid runs are named
		`"name":"run-a server 3"`,                            // fsync per member
		`"name":"run-b vdc"`,                                 // disks per device
		`<td class="worse">`,                                 // run-b's slower fsync is a regression
		`<td class="diff">snapCount</td>`,                    // not in these two: both 100000
	} {
		if want == `<td class="diff">snapCount</td>` {
			if strings.Contains(page, want) {
				t.Errorf("snapCount is the same in both runs but marked as differing")
			}
			continue
		}
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	sweep := renderString(t, "testdata/sweep")
	if !strings.Contains(sweep, `<td class="diff">snapCount</td>`) {
		t.Errorf("the sweep's varied knob is not highlighted")
	}
}

func TestRenderProbe(t *testing.T) {
	page := renderString(t, "testdata/probe-a", "testdata/probe-b")
	for _, want := range []string{
		`<td class="good">good for a ZooKeeper transaction log (p99 under 10.0 ms)</td>`,
		`<td class="bad">too slow for a ZooKeeper transaction log`,
		`"name":"probe-b: /mnt/nvme fdatasync/zookeeper"`,
		`<td>dir 1 fdatasync/zookeeper</td>`,
		`"yAxis":[{"name":"latency","type":"log","axisLabel":{"formatter":function (v) { return zkMicros(v, true); }`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	a := renderString(t, "testdata/run-a", "testdata/probe-a")
	b := renderString(t, "testdata/run-a", "testdata/probe-a")
	if a != b {
		t.Error("two renders of the same folders differ")
	}
}

// writeResult writes a result.json into a new folder, after edit.
func writeResult(t *testing.T, edit func(*results.Result)) string {
	t.Helper()
	res, err := results.ReadFile("testdata/run-a/result.json")
	if err != nil {
		t.Fatal(err)
	}
	edit(res)
	dir := t.TempDir()
	if err := res.WriteFile(filepath.Join(dir, results.ResultFile)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func withoutHlogs(r *results.Result) {
	for i := range r.Ops {
		r.Ops[i].Hlog = ""
	}
	for i := range r.Servers {
		r.Servers[i].Fsync.Hlog = ""
	}
}

// TestRenderWithoutHlogs: a result.json alone still gives every chart,
// from its summaries and time series.
func TestRenderWithoutHlogs(t *testing.T) {
	dir := writeResult(t, withoutHlogs)
	page := renderString(t, dir)
	if n := len(chartDiv.FindAllString(page, -1)); n != 12 {
		t.Errorf("%d charts, want 12", n)
	}
	if !strings.Contains(page, `"name":"fsync p99"`) {
		t.Error("no fsync p99 from the time series")
	}
}

// TestRenderEscapes: text from the data cannot end a script element or
// add markup.
func TestRenderEscapes(t *testing.T) {
	const evil = `x</script><script>alert(1)</script><!--`
	dir := writeResult(t, func(r *results.Result) {
		r.Ops[0].Op = evil
		r.Profile = evil
		withoutHlogs(r)
	})
	page := renderString(t, dir)
	if n := strings.Count(page, "</script>"); n != 3 { // ECharts, zkMicros and the charts
		t.Errorf("%d </script> in the page, want 3", n)
	}
	// In a script element, "<!--" could start the HTML parser's escaped
	// states; "<script>" alone is just text.
	if strings.Contains(page, "<!--") {
		t.Error("<!-- in the page")
	}
	if !strings.Contains(page, "<td>x&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!--</td>") {
		t.Error("the op's name is not escaped in its table")
	}
}

func TestLoadErrors(t *testing.T) {
	tmp := t.TempDir()
	mk := func(name string, files map[string]string) string {
		dir := filepath.Join(tmp, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, content := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	good, err := os.ReadFile("testdata/run-a/result.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		want string // in the error, after the path
	}{
		{"missing", filepath.Join(tmp, "nope"), filepath.Join(tmp, "nope") + ": no such folder"},
		{"empty", mk("empty", nil), "no result.json, sweep.json, probe.json or capacity.json in it"},
		{"file", filepath.Join(mk("file", map[string]string{"x.txt": "x"}), "x.txt"), "x.txt: not a folder"},
		{"corrupt", mk("corrupt", map[string]string{"result.json": `{"schema": 1, "ops": [`}), "corrupt/result.json: line 1: unexpected end of JSON input"},
		{"schema", mk("schema", map[string]string{"result.json": `{"schema": 7}`}), "schema/result.json: schema 7, this zkbench reads schema 1"},
		{"no hlog", mk("nohlog", map[string]string{"result.json": string(good)}), "nohlog/setData.hlog: no such file"},
		{"bad hlog", mk("badhlog", map[string]string{"result.json": string(good), "setData.hlog": "0.0,1.0,0.1,AAAA\n"}), "badhlog/setData.hlog"},
		{"probe", mk("probe", map[string]string{"probe.json": `{"schema": 1, "probes": 3}`}), "probe/probe.json: line 1"},
		{"sweep", mk("sweep", map[string]string{"sweep.json": `{"schema": 1, "vary": ["snapCount"], "runs": [{"dir": "gone"}]}`}), "sweep/gone/result.json: no such file"},
		{"empty sweep", mk("sweep0", map[string]string{"sweep.json": `{"schema": 1, "runs": []}`}), "sweep0/sweep.json: no runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "report.html")
			err := WriteFile(out, []string{"testdata/run-a", tt.dir})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a report was written anyway")
			}
		})
	}
	if err := Render(&bytes.Buffer{}, nil); err == nil {
		t.Error("no folders: no error")
	}
}

func TestFolderLabels(t *testing.T) {
	got := folderLabels([]string{"a/run-1", "b/run-1", "c/run-2/result.json", "run-3/"})
	want := []string{"a/run-1", "b/run-1", "run-2", "run-3"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("folderLabels = %q, want %q", got, want)
	}
}

func TestSnapshotWindows(t *testing.T) {
	started := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(t float64, server int, kind string) results.Event {
		return results.Event{T: t, Server: server, Kind: kind}
	}
	tests := []struct {
		name string
		res  results.Result
		want []window
	}{
		{"events", results.Result{DurationS: 10, Events: []results.Event{
			ev(1, 1, engine.EventSnapshotStart.String()), ev(2, 2, engine.EventSnapshotStart.String()), ev(3, 1, engine.EventSnapshotEnd.String()),
			ev(4, 2, engine.EventLogRoll.String()), ev(5, 2, engine.EventSnapshotEnd.String()), ev(8, 3, engine.EventSnapshotStart.String()),
		}}, []window{{1, 1, 3}, {2, 2, 5}, {3, 8, 10}}},
		{"servers", results.Result{Started: started, Servers: []results.Server{
			{ID: 2, Snapshots: []results.Snapshot{{Start: started.Add(1500 * time.Millisecond), DurationMs: 250}}},
		}}, []window{{2, 1.5, 1.75}}},
		{"none", results.Result{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := snapshotWindows(&tt.res)
			if len(got) != len(tt.want) {
				t.Fatalf("windows %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("windows %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestCells(t *testing.T) {
	tests := []struct {
		got, want cell
	}{
		{decimal(12345.6), cell{"12346", "num"}},
		{decimal(12.34), cell{"12.3", "num"}},
		{decimal(1.234), cell{"1.23", "num"}},
		{decimal(7), cell{"7", "num"}},
		{delta("ops/s", 110, 100, true), cell{"110 (+10.0%)", "better"}},
		{delta("ops/s", 110, 100, false), cell{"110 (+10.0%)", "worse"}},
		{delta("ops/s", 90, 100, false), cell{"90 (-10.0%)", "better"}},
		{delta("ops/s", 100.5, 100, false), cell{"100.5 (+0.5%)", "num"}},
		{delta("ops/s", 5, 0, false), cell{"5", "num"}},
		// Latencies as the terminal prints them, never raw µs.
		{delta(unitMicros, 109567, 100000, false), cell{"110 ms (+9.6%)", "worse"}},
		{delta(unitMicros, 850, 0, false), cell{"850 µs", "num"}},
		{latency(4110), cell{"4.11 ms", "num"}},
		{value(unitMicros, 1.5e6), cell{"1.50 s", "num"}},
		{change(110, 100, true), cell{"+10.0%", "better"}},
		{change(90, 100, true), cell{"-10.0%", "worse"}},
		{change(100.5, 100, true), cell{"+0.5%", "num"}},
		{change(5, 0, true), cell{"–", "num"}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %+v, want %+v", tt.got, tt.want)
		}
	}
	for v, want := range map[any]string{67108864.0: "67108864", 0.75: "0.75", true: "true", "zipf": "zipf", nil: ""} {
		if got := knob(v); got != want {
			t.Errorf("knob(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestEChartsInlined: the embedded ECharts is the release assets/README.md
// records, and nothing in it ends the script element it is inlined into.
func TestEChartsInlined(t *testing.T) {
	readme, err := os.ReadFile("assets/README.md")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(echartsJS))
	for _, want := range []string{"ECharts **" + echartsVersion + "**", hex.EncodeToString(sum[:])} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("assets/README.md does not record %s", want)
		}
	}
	if !strings.Contains(echartsJS, `version="`+echartsVersion+`"`) {
		t.Errorf("assets/echarts.min.js is not ECharts %s", echartsVersion)
	}
	if strings.Contains(echartsJS, "</script") || strings.Contains(echartsJS, "<!--") {
		t.Error("assets/echarts.min.js would end its script element")
	}
}

var (
	tableElement = regexp.MustCompile(`(?s)<table>.*?</table>`)
	headCell     = regexp.MustCompile(`<th>([^<]*)</th>`)
	tableRow     = regexp.MustCompile(`<tr>(<td.*?)</tr>`)
	dataCell     = regexp.MustCompile(`<td(?: class="([^"]*)")?>([^<]*)</td>`)
)

// tableAfter returns the head and the rows of the first table after the
// heading (h2 or h3) whose text is heading.
func tableAfter(t *testing.T, page, heading string) (head []string, rows [][]cell) {
	t.Helper()
	i := strings.Index(page, ">"+heading+"</h")
	if i < 0 {
		t.Fatalf("no heading %q", heading)
	}
	tb := tableElement.FindString(page[i:])
	for _, m := range headCell.FindAllStringSubmatch(tb, -1) {
		head = append(head, html.UnescapeString(m[1]))
	}
	for _, r := range tableRow.FindAllStringSubmatch(tb, -1) {
		var row []cell
		for _, c := range dataCell.FindAllStringSubmatch(r[1], -1) {
			row = append(row, cell{Text: html.UnescapeString(c[2]), Class: c[1]})
		}
		rows = append(rows, row)
	}
	return head, rows
}

// lookup is the cell in the row that starts with rowLabel, in the
// column headed column, or off columns after it.
func lookup(t *testing.T, head []string, rows [][]cell, rowLabel, column string, off int) cell {
	t.Helper()
	col := slices.Index(head, column)
	if col < 0 {
		t.Fatalf("no column %q in %q", column, head)
	}
	for _, r := range rows {
		if r[0].Text == rowLabel {
			return r[col+off]
		}
	}
	t.Fatalf("no row %q", rowLabel)
	return cell{}
}

// TestRenderSweepSection checks the sweep's table of medians against
// the fixture's result.json files (the median of 2 repeats is their
// mean) and what its charts are made of.
func TestRenderSweepSection(t *testing.T) {
	page := renderString(t, "testdata/sweep-repeats")
	head, rows := tableAfter(t, page, "Median per combination, with the change from the first")
	wantHead := []string{"combination", "runs", "ops/s", "setData p50", "setData p99", "setData p99.9",
		"getData p50", "getData p99", "getData p99.9", "fsync p99", "write p99 inside snapshots", "write p99 outside snapshots"}
	if !slices.Equal(head, wantHead) {
		t.Errorf("columns %q, want %q", head, wantHead)
	}
	var combos []string
	for _, r := range rows {
		combos = append(combos, r[0].Text)
	}
	// In the order the sweep ran them, not sorted: 100000 after 20000.
	wantCombos := []string{"snapCount=2000 preAllocSize=64MiB", "snapCount=2000 preAllocSize=16MiB",
		"snapCount=20000 preAllocSize=64MiB", "snapCount=20000 preAllocSize=16MiB",
		"snapCount=100000 preAllocSize=64MiB", "snapCount=100000 preAllocSize=16MiB"}
	if !slices.Equal(combos, wantCombos) {
		t.Errorf("rows %q, want %q", combos, wantCombos)
	}
	tests := []struct {
		combo, column string
		want          cell
	}{
		{"snapCount=2000 preAllocSize=64MiB", "runs", cell{"2", "num"}},
		{"snapCount=2000 preAllocSize=64MiB", "ops/s", cell{"370.5", "num"}},                               // 369, 372
		{"snapCount=2000 preAllocSize=64MiB", "setData p99", cell{"11.8 ms", "num"}},                       // 12935, 10727
		{"snapCount=2000 preAllocSize=64MiB", "write p99 inside snapshots", cell{"14.1 ms, n=382", "num"}}, // 14295, 13839
		{"snapCount=2000 preAllocSize=16MiB", "ops/s", cell{"355.5 (-4.0%)", "worse"}},                     // 354, 357
		{"snapCount=2000 preAllocSize=16MiB", "setData p99", cell{"14.5 ms (+22.9%)", "worse"}},            // 13703, 15375
		{"snapCount=100000 preAllocSize=64MiB", "setData p99", cell{"2.57 ms (-78.3%)", "better"}},         // 2725, 2409
		{"snapCount=100000 preAllocSize=64MiB", "getData p50", cell{"79 µs (-22.5%)", "better"}},           // 79, 79 against 101, 103
		// No snapshot in the measured phase: no stall to speak of, and
		// no change from the first either.
		{"snapCount=100000 preAllocSize=64MiB", "write p99 inside snapshots", cell{"–", "num"}},
		{"snapCount=100000 preAllocSize=64MiB", "write p99 outside snapshots", cell{"–", "num"}},
		{"snapCount=20000 preAllocSize=16MiB", "write p99 outside snapshots", cell{"3.69 ms (-2.0%), n=1130", "better"}}, // 3641, 3749 against 3553, 3985
		{"snapCount=20000 preAllocSize=64MiB", "getData p50", cell{"100 µs (-1.5%)", "better"}},                          // 101, 100
	}
	for _, tt := range tests {
		if got := lookup(t, head, rows, tt.combo, tt.column, 0); got != tt.want {
			t.Errorf("%s %s: %+v, want %+v", tt.combo, tt.column, got, tt.want)
		}
	}
	for _, want := range []string{
		"<h3>Against snapCount</h3>", "<h3>Against preAllocSize</h3>",
		`"text":"Throughput against snapCount"`,
		`"text":"setData p99 against preAllocSize"`, // a chart per stat: there are several series
		`"data":["2000","20000","100000"]`,          // the x axis, in the order the sweep ran
		`"name":"preAllocSize=16MiB","type":"line"`, // a line per value of the other key
		`{"name":"snapCount=2000, median of 2","value":370.5}`,
		`{"name":"snapCount=2000 preAllocSize=64MiB #2","value":[0,372]}`, // each repeat a dot
		`"name":"preAllocSize=64MiB","type":"scatter"`,
		`{"name":"snapCount=100000","value":"-"}`, // no stall without a snapshot: a gap
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// TestRenderSweepOneKey: with one varied key and one run per
// combination, a chart has a line per stat and no dots.
func TestRenderSweepOneKey(t *testing.T) {
	page := renderString(t, "testdata/sweep")
	for _, want := range []string{`"text":"setData latency against snapCount"`, `"name":"p99.9","type":"line"`,
		`"data":["5000","20000"]`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, `"type":"scatter"`) {
		t.Error("dots without repeats")
	}
}

// renderTrend renders the trend of dirs, without the inlined ECharts.
func renderTrend(t *testing.T, dirs ...string) string {
	t.Helper()
	var b bytes.Buffer
	if err := RenderTrend(&b, dirs); err != nil {
		t.Fatal(err)
	}
	return strings.Replace(b.String(), echartsJS, "", 1)
}

var history = []string{"testdata/history/2026-11-23", "testdata/history/2026-11-24", "testdata/history/2026-11-25"}

// TestRenderTrend: a run folder, a folder of 2 repeated runs and a sweep
// of 2 repeats, one point each, with the medians of their result.json.
func TestRenderTrend(t *testing.T) {
	page := renderTrend(t, history...)
	if !strings.Contains(page, "<title>zkbench trend: 3 points</title>") {
		t.Error("not the title of a trend of 3 points")
	}
	var sections []string
	for _, m := range sectionTitle.FindAllStringSubmatch(page, -1) {
		sections = append(sections, m[1])
	}
	if want := []string{"Trend", "Per point"}; !slices.Equal(sections, want) {
		t.Errorf("sections %q, want %q", sections, want)
	}
	if n := len(chartDiv.FindAllString(page, -1)); n != 4 { // throughput, setData, getData, fsync
		t.Errorf("%d charts, want 4", n)
	}
	head, rows := tableAfter(t, page, "Per point")
	tests := []struct {
		point, column string
		want          [3]string // median, vs previous, vs first
	}{
		{"2026-11-23", "ops/s", [3]string{"400", "", ""}},
		{"2026-11-24", "ops/s", [3]string{"395", "-1.2%", "-1.2%"}},              // 397, 393
		{"2026-11-24", "setData p99", [3]string{"7.72 ms", "-3.8%", "-3.8%"}},    // 7707, 7743 against 8031
		{"2026-11-25", "ops/s", [3]string{"354.5", "-10.3%", "-11.4%"}},          // 355, 354
		{"2026-11-25", "setData p99", [3]string{"15.1 ms", "+94.9%", "+87.5%"}},  // 13935, 16183
		{"2026-11-25", "fsync p99", [3]string{"7.16 ms", "+67.5%", "+75.4%"}},    // 7067, 7243 against 4271, 4079
		{"2026-11-25", "getData p99.9", [3]string{"1.27 ms", "+13.7%", "+1.2%"}}, // 1247, 1291 against 1116, 1254
	}
	for _, tt := range tests {
		var got [3]string
		for i := range got {
			got[i] = lookup(t, head, rows, tt.point, tt.column, i).Text
		}
		if got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.point, tt.column, got, tt.want)
		}
	}
	if c := lookup(t, head, rows, "2026-11-25", "setData p99", 1); c.Class != "worse" {
		t.Errorf("a p99 twice as high is %q, not worse", c.Class)
	}
	for _, want := range []string{
		`"data":["2026-11-23","2026-11-24","2026-11-25"]`,
		`{"name":"2026-11-24, median of 2","value":395}`,
		`{"name":"2026-11-24 r2","value":[1,393]}`,
		`{"name":"2026-11-25 2-snapCount=100000-r2","value":[2,354]}`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// Points that started at the same time keep the order given.
	reversed := renderTrend(t, history[2], history[0])
	if !strings.Contains(reversed, `"data":["2026-11-25","2026-11-23"]`) ||
		!strings.Contains(reversed, "<title>zkbench trend: 2 points</title>") {
		t.Error("the points are not in the order given")
	}
}

func TestTrendErrors(t *testing.T) {
	tests := []struct {
		name string
		dirs []string
		want string
	}{
		{"none", nil, "no folder to draw a trend of"},
		{"missing", []string{history[0], "testdata/nope"}, "testdata/nope: no such file or folder"},
		{"probe", []string{history[0], "testdata/probe-a"}, "testdata/probe-a: no result.json there or in its subfolders"},
		{"several combinations", []string{"testdata/sweep-repeats"}, "testdata/sweep-repeats: a sweep of 6 combinations, not repeats of one"},
		{"twice", []string{history[0], history[0]}, history[0] + ": given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "trend.html")
			err := WriteTrendFile(out, tt.dirs)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line saying %q", err, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a trend was written anyway")
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
		ok   bool
	}{
		{nil, 0, false},
		{[]float64{7}, 7, true},
		{[]float64{3, 1, 2}, 2, true},
		{[]float64{4, 1, 3, 2}, 2.5, true},
	}
	for _, tt := range tests {
		if got, ok := median(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("median(%v) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSeriesStep(t *testing.T) {
	points := func(ts ...float64) *run {
		r := &run{res: &results.Result{}}
		for _, v := range ts {
			r.res.Timeseries = append(r.res.Timeseries, results.TimePoint{T: v})
		}
		return r
	}
	for _, tc := range []struct {
		runs []*run
		want string
	}{
		{[]*run{points(0.1, 0.2, 0.3)}, "100 ms"},
		{[]*run{points(1, 2, 3)}, "second"},
		{[]*run{points(1, 2), points(0.1, 0.2)}, "100 ms"},
		{[]*run{points(0.1)}, "second"}, // one point says nothing
	} {
		if got := seriesStep(tc.runs); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.runs, got, tc.want)
		}
	}
}
