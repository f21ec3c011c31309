package report

import (
	"context"
	"encoding/json"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"zkbench/internal/zkref"
)

// TestReportInBrowser opens each kind of report in headless Chromium from
// a file:// URL with the network cut off (every host name unresolvable,
// a proxy that is not there) and checks, from inside the page, that every
// chart container holds a drawn canvas of a chart with data, that nothing
// was fetched and that nothing was logged as an error or a warning.
//
// It skips without Chromium, unless ZKBENCH_REQUIRE_ZK is set (as in CI),
// which makes the integration tools mandatory.
func TestReportInBrowser(t *testing.T) {
	chromium := findChromium(t)
	tests := []struct {
		name  string
		dirs  []string
		trend bool
	}{
		{"run", []string{"testdata/run-a"}, false},
		{"probe", []string{"testdata/probe-a"}, false},
		// Several runs, a sweep's among them, and several probes: every
		// overlay and comparison on one page.
		{"several", []string{"testdata/run-a", "testdata/run-b", "testdata/sweep", "testdata/probe-a", "testdata/probe-b"}, false},
		// Two varied keys with repeats: medians as lines, repeats as dots.
		{"sweep with repeats", []string{"testdata/sweep-repeats"}, false},
		{"trend", []string{"testdata/history/2026-11-23", "testdata/history/2026-11-24", "testdata/history/2026-11-25"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			page := filepath.Join(dir, "report.html")
			write := WriteFile
			if tt.trend {
				write = WriteTrendFile
			}
			if err := write(page, tt.dirs); err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(page)
			if err != nil {
				t.Fatal(err)
			}
			want := len(chartDiv.FindAll(raw, -1))
			v := inspect(t, chromium, dir, raw)
			if v.Charts != want || want == 0 {
				t.Errorf("the browser found %d chart containers, the page has %d", v.Charts, want)
			}
			if len(v.Blank) > 0 {
				t.Errorf("charts not drawn: %v", v.Blank)
			}
			if len(v.Fetched) > 0 {
				t.Errorf("the page fetched %v", v.Fetched)
			}
			if len(v.Errors) > 0 {
				t.Errorf("console: %q", v.Errors)
			}
		})
	}
}

func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv(zkref.RequireEnv) != "" {
		t.Fatalf("no chromium on PATH (and %s is set): apt-get install -y chromium", zkref.RequireEnv)
	}
	t.Skip("no chromium on PATH: apt-get install -y chromium")
	return ""
}

// verdict is what the inspector script finds in the page.
type verdict struct {
	Charts  int      `json:"charts"`
	Blank   []string `json:"blank"`
	Fetched []string `json:"fetched"`
	Errors  []string `json:"errors"`
}

// inspector is put first into a copy of the page, so that it hears every
// error. Once the page has loaded and drawn, it writes its verdict into
// the DOM, which Chromium's --dump-dom prints.
const inspector = `<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    var where = e.target && (e.target.src || e.target.href);
    errors.push("error: " + (e.message || where || "unknown"));
  }, true);
  window.addEventListener("unhandledrejection", function (e) { errors.push("unhandled rejection: " + e.reason); });
  ["error", "warn"].forEach(function (level) {
    var log = console[level];
    console[level] = function () {
      errors.push("console." + level + ": " + Array.prototype.join.call(arguments, " "));
      log.apply(console, arguments);
    };
  });
  // A chart is drawn when its canvas has painted pixels and its ECharts
  // instance has a series with data.
  function drawn(div) {
    if (typeof echarts === "undefined") return false;
    var chart = echarts.getInstanceByDom(div);
    var canvas = div.querySelector("canvas");
    if (!chart || !canvas || !canvas.width || !canvas.height) return false;
    var withData = chart.getOption().series.filter(function (s) { return s.data && s.data.length > 0; });
    if (withData.length === 0) return false;
    var px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data, painted = 0;
    for (var i = 3; i < px.length; i += 4) if (px[i] !== 0) painted++;
    return painted > 1000;
  }
  window.addEventListener("load", function () {
    setTimeout(function () {
      var v = { charts: 0, blank: [], fetched: [], errors: errors };
      document.querySelectorAll(".chart").forEach(function (div) {
        v.charts++;
        try {
          if (!drawn(div)) v.blank.push(div.id);
        } catch (e) {
          v.blank.push(div.id);
          errors.push("inspector: " + e);
        }
      });
      performance.getEntriesByType("resource").forEach(function (r) { v.fetched.push(r.name); });
      var out = document.createElement("pre");
      out.id = "zkbench-verdict";
      out.textContent = JSON.stringify(v);
      document.body.appendChild(out);
    }, 500);
  });
})();
</script>
`

