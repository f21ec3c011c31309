package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"zkbench/internal/zkfixtures"
)

// runCLI runs zkbench in-process and returns exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// A log, a snapshot and their dumps from the standalone scenario of the
// ZooKeeper 3.8.0 fixtures.
var (
	fixtureLog   = filepath.Join(zkfixtures.Dir(), "standalone/version-2/log.a0")
	fixtureSnap  = filepath.Join(zkfixtures.Dir(), "standalone/version-2/snapshot.9f")
	fixtureDumps = filepath.Join(zkfixtures.Dir(), "standalone/dumps")
)

// copyFile copies a file into a temp dir so a test may damage it.
func copyFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

var toolkitLine = regexp.MustCompile(`session (0x[0-9a-f]+) cxid (0x[0-9a-f]+) zxid (0x[0-9a-f]+) (\w+)`)

// Every txn line names the same session, cxid, zxid and type as
// ZooKeeper's TxnLogToolkit printed for the same file.
func TestTxnlogMatchesTxnLogToolkit(t *testing.T) {
	code, out, errOut := runCLI(t, "txnlog", fixtureLog)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want, _ := os.ReadFile(filepath.Join(fixtureDumps, "log.a0.TxnLogToolkit.txt"))
	wantTxns := toolkitLine.FindAllString(string(want), -1)
	gotTxns := toolkitLine.FindAllString(out, -1)
	if len(gotTxns) != len(wantTxns) || len(wantTxns) == 0 {
		t.Fatalf("%d txns, ZooKeeper printed %d", len(gotTxns), len(wantTxns))
	}
	for i := range wantTxns {
		if gotTxns[i] != wantTxns[i] {
			t.Errorf("txn %d: %q, ZooKeeper: %q", i, gotTxns[i], wantTxns[i])
		}
	}
	if !strings.Contains(out, "EOF reached after 27 txns.") || !strings.Contains(string(want), "EOF reached after 27 txns.") {
		t.Errorf("summary line differs; got:\n%s", out[strings.LastIndex(out[:len(out)-1], "\n")+1:])
	}
	if !strings.Contains(out, "closeSession v{/bench/eph-seq-0000000005,/bench/eph-seq-0000000006,/bench/eph}") {
		t.Errorf("closeSession paths missing:\n%s", out)
	}
}

func TestTxnlogJSON(t *testing.T) {
	code, out, _ := runCLI(t, "txnlog", "--json", fixtureLog)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", n+1, err, sc.Text())
		}
		for _, k := range []string{"zxid", "time", "session", "cxid", "type"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d lacks %q: %s", n+1, k, sc.Text())
			}
		}
		if n == 0 && (m["zxid"] != "0xa0" || m["type"] != "createSession" || m["digest"] != 30137692552.0) {
			t.Errorf("first txn = %s", sc.Text())
		}
		n++
	}
	if n != 27 {
		t.Errorf("%d JSON lines, want 27", n)
	}
}

func TestSnapshotMatchesSnapshotFormatter(t *testing.T) {
	for _, tt := range []struct {
		args []string
		dump string
	}{
		{[]string{"snapshot", fixtureSnap}, filepath.Join(fixtureDumps, "snapshot.9f.SnapshotFormatter.txt")},
		{[]string{"snapshot", "--detail", fixtureSnap}, filepath.Join(fixtureDumps, "snapshot.9f.SnapshotFormatter-d.txt")},
	} {
		code, out, errOut := runCLI(t, tt.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, errOut)
		}
		want, _ := os.ReadFile(tt.dump)
		// ZooKeeper counts the root twice (as "" and "/"); we print the
		// real count, and add the digest line it does not print.
		wantLines := strings.Split(string(want), "\n")
		gotLines := strings.Split(out, "\n")
		if gotLines[0] != "ZNode Details (count=17):" || wantLines[0] != "ZNode Details (count=18):" {
			t.Errorf("count lines: %q vs ZooKeeper's %q", gotLines[0], wantLines[0])
		}
		got := strings.Join(gotLines[1:], "\n")
		got = regexp.MustCompile(`Digest: .*\n`).ReplaceAllString(got, "")
		if w := strings.Join(wantLines[1:], "\n"); got != w {
			t.Errorf("%v differs from SnapshotFormatter:\n%s", tt.args, got)
		}
	}
}

