package main

import (
	"bufio"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"zkbench/hlog"
	"zkbench/internal/zkfixtures"
	"zkbench/internal/zkref"
	"zkbench/results"
)

// A short run end to end: every file of cli.md's run folder, result.json
// with the schema's fields, .hlog files whose totals are result.json's,
// and the member folders gone afterwards.
func TestRunWritesTheResultFolder(t *testing.T) {
	data, out := t.TempDir(), filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCLI(t, "run", "--duration", "2s", "--warmup", "500ms", "--clients", "4",
		"--keys", "50", "--workload", "write", "--snap-count", "200", "--pre-alloc-size", "1MiB",
		"--data-dir", data, "--out", out, "--progress")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Not a terminal: with --progress, a new line per change, never the
	// same twice, and no figures before a second is measured.
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "run: ") && !strings.HasPrefix(l, "zkbench run: ") || strings.Contains(l, "\r") {
			t.Errorf("stderr line %q is neither progress nor a notice", l)
		}
		if i > 0 && l == lines[i-1] {
			t.Errorf("progress line %q twice", l)
		}
		if (strings.HasPrefix(l, "run: warming up") || strings.HasPrefix(l, "run: measuring 0.")) && strings.Contains(l, "ops/s") {
			t.Errorf("figures before anything was measured: %q", l)
		}
	}
	if !strings.Contains(stdout, "setData") ||
		!strings.Contains(stdout, "\nresults: "+out+" (result.json, report.html, fsync-1.hlog, fsync-2.hlog, fsync-3.hlog, setData.hlog)\n") ||
		!strings.Contains(stdout, "preload: 52 znodes, 50.0KiB of values, by snapshot in ") {
		t.Errorf("summary:\n%s", stdout)
	}
	res, err := results.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The write workload's keys, their folder and the root, as every
	// member's starting snapshot, restored by each.
	if s := res.Setup; s == nil || s.Method != "snapshot" || s.Znodes != 52 || s.Bytes != 50*1024 ||
		s.PreloadS <= 0 || len(s.RestoreMs) != 3 || s.RestoreMs[0] <= 0 {
		t.Errorf("setup %+v", s)
	}
	if len(res.Ops) != 1 || res.Ops[0].Op != "setData" || res.Ops[0].Count == 0 || res.Total.ThroughputOpsS <= 0 {
		t.Fatalf("ops %+v total %+v", res.Ops, res.Total)
	}
	if len(res.Servers) != 3 || res.Config.Servers != 3 || res.Config.SnapCount != 200 || len(res.Timeseries) < 2 {
		t.Errorf("servers %d, config %+v, %d points", len(res.Servers), res.Config, len(res.Timeseries))
	}
	// A point per 100 ms, so that a one-second stall shows its shape.
	for i, p := range res.Timeseries {
		if want := float64(i+1) / 10; math.Abs(p.T-want) > 1e-9 {
			t.Errorf("point %d ends at %v s, want %v", i, p.T, want)
			break
		}
	}
	var fsyncs, snaps int64
	for _, s := range res.Servers {
		fsyncs += s.Fsync.Count
		snaps += int64(len(s.Snapshots))
		hs, err := hlog.ReadFile(filepath.Join(out, s.Fsync.Hlog))
		if err != nil {
			t.Fatal(err)
		}
		if got := hlog.Merge(hs).TotalCount(); got != s.Fsync.Count {
			t.Errorf("%s holds %d syncs, result.json says %d", s.Fsync.Hlog, got, s.Fsync.Count)
		}
	}
	if fsyncs == 0 || snaps == 0 || res.SnapshotStall.Windows == 0 {
		t.Errorf("fsyncs %d, snapshots %d, windows %d", fsyncs, snaps, res.SnapshotStall.Windows)
	}
	hs, err := hlog.ReadFile(filepath.Join(out, "setData.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	if got := hlog.Merge(hs).TotalCount(); got != res.Ops[0].Count {
		t.Errorf("setData.hlog holds %d ops, result.json says %d", got, res.Ops[0].Count)
	}
	javaCount(t, filepath.Join(out, "setData.hlog"), res.Ops[0].Count)
	javaCount(t, filepath.Join(out, res.Servers[0].Fsync.Hlog), res.Servers[0].Fsync.Count)
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Error(err)
	}
	if left, _ := os.ReadDir(data); len(left) != 0 {
		t.Errorf("member folders left behind: %v", left)
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	used := t.TempDir()
	os.Mkdir(filepath.Join(used, "server2"), 0o755)
	os.WriteFile(filepath.Join(used, "server2", "precious"), []byte("x"), 0o644)
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "x"), []byte("x"), 0o644)
	small := t.TempDir() // smaller than a run that preallocates 100000 TiB per member
	truncated := filepath.Join(zkfixtures.Dir(), "corrupt/snapshot-truncated/version-2/snapshot.b9")
	huge := t.TempDir() // the data folder of a tree beyond memory
	badCfg := filepath.Join(t.TempDir(), "zoo.cfg")
	os.WriteFile(badCfg, []byte("tickTime=2000\nserver.1=a:1:2\nserver.2=b:2888\n"), 0o644)
	typo := filepath.Join(t.TempDir(), "typo.profile")
	os.WriteFile(typo, []byte("# A profile with a typo.\nworkload = write\nsnapcount = 10\n"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown profile", []string{"--profile", "nope"}, "--profile"},
		{"sweep profile", []string{"--profile", "prealloc-sweep"}, "zkbench sweep"},
		{"unknown key", []string{"--set", "bogus=1"}, "--set bogus: unknown key"},
		{"key in another case", []string{"--set", "snapcount=10"}, "--set snapcount: unknown key; did you mean snapCount?"},
		{"flag name as key", []string{"--set", "pre-alloc-size=1MiB"}, "--set pre-alloc-size: unknown key; did you mean preAllocSize?"},
		{"workload key in another case", []string{"--set", "READRATIO=0.5"}, "--set READRATIO: unknown key; did you mean readRatio?"},
		{"misspelt key", []string{"--set", "snapCuont=10"}, "did you mean snapCount?"},
		{"profile key in another case", []string{"--profile", typo}, "typo.profile:3: snapcount: unknown key; did you mean snapCount?"},
		{"bad size", []string{"--pre-alloc-size", "64MB"}, "--pre-alloc-size"},
		{"bad duration", []string{"--duration", "ten"}, "--duration"},
		{"bad workload", []string{"--workload", "nope"}, "--workload"},
		{"data dir a file", []string{"--data-dir", filepath.Join(full, "x")}, "--data-dir " + filepath.Join(full, "x") + ": not a directory"},
		{"foreign member folder", []string{"--data-dir", used}, "server2 exists already"},
		{"data dir too full", []string{"--data-dir", small, "--pre-alloc-size", "100000TiB"}, "free, this run needs about 300000TiB"},
		{"out not empty", []string{"--out", full}, "not empty"},
		{"bad target", []string{"--target", "http://x"}, "--target"},
		{"bad preload", []string{"--set", "preload=maybe"}, `preload=maybe: "maybe": want true, false, snapshot, multi or create`},
		{"keys beyond memory", []string{"--keys", "10000000", "--value-size", "1MiB", "--data-dir", huge, "--out", filepath.Join(huge, "out")}, "keys=10000000 needs about"},
		{"snapshot into zk://", []string{"--target", "zk://127.0.0.1:1", "--set", "preload=snapshot"}, "preload=snapshot: a zk://127.0.0.1:1 target"},
		{"truncated snapshot", []string{"--preload-from", truncated}, "preloadFrom: snap: " + truncated + ": offset 1918: truncated snapshot"},
		{"malformed zoo.cfg line", []string{"--zoo-cfg", badCfg}, "--zoo-cfg: " + badCfg + ":3: malformed: server.2=b:2888: want host:port:port"},
		{"missing zoo.cfg", []string{"--zoo-cfg", badCfg + ".nope"}, "--zoo-cfg: " + badCfg + ".nope: open: no such file or directory"},
		{"not a snapshot", []string{"--preload-from", typo}, "preloadFrom: snap: " + typo + ": offset 0: bad magic, not a snapshot"},
		{"bad fault kind", []string{"--fault", "crash:leader@1s", "--fault", "melt:leader@1s"}, `--fault: faults=crash:leader@1s,melt:leader@1s: bad fault "melt:leader@1s": KIND "melt"`},
		{"bad fault time", []string{"--fault", "kill:2@soon"}, `--fault: faults=kill:2@soon: bad fault "kill:2@soon": AT "soon" is not a duration`},
		{"fault past the end", []string{"--fault", "crash:leader@5s"}, "fault crash:leader@5s: strikes at 5s, not inside the measured 1s"},
		{"fault on zk://", []string{"--target", "zk://127.0.0.1:1", "--fault", "partition:1@0s"}, "faults need the embedded ensemble"},
		{"partition of a JVM", []string{"--target", "zookeeper", "--fault", "partition:leader@0s"}, "fault partition:leader@0s: cutting a real server off"},
		{"crash of a JVM", []string{"--target", "zookeeper", "--fault", "crash:1@0s+1s"}, "fault crash:1@0s+1s: a real server can only be killed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--duration", "1s"}, tc.args...)
			if !contains(tc.args, "--out") {
				args = append(args, "--out", filepath.Join(t.TempDir(), "o"))
			}
			code, _, stderr := runCLI(t, args...)
			if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and a line with %q", code, stderr, tc.want)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(used, "server2", "precious")); err != nil || string(b) != "x" {
		t.Errorf("a refused run touched a foreign file: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(used, "server1")); err == nil {
		t.Error("a refused run left server1 behind")
	}
	if left, _ := os.ReadDir(huge); len(left) != 0 {
		t.Errorf("a run refused for memory left %v behind", left)
	}
	if left, _ := os.ReadDir(small); len(left) != 0 {
		t.Errorf("a refused run left %v behind", left)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestRunListsProfiles(t *testing.T) {
	code, stdout, _ := runCLI(t, "run", "--profile", "list")
	if code != 0 || !strings.Contains(stdout, "quick") || !strings.Contains(stdout, "prealloc-sweep     sweep") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

// The same workload against a real ZooKeeper 3.8 server.
func TestRunAgainstRealZooKeeper(t *testing.T) {
	zkref.Need(t)
	srv, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{Props: []string{"-Dzookeeper.4lw.commands.whitelist=mntr"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCLI(t, "run", "--target", "zk://"+srv.Addr, "--workload", "mixed", "--clients", "4",
		"--keys", "50", "--duration", "2s", "--warmup", "500ms", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res, err := results.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Target != "zk://"+srv.Addr || res.Total.Count == 0 || len(res.Ops) != 2 {
		t.Errorf("target %s, total %+v, ops %d", res.Target, res.Total, len(res.Ops))
	}
	if len(res.Servers) != 1 || res.Servers[0].Role != "standalone" || res.Servers[0].Fsync.Count == 0 {
		t.Errorf("servers from mntr: %+v", res.Servers)
	}
	if s := res.Setup; s == nil || s.Method != "multi" || s.Znodes != 52 || s.PreloadS <= 0 || len(s.RestoreMs) != 0 {
		t.Errorf("setup %+v", s)
	}
	raw, err := os.ReadFile(filepath.Join(out, "mntr.json"))
	if err != nil || !strings.Contains(string(raw), `"start": {`) || !strings.Contains(string(raw), `"end": {`) {
		t.Errorf("mntr.json lacks a reading at the start or end: %v\n%s", err, raw)
	}
	// What mntr cannot tell, and what was not observed, is null, not 0.
	raw, _ = os.ReadFile(filepath.Join(out, "result.json"))
	for _, want := range []string{`"source": "mntr"`, `"p99": null`, `"bytes": null`, `"snapshots": null`, `"log_rolls": null`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("result.json lacks %s", want)
		}
	}
}

// javaCount checks that HdrHistogram's own HistogramLogProcessor reads an
// .hlog of a run and counts want values in it. It needs a JRE and
// Debian's libhdrhistogram-java (CI installs both).
func javaCount(t *testing.T, hlogPath string, want int64) {
	t.Helper()
	const jar = "/usr/share/java/hdrhistogram.jar"
	java, err := exec.LookPath("java")
	if _, jerr := os.Stat(jar); err != nil || jerr != nil {
		if os.Getenv(zkref.RequireEnv) != "" {
			t.Fatalf("java or %s missing", jar)
		}
		t.Log("no java or libhdrhistogram-java: HistogramLogProcessor check skipped")
		return
	}
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(java, "-cp", jar, "org.HdrHistogram.HistogramLogProcessor", "-i", hlogPath, "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("HistogramLogProcessor on %s: %v\n%s", hlogPath, err, b)
	}
	hgrm, err := os.ReadFile(out + ".hgrm")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Total count\s*=\s*([0-9]+)`).FindSubmatch(hgrm)
	if m == nil || string(m[1]) != strconv.FormatInt(want, 10) {
		t.Errorf("HistogramLogProcessor read %s from %s, want %d values", m, filepath.Base(hlogPath), want)
	}
}

// Ctrl-C while a run measures: the summary, result.json and the exit
// code (130) all say the run was interrupted. The signal is sent once the
// child prints that it measures, so the test waits on the run, not on a
// clock.
func TestRunSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	out := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunSignalChild$")
	cmd.Env = append(os.Environ(), "ZKBENCH_RUN_CHILD="+out)
	var stdout strings.Builder
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var errOut strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		errOut.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "run: measuring") {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	io.Copy(&errOut, stderr)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted || !strings.Contains(errOut.String(), "zkbench run: interrupted after ") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	if !strings.HasPrefix(stdout.String(), "INTERRUPTED after ") {
		t.Errorf("summary:\n%s", stdout.String())
	}
	res, err := results.ReadFile(filepath.Join(out, results.ResultFile))
	if err != nil || !res.Interrupted {
		t.Errorf("result.json: %v, interrupted %v", err, res != nil && res.Interrupted)
	}
}

func TestRunSignalChild(t *testing.T) {
	out := os.Getenv("ZKBENCH_RUN_CHILD")
	if out == "" {
		t.Skip("only run by TestRunSignal")
	}
	os.Exit(run([]string{"run", "--servers", "1", "--clients", "2", "--keys", "20", "--warmup", "0s",
		"--duration", "1h", "--progress", "--out", out}, os.Stdout, os.Stderr))
}

// A run planned from a zoo.cfg: its ensemble keys set the plan, a flag
// given beside it wins, the keys zkbench does not model are named once on
// stderr, and result.json names the file.
func TestRunFromZooCfg(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	os.WriteFile(cfg, []byte("tickTime=2000\ndataDir="+filepath.Join(dir, "data")+"\nclientPort=2181\n"+
		"snapCount=300\npreAllocSize=1024\nautopurge.snapRetainCount=4\nautopurge.purgeInterval=1\n"+
		"server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888:observer;2181\n"), 0o644)
	out := filepath.Join(dir, "run")
	code, _, stderr := runCLI(t, "run", "--zoo-cfg", cfg, "--snap-count", "500", "--duration", "1s", "--warmup", "200ms",
		"--clients", "2", "--keys", "20", "--workload", "write", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "zkbench: " + cfg + ": not modelled, so not applied: clientPort\n"; strings.Count(stderr, want) != 1 {
		t.Errorf("stderr does not name the unmodelled key once:\n%s", stderr)
	}
	res, err := results.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := res.Config
	if c.Servers != 2 || c.Observers != 1 || c.SnapCount != 500 || c.PreAllocSize != 1<<20 ||
		c.Other["zooCfg"] != cfg || c.Other["snapRetainCount"] != 4.0 || c.Other["purgeIntervalS"] != 3600.0 {
		t.Errorf("config from zoo.cfg: %+v", c)
	}
}

// A run with a fault prints a line for it and the safety check's.
func TestRunWithAFault(t *testing.T) {
	code, stdout, stderr := runCLI(t, "run", "--duration", "2s", "--warmup", "0s", "--clients", "4", "--keys", "20",
		"--workload", "write", "--rate", "200", "--fault", "kill:follower@500ms+500ms", "--out", filepath.Join(t.TempDir(), "o"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "\nfault kill:follower@500ms+500ms: member ") ||
		!strings.Contains(stdout, "\nsafety: every acknowledged write is on every member (lost_acked_writes 0)\n") {
		t.Errorf("summary:\n%s", stdout)
	}
}
