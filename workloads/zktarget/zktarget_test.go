package zktarget

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkbench/engine"
	"zkbench/workloads"
)

func TestNew(t *testing.T) {
	tests := []struct {
		url     string
		servers []string
		session time.Duration
		connect time.Duration
		err     string
	}{
		{url: "zk://127.0.0.1:2181", servers: []string{"127.0.0.1:2181"}},
		{url: "zk://a:2181, b:2182,c", servers: []string{"a:2181", "b:2182", "c:2181"}},
		{url: "zk://[::1]:2181,[::1]", servers: []string{"[::1]:2181", "[::1]:2181"}},
		{url: "zk://h:1?sessionTimeout=30s&connectTimeout=1s", servers: []string{"h:1"}, session: 30 * time.Second, connect: time.Second},
		{url: "127.0.0.1:2181", err: "want zk://host:port"},
		{url: "http://h:2181", err: "want zk://host:port"},
		{url: "zk://", err: "empty server"},
		{url: "zk://a:2181,,b:2181", err: "empty server"},
		{url: "zk://a:port", err: `port "port" is not a number`},
		{url: "zk://a:70000", err: "1..65535"},
		{url: "zk://:2181", err: "no host"},
		{url: "zk://a:1:2", err: "too many colons"},
		{url: "zk://a:2181/chroot", err: "a path (/chroot) is not supported"},
		{url: "zk://a:2181?timeout=3s", err: `unknown option "timeout"`},
		{url: "zk://a:2181?sessionTimeout=soon", err: `sessionTimeout "soon"`},
		{url: "zk://a:2181?connectTimeout=0s", err: "positive duration"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			tg, err := New(tt.url)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), tt.url) {
					t.Fatalf("error %v, want one naming the URL and containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tg.Servers(), tt.servers) {
				t.Errorf("servers %v, want %v", tg.Servers(), tt.servers)
			}
			if want := cmp(tt.session, DefaultSessionTimeout); tg.sessionTimeout != want {
				t.Errorf("session timeout %v, want %v", tg.sessionTimeout, want)
			}
			if want := cmp(tt.connect, DefaultConnectTimeout); tg.connectTimeout != want {
				t.Errorf("connect timeout %v, want %v", tg.connectTimeout, want)
			}
			if again, err := New(tg.String()); err != nil || !slices.Equal(again.Servers(), tt.servers) {
				t.Errorf("String %s does not parse back: %v", tg, err)
			}
		})
	}
}

func cmp(v, fallback time.Duration) time.Duration {
	if v == 0 {
		return fallback
	}
	return v
}

// A server nobody listens on: Connect gives up after the connect timeout
// and says why, instead of retrying forever as the client would.
func TestConnectUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tg, err := New("zk://" + addr + "?connectTimeout=200ms")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tg.Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "no session within 200ms") ||
		!strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("error %v, want the address, the timeout and the dial error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tg.Connect(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled connect: %v", err)
	}
}

func TestMapErr(t *testing.T) {
	for from, to := range map[error]error{
		zk.ErrNoNode: workloads.ErrNoNode, zk.ErrNodeExists: workloads.ErrNodeExists,
		zk.ErrConnectionClosed: workloads.ErrConnectionLoss, zk.ErrClosing: workloads.ErrClosed,
		zk.ErrSessionExpired: workloads.ErrSessionExpired, nil: nil,
	} {
		if got := mapErr(from); got != to {
			t.Errorf("mapErr(%v) = %v, want %v", from, got, to)
		}
	}
	if other := errors.New("zk: something new"); mapErr(other) != other {
		t.Error("an unknown error was not passed through")
	}
}

// fourLetterServer answers every connection with reply once, then closes
// it, as ZooKeeper does.
func fourLetterServer(t *testing.T, reply string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4)
			c.Read(buf)
			c.Write([]byte(reply))
			c.Close()
		}
	}()
	return l.Addr().String()
}

func TestMntr(t *testing.T) {
	ctx := context.Background()
	addr := fourLetterServer(t, "zk_version\t3.8.0\nzk_server_state\tleader\nzk_avg_latency\t0.5\nzk_max_latency\t12\n"+
		"zk_avg_fsynctime\t1.25\nzk_cnt_fsynctime\t40\nzk_p99_readlatency\t3\nzk_znode_count\t7\n")
	s, err := Mntr(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if s.State() != "leader" || s["zk_version"] != "3.8.0" {
		t.Errorf("stats %v", s)
	}
	if n, ok := s.Number("zk_znode_count"); !ok || n != 7 {
		t.Errorf("znode count %v %v", n, ok)
	}
	if f := s.Fsync(); len(f) != 2 || f["zk_avg_fsynctime"] != 1.25 || f["zk_cnt_fsynctime"] != 40 {
		t.Errorf("fsync figures %v", f)
	}
	if l := s.Latency(); len(l) != 3 || l["zk_max_latency"] != 12 || l["zk_p99_readlatency"] != 3 {
		t.Errorf("latency figures %v", l)
	}

	refused := fourLetterServer(t, "mntr is not executed because it is not in the whitelist.\n")
	if _, err := Mntr(ctx, refused); !errors.Is(err, ErrMntrNotAllowed) || !strings.Contains(err.Error(), refused) {
		t.Errorf("refused mntr: %v", err)
	}
	garbled := fourLetterServer(t, "hello\n")
	if _, err := Mntr(ctx, garbled); err == nil || !strings.Contains(err.Error(), "not key<TAB>value") {
		t.Errorf("garbled reply: %v", err)
	}

	// One server of three is down: the others still report.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := l.Addr().String()
	l.Close()
	tg, err := New("zk://" + addr + "," + down + "," + refused)
	if err != nil {
		t.Fatal(err)
	}
	got := tg.ServerStats(ctx)
	if len(got) != 3 || got[0].Err != nil || got[0].Stats.State() != "leader" || got[1].Err == nil || !errors.Is(got[2].Err, ErrMntrNotAllowed) {
		t.Errorf("server stats %+v", got)
	}
}

func TestTurns(t *testing.T) {
	p := &turns{servers: []string{"a", "b", "c"}, next: 1}
	var got []string
	for range 7 {
		s, retry := p.Next()
		if retry {
			s += "!"
		}
		got = append(got, s)
	}
	if want := []string{"b", "c", "a", "b!", "c", "a", "b!"}; !slices.Equal(got, want) {
		t.Fatalf("Next: %v, want %v (! = retryStart)", got, want)
	}
	p.Connected()
	if s, retry := p.Next(); s != "c" || retry {
		t.Fatalf("after Connected: %s %v, want c without a retry", s, retry)
	}
}

// Sessions spread evenly over the servers, in the connect string's order,
// here the client ports of an embedded ensemble.
func TestConnectSpreadsSessions(t *testing.T) {
	cfg := engine.DefaultConfig(t.TempDir())
	cfg.TickTime = 100 * time.Millisecond
	e, err := engine.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	addrs, err := e.ListenClients("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	target, err := New("zk://" + strings.Join(addrs, ","))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 6 {
		c, err := target.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got = append(got, c.(*conn).zc.Server())
	}
	if want := append(addrs, addrs...); !slices.Equal(got, want) {
		t.Fatalf("sessions on %v, want %v", got, want)
	}
}