func TestSnapshotJSON(t *testing.T) {
	code, out, _ := runCLI(t, "snapshot", "--json", fixtureSnap)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 18 {
		t.Fatalf("%d lines, want 17 znodes + 1", len(lines))
	}
	var root map[string]any
	json.Unmarshal([]byte(lines[0]), &root)
	if root["path"] != "/" || root["numChildren"] != 2.0 || root["pzxid"] != "0x4" {
		t.Errorf("root = %s", lines[0])
	}
	var tail struct {
		Sessions []struct {
			ID         string
			Timeout    int
			Ephemerals int
		}
		LastZxid string
		Digest   struct{ Zxid string }
	}
	if err := json.Unmarshal([]byte(lines[17]), &tail); err != nil {
		t.Fatal(err)
	}
	if len(tail.Sessions) != 1 || tail.Sessions[0].ID != "0x100000a46010001" || tail.Sessions[0].Ephemerals != 3 || tail.LastZxid != "0x9f" {
		t.Errorf("tail = %s", lines[17])
	}
}

func TestExitCodes(t *testing.T) {
	badLog := copyFile(t, fixtureLog)
	flipByte(t, badLog, 200) // inside the third record (offset 138)
	badSnap := copyFile(t, fixtureSnap)
	flipByte(t, badSnap, 600)
	tests := []struct {
		name string
		args []string
		code int
		msg  string // in stderr
	}{
		{"verify good log", []string{"txnlog", "--verify", fixtureLog}, 0, ""},
		{"verify bad log", []string{"txnlog", "--verify", badLog}, 1, "at offset 138: txnlog: checksum mismatch"},
		{"dump bad log", []string{"txnlog", badLog}, 1, "at offset 138"},
		{"log is a snapshot", []string{"txnlog", fixtureSnap}, 2, "bad magic"},
		{"missing log", []string{"txnlog", filepath.Join(t.TempDir(), "nope")}, 2, "no such file"},
		{"no file", []string{"txnlog"}, 2, "want exactly one"},
		{"unknown flag", []string{"txnlog", "--frob", "x"}, 2, "unknown flag: --frob"},
		{"verify good snapshot", []string{"snapshot", "--verify", fixtureSnap}, 0, ""},
		{"verify bad snapshot", []string{"snapshot", "--verify", badSnap}, 1, "CRC corruption"},
		{"dump bad snapshot", []string{"snapshot", badSnap}, 1, "CRC corruption"},
		{"snapshot is a log", []string{"snapshot", fixtureLog}, 2, "bad magic"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"version", []string{"version"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if tt.msg != "" && !strings.Contains(errOut, tt.msg) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.msg)
			}
			if n := strings.Count(errOut, "\n"); n > 1 {
				t.Errorf("stderr has %d lines, want one: %q", n, errOut)
			}
		})
	}
}

func TestPurge(t *testing.T) {
	data := t.TempDir()
	v2 := purgeFixture(t, data)
	code, out, errOut := runCLI(t, "purge", "--data-dir", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var left []string
	ents, _ := os.ReadDir(v2)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if got := strings.Join(left, " "); got != "log.20 log.40 snapshot.30 snapshot.50 snapshot.70" {
		t.Errorf("left %s\noutput:\n%s", got, out)
	}
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"purge"}, "--data-dir is required"},
		{[]string{"purge", "--data-dir", data, "--count", "2"}, "--count 2"},
		{[]string{"purge", "--data-dir", t.TempDir()}, "no version-2 folder"},
		{[]string{"purge", "--data-dir", data, "--data-log-dir", "/nonexistent"}, "--data-log-dir /nonexistent"},
	} {
		code, _, errOut := runCLI(t, tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, errOut, tt.msg)
		}
	}
}

// TestHelp: every command's -h starts with its usage line, and the knob
// flags of run, sweep and serve show the defaults that apply: the quick
// profile's for run and sweep, saying which the profile sets; ZooKeeper's
// for serve.
func TestHelp(t *testing.T) {
	for name := range commands {
		if _, ok := helps[name]; !ok {
			t.Errorf("%s has no help", name)
		}
		code, stdout, stderr := runCLI(t, name, "--help")
		if code != exitOK || stdout != "" || !strings.HasPrefix(stderr, "usage: zkbench "+name) {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", name, code, stdout, stderr)
		}
	}
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"run", []string{
			`--duration string  +measured phase; the quick profile sets it \(default "10s"\)`,
			`--snap-count string  +txns between snapshots \(zookeeper.snapCount\); the quick profile sets it \(default "10000"\)`,
			`--pre-alloc-size string  +txn log preallocation step \(default "64MiB"\)\n`,
			`--servers string  +voting members \(default "3"\)\n`,
		}},
		{"sweep", []string{`--warmup string  +unmeasured phase before it; the quick profile sets it \(default "2s"\)`}},
		{"serve", []string{`--snap-count string  +txns between snapshots \(zookeeper.snapCount\) \(default "100000"\)\n`}},
	} {
		_, _, stderr := runCLI(t, tc.cmd, "-h")
		for _, w := range tc.want {
			if !regexp.MustCompile(w).MatchString(stderr) {
				t.Errorf("%s -h does not match %s:\n%s", tc.cmd, w, stderr)
			}
		}
	}
}
