package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
// through: it removes a server that is not a member. It returns the code
// and whether the answer is the new configuration, of the reconfig's
// version.
func reconfigAsSuper(t *testing.T, addr string) (int32, bool) {
	s := rawConnect(t, addr)
	s.call(jute.OpAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte(superSecret)})
	code, body, _ := s.call(jute.OpReconfig, &jute.ReconfigRequest{NullJoining: true, LeavingServers: "9", NullNewMembers: true, CurConfigID: -1})
	var gd jute.GetDataResponse
	if code != 0 || jute.DecodeRecord(body, &gd) != nil {
		return code, false
	}
	return code, strings.HasSuffix(string(gd.Data), fmt.Sprintf("\nversion=%x", s.zxid))
}

// With reconfigEnabled, a reconfig is checked as ZooKeeper 3.8's leader
// checks it, failing with the same code for each reason (and logged as
// an error txn), against a real one-voter ZooKeeper 3.8 quorum with
// reconfigEnabled=true; the super user's reconfig that passes every check
// commits in both and is answered with the new configuration.
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
	wantCode, wantNew := reconfigAsSuper(t, s.Addr)

	cfg := testConfig(t, 1, 0)
	cfg.ReconfigEnabled, cfg.SuperDigest = true, superDigest()
	e := start(t, cfg)
	addr := servePorts(t, e)[1]
	got := reconfigScript(t, addr)
	if !slices.Equal(got, want) {
		t.Errorf("reconfig answers differ from ZooKeeper 3.8's:\n%s", lineDiff(got, want))
	}
	if code, isNew := reconfigAsSuper(t, addr); code != wantCode || isNew != wantNew {
		t.Errorf("the super user's reconfig: %d (answered with the new config: %v); ZooKeeper 3.8: %d (%v)", code, isNew, wantCode, wantNew)
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

// waitFor polls cond until it holds (a state the ensemble must reach,
// not a time it must reach it in: the limit only ends a stuck test).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// configOf reads /zookeeper/config through addr after a sync.
func configOf(t *testing.T, addr string) string {
	t.Helper()
	c := rawConnect(t, addr)
	c.call(jute.OpSync, &jute.SyncRequest{Path: "/"})
	code, body, _ := c.call(jute.OpGetData, &jute.GetDataRequest{Path: datatree.ConfigPath})
	if code != 0 {
		t.Fatalf("getData %s at %s: %d", datatree.ConfigPath, addr, code)
	}
	var gd jute.GetDataResponse
	if err := jute.DecodeRecord(body, &gd); err != nil {
		t.Fatal(err)
	}
	return string(gd.Data)
}

// A follower removed, added back as an observer, made a voter again, and
// another follower made an observer: each reconfig commits, every member
// shows the new configuration (version = the reconfig's zxid) and writes
// it to zoo.cfg.dynamic.<version>, the members change roles, and the
// last configuration's majority is what writes then need.
func TestReconfigRemoveAndChangeRoles(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	cfg.ReconfigEnabled, cfg.SuperDigest = true, superDigest()
	e := start(t, cfg)
	addrs := servePorts(t, e)
	leader := e.Leader()
	var f []uint64
	for _, id := range e.Members() {
		if id != leader {
			f = append(f, id)
		}
	}
	s := rawConnect(t, addrs[leader])
	s.call(jute.OpAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte(superSecret)})
	reconfig := func(name string, r jute.ReconfigRequest) string {
		t.Helper()
		code, body, _ := s.call(jute.OpReconfig, &r)
		if code != 0 {
			t.Fatalf("%s: %d", name, code)
		}
		var gd jute.GetDataResponse
		if err := jute.DecodeRecord(body, &gd); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("version=%x", s.zxid)
		if !strings.HasSuffix(string(gd.Data), want) {
			t.Fatalf("%s answered %q, want the new config ending %s", name, gd.Data, want)
		}
		for _, id := range e.Members() {
			id := id
			waitFor(t, fmt.Sprintf("member %d to apply %s and serve", id, name), func() bool {
				st := e.Status(id)
				return st.Zxid >= s.zxid && st.Serving
			})
			if got := configOf(t, addrs[id]); got != string(gd.Data) {
				t.Errorf("%s: member %d's %s is\n%s\nwant\n%s", name, id, datatree.ConfigPath, got, gd.Data)
			}
			dataDir, _ := cfg.MemberDirs(id)
			if _, err := os.Stat(filepath.Join(dataDir, fmt.Sprintf("zoo.cfg.dynamic.%x", s.zxid))); err != nil {
				t.Errorf("%s: member %d: %v", name, id, err)
			}
		}
		return string(gd.Data)
	}
	write := func(what string) {
		t.Helper()
		code, _, _ := s.call(jute.OpCreate, &jute.CreateRequest{Path: "/" + what, ACL: jute.OpenACL})
		if code != 0 {
			t.Fatalf("create /%s: %d", what, code)
		}
	}
	leave := func(id uint64) jute.ReconfigRequest {
		return jute.ReconfigRequest{NullJoining: true, LeavingServers: fmt.Sprint(id), NullNewMembers: true, CurConfigID: -1}
	}
	join := func(id uint64, role string) jute.ReconfigRequest {
		return jute.ReconfigRequest{JoiningServers: fmt.Sprintf("server.%d=127.0.0.1:%d:%d:%s;%d", id, 30000+id, 31000+id, role, 32000+id),
			NullLeaving: true, NullNewMembers: true, CurConfigID: -1}
	}

	got := reconfig("remove a follower", leave(f[0]))
	if strings.Contains(got, fmt.Sprintf("server.%d=", f[0])) {
		t.Errorf("removed member still listed: %q", got)
	}
	write("after-remove")
	if st := e.Status(f[0]); st.Role != "FOLLOWING" || !st.Serving {
		t.Errorf("the removed member goes on as a non-voting follower; it is %s serving=%v", st.Role, st.Serving)
	}
	// Restarted, it reads the configuration from its dynamic file and
	// follows again without a vote.
	if err := e.StopMember(f[0]); err != nil {
		t.Fatal(err)
	}
	if err := e.RestartMember(f[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the removed member to follow again", func() bool { st := e.Status(f[0]); return st.Serving && st.Role == "FOLLOWING" })
	if c := configOf(t, addrs[f[0]]); c != got {
		t.Errorf("after a restart the removed member's config is\n%s\nwant\n%s", c, got)
	}

	reconfig("add it back as an observer", join(f[0], "observer"))
	waitFor(t, "the member to observe", func() bool { st := e.Status(f[0]); return st.Role == "OBSERVING" && st.Serving })
	write("after-observer")

	reconfig("make it a voter again", join(f[0], "participant"))
	waitFor(t, "the member to follow", func() bool { st := e.Status(f[0]); return st.Role == "FOLLOWING" && st.Serving })
	write("after-participant")

	reconfig("make the other follower an observer", join(f[1], "observer"))
	waitFor(t, "the other follower to observe", func() bool { st := e.Status(f[1]); return st.Role == "OBSERVING" && st.Serving })
	if !e.Status(f[1]).Observer {
		t.Errorf("member %d's status does not say observer", f[1])
	}
	write("after-second-observer")

	// Voters are now the leader and f[0]: without f[0] the leader has no
	// majority, though with the first configuration it and f[1] would.
	if err := e.StopMember(f[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the leader to lose its quorum", func() bool { return e.Status(leader).Role != "LEADING" || !e.Status(leader).Serving })
}

// A member the ensemble did not start with is started (AddMember),
// follows without a vote, and joins as a voter by reconfig; another joins
// as an observer. The new voter then counts: with one follower of the first
// configuration stopped, the leader, the other and the new one are a
// majority of four.
func TestReconfigAddMembers(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	cfg.ReconfigEnabled, cfg.SuperDigest = true, superDigest()
	e := start(t, cfg)
	addrs := servePorts(t, e)
	leader := e.Leader()
	s := rawConnect(t, addrs[leader])
	s.call(jute.OpAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte(superSecret)})
	join := func(id uint64, role string) int32 {
		code, _, _ := s.call(jute.OpReconfig, &jute.ReconfigRequest{JoiningServers: fmt.Sprintf("server.%d=127.0.0.1:%d:%d:%s;%d", id, 30000+id, 31000+id, role, 32000+id),
			NullLeaving: true, NullNewMembers: true, CurConfigID: -1})
		return code
	}
	if code := join(4, "participant"); code != int32(datatree.Unimplemented) {
		t.Fatalf("adding a server the ensemble does not run: %d, want %d", code, datatree.Unimplemented)
	}
	if err := e.AddMember(4); err != nil {
		t.Fatal(err)
	}
	if err := e.AddMember(4); err == nil {
		t.Fatal("AddMember of a running id succeeded")
	}
	waitFor(t, "the new member to follow without a vote", func() bool { st := e.Status(4); return st.Serving && st.Role == "FOLLOWING" })
	if code := join(4, "participant"); code != 0 {
		t.Fatalf("add member 4 as a participant: %d", code)
	}
	waitFor(t, "member 4 to follow", func() bool { st := e.Status(4); return st.Role == "FOLLOWING" && st.Serving })
	if err := e.AddMember(5); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "member 5 to learn", func() bool { return e.Status(5).Serving })
	if code := join(5, "observer"); code != 0 {
		t.Fatalf("add member 5 as an observer: %d", code)
	}
	waitFor(t, "member 5 to observe", func() bool { st := e.Status(5); return st.Role == "OBSERVING" && st.Serving && st.Observer })
	code, body, _ := s.call(jute.OpGetData, &jute.GetDataRequest{Path: datatree.ConfigPath})
	var gd jute.GetDataResponse
	if code != 0 || jute.DecodeRecord(body, &gd) != nil {
		t.Fatalf("getData config: %d", code)
	}
	for _, want := range []string{"server.4=127.0.0.1:30004:31004:participant;0.0.0.0:32004", "server.5=127.0.0.1:30005:31005:observer;0.0.0.0:32005"} {
		if !strings.Contains(string(gd.Data), want) {
			t.Errorf("config lacks %s:\n%s", want, gd.Data)
		}
	}
	f := leader%3 + 1
	if err := e.StopMember(f); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := s.call(jute.OpCreate, &jute.CreateRequest{Path: "/with-member-4", ACL: jute.OpenACL}); code != 0 {
		t.Fatalf("write with voters %d of the first configuration stopped: %d", f, code)
	}
	waitFor(t, "member 4 to apply the write", func() bool { return e.Status(4).Zxid >= s.zxid })
}

// A member away while a reconfig committed, and brought back by a SNAP
// (the reconfig txn is not replayed to it), takes the configuration the
// snapshot holds.
func TestReconfigReachesMemberSyncedBySnap(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	cfg.ReconfigEnabled, cfg.SuperDigest = true, superDigest()
	cfg.CommitLogCount = 1 // a member a few txns behind gets a SNAP
	e := start(t, cfg)
	addrs := servePorts(t, e)
	leader := e.Leader()
	f := leader%3 + 1
	other := 6 - leader - f
	if err := e.StopMember(f); err != nil {
		t.Fatal(err)
	}
	s := rawConnect(t, addrs[leader])
	s.call(jute.OpAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte(superSecret)})
	code, _, _ := s.call(jute.OpReconfig, &jute.ReconfigRequest{JoiningServers: fmt.Sprintf("server.%d=127.0.0.1:30001:31001:observer;32001", f),
		NullLeaving: true, NullNewMembers: true, CurConfigID: -1})
	if code != 0 {
		t.Fatalf("make the stopped member an observer: %d", code)
	}
	for i := range 5 {
		s.call(jute.OpCreate, &jute.CreateRequest{Path: fmt.Sprintf("/n%d", i), ACL: jute.OpenACL})
	}
	want := configOf(t, addrs[leader])
	if err := e.RestartMember(f); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the member to come back as an observer", func() bool {
		st := e.Status(f)
		return st.Role == "OBSERVING" && st.Serving && st.Zxid >= s.zxid
	})
	if got := configOf(t, addrs[f]); got != want {
		t.Errorf("the member's config\n%s\nthe leader's\n%s", got, want)
	}
	if got := configOf(t, addrs[other]); got != want {
		t.Errorf("member %d's config\n%s\nthe leader's\n%s", other, got, want)
	}
}

