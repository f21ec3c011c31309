package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
	"zkbench/fsprobe"
	"zkbench/hlog"
	"zkbench/results"
	"zkbench/results/device"
)

// probeFake points the probe command at fsys, with made-up device facts
// (a faultfs path has no device), until the test ends.
func probeFake(t *testing.T, fsys disk.FS, free uint64) {
	t.Helper()
	oldFS, oldDev := probeFS, probeDevice
	t.Cleanup(func() { probeFS, probeDevice = oldFS, oldDev })
	probeFS = fsys
	probeDevice = func(dir string) (device.Facts, error) {
		return device.Facts{Path: dir, Mount: "/", Device: "fake0", FSType: "faultfs", TotalBytes: free, FreeBytes: free}, nil
	}
}

// probeTimes makes every sync the probe times take next's durations,
// whatever the clock says, until the test ends.
func probeTimes(t *testing.T, next func() time.Duration) {
	t.Helper()
	old := probeTimer
	t.Cleanup(func() { probeTimer = old })
	probeTimer = fsprobe.StepTimer(next)
}

// probeDirNames lists dir's entries on the real file system.
func probeDirNames(t *testing.T, dir string) []string {
	t.Helper()
	names, err := disk.OS.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func oneLine(t *testing.T, stderr string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr is not one line: %q", stderr)
	}
}

// readOnlyFS refuses to create anything, like a directory without write
// permission (which root, running the tests, would not notice).
type readOnlyFS struct{ disk.FS }

func (readOnlyFS) Create(name string) (disk.File, error) {
	return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EACCES}
}

