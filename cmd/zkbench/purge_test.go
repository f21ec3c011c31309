package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A folder named like an old snapshot that holds a file cannot be
// removed: purge removes everything else it should, lists both what it
// removed and what it left, and exits 1.
func TestPurgeCarriesOnPastWhatStays(t *testing.T) {
	data := t.TempDir()
	v2 := filepath.Join(data, "version-2")
	stuck := filepath.Join(v2, "snapshot.1.d")
	if err := os.MkdirAll(stuck, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stuck, "f"), []byte("x"), 0o644)
	snapshot, _ := os.ReadFile(fixtureSnap)
	log, _ := os.ReadFile(fixtureLog)
	for _, n := range []string{"snapshot.10", "snapshot.30", "snapshot.50", "snapshot.70"} {
		os.WriteFile(filepath.Join(v2, n), snapshot, 0o644)
	}
	for _, n := range []string{"log.1", "log.20", "log.40"} {
		os.WriteFile(filepath.Join(v2, n), log, 0o644)
	}
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
