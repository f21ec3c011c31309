package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zkbench/engine/disk/faultfs"
)

// reportFixture copies one of the report package's synthetic result
// folders into a temp dir, where the command may write its report.
func reportFixture(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("..", "..", "results", "report", "testdata", name))); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestReport(t *testing.T) {
	runA, runB, probe := reportFixture(t, "run-a"), reportFixture(t, "run-b"), reportFixture(t, "probe-a")
	cwd := t.TempDir()
	t.Chdir(cwd)
	out := filepath.Join(t.TempDir(), "cmp.html")
	tests := []struct {
		name  string
		args  []string
		file  string // the report written
		title string
	}{
		{"one run", []string{runA}, filepath.Join(runA, "report.html"), "zkbench run run-a"},
		{"result.json", []string{filepath.Join(runB, "result.json")}, filepath.Join(runB, "report.html"), "zkbench run run-b"},
		{"one probe", []string{probe}, filepath.Join(probe, "report.html"), "zkbench probe probe-a"},
		{"several", []string{runA, runB}, "report.html", "zkbench: 2 runs compared"},
		{"--out", []string{runA, "--out", out, probe}, out, "zkbench: 1 run and 1 probe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkReportCLI(t, tt.args, tt.file, tt.title) })
	}
}

func TestReportBadInput(t *testing.T) {
	runA := reportFixture(t, "run-a")
	corrupt := t.TempDir()
	if err := os.WriteFile(filepath.Join(corrupt, "result.json"), []byte(`{"schema": 1,`), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no folder", nil, "no folder given"},
		{"missing", []string{runA, "/no/such/run"}, "/no/such/run: no such folder"},
		{"no result", []string{empty}, empty + ": no result.json, sweep.json, probe.json or capacity.json in it"},
		{"corrupt", []string{corrupt}, filepath.Join(corrupt, "result.json") + ": line 1: unexpected end of JSON input"},
		{"unwritable --out", []string{runA, "--out", "/no/such/dir/r.html"}, "open /no/such/dir/r.html"},
		{"bad flag", []string{runA, "--bogus"}, "unknown flag: --bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"report"}, tt.args...)...)
			if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, "zkbench report: ") || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, tt.want)
			}
			oneLine(t, stderr)
		})
	}
	if _, err := os.Stat(filepath.Join(empty, "report.html")); err == nil {
		t.Error("a report was written for a folder without results")
	}
}

// TestProbeWritesReport: zkbench probe leaves report.html beside
// probe.json, a report of what it measured.
func TestProbeWritesReport(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{SyncLatency: faultfs.Fixed(200 * time.Microsecond)})
	if err := fsys.MkdirAll("/d"); err != nil {
		t.Fatal(err)
	}
	probeFake(t, fsys, 1<<40)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "probe", "--dir", "/d", "--count", "50", "--bandwidth-size", "0", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	path := filepath.Join(out, "report.html")
	if !strings.Contains(stdout, "\nreport: "+path+"\n") {
		t.Errorf("stdout does not name the report:\n%s", stdout)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>zkbench probe ", "<td>/d</td>", "fdatasync/zookeeper", `<div class="chart" id="chart1">`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// TestReportTrend: --trend draws one point per folder, into ./trend.html
// unless --out says otherwise.
func TestReportTrend(t *testing.T) {
	history := reportFixture(t, "history")
	nights := []string{filepath.Join(history, "2026-11-23"), filepath.Join(history, "2026-11-24"), filepath.Join(history, "2026-11-25")}
	cwd := t.TempDir()
	t.Chdir(cwd)
	out := filepath.Join(t.TempDir(), "nightly.html")
	tests := []struct {
		name  string
		args  []string
		file  string
		title string
	}{
		{"default out", append([]string{"--trend"}, nights...), "trend.html", "zkbench trend: 3 points"},
		{"--out, flags after", append(nights[:2:2], "--trend", "--out", out), out, "zkbench trend: 2 points"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkReportCLI(t, tt.args, tt.file, tt.title) })
	}
	for _, night := range nights {
		if _, err := os.Stat(filepath.Join(night, "trend.html")); err == nil {
			t.Errorf("a trend was written into %s", night)
		}
	}
}

func TestReportTrendBadInput(t *testing.T) {
	night := filepath.Join(reportFixture(t, "history"), "2026-11-23")
	probe, sweep := reportFixture(t, "probe-a"), reportFixture(t, "sweep-repeats")
	cwd := t.TempDir()
	t.Chdir(cwd)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no folder", nil, "no folder given: zkbench report --trend DIR"},
		{"not a run", []string{night, probe}, probe + ": no result.json there or in its subfolders"},
		{"several combinations", []string{night, sweep}, sweep + ": a sweep of 6 combinations, not repeats of one"},
		{"missing", []string{night, "/no/such/night"}, "/no/such/night: no such file or folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"report", "--trend"}, tt.args...)...)
			if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, "zkbench report: ") || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, tt.want)
			}
			oneLine(t, stderr)
		})
	}
	if _, err := os.Stat(filepath.Join(cwd, "trend.html")); err == nil {
		t.Error("a trend was written from bad input")
	}
}

// checkReportCLI runs zkbench report with args and checks that it says it
// wrote file and that file is the page titled title.
func checkReportCLI(t *testing.T, args []string, file, title string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"report"}, args...)...)
	if code != exitOK || stderr != "" || stdout != "report: "+file+"\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "<title>"+title+"</title>") {
		t.Errorf("%s is not the page %q", file, title)
	}
}
