package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"zkbench/internal/zkref"
)

// zkCliReconfig runs ZooKeeperMain's reconfig and config commands (the
// script) against addr and returns its output without the noise, the
// addresses and versions it prints normalized (they differ between any
// two ensembles).
func zkCliReconfig(t *testing.T, addr, script string) []string {
	t.Helper()
	out, errOut, err := zkref.RunInput(script, "org.apache.zookeeper.ZooKeeperMain", "-server", addr)
	if err != nil {
		t.Fatalf("ZooKeeperMain: %v", err)
	}
	noise := regexp.MustCompile(`^(Connecting to |Welcome to|JLine support|WATCHER::|WatchedEvent |WARN |ERROR |EndOfStreamException|\s+at |$)`)
	addrs := regexp.MustCompile(`=127\.0\.0\.1:\d+:\d+:`)
	version := regexp.MustCompile(`version=[0-9a-f]+`)
	stat := regexp.MustCompile(`^(cZxid|ctime|mZxid|mtime|pZxid|cversion|dataVersion|aclVersion|ephemeralOwner|dataLength|numChildren) = .*`)
	var lines []string
	for _, l := range strings.Split(out+"\n"+errOut, "\n") {
		if noise.MatchString(l) {
			continue
		}
		l = addrs.ReplaceAllString(l, "=ADDR:")
		l = version.ReplaceAllString(l, "version=V")
		l = stat.ReplaceAllString(l, "${1} = …")
		lines = append(lines, l)
	}
	return lines
}

// ZooKeeper's own client reconfigures a one-voter ensemble as it does a
// ZooKeeper 3.8 one with reconfigEnabled: refusals print the same
// messages, and the super user's commits print the new configuration.
func TestZooKeeperMainReconfigLikeZooKeeper38(t *testing.T) {
	zkref.Need(t)
	script := `reconfig -remove 1
reconfig -remove 9
reconfig -v 0 -remove 9
reconfig -add server.2=127.0.0.1:5:6;7
reconfig -add server.2=127.0.0.1:5:5;7
addauth digest ` + superSecret + `
reconfig -remove 9
config
quit
`
	s, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{Quorum: true,
		Config: []string{"reconfigEnabled=true"},
		Props:  []string{"-Dzookeeper.DigestAuthenticationProvider.superDigest=" + superDigest()}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	want := zkCliReconfig(t, s.Addr, script)

	cfg := testConfig(t, 1, 0)
	cfg.TickTime = time.Second // the JVM takes a while to start: sessions of 2..20 s
	cfg.ReconfigEnabled, cfg.SuperDigest = true, superDigest()
	e := start(t, cfg)
	got := zkCliReconfig(t, servePorts(t, e)[1], script)
	if !slices.Equal(got, want) {
		t.Errorf("output:\n%s\nZooKeeper 3.8's:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Logf("ZooKeeper 3.8 printed:\n%s", strings.Join(want, "\n"))
	if !slices.Contains(want, "Committed new configuration:") {
		t.Errorf("the script did not commit a reconfig:\n%s", strings.Join(want, "\n"))
	}
}

// ZooKeeper's own client removes a follower of a three-voter embedded
// ensemble and adds it back as an observer.
func TestZooKeeperMainRemoveAndAddBack(t *testing.T) {
	zkref.Need(t)
	cfg := testConfig(t, 3, 0)
	cfg.TickTime = time.Second
	cfg.ReconfigEnabled, cfg.SuperDigest = true, superDigest()
	e := start(t, cfg)
	addrs := servePorts(t, e)
	leader := e.Leader()
	f := leader%3 + 1
	script := fmt.Sprintf("addauth digest %s\nreconfig -remove %d\nreconfig -add server.%d=127.0.0.1:40001:40002:observer;40003\nquit\n", superSecret, f, f)
	out := strings.Join(zkCliReconfig(t, addrs[leader], script), "\n")
	if strings.Count(out, "Committed new configuration:") != 2 {
		t.Fatalf("ZooKeeperMain:\n%s", out)
	}
	last := out[strings.LastIndex(out, "Committed new configuration:"):]
	if want := fmt.Sprintf("server.%d=ADDR:observer;0.0.0.0:40003", f); !strings.Contains(last, want) {
		t.Errorf("the last configuration lacks %q:\n%s", want, last)
	}
	waitFor(t, "the member to observe", func() bool { st := e.Status(f); return st.Role == "OBSERVING" && st.Serving })
}