// A single voter adds a second: the joiner's acknowledgements, as a
// non-voting follower, make the majority of the new configuration, as
// ZooKeeper's joiner's do; from then on a write needs both.
func TestReconfigJoinerMakesTheNewQuorum(t *testing.T) {
	cfg := testConfig(t, 1, 0)
	cfg.ReconfigEnabled, cfg.SuperDigest = true, superDigest()
	e := start(t, cfg)
	addrs := servePorts(t, e)
	if err := e.AddMember(2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the joiner to follow", func() bool { st := e.Status(2); return st.Serving && st.Role == "FOLLOWING" })
	s := rawConnect(t, addrs[1])
	s.call(jute.OpAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte(superSecret)})
	code, _, _ := s.call(jute.OpReconfig, &jute.ReconfigRequest{JoiningServers: "server.2=127.0.0.1:30002:31002:participant;32002",
		NullLeaving: true, NullNewMembers: true, CurConfigID: -1})
	if code != 0 {
		t.Fatalf("add the joiner: %d", code)
	}
	if code, _, _ := s.call(jute.OpCreate, &jute.CreateRequest{Path: "/two", ACL: jute.OpenACL}); code != 0 {
		t.Fatalf("write with two voters: %d", code)
	}
	if err := e.StopMember(2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the leader to lose its quorum of two", func() bool { return !e.Status(1).Serving || e.Status(1).Role != "LEADING" })
}

// The leader removed, or made an observer: the reconfig commits and is
// answered, then the leader steps down and the remaining voters elect one
// of themselves (ZooKeeper designates one without an election); the old
// leader goes on without a vote.
func TestReconfigRemovesOrDemotesTheLeader(t *testing.T) {
	for _, tc := range []struct{ name, role string }{{"remove", ""}, {"make observer", "observer"}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, 3, 0)
			cfg.ReconfigEnabled, cfg.SuperDigest = true, superDigest()
			e := start(t, cfg)
			addrs := servePorts(t, e)
			leader := e.Leader()
			s := rawConnect(t, addrs[leader])
			s.call(jute.OpAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte(superSecret)})
			r := jute.ReconfigRequest{NullJoining: true, LeavingServers: fmt.Sprint(leader), NullNewMembers: true, CurConfigID: -1}
			if tc.role != "" {
				r = jute.ReconfigRequest{JoiningServers: fmt.Sprintf("server.%d=127.0.0.1:30001:31001:%s;32001", leader, tc.role),
					NullLeaving: true, NullNewMembers: true, CurConfigID: -1}
			}
			if code, _, _ := s.call(jute.OpReconfig, &r); code != 0 {
				t.Fatalf("reconfig: %d", code)
			}
			waitFor(t, "another leader", func() bool { l := e.Leader(); return l != 0 && l != leader })
			want := "FOLLOWING"
			if tc.role == "observer" {
				want = "OBSERVING"
			}
			waitFor(t, "the old leader to learn", func() bool { st := e.Status(leader); return st.Serving && st.Role == want })
			c := rawConnect(t, addrs[e.Leader()])
			if code, _, _ := c.call(jute.OpCreate, &jute.CreateRequest{Path: "/after", ACL: jute.OpenACL}); code != 0 {
				t.Fatalf("write under the new leader: %d", code)
			}
			want = configOf(t, addrs[e.Leader()])
			for _, id := range e.Members() {
				waitFor(t, "every member to apply the write", func() bool { return e.Status(id).Zxid >= c.zxid })
				if got := configOf(t, addrs[id]); got != want {
					t.Errorf("member %d's config\n%s\nthe leader's\n%s", id, got, want)
				}
			}
		})
	}
}

