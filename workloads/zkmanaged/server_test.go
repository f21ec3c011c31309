package zkmanaged

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"zkbench/internal/zkinstall"

	"zkbench/workloads/zktarget"
)

// TestEnsembleKillRestart starts three real servers, kills the leader
// with SIGKILL and restarts it, and stops them all.
func TestEnsembleKillRestart(t *testing.T) {
	in := need(t)
	cfg := testConfig()
	cfg.Install, cfg.Folder, cfg.Heap = in, t.TempDir(), "256m"
	cfg.TickTime = 200 * time.Millisecond
	data, logs := t.TempDir(), t.TempDir()
	cfg.Members = nil
	for id := 1; id <= 3; id++ {
		m := Member{ID: id, DataDir: filepath.Join(data, "server"+strconv.Itoa(id)), LogDir: filepath.Join(logs, "server"+strconv.Itoa(id))}
		os.Mkdir(m.DataDir, 0o755)
		os.Mkdir(m.LogDir, 0o755)
		cfg.Members = append(cfg.Members, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	conf, err := zktarget.Conf(ctx, e.ClientAddr(1))
	if err != nil || conf["tickTime"] != "200" || !strings.HasPrefix(conf["dataLogDir"], cfg.Members[0].LogDir) {
		t.Errorf("conf %v %v", conf, err)
	}
	leader := 0
	for id, mode := range e.Modes(ctx) {
		if mode == "leader" {
			leader = id
		}
	}
	pid := e.PID(leader)
	if leader == 0 || pid == 0 {
		t.Fatalf("leader %d pid %d", leader, pid)
	}
	if err := e.Kill(leader); err != nil {
		t.Fatal(err)
	}
	if e.PID(leader) != 0 || syscall.Kill(pid, 0) == nil {
		t.Fatalf("member %d (pid %d) still runs after Kill", leader, pid)
	}
	// The two left elect a leader of their own.
	if err := e.WaitQuorum(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Restart(ctx, leader); err != nil {
		t.Fatal(err)
	}
	if modes := e.Modes(ctx); len(modes) != 3 {
		t.Errorf("after the restart: %v", modes)
	}
	e.Stop()
	for _, id := range e.Members() {
		if e.PID(id) != 0 {
			t.Errorf("member %d runs after Stop", id)
		}
		b, _ := os.ReadFile(filepath.Join(e.MemberFolder(id), "server.log"))
		if !strings.Contains(string(b), "QuorumPeer") {
			t.Errorf("member %d's server.log:\n%s", id, b)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.Members[0].LogDir, "version-2")); err != nil {
		t.Errorf("the log went elsewhere: %v", err)
	}
}

// A client port taken between the OS giving it and the JVM binding it:
// the ensemble starts again on other ports.
func TestStartRetriesATakenPort(t *testing.T) {
	in := need(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	calls := 0
	freePorts = func(n int) ([]int, error) {
		calls++
		ps, err := zkinstall.FreePorts(n)
		if calls == 1 && err == nil {
			ps[0] = taken.Addr().(*net.TCPAddr).Port // member 1's client port
		}
		return ps, err
	}
	defer func() { freePorts = zkinstall.FreePorts }()
	cfg := testConfig()
	cfg.Install, cfg.Folder, cfg.Heap = in, t.TempDir(), "256m"
	cfg.TickTime = 200 * time.Millisecond
	data := t.TempDir()
	cfg.Members = []Member{{ID: 1, DataDir: filepath.Join(data, "server1")}}
	os.Mkdir(cfg.Members[0].DataDir, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	if calls != 2 || e.ClientAddr(1) == taken.Addr().String() {
		t.Errorf("%d starts, member 1 at %s", calls, e.ClientAddr(1))
	}
}

// need skips t without Java and ZooKeeper 3.8, or fails it when CI asks
// for them (ZKBENCH_REQUIRE_ZK, as internal/zkref.Need).
func need(t *testing.T) Install {
	t.Helper()
	in, err := Locate("")
	if err != nil {
		if os.Getenv("ZKBENCH_REQUIRE_ZK") != "" {
			t.Fatalf("%v (and ZKBENCH_REQUIRE_ZK is set)", err)
		}
		t.Skip(err)
	}
	return in
}
