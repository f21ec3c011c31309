package zktarget_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zkbench/internal/zkref"
	"zkbench/workloads"
	"zkbench/workloads/zktarget"
)

// A short workload with every op through a real ZooKeeper 3.8 server: the
// counts add up, nothing fails, cleanup leaves no trace, and mntr reports
// the server's own figures.
func TestRealZooKeeper(t *testing.T) {
	zkref.Need(t)
	t.Parallel() // each test waits mostly for its Java servers
	srv, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{
		Props: []string{"-Dzookeeper.4lw.commands.whitelist=mntr"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	tg, err := zktarget.New("zk://" + srv.Addr)
	if err != nil {
		t.Fatal(err)
	}

	s := workloads.Default()
	var mix []string
	for _, op := range workloads.Ops() {
		mix = append(mix, op.String()+":1")
	}
	for _, kv := range [][2]string{
		{"mix", strings.Join(mix, ",")}, {"clients", "4"}, {"keys", "50"}, {"depth", "2"},
		{"warmup", "0s"}, {"duration", "0s"}, {"ops", "400"}, {"valueSize", "uniform:0..2KiB"},
	} {
		if err := s.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	d, err := workloads.NewDriver(s, tg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var count int64
	for _, op := range res.Ops {
		if op.Errors != 0 {
			t.Errorf("%s: %d errors %v", op.Op, op.Errors, op.ErrorKinds)
		}
		if op.Count != op.Latency.TotalCount() {
			t.Errorf("%s: count %d, histogram %d", op.Op, op.Count, op.Latency.TotalCount())
		}
		count += op.Count
	}
	if count != 400 || res.Unfinished != 0 {
		t.Errorf("%d ops (%d unfinished), want 400", count, res.Unfinished)
	}

	// The tree is gone, and errors come back as the workloads sentinels.
	c, err := tg.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, err := c.Exists(s.Root); ok || err != nil {
		t.Errorf("%s after cleanup: exists %v, %v", s.Root, ok, err)
	}
	if _, err := c.Create("/zookeeper", nil, workloads.Persistent); !errors.Is(err, workloads.ErrNodeExists) {
		t.Errorf("create /zookeeper: %v, want ErrNodeExists", err)
	}
	if err := c.Delete("/missing", workloads.AnyVersion); !errors.Is(err, workloads.ErrNoNode) {
		t.Errorf("delete /missing: %v, want ErrNoNode", err)
	}

	stats := tg.ServerStats(context.Background())
	if len(stats) != 1 || stats[0].Err != nil {
		t.Fatalf("mntr: %+v", stats)
	}
	st := stats[0].Stats
	if st.State() != "standalone" {
		t.Errorf("server state %q", st.State())
	}
	if n := st.Fsync()["zk_cnt_fsynctime"]; n == 0 {
		t.Errorf("no fsyncs counted after a write workload: %v", st.Fsync())
	}
	if _, ok := st.Latency()["zk_max_latency"]; !ok {
		t.Errorf("no request latency: %v", st.Latency())
	}
}

// scripts/zk-ensemble.sh starts three servers that elect a leader and
// serve a workload through every member, and stops them.
func TestEnsembleScript(t *testing.T) {
	zkref.Need(t)
	t.Parallel()
	script, err := filepath.Abs("../../scripts/zk-ensemble.sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	base := freePorts(t, 9)
	env := append(os.Environ(), fmt.Sprintf("CLIENT_PORT=%d", base),
		fmt.Sprintf("QUORUM_PORT=%d", base+3), fmt.Sprintf("ELECTION_PORT=%d", base+6))
	script1 := func(cmd string) (string, error) {
		c := exec.Command(script, cmd, dir)
		c.Env = env
		out, err := c.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	url, err := script1("start")
	t.Cleanup(func() {
		if out, err := script1("stop"); err != nil {
			t.Errorf("stop: %v: %s", err, out)
		}
	})
	if err != nil {
		t.Fatalf("start: %v: %s", err, url)
	}
	want := fmt.Sprintf("zk://127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d", base, base+1, base+2)
	if url != want {
		t.Fatalf("start printed %q, want %q", url, want)
	}
	tg, err := zktarget.New(url)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := workloads.Named("write")
	for _, kv := range [][2]string{{"clients", "6"}, {"keys", "20"}, {"warmup", "0s"}, {"duration", "0s"}, {"ops", "300"}} {
		if err := s.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	d, err := workloads.NewDriver(s, tg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if op := res.Ops[0]; op.Count != 300 || op.Errors != 0 {
		t.Errorf("setData count %d errors %v, want 300 and none", op.Count, op.ErrorKinds)
	}
	var roles []string
	for _, st := range tg.ServerStats(context.Background()) {
		if st.Err != nil {
			t.Fatalf("mntr %s: %v", st.Addr, st.Err)
		}
		roles = append(roles, st.Stats.State())
	}
	slices.Sort(roles)
	if !slices.Equal(roles, []string{"follower", "follower", "leader"}) {
		t.Errorf("roles %v, want a leader and two followers", roles)
	}
	if out, err := script1("stop"); err != nil {
		t.Fatalf("stop: %v: %s", err, out)
	}
	if out, _ := script1("status"); strings.Count(out, " down") != 3 {
		t.Errorf("status after stop:\n%s", out)
	}
}

// freePorts returns the first of n consecutive ports on 127.0.0.1 that
// nothing listens on. It looks below Linux's ephemeral range (32768 on):
// there, the local ends of other tests' outgoing connections leave few
// runs of consecutive free ports on a busy machine.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for range 200 {
		base := 10000 + rand.IntN(32768-10000-n)
		free := true
		for p := base; p < base+n && free; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if free = err == nil; free {
				l.Close()
			}
		}
		if free {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}
