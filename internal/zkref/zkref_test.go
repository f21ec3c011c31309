package zkref

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"zkbench/internal/zkfixtures"
)

var fixtures = zkfixtures.Dir()

// The harness must reproduce the dumps the fixtures were made with, or its
// verdicts on zkbench's files would mean nothing.
func TestTxnLogToolkitMatchesFixtureDump(t *testing.T) {
	Need(t)
	got, err := TxnLogToolkit(filepath.Join(fixtures, "standalone/version-2/log.9e"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(fixtures, "standalone/dumps/log.9e.TxnLogToolkit.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("TxnLogToolkit output differs:\n got %q\nwant %q", got, want)
	}
}

func TestServerServesFixtureTree(t *testing.T) {
	Need(t)
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join(fixtures, "standalone/version-2"), dir).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	s, err := StartServer(dir, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	c, err := s.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data, stat, err := c.Get("/bench/counter-c")
	if err != nil {
		t.Fatal(err)
	}
	if stat.Version != 60 || !strings.HasPrefix(string(data), "/bench/counter-c value 0060") {
		t.Errorf("/bench/counter-c = %q version %d", data, stat.Version)
	}
}
