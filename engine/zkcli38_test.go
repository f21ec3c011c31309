package engine

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"zkbench/internal/zkref"
)

// zkCliScript is one ZooKeeperMain session (zkCli.sh's engine) using the
// commands of ZooKeeper 3.6..3.8: addWatch (recursive by default, and
// persistent), removewatches, getEphemerals, getAllChildrenNumber,
// whoami, reconfig and config.
const zkCliScript = `create /j v
create -e /j/e1
create -e /j/e2
addWatch /j
set /j x
create /j/c
set /j/c y
delete /j/c
addWatch -m PERSISTENT /k
create /k
create /k/c
set /k v
getEphemerals
getEphemerals /j/e2
getAllChildrenNumber /
getAllChildrenNumber /j
getAllChildrenNumber /nope
whoami
addauth digest alice:secret
whoami
removewatches /j
removewatches /j
set /j z
removewatches /k -d
set /k w
create /k/d
reconfig -remove 3
reconfig -add server.5=127.0.0.1:1:2;3
ls /j
quit
`

// zkCli runs zkCliScript against addr and returns what it printed,
// stdout and stderr, with its notifications apart and sorted: they are
// printed by the client's event thread, which may run behind the
// commands' output.
func zkCli(t *testing.T, addr string) (lines, events []string) {
	t.Helper()
	out, errOut, err := zkref.RunInput(zkCliScript, "org.apache.zookeeper.ZooKeeperMain", "-server", addr)
	if err != nil {
		t.Fatalf("ZooKeeperMain: %v", err)
	}
	noise := regexp.MustCompile(`^(Connecting to |Welcome to|JLine support|WATCHER::|WARN |ERROR |EndOfStreamException|\s+at |$)`)
	for _, l := range strings.Split(out+"\n"+errOut, "\n") {
		switch {
		case strings.HasPrefix(l, "WatchedEvent "):
			events = append(events, l)
		case !noise.MatchString(l):
			lines = append(lines, l)
		}
	}
	slices.Sort(events)
	return lines, events
}

// ZooKeeper's own client gets the same answers and notifications from a
// follower's client port as from ZooKeeper 3.8 for the commands of 3.6
// and later.
func TestZooKeeperMainNewCommandsLikeZooKeeper38(t *testing.T) {
	zkref.Need(t)
	s, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{Quorum: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	wantLines, wantEvents := zkCli(t, s.Addr)

	cfg := testConfig(t, 3, 0)
	cfg.TickTime = time.Second // the JVM takes a while to start: sessions of 2..20 s
	e := start(t, cfg)
	addrs := servePorts(t, e)
	follower := uint64(1)
	if e.Leader() == 1 {
		follower = 2
	}
	gotLines, gotEvents := zkCli(t, addrs[follower])
	if !slices.Equal(gotLines, wantLines) {
		t.Errorf("output:\n%s\nZooKeeper 3.8's:\n%s", strings.Join(gotLines, "\n"), strings.Join(wantLines, "\n"))
	}
	if !slices.Equal(gotEvents, wantEvents) {
		t.Errorf("notifications:\n%s\nZooKeeper 3.8's:\n%s", strings.Join(gotEvents, "\n"), strings.Join(wantEvents, "\n"))
	}
	if !slices.Contains(wantLines, "KeeperErrorCode = Reconfig is disabled") || len(wantEvents) < 8 {
		t.Errorf("the script did not do what it is for:\n%s\n%s", strings.Join(wantLines, "\n"), strings.Join(wantEvents, "\n"))
	}
}
