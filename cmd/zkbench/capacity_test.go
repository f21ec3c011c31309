package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input is refused in one line naming the flag, exit 2, before any
// folder is created; so is a target that is down, the folder it would
// have written removed again.
func TestCapacityBadInput(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close() // nothing listens there now
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"zero SLA", []string{"--max-p99", "0"}, `--max-p99 "0": want a latency above 0, such as 10ms`},
		{"not a duration", []string{"--max-p99", "abc"}, `--max-p99 "abc": want a latency above 0, such as 10ms`},
		{"percentile not in the list", []string{"--percentile", "95"}, `--percentile "95": want 99 or 99.9`},
		{"a rate of its own", []string{"--rate", "100"}, "--rate and --duration are each step's"},
		{"no repeats", []string{"--repeats", "0"}, "--start-rate, --step and --repeats: want more than 0"},
		{"a negative prime", []string{"--prime", "-1s"}, "--prime -1s: want 0 or more"},
		{"not a probe folder", []string{"--predict-from", "/nonexistent/probe"}, "--predict-from /nonexistent/probe/probe.json: no such file"},
		{"target down", []string{"--target", "zk://" + down, "--step", "1s", "--start-rate", "10"}, down},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "cap")
			code, _, stderr := runCLI(t, append([]string{"capacity", "--out", out}, tc.args...)...)
			if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q: want 2 and one line saying %q", code, stderr, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				if entries, _ := os.ReadDir(out); len(entries) > 0 {
					t.Errorf("%s holds %d entries after a refused search", out, len(entries))
				}
			}
		})
	}
}
