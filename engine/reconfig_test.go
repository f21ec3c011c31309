package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
	"zkbench/engine/server"
	"zkbench/internal/zkref"
)

// superSecret authenticates the super user of the reconfig tests.
const superSecret = "super:zkbench"

func superDigest() string { return server.DigestAuth([]byte(superSecret)).ID }

// reconfigScript sends reconfig requests that a one-voter quorum with
// reconfigEnabled refuses, each for another of ZooKeeper 3.8's reasons,
// and returns one line per request: its code and how far the zxid moved
// (a refused reconfig is an error txn). version is the configuration's
// version as /zookeeper/config gives it.
func reconfigScript(t *testing.T, addr string) []string {
	c := rawConnect(t, addr)
	c.call(jute.OpSync, &jute.SyncRequest{Path: "/"})
	code, body, _ := c.call(jute.OpGetData, &jute.GetDataRequest{Path: datatree.ConfigPath})
	if code != 0 {
		t.Fatalf("getData %s: %d", datatree.ConfigPath, code)
	}
	var gd jute.GetDataResponse
	if err := jute.DecodeRecord(body, &gd); err != nil {
		t.Fatal(err)
	}
	var version int64
	if i := strings.LastIndex(string(gd.Data), "version="); i < 0 {
		t.Fatalf("config without a version: %q", gd.Data)
	} else if _, err := fmt.Sscanf(string(gd.Data[i:]), "version=%x", &version); err != nil {
		t.Fatal(err)
	}
	out := []string{fmt.Sprintf("config version is the first epoch's: %v", version == 1<<32)}
	last := c.zxid
	do := func(name string, r jute.ReconfigRequest) {
		t.Helper()
		code, _, closed := c.call(jute.OpReconfig, &r)
		if closed {
			out = append(out, name+": connection closed")
			return
		}
		out = append(out, fmt.Sprintf("%s: %d zxid+%d", name, code, c.zxid-last))
		last = c.zxid
	}
	inc := func(name, joining, leaving string, from int64) {
		t.Helper()
		do(name, jute.ReconfigRequest{JoiningServers: joining, NullJoining: joining == "",
			LeavingServers: leaving, NullLeaving: leaving == "", NullNewMembers: true, CurConfigID: from})
	}
	whole := func(name, members string) {
		t.Helper()
		do(name, jute.ReconfigRequest{NullJoining: true, NullLeaving: true, NewMembers: members, CurConfigID: -1})
	}
	inc("remove the only voter", "", "1", -1)
	inc("from version 0", "", "9", 0)
	inc("from an old version", "", "9", version-1)
	inc("remove a stranger, not super", "", "9", version)
	inc("leave id not a number", "", "x", -1)
	inc("leave list with blanks", "", " , 9 ,", -1)
	inc("add a voter not synced", "server.2=127.0.0.1:5:6;7", "", -1)
	inc("add an observer, not super", "server.2=127.0.0.1:5:6:observer;7", "", -1)
	inc("add without client port", "server.2=127.0.0.1:5:6", "", -1)
	inc("same quorum and election port", "server.2=127.0.0.1:5:5;7", "", -1)
	inc("port out of range", "server.2=127.0.0.1:5:70000;7", "", -1)
	inc("client port out of range", "server.2=127.0.0.1:5:6;99999", "", -1)
	inc("client port not a number", "server.2=127.0.0.1:5:6;x", "", -1)
	inc("unknown role", "server.2=127.0.0.1:5:6:bogus;7", "", -1)
	inc("id not a number", "server.x=127.0.0.1:5:6;7", "", -1)
	inc("two equals signs", "server.2=a=b", "", -1)
	inc("too few ports", "server.2=127.0.0.1:5;7", "", -1)
	inc("two addresses", "server.2=127.0.0.1:5:6|127.0.0.1:7:8;9", "", -1)
	inc("address taken", "server.2=10.0.0.1:5:6:observer;7,server.3=10.0.0.1:5:8:observer;9", "", -1)
	inc("loopback may repeat", "server.2=127.0.0.1:5:6:observer;7,server.3=127.0.0.1:5:8:observer;9", "", -1)
	inc("ipv6 observer", "server.2=[::1]:5:6:observer;[::1]:7", "", -1)
	inc("bracket without port", "server.2=[::1]:5:6:observer;[::1]", "", -1)
	whole("same voter, not super", "server.1=127.0.0.1:5:6;7")
	whole("unknown key", "server.1=127.0.0.1:5:6;7,foo=bar")
	whole("only an observer", "server.2=127.0.0.1:5:6:observer;7")
	whole("bad version", "server.1=127.0.0.1:5:6;7,version=zz")
	whole("id not a number", "server.q=127.0.0.1:5:6;7")
	whole("nobody", "")
	whole("two voters not synced", "server.1=127.0.0.1:5:6;7\nserver.2=127.0.0.1:8:9;10")
	return out
}

// reconfigAsSuper sends, as the super user, a reconfig every check lets
// through: it removes a server that is not a member.
func reconfigAsSuper(t *testing.T, addr string) int32 {
	s := rawConnect(t, addr)
	s.call(jute.OpAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte(superSecret)})
	code, _, _ := s.call(jute.OpReconfig, &jute.ReconfigRequest{NullJoining: true, LeavingServers: "9", NullNewMembers: true, CurConfigID: -1})
	return code
}

// With reconfigEnabled, a reconfig is checked as ZooKeeper 3.8's leader
// checks it, failing with the same code for each reason (and logged as
// an error txn), against a real one-voter ZooKeeper 3.8 quorum with
// reconfigEnabled=true. A reconfig that passes every check is applied by
// ZooKeeper and refused with ZUNIMPLEMENTED here.
func TestReconfigChecksLikeZooKeeper38(t *testing.T) {
	zkref.Need(t)
	s, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{Quorum: true,
		Config: []string{"reconfigEnabled=true"},
		Props:  []string{"-Dzookeeper.DigestAuthenticationProvider.superDigest=" + superDigest()}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	want := reconfigScript(t, s.Addr)
	if code := reconfigAsSuper(t, s.Addr); code != 0 {
		t.Errorf("ZooKeeper 3.8: the super user's reconfig: %d, want 0", code)
	}

	cfg := testConfig(t, 1, 0)
	cfg.ReconfigEnabled, cfg.SuperDigest = true, superDigest()
	e := start(t, cfg)
	addr := servePorts(t, e)[1]
	got := reconfigScript(t, addr)
	if !slices.Equal(got, want) {
		var diff strings.Builder
		for i := range max(len(got), len(want)) {
			g, w := "", ""
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			mark := "  "
			if g != w {
				mark = "≠ "
			}
			fmt.Fprintf(&diff, "%sours: %s\n  zk:   %s\n", mark, g, w)
		}
		t.Errorf("reconfig answers differ from ZooKeeper 3.8's:\n%s", diff.String())
	}
	if code := reconfigAsSuper(t, addr); code != int32(datatree.Unimplemented) {
		t.Errorf("the super user's reconfig: %d, want %d (not put into effect)", code, datatree.Unimplemented)
	}
	dataDir, _ := cfg.MemberDirs(1)
	b, err := os.ReadFile(filepath.Join(dataDir, "zoo.cfg.dynamic.100000000"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "server.1=127.0.0.1:0:0:participant") {
		t.Errorf("dynamic config file: %q", b)
	}
}
