package engine

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkbench/internal/zkref"
)

// The passwords java.util.Random gives ZooKeeperServer.generatePasswd,
// printed by jshell: new Random(id ^ 0xB3415C00L).nextBytes(new byte[16]).
func TestSessionPasswdIsZooKeepers(t *testing.T) {
	for _, tc := range []struct {
		id   int64
		want string
	}{
		{0, "f22acd4a97e69d6d20a49bb638eadb38"},
		{1, "054cc74a37327db215e702e20c73f005"},
		{0x1000a5b2c3d0000, "995441b0b2ac73359f3f81e74b3967cf"},
		{-1, "20f62cb5648dc2d771471c8a2486a9ee"},
		{0x100000000000001, "054cc74a37327db215e702e20c73f005"}, // Random keeps 48 bits of its seed
	} {
		if got := hex.EncodeToString(sessionPasswd(tc.id)); got != tc.want {
			t.Errorf("sessionPasswd(%#x) = %s, want %s", tc.id, got, tc.want)
		}
	}
}

// servePorts gives every member of e a client port on loopback and
// returns the addresses by member id.
func servePorts(t testing.TB, e *Ensemble) map[uint64]string {
	t.Helper()
	list, err := e.ListenClients("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[uint64]string{}
	for i, id := range e.Members() {
		addrs[id] = list[i]
	}
	return addrs
}

type quietLog struct{}

func (quietLog) Printf(string, ...any) {}

// zkConnect opens a go-zookeeper session with the given servers and waits
// for it.
func zkConnect(t testing.TB, servers ...string) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect(servers, 4*time.Second, zk.WithLogger(quietLog{}), zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return c
			}
		case <-deadline:
			t.Fatalf("no session from %v", servers)
		}
	}
}

func waitEvent(t testing.TB, ch <-chan zk.Event, want zk.EventType, path string) {
	t.Helper()
	select {
	case ev := <-ch:
		if ev.Type != want || ev.Path != path {
			t.Fatalf("watch fired %v on %s, want %v on %s", ev.Type, ev.Path, want, path)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no %v event on %s", want, path)
	}
}

// A ZooKeeper client library drives the ensemble through a follower's
// and an observer's client ports: every kind of request, error codes,
// watches fired by writes through another member, ephemerals removed when
// the session closes.
func TestClientPortServesAZooKeeperClient(t *testing.T) {
	e := start(t, testConfig(t, 3, 1))
	addrs := servePorts(t, e)
	follower := uint64(1)
	if e.Leader() == 1 {
		follower = 2
	}
	a := zkConnect(t, addrs[follower])
	b := zkConnect(t, addrs[4]) // the observer
	acl := zk.WorldACL(zk.PermAll)

	if p, err := a.Create("/app", []byte("v0"), 0, acl); err != nil || p != "/app" {
		t.Fatalf("create /app = %q, %v", p, err)
	}
	if _, err := a.Create("/app", nil, 0, acl); !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("second create: %v, want node exists", err)
	}
	seq, err := a.Create("/app/job-", nil, zk.FlagSequence, acl)
	if err != nil || seq != "/app/job-0000000000" {
		t.Fatalf("sequential create = %q, %v", seq, err)
	}
	if _, err := a.Create("/app/eph", []byte("e"), zk.FlagEphemeral, acl); err != nil {
		t.Fatal(err)
	}
	st, err := a.Set("/app", []byte("v1"), 0)
	if err != nil || st.Version != 1 {
		t.Fatalf("set = %+v, %v", st, err)
	}
	if _, err := a.Set("/app", []byte("v2"), 0); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("stale set: %v, want bad version", err)
	}

	// The observer sees a's writes once it has synced, and watches fire
	// there for writes through the follower.
	if _, err := b.Sync("/app"); err != nil {
		t.Fatal(err)
	}
	data, st, dataW, err := b.GetW("/app")
	if err != nil || string(data) != "v1" || st.Version != 1 {
		t.Fatalf("observer get /app = %q %+v %v", data, st, err)
	}
	kids, _, kidsW, err := b.ChildrenW("/app")
	slices.Sort(kids)
	if err != nil || !slices.Equal(kids, []string{"eph", "job-0000000000"}) {
		t.Fatalf("children = %v, %v", kids, err)
	}
	ok, _, existsW, err := b.ExistsW("/later")
	if err != nil || ok {
		t.Fatalf("exists /later = %v, %v", ok, err)
	}
	if _, err := a.Set("/app", []byte("v2"), 1); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, dataW, zk.EventNodeDataChanged, "/app")
	if _, err := a.Create("/later", nil, 0, acl); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, existsW, zk.EventNodeCreated, "/later")

	res, err := a.Multi(&zk.CheckVersionRequest{Path: "/app", Version: 2},
		&zk.CreateRequest{Path: "/app/m", Data: []byte("m"), Acl: acl},
		&zk.DeleteRequest{Path: "/later", Version: -1})
	if err != nil || len(res) != 3 || res[1].String != "/app/m" {
		t.Fatalf("multi = %+v, %v", res, err)
	}
	waitEvent(t, kidsW, zk.EventNodeChildrenChanged, "/app")
	if _, err := a.Multi(&zk.CheckVersionRequest{Path: "/app", Version: 7},
		&zk.CreateRequest{Path: "/app/never", Acl: acl}); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("failing multi: %v, want bad version", err)
	}
	if ok, _, _ := b.Exists("/app/never"); ok {
		t.Fatal("a failed multi applied an op")
	}

	a.Close() // closeSession: the ephemeral goes
	if _, err := b.Sync("/app"); err != nil {
		t.Fatal(err)
	}
	kids, _, err = b.Children("/app")
	slices.Sort(kids)
	if err != nil || !slices.Equal(kids, []string{"job-0000000000", "m"}) {
		t.Fatalf("children after close = %v, %v", kids, err)
	}
	if _, _, err := b.Get("/nope"); !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("get /nope: %v, want no node", err)
	}
}

