package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A folder named like an old snapshot that holds a file cannot be
// removed: purge removes everything else it should, lists both what it
// removed and what it left, and exits 1.
// purgeFixture fills data/version-2 with four snapshots and three logs:
// keeping 3 snapshots (oldest 0x30) needs log.20 (the newest at or
// before 0x30) and log.40. It returns the version-2 folder.
func purgeFixture(t *testing.T, data string) string {
	t.Helper()
	v2 := filepath.Join(data, "version-2")
	if err := os.MkdirAll(v2, 0o755); err != nil {
		t.Fatal(err)
	}
	snapshot, _ := os.ReadFile(fixtureSnap)
	log, _ := os.ReadFile(fixtureLog)
	for _, n := range []string{"snapshot.10", "snapshot.30", "snapshot.50", "snapshot.70"} {
		os.WriteFile(filepath.Join(v2, n), snapshot, 0o644)
	}
	for _, n := range []string{"log.1", "log.20", "log.40"} {
		os.WriteFile(filepath.Join(v2, n), log, 0o644)
	}
	return v2
}

func TestPurgeCarriesOnPastWhatStays(t *testing.T) {
	data := t.TempDir()
	v2 := purgeFixture(t, data)
	stuck := filepath.Join(v2, "snapshot.1.d")
	if err := os.Mkdir(stuck, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stuck, "f"), []byte("x"), 0o644)
	code, out, errOut := runCLI(t, "purge", "--data-dir", data)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q\n%s", code, errOut, out)
	}
	for _, want := range []string{
		"removed " + filepath.Join(v2, "snapshot.10") + "\n",
		"removed " + filepath.Join(v2, "log.1") + "\n",
		"not removed " + stuck + ": directory not empty\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "could not remove 1 of the 3 old snapshots and logs") {
		t.Errorf("stderr %q", errOut)
	}
	for _, gone := range []string{"snapshot.10", "log.1"} {
		if _, err := os.Stat(filepath.Join(v2, gone)); err == nil {
			t.Errorf("%s not removed", gone)
		}
	}
}

// childEnv carries the arguments of a zkbench run in a child process
// (this test binary, re-run as TestCLIChild).
const childEnv = "ZKBENCH_CLI_CHILD"

// TestCLIChild is zkbench in a child process, for tests that kill it.
func TestCLIChild(t *testing.T) {
	env := os.Getenv(childEnv)
	if env == "" {
		t.Skip("only run as a child")
	}
	var args []string
	if err := json.Unmarshal([]byte(env), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}

// startKilled runs zkbench args in a child process and kills it with
// SIGKILL once it printed a stderr line starting with after.
func startKilled(t *testing.T, after string, args ...string) string {
	t.Helper()
	enc, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCLIChild$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(enc))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	found := false
	for sc := bufio.NewScanner(stderr); sc.Scan(); {
		seen.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), after) {
			found = true
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !found {
		t.Fatalf("child ended without printing %q; stderr:\n%s", after, seen.String())
	}
	return seen.String()
}

// A run killed with SIGKILL has named its data folders first; the next
// run names what it left and refuses its --out and member folders;
// purge --stale removes what carries the run's marker, and leaves a
// folder with someone else's file in it.
func TestKilledRunIsNamedAndCleaned(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	base := t.TempDir()
	data, out := filepath.Join(base, "new", "data"), filepath.Join(base, "out")
	member := filepath.Join(data, "server1")
	printed := startKilled(t, "zkbench run: data folders:", "run", "--data-dir", data, "--out", out,
		"--servers", "1", "--workload", "write", "--clients", "2", "--keys", "10", "--warmup", "0s",
		"--duration", "10m", "--client-transport", "direct")
	if !strings.Contains(printed, "data folders: "+member+" (removed after the run") {
		t.Errorf("the data folders were not named at the start:\n%s", printed)
	}

	code, _, stderr := runCLI(t, "run", "--out", out, "--duration", "1s")
	if code != 2 || !strings.Contains(stderr, "--out "+out+": left by a run (pid ") ||
		!strings.Contains(stderr, "that did not finish; zkbench purge --stale removes it") {
		t.Errorf("rerun into the unfinished --out: exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "that did not finish left "+out+" "+filepath.Dir(data)+" (") {
		t.Errorf("the next run did not name the leftovers: %q", stderr)
	}
	out2 := filepath.Join(base, "out2")
	code, _, stderr = runCLI(t, "run", "--data-dir", data, "--servers", "1", "--out", out2)
	if code != 2 || !strings.Contains(stderr, member+" was left by a run (pid ") {
		t.Errorf("rerun on the same --data-dir: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Errorf("a refused run left its --out %s", out2)
	}

	theirs := filepath.Join(data, "theirs")
	os.WriteFile(theirs, []byte("x"), 0o644)
	code, stdout, stderr := runCLI(t, "purge", "--stale")
	for _, want := range []string{"removed " + member + "\n", "removed " + out + "\n",
		"not removed " + data + ": ", "not removed " + filepath.Dir(data) + ": "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("purge --stale output lacks %q:\n%s", want, stdout)
		}
	}
	if code != 1 || !strings.Contains(stderr, "could not remove 2 of the 4 folders") {
		t.Errorf("purge --stale with a foreign file: exit %d, stderr %q", code, stderr)
	}
	for _, gone := range []string{member, out} {
		if _, err := os.Stat(gone); err == nil {
			t.Errorf("%s still there", gone)
		}
	}
	if b, err := os.ReadFile(theirs); err != nil || string(b) != "x" {
		t.Errorf("a file the run did not create was touched: %q %v", b, err)
	}
	os.Remove(theirs)
	if code, stdout, _ := runCLI(t, "purge", "--stale"); code != 0 || !strings.Contains(stdout, "removed "+data+"\n") {
		t.Errorf("second purge --stale: exit %d\n%s", code, stdout)
	}
	if left, _ := os.ReadDir(base); len(left) != 0 {
		t.Errorf("base holds %v, want nothing: the run created all of it", left)
	}
}
