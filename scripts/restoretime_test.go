package scripts

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"zkbench/internal/zkfixtures"
	"zkbench/internal/zkref"
)

// zk-restore-time.sh starts real ZooKeeper on a copy of a dataDir (a
// fixture's, with a dataLogDir apart), agrees with zkbench restore on the
// zxid and digest, and leaves the folders as they were.
func TestZKRestoreTime(t *testing.T) {
	zkref.Need(t)
	src := filepath.Join(zkfixtures.Dir(), "standalone/version-2")
	data, logs := filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "logs")
	for _, d := range []string{data, logs} {
		if err := os.MkdirAll(filepath.Join(d, "version-2"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(src)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		to := data
		if strings.HasPrefix(e.Name(), "log.") {
			to = logs
		}
		os.WriteFile(filepath.Join(to, "version-2", e.Name()), b, 0o644)
	}
	before := listing(t, data) + listing(t, logs)
	code, out := script(t, []string{"ROUNDS=1", "ZKBENCH=" + bin}, "zk-restore-time.sh", data, logs)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, re := range []string{`(?m)^ +1 +\d+ ms +\d+ ms +[\d.]+ ms +[\d.]+ ms  0xe5 same$`,
		`(?m)^median of 1: ZooKeeper restore \d+ ms \(serving after \d+ ms\), zkbench restore [\d.]+ ms`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", re, out)
		}
	}
	if after := listing(t, data) + listing(t, logs); after != before {
		t.Errorf("the folders changed:\n%s\nnow\n%s", before, after)
	}
	code, out = script(t, []string{"ZKBENCH=/bin/false"}, "zk-restore-time.sh", t.TempDir())
	if code != 2 || !strings.Contains(out, "no version-2 folder") {
		t.Errorf("an empty folder: exit %d, %q", code, out)
	}
}

// listing names a folder's files with their sizes and times.
func listing(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		b.WriteString(p + " " + fi.ModTime().String() + " " + fi.Mode().String() + "\n")
		return nil
	})
	return b.String()
}
