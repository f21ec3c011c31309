package engine

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"zkbench/engine/transport"
	"zkbench/internal/zkref"
)

func TestQuorumConfigFormat(t *testing.T) {
	addrs := map[uint64]string{1: "127.0.0.1:40001", 2: "127.0.0.1:40002", 3: "[::1]:40003"}
	got := string(quorumConfig(staticMembers([]uint64{1, 2}, []uint64{3}, func(id uint64) string { return addrs[id] }), 0))
	want := "server.1=127.0.0.1:40001:40001:participant\nserver.2=127.0.0.1:40002:40002:participant\n" +
		"server.3=[::1]:40003:40003:observer\nversion=0"
	if got != want {
		t.Errorf("config\n%s\nwant\n%s", got, want)
	}
	if got := string(quorumConfig(staticMembers([]uint64{1}, nil, func(uint64) string { return "" }), 0x100000000)); got != "server.1=127.0.0.1:0:0:participant\nversion=100000000" {
		t.Errorf("in-process config %q", got)
	}
	dyn := string(dynamicConfig(staticMembers([]uint64{2, 10}, []uint64{11}, func(uint64) string { return "" })))
	if want := "server.10=127.0.0.1:0:0:participant\nserver.11=127.0.0.1:0:0:observer\nserver.2=127.0.0.1:0:0:participant"; dyn != want {
		t.Errorf("dynamic config file\n%s\nwant (sorted as strings, no version, no final break)\n%s", dyn, want)
	}
}

// configShape is what ZooKeeper 3.8 writes for a member of a static
// configuration.
var configShape = regexp.MustCompile(`^(server\.\d+=127\.0\.0\.1:\d+:\d+:(participant|observer)\n)+version=0$`)

// Every member's /zookeeper/config lists the ensemble, with the peer
// addresses of the TCP transport, in the shape and with the Stat a
// ZooKeeper 3.8 quorum member gives it; reconfig is refused as
// ZooKeeper refuses it with reconfigEnabled off, through go-zookeeper.
func TestZookeeperConfigNode(t *testing.T) {
	zkref.Need(t)
	s, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{Quorum: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	ref, err := s.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	refData, refStat, err := ref.Get("/zookeeper/config")
	if err != nil || !configShape.Match(refData) {
		t.Fatalf("ZooKeeper's config %q, %v: the test's idea of its shape is wrong", refData, err)
	}
	_, refErr := ref.IncrementalReconfig(nil, []string{"3"}, -1)
	t.Logf("ZooKeeper's reconfig: %v", refErr)

	cfg := testConfig(t, 3, 1)
	cfg.Transport = TransportTCP
	e := start(t, cfg)
	addrs := servePorts(t, e)
	tcp := e.net.(*transport.TCP)
	var want strings.Builder
	for id := uint64(1); id <= 4; id++ {
		_, port, _ := strings.Cut(tcp.Addr(id), ":")
		role := "participant"
		if id == 4 {
			role = "observer"
		}
		fmt.Fprintf(&want, "server.%d=127.0.0.1:%s:%s:%s\n", id, port, port, role)
	}
	want.WriteString("version=0")
	for _, id := range e.Members() {
		c := zkConnect(t, addrs[id])
		data, st, err := c.Get("/zookeeper/config")
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != want.String() || !configShape.Match(data) {
			t.Errorf("member %d: config\n%s\nwant\n%s", id, data, want.String())
		}
		// Times aside, the Stat is ZooKeeper's.
		st.Mtime, refStat.Mtime = 0, 0
		ref := *refStat
		ref.DataLength = int32(len(data))
		if *st != ref {
			t.Errorf("member %d: stat %+v, ZooKeeper's %+v", id, *st, ref)
		}
		_, err = c.IncrementalReconfig(nil, []string{"3"}, -1)
		if !errors.Is(err, refErr) || refErr == nil {
			t.Errorf("member %d: reconfig: %v, ZooKeeper's %v", id, err, refErr)
		}
	}
}