func TestProbeBadInput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		name string
		args []string
		want string // in the one line on stderr
	}{
		{"no dir", []string{}, "--dir is required"},
		{"dir under a file", []string{"--dir", filepath.Join(file, "sub")}, "--dir " + filepath.Join(file, "sub") + ": cannot be examined"},
		{"not a dir", []string{"--dir", file}, "--dir " + file + ": is not a directory"},
		{"empty dir", []string{"--dir", ""}, "--dir must not be empty"},
		{"dir twice", []string{"--dir", dir, "--dir", dir + "/"}, "given twice"},
		{"block size 0", []string{"--dir", dir, "--block-size", "0"}, "--block-size must be at least 1 byte"},
		{"block size huge", []string{"--dir", dir, "--block-size", "2GiB"}, "--block-size 2GiB is larger than 1GiB"},
		{"block size malformed", []string{"--dir", dir, "--block-size", "2KB"}, `invalid argument "2KB" for "--block-size" flag: size "2KB": unknown unit "KB"`},
		{"count 0", []string{"--dir", dir, "--count", "0"}, "--count must be at least 1"},
		{"count negative", []string{"--dir", dir, "--count", "-5"}, "--count must be at least 1"},
		{"count malformed", []string{"--dir", dir, "--count", "lots"}, `invalid argument "lots" for "--count"`},
		{"count overflows", []string{"--dir", dir, "--count", "2000000000", "--block-size", "1GiB"}, "is more than any disk holds"},
		{"unknown sync", []string{"--dir", dir, "--sync", "fdatasync,fsnc"}, `--sync: unknown name "fsnc" (want fdatasync, fsync, odsync, none or all)`},
		{"unknown prealloc", []string{"--dir", dir, "--prealloc-mode", "sparse"}, `--prealloc-mode: unknown name "sparse" (want zookeeper, fallocate, zero, none or all)`},
		{"writers 0", []string{"--dir", dir, "--writers", "1,0"}, `--writers: "0" is not a writer count from 1 to 64`},
		{"writers negative", []string{"--dir", dir, "--writers", "-1"}, `--writers: "-1" is not a writer count from 1 to 64`},
		{"writers malformed", []string{"--dir", dir, "--writers", "abc"}, `--writers: "abc" is not a writer count from 1 to 64`},
		{"writers too many", []string{"--dir", dir, "--writers", "3,65"}, `--writers: "65" is not a writer count from 1 to 64`},
		{"writers empty", []string{"--dir", dir, "--writers", ""}, `--writers: "" is not a writer count from 1 to 64`},
		{"pre-alloc malformed", []string{"--dir", dir, "--pre-alloc-size", "64XiB"}, `"--pre-alloc-size" flag`},
		{"background negative", []string{"--dir", dir, "--background-write", "-1"}, `"--background-write" flag: size "-1" is negative`},
		{"bandwidth malformed", []string{"--dir", dir, "--bandwidth-size", "1.5GiB"}, `"--bandwidth-size" flag`},
		{"max-p99 malformed", []string{"--dir", dir, "--max-p99", "10"}, `invalid argument "10" for "--max-p99" flag`},
		{"max-p99 negative", []string{"--dir", dir, "--max-p99", "-1ms"}, "--max-p99 must not be negative"},
		{"positional", []string{"--dir", dir, dir}, "unexpected argument"},
		{"unknown flag", []string{"--dri", dir}, "unknown flag: --dri"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"probe", "--out", out}, tc.args...)...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			oneLine(t, stderr)
			if !strings.Contains(stderr, tc.want) || !strings.HasPrefix(stderr, "zkbench probe: ") {
				t.Errorf("stderr %q, want it to contain %q", stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
	if names := probeDirNames(t, dir); !slices.Equal(names, []string{"file"}) {
		t.Errorf("dir holds %q after bad input, want only the file that was there", names)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--out created for bad input: %v", err)
	}
}

func TestProbeUnwritableDir(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	if err := fsys.MkdirAll("/ro"); err != nil {
		t.Fatal(err)
	}
	probeFake(t, readOnlyFS{fsys}, 1<<40)
	code, _, stderr := runCLI(t, "probe", "--dir", "/ro", "--out", t.TempDir())
	if code != exitUsage || !strings.Contains(stderr, "--dir /ro: is not writable: permission denied") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	oneLine(t, stderr)
}

func TestProbeNotEnoughSpace(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	if err := fsys.MkdirAll("/small"); err != nil {
		t.Fatal(err)
	}
	probeFake(t, fsys, 100<<20)
	for _, args := range [][]string{
		{"--count", "100000"}, // 230 MB of blocks
		{"--count", "10", "--bandwidth-size", "1GiB"},
		{"--count", "10", "--background-write", "1MiB", "--bandwidth-size", "0"},
		// 64 logs of 1,000 18,400-byte blocks: 1.2 GB; one writer's would fit.
		{"--count", "1000", "--bandwidth-size", "0", "--pre-alloc-size", "1MiB", "--writers", "1,64"},
	} {
		code, _, stderr := runCLI(t, append([]string{"probe", "--dir", "/small", "--out", t.TempDir()}, args...)...)
		if code != exitUsage || !strings.Contains(stderr, "--dir /small: 100MiB free, the probe needs") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
		oneLine(t, stderr)
	}
	// What fits, runs.
	code, _, stderr := runCLI(t, "probe", "--dir", "/small", "--out", t.TempDir(), "--count", "10", "--bandwidth-size", "0", "--pre-alloc-size", "1MiB")
	if code != exitOK {
		t.Errorf("a probe that fits: exit %d, %s", code, stderr)
	}
}

// TestProbeMaxP99 times syncs at 2 ms: above a 1 ms threshold the probe
// exits 1, below a 1 s one it exits 0, and the verdict cites the guidance.
func TestProbeMaxP99(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	if err := fsys.MkdirAll("/log"); err != nil {
		t.Fatal(err)
	}
	probeFake(t, fsys, 1<<40)
	probeTimes(t, faultfs.Fixed(2*time.Millisecond))
	args := []string{"probe", "--dir", "/log", "--count", "20", "--bandwidth-size", "1MiB", "--sync", "fdatasync,none"}

	code, stdout, stderr := runCLI(t, append(args, "--out", t.TempDir(), "--max-p99", "1ms")...)
	if code != exitProblem {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitProblem, stderr)
	}
	oneLine(t, stderr)
	if !strings.HasSuffix(stderr, "above --max-p99 1ms in 1 of 6 combinations (worst: /log fdatasync/zookeeper, p99 2.00 ms)\n") {
		t.Errorf("stderr %q", stderr)
	}
	for _, want := range []string{
		`\nFAIL: /log fdatasync/zookeeper: p99 2.00 ms is above --max-p99 1ms\n`,
		`\nverdict: /log: worst p99 2.00 ms \(fdatasync/zookeeper\): good for a ZooKeeper transaction log \(p99 under 10 ms\); ` +
			`max 2.00 ms \(fdatasync/zookeeper\), below ZooKeeper's fsync.warningthresholdms = 1000 ms\n`,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("stdout does not match %s:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "FAIL: /log fdatasync/none") || strings.Contains(stdout, "FAIL: /log fdatasync/zookeeper ×3") {
		t.Errorf("sync none or a concurrent case judged against --max-p99:\n%s", stdout)
	}

	code, stdout, stderr = runCLI(t, append(args, "--out", t.TempDir(), "--max-p99", "1s")...)
	if code != exitOK || stderr != "" || strings.Contains(stdout, "FAIL") {
		t.Errorf("under the threshold: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
	if names, _ := fsys.ReadDir("/log"); len(names) != 0 {
		t.Errorf("/log holds %q", names)
	}
}

func TestProbeVerdictTooSlow(t *testing.T) {
	// One sync past ZooKeeper's warning threshold, the others at 20 ms.
	var syncs atomic.Int64
	fsys := faultfs.New(faultfs.Options{})
	if err := fsys.MkdirAll("/slow"); err != nil {
		t.Fatal(err)
	}
	probeFake(t, fsys, 1<<40)
	probeTimes(t, func() time.Duration {
		if syncs.Add(1) == 2 {
			return 1010 * time.Millisecond
		}
		return 20 * time.Millisecond
	})
	code, stdout, stderr := runCLI(t, "probe", "--dir", "/slow", "--count", "3", "--bandwidth-size", "0", "--out", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"too slow for a ZooKeeper transaction log (a good log device keeps the p99 of its syncs under 10 ms)",
		"at or above ZooKeeper's fsync.warningthresholdms = 1000 ms",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

// TestProbeOutputs runs on the real temporary directory and checks every
// file the probe writes.
func TestProbeOutputs(t *testing.T) {
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "out")
	const count = 30
	code, stdout, stderr := runCLI(t, "probe", "--dir", dir, "--out", out, "--count", "30",
		"--sync", "all", "--prealloc-mode", "zookeeper,none", "--pre-alloc-size", "64KiB", "--bandwidth-size", "2MiB")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if names := probeDirNames(t, dir); len(names) != 0 {
		t.Errorf("%s holds %q after the probe", dir, names)
	}

	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if !strings.HasPrefix(lines[0], "DIR") || !strings.Contains(lines[0], "P99.9 µs") || !strings.Contains(lines[0], "EXTENDS") ||
		!strings.Contains(lines[0], "WRITERS") {
		t.Errorf("table header %q", lines[0])
	}
	if rows := len(slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return !strings.HasPrefix(l, dir+" ") })); rows != 24 {
		t.Errorf("%d table rows, want 24 (8 combinations, each with 1 writer, 3 writers and 3 writers at 8× the block):\n%s", rows, stdout)
	}
	if !strings.Contains(stdout, "sequential write") || !strings.Contains(stdout, "verdict: "+dir+": ") {
		t.Errorf("no bandwidth or verdict line:\n%s", stdout)
	}

	raw, err := os.ReadFile(filepath.Join(out, "probe.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema int              `json:"schema"`
		Probes []map[string]any `json:"probes"`
		Dirs   []map[string]any `json:"dirs"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != 1 || len(doc.Probes) != 24 || len(doc.Dirs) != 1 {
		t.Fatalf("schema %d, %d probes, %d dirs", doc.Schema, len(doc.Probes), len(doc.Dirs))
	}
	if _, ok := doc.Dirs[0]["bandwidth"].(map[string]any)["mb_s"]; !ok {
		t.Errorf("dirs[0] has no bandwidth: %v", doc.Dirs[0])
	}
	var combos []string
	for _, p := range doc.Probes {
		// result-schema.md's fields, then some of ours.
		for _, k := range []string{"dir", "device", "fstype", "rotational", "sync", "preallocMode", "blockSize",
			"count", "writers", "latency_us", "iops", "hlog", "extends", "background_bytes_s", "bandwidth_mb_s", "mount"} {
			if _, ok := p[k]; !ok {
				t.Errorf("probe entry lacks %q: %v", k, p)
			}
		}
		lat, _ := p["latency_us"].(map[string]any)
		for _, k := range []string{"min", "p50", "p90", "p99", "p999", "max"} {
			if _, ok := lat[k]; !ok {
				t.Errorf("latency_us lacks %q: %v", k, lat)
			}
		}
		w, _ := p["writers"].(float64)
		block := fsprobe.DefaultBlockSize
		if p["batch"] == true {
			block *= fsprobe.DefaultBatchFactor
		}
		if p["dir"] != dir || p["count"] != float64(count)*w || p["blockSize"] != float64(block) {
			t.Errorf("entry %v", p)
		}
		combos = append(combos, fmt.Sprintf("%s/%s ×%v %v", p["sync"], p["preallocMode"], w, p["blockSize"]))

		hs, err := hlog.ReadFile(filepath.Join(out, p["hlog"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		if n := hlog.Merge(hs).TotalCount(); n != int64(count*w) {
			t.Errorf("%s holds %d values, want %d", p["hlog"], n, count*int(w))
		}
	}
	var want []string
	for _, c := range []string{"fdatasync/zookeeper", "fdatasync/none", "fsync/zookeeper", "fsync/none",
		"odsync/zookeeper", "odsync/none", "none/zookeeper", "none/none"} {
		want = append(want, c+" ×1 2300", c+" ×3 2300", c+" ×3 18400")
	}
	if !slices.Equal(combos, want) {
		t.Errorf("combinations %q, want %q", combos, want)
	}
}

func TestProbeBackgroundFlag(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{SyncLatency: faultfs.Fixed(100 * time.Microsecond)})
	if err := fsys.MkdirAll("/d"); err != nil {
		t.Fatal(err)
	}
	probeFake(t, fsys, 1<<40)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "probe", "--dir", "/d", "--count", "50", "--bandwidth-size", "0",
		"--background-write", "64MiB", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, " 64MiB/s ") || !strings.Contains(stdout, "fdatasync/zookeeper") {
		t.Errorf("no background row:\n%s", stdout)
	}
	for _, name := range []string{"1-d-fdatasync-zookeeper.hlog", "1-d-fdatasync-zookeeper-bg.hlog", "probe.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	if names, _ := fsys.ReadDir("/d"); len(names) != 0 {
		t.Errorf("/d holds %q", names)
	}
}

// TestProbeInterrupted: the stop signal (here a cancelled context after 10
// syncs) ends the probe early; what was measured is still printed and
// written, the scratch files are gone, and the exit code says it did not
// finish.
func TestProbeInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	old := probeContext
	t.Cleanup(func() { probeContext = old })
	probeContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	var syncs atomic.Int64
	fsys := faultfs.New(faultfs.Options{SyncLatency: func() time.Duration {
		if syncs.Add(1) == 10 {
			cancel()
		}
		return 0
	}})
	if err := fsys.MkdirAll("/d"); err != nil {
		t.Fatal(err)
	}
	probeFake(t, fsys, 1<<40)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "probe", "--dir", "/d", "--count", "1000", "--sync", "all", "--out", out)
	if code != exitInterrupted || !strings.Contains(stderr, "interrupted during combination 1 of 12") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	oneLine(t, stderr)
	if !strings.Contains(stdout, "interrupted") || !strings.Contains(stdout, "verdict: /d:") {
		t.Errorf("stdout:\n%s", stdout)
	}
	var doc results.Probe
	raw, err := os.ReadFile(filepath.Join(out, "probe.json"))
	if err == nil {
		err = json.Unmarshal(raw, &doc)
	}
	if err != nil || !doc.Interrupted || len(doc.Probes) != 1 || doc.Probes[0].Count >= 1000 || !doc.Probes[0].Interrupted {
		t.Errorf("probe.json: %v %+v", err, doc)
	}
	if names, _ := fsys.ReadDir("/d"); len(names) != 0 {
		t.Errorf("/d holds %q", names)
	}
}

// TestProbeSignal sends a real SIGINT to a probe running in a child
// process (this test binary, re-run as TestProbeSignalChild, probing a
// faultfs with 1 ms syncs so that it is still running when the signal
// comes, whatever the machine's disks).
func TestProbeSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	out, marker := filepath.Join(t.TempDir(), "out"), filepath.Join(t.TempDir(), "syncing")
	args, _ := json.Marshal([]string{"probe", "--dir", "/d", "--out", out, "--count", "100000", "--bandwidth-size", "0"})
	cmd := exec.Command(os.Args[0], "-test.run=^TestProbeSignalChild$")
	cmd.Env = append(os.Environ(), "ZKBENCH_PROBE_CHILD="+string(args), "ZKBENCH_PROBE_MARKER="+marker)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Wait until the probe syncs, then interrupt it.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("child ended before syncing: %v; stderr %q", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("child never synced; stderr %q", stderr.String())
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("probe did not stop after SIGINT")
	}
	// Exit 99 would be the child's own report of files left behind.
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted during combination 1 of 3") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), " interrupted") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	var doc results.Probe
	raw, err := os.ReadFile(filepath.Join(out, "probe.json"))
	if err == nil {
		err = json.Unmarshal(raw, &doc)
	}
	if err != nil || !doc.Interrupted || len(doc.Probes) != 1 || doc.Probes[0].Count == 0 {
		t.Errorf("probe.json: %v %+v", err, doc)
	}
}

func TestProbeSignalChild(t *testing.T) {
	env := os.Getenv("ZKBENCH_PROBE_CHILD")
	if env == "" {
		t.Skip("only run by TestProbeSignal")
	}
	var args []string
	if err := json.Unmarshal([]byte(env), &args); err != nil {
		t.Fatal(err)
	}
	var once atomic.Bool
	fsys := faultfs.New(faultfs.Options{SyncLatency: func() time.Duration {
		if once.CompareAndSwap(false, true) {
			os.WriteFile(os.Getenv("ZKBENCH_PROBE_MARKER"), nil, 0o644)
		}
		return time.Millisecond
	}})
	if err := fsys.MkdirAll("/d"); err != nil {
		t.Fatal(err)
	}
	probeFake(t, fsys, 1<<40)
	code := run(args, os.Stdout, os.Stderr)
	if names, _ := fsys.ReadDir("/d"); len(names) != 0 {
		os.Stderr.WriteString("files left behind: " + strings.Join(names, " ") + "\n")
		code = 99 // no exit code of zkbench
	}
	os.Exit(code)
}

// A --dir that does not exist is created with its missing parents, named,
// probed, and removed afterwards with nothing else.
func TestProbeCreatesMissingDir(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "new", "sub")
	code, _, stderr := runCLI(t, "probe", "--dir", dir, "--count", "20", "--sync", "none",
		"--bandwidth-size", "0", "--out", filepath.Join(t.TempDir(), "out"))
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if want := "created " + filepath.Join(base, "new") + "; removed after the probe"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	if left := probeDirNames(t, base); len(left) != 0 {
		t.Errorf("left %v after the probe", left)
	}
}
