// Package scripts holds the shell scripts of zkbench's recurring jobs;
// its tests run them end to end with short runs.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"zkbench/internal/zkref"
	"zkbench/results"
)

// bin is the zkbench binary the scripts run, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zkbench-scripts-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "zkbench")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/zkbench")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// script runs a script with env added and returns its exit code and
// output.
func script(t *testing.T, env []string, name string, args ...string) (int, string) {
	t.Helper()
	return scriptIn(t, "", env, name, args...)
}

// scriptIn runs a script in the working directory dir ("": this one).
func scriptIn(t *testing.T, dir string, env []string, name string, args ...string) (int, string) {
	t.Helper()
	path, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{path}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

// short makes a run take about a second.
const short = "--duration 1s --warmup 200ms --clients 2 --keys 20 --servers 1"

// Two nights: the first becomes the baseline, the second is compared
// with it; both are in the trend. A third run the same day gets its own
// folder. The first night is given no HISTORY: it goes to the default
// folder under the working directory, where the later nights find it.
func TestNightly(t *testing.T) {
	wd := t.TempDir()
	history := filepath.Join(wd, "zkbench-results", "nightly")
	env := []string{"ZKBENCH=" + bin, "NIGHTLY_ARGS=--repeat 2 " + short,
		"MAX_REGRESSION=1000%"} // two repeats cannot show significance: the threshold alone decides
	code, out := scriptIn(t, wd, append(env, "DATE=2026-11-24"), "nightly.sh")
	if code != 0 || !strings.Contains(out, "first night: 2026-11-24 is the baseline") {
		t.Fatalf("first night: exit %d\n%s", code, out)
	}
	if link, err := os.Readlink(filepath.Join(history, "baseline")); err != nil || link != "2026-11-24" {
		t.Errorf("baseline -> %q, %v", link, err)
	}
	for _, night := range []string{"2026-11-25", "2026-11-25.2"} {
		code, out = script(t, append(env, "DATE=2026-11-25"), "nightly.sh", history)
		if code != 0 || !strings.Contains(out, "compared with the baseline (2026-11-24)") {
			t.Fatalf("night %s: exit %d\n%s", night, code, out)
		}
		sw, err := results.ReadSweep(filepath.Join(history, night, results.SweepFile))
		if err != nil || len(sw.Runs) != 2 {
			t.Fatalf("night %s: %v, %+v", night, err, sw)
		}
		if md, err := os.ReadFile(filepath.Join(history, night, "compare.md")); err != nil || !strings.Contains(string(md), "throughput") {
			t.Errorf("night %s compare.md: %v\n%s", night, err, md)
		}
	}
	if !strings.Contains(out, "trend over 3 nights") {
		t.Errorf("trend:\n%s", out)
	}
	trend, err := os.ReadFile(filepath.Join(history, "trend.html"))
	if err != nil {
		t.Fatal(err)
	}
	// The nights in the order they ran: the second run of a day after
	// the first.
	if want := `"data":["2026-11-24","2026-11-25","2026-11-25.2"]`; !strings.Contains(string(trend), want) {
		t.Errorf("trend.html: no %s", want)
	}
}

// Both mounts probed and run, the second compared with the first, one
// report, in the default folder under the working directory; nothing of
// zkbench's is left on the mounts.
func TestSSDvsHDD(t *testing.T) {
	a, b, wd := t.TempDir(), t.TempDir(), t.TempDir()
	env := []string{"ZKBENCH=" + bin, "SWEEP_ARGS=--repeat 2 " + short, "PROBE_ARGS=--count 50 --bandwidth-size 1MiB"}
	code, log := scriptIn(t, wd, env, "ssd-vs-hdd.sh", a, b)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, log)
	}
	outs, _ := filepath.Glob(filepath.Join(wd, "zkbench-results", "ssd-vs-hdd-*"))
	if len(outs) != 1 {
		t.Fatalf("output folders %v, want one zkbench-results/ssd-vs-hdd-<time>", outs)
	}
	out := outs[0]
	for _, f := range []string{"probe/probe.json", "sweep/sweep.json", "compare.md", "report.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// The last line answers the question; the report is named once.
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if last := lines[len(lines)-1]; !answer.MatchString(last) {
		t.Errorf("last line %q does not answer which mount", last)
	}
	if n := strings.Count(log, filepath.Base(out)+"/report.html"); n != 1 {
		t.Errorf("report.html named %d times:\n%s", n, log)
	}
	md, _ := os.ReadFile(filepath.Join(out, "compare.md"))
	if !strings.Contains(string(md), "dataDir="+a) || !strings.Contains(string(md), "dataDir="+b) {
		t.Errorf("compare.md does not name both mounts:\n%s", md)
	}
	for _, m := range []string{a, b} {
		if left, _ := os.ReadDir(m); len(left) != 0 {
			t.Errorf("%s: left behind %v", m, left)
		}
	}
}

// answer is the ssd-vs-hdd headline: the faster mount and where the log
// goes, or neither.
var answer = regexp.MustCompile(`^((A|B): \S+× the ops/s, fsync p99 .+ vs .+ — put dataLogDir on (A|B) \(.+\)|neither: B has \S+× the ops/s of A.* — either mount will do for dataLogDir)$`)

func TestSSDvsHDDRefusesBadUsage(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"one mount", []string{dir}, "usage:"},
		{"missing mount", []string{dir, filepath.Join(dir, "nope")}, "is not a folder"},
		{"same mount", []string{dir, dir + "/"}, "the same folder"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := script(t, []string{"ZKBENCH=/bin/false"}, "ssd-vs-hdd.sh", tc.args...)
			if code != 2 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, output %q; want 2 and %q", code, out, tc.want)
			}
		})
	}
}

// The calibration of one workload: both targets run, compared, reported,
// and the ratio printed, with ZooKeeper's side from real servers.
func TestCalibrate(t *testing.T) {
	zkref.Need(t)
	out := filepath.Join(t.TempDir(), "cal")
	env := []string{"ZKBENCH=" + bin, "SWEEP_ARGS=" + short, "WORKLOADS=write"}
	code, log := script(t, env, "calibrate.sh", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, log)
	}
	for _, f := range []string{"write/sweep.json", "write/compare.txt", "report.html",
		"write/2-target=zookeeper/zookeeper/server1/server.log"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	row := regexp.MustCompile(`(?m)^write +throughput +[0-9]+ ops/s +[0-9]+ ops/s +[0-9.]+×$`)
	if !row.MatchString(log) || !regexp.MustCompile(`(?m)^write +setData\.p99 `).MatchString(log) {
		t.Errorf("no ratio rows:\n%s", log)
	}
	res, err := results.ReadFile(filepath.Join(out, "write/2-target=zookeeper/result.json"))
	if err != nil || !res.Managed() || res.Total.Count == 0 {
		t.Errorf("the ZooKeeper side: %v", err)
	}
}
