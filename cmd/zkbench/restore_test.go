package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zkbench/internal/zkfixtures"
	"zkbench/startup"
)

func TestRestore(t *testing.T) {
	ensemble := filepath.Join(zkfixtures.Dir(), "ensemble3")
	// A standalone dataDir whose newest log has a flipped byte at 3229.
	bad := t.TempDir()
	v2 := filepath.Join(bad, "version-2")
	os.Mkdir(v2, 0o755)
	for _, f := range []string{"snapshot.b9", "log.bb"} {
		src := filepath.Join(zkfixtures.Dir(), "standalone/version-2", f)
		if f == "log.bb" {
			src = filepath.Join(zkfixtures.Dir(), "corrupt/log-flipped-byte/version-2/log.bb")
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(v2, f), b, 0o644)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // in stdout
		msg  string // in stderr
	}{
		{"three servers under a parent", []string{"restore", ensemble}, 0, "server3  ", ""},
		{"one of them", []string{"restore", filepath.Join(ensemble, "server2")}, 0, "snapshot  snapshot.100000054", ""},
		{"a corrupt log", []string{"restore", bad}, 2, "", "log.bb at offset 3229"},
		{"no data", []string{"restore", t.TempDir()}, 2, "", "no version-2 folder"},
		{"no folder", []string{"restore"}, 2, "", "want exactly one DATADIR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.msg) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, tc.code, tc.out, tc.msg)
			}
			if n := strings.Count(errOut, "\n"); n > 1 {
				t.Errorf("stderr has %d lines, want one: %q", n, errOut)
			}
		})
	}
	code, out, _ := runCLI(t, "restore", "--json", ensemble)
	var res startup.Result
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.Kind != "restore" || len(res.Members) != 3 {
		t.Errorf("--json: exit %d, %v, %+v", code, err, res)
	}
}
