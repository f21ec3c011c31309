package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkbench/internal/zkfixtures"
)

// lockedBuffer is an output a test reads while the command writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveInBackground starts zkbench serve with args and returns its
// stdout, stderr, a func that interrupts it and its exit code.
func serveInBackground(t *testing.T, args ...string) (stdout, stderr *lockedBuffer, interrupt func(), code <-chan int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	old := serveContext
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	t.Cleanup(func() { serveContext = old })
	stdout, stderr = &lockedBuffer{}, &lockedBuffer{}
	done, finished := make(chan int, 1), make(chan struct{})
	go func() {
		defer close(finished)
		done <- run(append([]string{"serve"}, args...), stdout, stderr)
	}()
	t.Cleanup(func() { cancel(); <-finished })
	return stdout, stderr, cancel, done
}

// A client library writes through the members' ports; an interrupt
// stops the ensemble, which leaves its folders when asked to keep them.
func TestServe(t *testing.T) {
	data := t.TempDir()
	stdout, stderr, interrupt, code := serveInBackground(t, "--client-port", "0", "--observers", "1",
		"--data-dir", data, "--keep-data", "--set", "snapCount=100")
	var connect string
	for deadline := time.Now().Add(time.Minute); connect == ""; time.Sleep(20 * time.Millisecond) {
		if _, after, ok := strings.Cut(stdout.String(), "connect string: "); ok && strings.HasSuffix(after, "\n") {
			connect = strings.TrimSpace(after)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connect string; stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
	}
	servers := strings.Split(connect, ",")
	if len(servers) != 4 || strings.Count(stdout.String(), "  member ") != 4 {
		t.Fatalf("stdout:\n%s", stdout)
	}
	c, _, err := zk.Connect(servers, 5*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietZK{}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 150 { // past snapCount: a snapshot too
		if _, err := c.Create("/n-", []byte{byte(i)}, zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	interrupt()
	if got := <-code; got != 0 {
		t.Fatalf("exit %d: %s", got, stderr)
	}
	if !strings.Contains(stderr.String(), "data kept in "+data) {
		t.Errorf("stderr: %s", stderr)
	}
	for _, m := range []string{"server1", "server2", "server3", "server4"} {
		logs, _ := filepath.Glob(filepath.Join(data, m, "version-2", "log.*"))
		snaps, _ := filepath.Glob(filepath.Join(data, m, "version-2", "snapshot.*"))
		if len(logs) == 0 || len(snaps) < 2 {
			t.Errorf("%s: logs %v, snapshots %v", m, logs, snaps)
		}
	}
}

func TestServeRefusesBadInput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	data, file := t.TempDir(), filepath.Join(t.TempDir(), "file")
	truncated := filepath.Join(zkfixtures.Dir(), "corrupt/snapshot-truncated/version-2/snapshot.b9")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--client-port", "70000"}, "--client-port 70000: want a port in 0..65535"},
		{[]string{"--client-port", strconv.Itoa(busyPort), "--data-dir", data}, "address already in use"},
		{[]string{"--prealloc-mode", "sometimes"}, "--prealloc-mode"},
		{[]string{"--set", "workload=nope"}, "workload"},
		{[]string{"--data-dir", filepath.Join(file, "sub")}, "not a directory"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--data-dir", data, "--set", "preloadFrom=" + truncated}, "preloadFrom: snap: " + truncated + ": offset 1918: truncated snapshot"},
	} {
		code, _, stderr := runCLI(t, append([]string{"serve"}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("serve %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if left, _ := os.ReadDir(data); len(left) != 0 {
		t.Errorf("left in the data folder: %v", left)
	}
}

type quietZK struct{}

func (quietZK) Printf(string, ...any) {}

// A spare member serves beside the configuration until a client's
// reconfig adds it: the ensemble then lists it in /zookeeper/config.
func TestServeSpareMemberJoinsByReconfig(t *testing.T) {
	sum := sha1.Sum([]byte("super:secret"))
	digest := "super:" + base64.StdEncoding.EncodeToString(sum[:])
	stdout, stderr, interrupt, code := serveInBackground(t, "--client-port", "0", "--data-dir", t.TempDir(),
		"--set", "reconfigEnabled=true", "--set", "spareMembers=1", "--set", "superDigest="+digest)
	var connect string
	for deadline := time.Now().Add(time.Minute); connect == ""; time.Sleep(20 * time.Millisecond) {
		if _, after, ok := strings.Cut(stdout.String(), "connect string: "); ok && strings.HasSuffix(after, "\n") {
			connect = strings.TrimSpace(after)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connect string; stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
	}
	servers := strings.Split(connect, ",")
	if len(servers) != 4 || !strings.Contains(stdout.String(), "  member 4  spare ") {
		t.Fatalf("want three members and a spare:\n%s", stdout)
	}
	c, _, err := zk.Connect(servers[:1], 5*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietZK{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.AddAuth("digest", []byte("super:secret")); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(servers[3])
	if _, err := c.IncrementalReconfig([]string{"server.4=127.0.0.1:30004:31004:participant;" + port}, nil, -1); err != nil {
		t.Fatalf("reconfig adding the spare: %v", err)
	}
	data, _, err := c.Get("/zookeeper/config")
	if err != nil || !strings.Contains(string(data), "server.4=") {
		t.Fatalf("/zookeeper/config after the reconfig: %q, %v", data, err)
	}
	interrupt()
	if got := <-code; got != 0 {
		t.Fatalf("exit %d: %s", got, stderr)
	}
}