// When its member stops, a client resumes its session on another member:
// same session id, its ephemeral still there, its watch set again.
func TestClientPortSessionMovesWhenItsMemberStops(t *testing.T) {
	e := start(t, testConfig(t, 3, 0))
	addrs := servePorts(t, e)
	var servers []string
	for _, id := range e.Members() {
		servers = append(servers, addrs[id])
	}
	c := zkConnect(t, servers...)
	acl := zk.WorldACL(zk.PermAll)
	if _, err := c.Create("/eph", nil, zk.FlagEphemeral, acl); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/watched", nil, 0, acl); err != nil {
		t.Fatal(err)
	}
	_, _, w, err := c.GetW("/watched")
	if err != nil {
		t.Fatal(err)
	}
	id := c.SessionID()
	var first uint64
	for m, a := range addrs {
		if a == c.Server() {
			first = m
		}
	}
	if err := e.StopMember(first); err != nil {
		t.Fatal(err)
	}
	other := zkConnect(t, addrs[first%3+1])
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Retried: the client may still be finding its new member.
		if _, err := other.Set("/watched", []byte("x"), -1); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitEvent(t, w, zk.EventNodeDataChanged, "/watched")
	if c.SessionID() != id || c.Server() == addrs[first] {
		t.Fatalf("session %#x on %s after the move, was %#x on %s", c.SessionID(), c.Server(), id, addrs[first])
	}
	if ok, _, err := c.Exists("/eph"); err != nil || !ok {
		t.Fatalf("ephemeral after the move: %v, %v", ok, err)
	}
}

