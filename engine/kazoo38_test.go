package engine

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"zkbench/internal/zkref"
)

// kazooPython is a python3 that can import kazoo (Debian's python3-kazoo
// installs it for /usr/bin/python3), or "" when there is none.
func kazooPython() string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import kazoo").Run() == nil {
			return py
		}
	}
	return ""
}

// Kazoo, a widely used Python client, gets the same answers from a
// follower's client port as from ZooKeeper 3.8: /zookeeper/config's
// shape and Stat, a digest identity's ACL checks on writes the follower
// forwards.
func TestKazooLikeZooKeeper38(t *testing.T) {
	zkref.Need(t)
	py := kazooPython()
	if py == "" {
		if os.Getenv(zkref.RequireEnv) != "" {
			t.Fatalf("no python3 with kazoo (apt-get install python3-kazoo), and %s is set", zkref.RequireEnv)
		}
		t.Skip("no python3 with kazoo (apt-get install python3-kazoo)")
	}
	run := func(addr string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, py, "-u", "testdata/kazoo38.py", addr).CombinedOutput()
		if err != nil {
			t.Fatalf("kazoo against %s: %v\n%s", addr, err, out)
		}
		return string(out)
	}
	s, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{Quorum: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	want := run(s.Addr)

	e := start(t, testConfig(t, 3, 0))
	addrs := servePorts(t, e)
	follower := uint64(1)
	if e.Leader() == 1 {
		follower = 2
	}
	if got := run(addrs[follower]); got != want {
		t.Errorf("kazoo against a follower:\n%s\nagainst ZooKeeper 3.8:\n%s", got, want)
	}
	t.Logf("kazoo:\n%s", want)
}
