package engine

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"zkbench/internal/zkref"
)

// A Java client configured for SASL (a JAAS "Client" section) meets a
// server without SASL: ZooKeeper 3.8 answers its token with a null one,
// the client fails authentication on its side (AuthFailed) and says so
// for its requests. It does the same against a follower's client port,
// rather than retrying until its session is lost.
func TestSASLClientLikeZooKeeper38(t *testing.T) {
	zkref.Need(t)
	s, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{Quorum: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	cfg := testConfig(t, 3, 0)
	cfg.TickTime = time.Second // the JVM takes a while to start: sessions of 2..20 s
	e := start(t, cfg)
	addrs := servePorts(t, e)
	follower := uint64(1)
	if e.Leader() == 1 {
		follower = 2
	}

	jaas := filepath.Join(t.TempDir(), "jaas.conf")
	conf := "Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username=\"bob\"\n  password=\"secret\";\n};\n"
	if err := os.WriteFile(jaas, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// Set after the reference server started: only the client reads it.
	t.Setenv("JAVA_TOOL_OPTIONS", "-Djava.security.auth.login.config="+jaas)
	cli := func(addr string) []string {
		t.Helper()
		out, errOut, err := zkref.RunInput("create /s x\nls /\n", "org.apache.zookeeper.ZooKeeperMain", "-server", addr)
		if err != nil {
			t.Fatalf("ZooKeeperMain: %v", err)
		}
		var keep []string
		for _, l := range strings.Split(out+errOut, "\n") {
			if strings.Contains(l, "AuthFailed") || strings.Contains(l, "Not connected") || strings.Contains(l, "saslToken is null") {
				keep = append(keep, strings.TrimSpace(l))
			}
		}
		return keep
	}
	want := cli(s.Addr)
	if got := cli(addrs[follower]); !slices.Equal(got, want) {
		t.Errorf("a SASL client against a follower:\n%s\nagainst ZooKeeper 3.8:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Contains(want, "KeeperErrorCode = AuthFailed for /s") {
		t.Errorf("ZooKeeper 3.8 did not fail the client's SASL as the test expects:\n%s", strings.Join(want, "\n"))
	}
}