// A digest identity added with AddAuth is what ACL checks see, on the
// leader and through a follower alike.
func TestClientPortDigestAuth(t *testing.T) {
	e := start(t, testConfig(t, 3, 0))
	addrs := servePorts(t, e)
	for _, id := range e.Members() {
		owner := zkConnect(t, addrs[id])
		if err := owner.AddAuth("digest", []byte("alice:secret")); err != nil {
			t.Fatal(err)
		}
		path := "/private-" + string(rune('0'+id))
		if _, err := owner.Create(path, []byte("x"), 0, zk.DigestACL(zk.PermAll, "alice", "secret")); err != nil {
			t.Fatalf("member %d: create with a digest ACL: %v", id, err)
		}
		if _, err := owner.Set(path, []byte("y"), -1); err != nil {
			t.Fatalf("member %d: owner's set: %v", id, err)
		}
		stranger := zkConnect(t, addrs[id])
		if _, _, err := stranger.Get(path); !errors.Is(err, zk.ErrNoAuth) {
			t.Fatalf("member %d: stranger's get: %v, want no auth", id, err)
		}
		if _, err := stranger.Set(path, nil, -1); !errors.Is(err, zk.ErrNoAuth) {
			t.Fatalf("member %d: stranger's set: %v, want no auth", id, err)
		}
	}
}

// A client that comes back after its session expired is told so.
func TestClientPortExpiredSession(t *testing.T) {
	e := start(t, testConfig(t, 3, 0))
	addrs := servePorts(t, e)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A relay the test can cut: the client keeps its session id while the
	// ensemble stops hearing from it.
	relay := &cuttable{target: addrs[1]}
	go relay.serve(ln)
	c, events, err := zk.Connect([]string{ln.Addr().String()}, 400*time.Millisecond, zk.WithLogger(quietLog{}), zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitState(t, events, zk.StateHasSession)
	relay.cut(3 * time.Second) // well past the session timeout
	waitState(t, events, zk.StateExpired)
}

func waitState(t testing.TB, events <-chan zk.Event, want zk.State) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %v", want)
		}
	}
}

// cuttable relays TCP connections to target until cut: then it drops
// them and refuses new ones for a while, a network outage between a
// client and its server.
type cuttable struct {
	target string
	mu     sync.Mutex
	until  time.Time
	conns  []net.Conn
}

func (r *cuttable) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		down := time.Now().Before(r.until)
		r.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", r.target)
		if err != nil {
			c.Close()
			continue
		}
		r.mu.Lock()
		r.conns = append(r.conns, c, s)
		r.mu.Unlock()
		go func() { io.Copy(s, c); s.Close() }()
		go func() { io.Copy(c, s); c.Close() }()
	}
}

func (r *cuttable) cut(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.until = time.Now().Add(d)
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}

// ZooKeeper's own client (ZooKeeperMain, the engine of zkCli.sh) talks to
// a member's client port: it sends the readOnly flag go-zookeeper does
// not, and reads Stat as the Java records define it.
func TestClientPortServesZooKeepersJavaClient(t *testing.T) {
	zkref.Need(t)
	cfg := testConfig(t, 3, 0)
	cfg.TickTime = time.Second // the JVM takes a while to start: sessions of 2..20 s
	e := start(t, cfg)
	addrs := servePorts(t, e)
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, err := zkref.Run("org.apache.zookeeper.ZooKeeperMain", append([]string{"-server", addrs[1]}, args...)...)
		if err != nil {
			t.Fatalf("ZooKeeperMain %v: %v", args, err)
		}
		return out + errOut
	}
	if out := cli("create", "/java", "hello"); !strings.Contains(out, "Created /java") {
		t.Fatalf("create: %s", out)
	}
	c := zkConnect(t, addrs[2])
	if _, err := c.Sync("/java"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := c.Get("/java"); err != nil || string(data) != "hello" {
		t.Fatalf("go client reads %q, %v", data, err)
	}
	st, err := c.Set("/java", []byte("world"), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := cli("get", "-s", "/java")
	for _, want := range []string{"world", "dataVersion = 1", fmt.Sprintf("mZxid = 0x%x", st.Mzxid), "ephemeralOwner = 0x0", "dataLength = 5"} {
		if !strings.Contains(out, want) {
			t.Errorf("get -s lacks %q:\n%s", want, out)
		}
	}
	if out := cli("ls", "/"); !strings.Contains(out, "[java, zookeeper]") {
		t.Errorf("ls /: %s", out)
	}
}