var verdictElement = regexp.MustCompile(`<pre id="zkbench-verdict">([^<]*)</pre>`)

// inspect loads page (with the inspector) in Chromium and returns the
// inspector's verdict.
func inspect(t *testing.T, chromium, dir string, page []byte) verdict {
	t.Helper()
	instrumented := strings.Replace(string(page), "<head>", "<head>\n"+inspector, 1)
	path := filepath.Join(dir, "inspected.html")
	if err := os.WriteFile(path, []byte(instrumented), 0o644); err != nil {
		t.Fatal(err)
	}
	// A bound on a hung browser, not a timed assertion: virtual time
	// makes the page's own timers independent of the machine's speed.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{chromium,
		"--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
		"--user-data-dir=" + filepath.Join(dir, "profile"),
		"--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--window-size=1280,1024", "--virtual-time-budget=10000",
		"--dump-dom", "file://" + path}
	// At the lowest priority, so that Chromium's CPU does not disturb the
	// tests of other packages that go test runs at the same time: some of
	// them time real sleeps and syncs.
	if nice, err := exec.LookPath("nice"); err == nil {
		args = append([]string{nice, "-n", "19"}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := verdictElement.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the page wrote no verdict (did it load?); chromium's stderr:\n%s", stderr.String())
	}
	var v verdict
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &v); err != nil {
		t.Fatalf("verdict %s: %v", m[1], err)
	}
	return v
}

// TestInspectorCatchesProblems: the inspector is not blind. Each page is
// a report broken in one way that TestReportInBrowser must catch.
func TestInspectorCatchesProblems(t *testing.T) {
	chromium := findChromium(t)
	var b strings.Builder
	if err := Render(&b, []string{"testdata/run-a"}); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	tests := []struct {
		name  string
		page  string
		check func(verdict) bool
	}{
		{"no ECharts", strings.Replace(good, echartsJS, "", 1),
			func(v verdict) bool { return len(v.Blank) == v.Charts && len(v.Errors) > 0 }},
		{"a CDN script", insertBefore(good, "</head>", `<script src="https://cdn.example.com/echarts.min.js"></script>`),
			func(v verdict) bool { return len(v.Fetched) == 1 && len(v.Errors) > 0 && len(v.Blank) == 0 }},
		{"charts without data or pixels, and a script error", insertBefore(good, "</body>", `<script>
			echarts.getInstanceByDom(document.getElementById("chart1")).setOption({ series: [{ data: [] }] });
			echarts.getInstanceByDom(document.getElementById("chart2")).clear();
			undefinedFunction();
			</script>`),
			func(v verdict) bool { return strings.Join(v.Blank, " ") == "chart1 chart2" && len(v.Errors) == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.page == good {
				t.Fatal("the page was not broken")
			}
			if v := inspect(t, chromium, t.TempDir(), []byte(tt.page)); !tt.check(v) {
				t.Errorf("verdict %+v", v)
			}
		})
	}
}

// insertBefore inserts s before the page's last marker: the minified
// ECharts in the head holds markers of its own.
func insertBefore(page, marker, s string) string {
	i := strings.LastIndex(page, marker)
	return page[:i] + s + page[i:]
}