// A reconfig sent to a follower is forwarded with the session's auth ids
// and checked and committed by the leader: the super user's from a
// follower's port succeeds, anyone else's fails there with ZNOAUTH.
func TestReconfigThroughAFollower(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	cfg.ReconfigEnabled, cfg.SuperDigest = true, superDigest()
	e := start(t, cfg)
	addrs := servePorts(t, e)
	f := e.Leader()%3 + 1
	other := 6 - e.Leader() - f
	r := jute.ReconfigRequest{JoiningServers: fmt.Sprintf("server.%d=127.0.0.1:30001:31001:observer;32001", other),
		NullLeaving: true, NullNewMembers: true, CurConfigID: -1}
	c := rawConnect(t, addrs[f])
	if code, _, _ := c.call(jute.OpReconfig, &r); code != int32(datatree.NoAuth) {
		t.Fatalf("not super, through a follower: %d, want %d", code, datatree.NoAuth)
	}
	c.call(jute.OpAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte(superSecret)})
	if code, _, _ := c.call(jute.OpReconfig, &r); code != 0 {
		t.Fatalf("super, through a follower: %d", code)
	}
	waitFor(t, "the member to observe", func() bool { st := e.Status(other); return st.Role == "OBSERVING" && st.Serving })
}

// A member that first serves in a later epoch takes the ensemble's
// configuration version from the leader's NEWLEADER, not from the epoch
// it joined in.
func TestReconfigVersionFromTheLeader(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	cfg.ReconfigEnabled = true
	e := start(t, cfg)
	addrs := servePorts(t, e)
	if err := e.StopMember(e.Leader()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a leader of the next epoch", func() bool { return e.Leader() != 0 })
	want := configOf(t, addrs[e.Leader()])
	if !strings.HasSuffix(want, "\nversion=100000000") {
		t.Fatalf("the config after a leader change:\n%s\nwant the first epoch's version", want)
	}
	if err := e.AddMember(4); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new member to follow", func() bool { st := e.Status(4); return st.Serving && st.Role == "FOLLOWING" })
	list, err := e.ListenClients("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	got := configOf(t, list[len(list)-1])
	if !strings.HasSuffix(got, "\nversion=100000000") {
		t.Errorf("the new member's config:\n%s\nwant the leader's version 100000000", got)
	}
}

// SpareMembers start beside the configuration, following without a vote,
// and are refused where no reconfig could add them.
func TestSpareMembers(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	cfg.SpareMembers = 1
	if _, err := Start(cfg); !errors.Is(err, ErrConfig) {
		t.Fatalf("spare members with reconfigEnabled off: %v, want ErrConfig", err)
	}
	cfg.ReconfigEnabled = true
	e := start(t, cfg)
	if got := e.Members(); !slices.Equal(got, []uint64{1, 2, 3, 4}) {
		t.Fatalf("members %v, want 1..3 and the spare 4", got)
	}
	waitFor(t, "the spare to follow without a vote", func() bool { st := e.Status(4); return st.Serving && st.Role == "FOLLOWING" })
}
