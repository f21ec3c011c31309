package engine

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"zkbench/engine/jute"
	"zkbench/engine/server"
	"zkbench/internal/zkref"
)

// protocolScript sends the requests ZooKeeper 3.6..3.8 added (addWatch,
// checkWatches, removeWatches, setWatches2, getEphemerals,
// getAllChildrenNumber, whoAmI, sasl, reconfig) over two raw
// connections to addr, with the writes that make them interesting, and
// returns one line per request: its error code, its body as the test
// can compare it (ZooKeeper's own order of lists included), the
// notifications its connection read before the reply, and how far the
// reply's zxid is past the one before (a write, even a failed one, is a
// txn).
func protocolScript(t *testing.T, addr string) []string {
	a, b := rawConnect(t, addr), rawConnect(t, addr)
	var out []string
	a.call(jute.OpSync, &jute.SyncRequest{Path: "/"}) // both sessions' createSession applied here
	last := a.zxid                                    // the zxid of the reply before: how far each request moved it
	do := func(c *rawClient, name string, op int32, rec jute.Record) {
		t.Helper()
		code, body, closed := c.call(op, rec)
		if closed {
			out = append(out, name+": connection closed")
			return
		}
		moved := c.zxid - last // sasl's and auth's replies carry zxid 0, which leaves c.zxid
		last = c.zxid
		out = append(out, fmt.Sprintf("%s: %d %s %v zxid+%d", name, code, showBody(op, code, body), c.takeEvents(), moved))
	}
	create := func(c *rawClient, path string, flags int32, acl []jute.ACL) {
		t.Helper()
		do(c, "create "+path, jute.OpCreate, &jute.CreateRequest{Path: path, ACL: acl, Flags: flags})
	}
	setData := func(c *rawClient, path string) {
		t.Helper()
		do(c, "setData "+path, jute.OpSetData, &jute.SetDataRequest{Path: path, Data: []byte("x"), Version: -1})
	}
	open := jute.OpenACL
	create(a, "/w", jute.FlagPersistent, open)
	create(a, "/w/e", jute.FlagEphemeral, open)
	create(a, "/w/e2", jute.FlagEphemeral, open)
	create(a, "/we", jute.FlagEphemeral, open)

	do(a, "addWatch persistent /w", jute.OpAddWatch, &jute.AddWatchRequest{Path: "/w", Mode: jute.AddWatchPersistent})
	do(a, "addWatch bad mode", jute.OpAddWatch, &jute.AddWatchRequest{Path: "/w", Mode: 7})
	do(a, "addWatch missing node", jute.OpAddWatch, &jute.AddWatchRequest{Path: "/later", Mode: jute.AddWatchPersistent})
	setData(a, "/w")
	setData(a, "/w")
	create(a, "/w/c", jute.FlagPersistent, open)
	setData(a, "/w/c")
	create(a, "/later", jute.FlagPersistent, open)
	do(a, "addWatch recursive /w", jute.OpAddWatch, &jute.AddWatchRequest{Path: "/w", Mode: jute.AddWatchPersistentRecursive})
	setData(a, "/w/c")
	create(a, "/w/c/d", jute.FlagPersistent, open)

	do(a, "checkWatches /w data", jute.OpCheckWatches, &jute.CheckWatchesRequest{Path: "/w", Type: jute.WatcherData})
	do(a, "checkWatches bad type", jute.OpCheckWatches, &jute.CheckWatchesRequest{Path: "/w", Type: 9})
	do(a, "checkWatches /nope", jute.OpCheckWatches, &jute.CheckWatchesRequest{Path: "/nope", Type: jute.WatcherAny})
	do(b, "checkWatches another's watch", jute.OpCheckWatches, &jute.CheckWatchesRequest{Path: "/w", Type: jute.WatcherChildren})
	do(b, "removeWatches another's watch", jute.OpRemoveWatches, &jute.RemoveWatchesRequest{Path: "/w", Type: jute.WatcherAny})
	do(a, "removeWatches /w data", jute.OpRemoveWatches, &jute.RemoveWatchesRequest{Path: "/w", Type: jute.WatcherData})
	do(a, "removeWatches /w data again", jute.OpRemoveWatches, &jute.RemoveWatchesRequest{Path: "/w", Type: jute.WatcherData})
	do(a, "checkWatches /w data after", jute.OpCheckWatches, &jute.CheckWatchesRequest{Path: "/w", Type: jute.WatcherData})
	do(a, "checkWatches /w children after", jute.OpCheckWatches, &jute.CheckWatchesRequest{Path: "/w", Type: jute.WatcherChildren})
	setData(a, "/w/c") // the child half of a recursive watch hears no data change
	do(a, "delete /w/c/d", jute.OpDelete, &jute.DeleteRequest{Path: "/w/c/d", Version: -1})
	do(a, "removeWatches bad type", jute.OpRemoveWatches, &jute.RemoveWatchesRequest{Path: "/w", Type: 0})
	do(a, "removeWatches /w any", jute.OpRemoveWatches, &jute.RemoveWatchesRequest{Path: "/w", Type: jute.WatcherAny})
	setData(a, "/w")

	do(a, "getEphemerals /", jute.OpGetEphemerals, &jute.GetEphemeralsRequest{PrefixPath: "/"})
	do(a, "getEphemerals blank", jute.OpGetEphemerals, &jute.GetEphemeralsRequest{PrefixPath: "  "})
	do(a, "getEphemerals /w", jute.OpGetEphemerals, &jute.GetEphemeralsRequest{PrefixPath: "/w"})
	do(a, "getEphemerals /w/", jute.OpGetEphemerals, &jute.GetEphemeralsRequest{PrefixPath: "/w/"})
	do(a, "getEphemerals /none", jute.OpGetEphemerals, &jute.GetEphemeralsRequest{PrefixPath: "/none"})
	do(b, "getEphemerals of a session without", jute.OpGetEphemerals, &jute.GetEphemeralsRequest{PrefixPath: "/"})

	do(a, "getAllChildrenNumber /", jute.OpGetAllChildrenNumber, &jute.GetAllChildrenNumberRequest{Path: "/"})
	do(a, "getAllChildrenNumber /w", jute.OpGetAllChildrenNumber, &jute.GetAllChildrenNumberRequest{Path: "/w"})
	do(a, "getAllChildrenNumber /zookeeper", jute.OpGetAllChildrenNumber, &jute.GetAllChildrenNumberRequest{Path: "/zookeeper"})
	do(a, "getAllChildrenNumber /nope", jute.OpGetAllChildrenNumber, &jute.GetAllChildrenNumberRequest{Path: "/nope"})

	do(a, "whoAmI", jute.OpWhoAmI, nil)
	do(a, "auth alice", jute.OpAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte("alice:secret")})
	do(a, "whoAmI after auth", jute.OpWhoAmI, nil)
	alice := []jute.ACL{{Perms: jute.PermAll, ID: server.DigestAuth([]byte("alice:secret"))}}
	create(a, "/private", jute.FlagPersistent, alice)
	setData(a, "/private")
	setData(b, "/private")
	do(b, "getAllChildrenNumber /private", jute.OpGetAllChildrenNumber, &jute.GetAllChildrenNumberRequest{Path: "/private"})
	do(a, "getAllChildrenNumber /private", jute.OpGetAllChildrenNumber, &jute.GetAllChildrenNumberRequest{Path: "/private"})

	// A reconnecting client's setWatches2: persistent watches come back
	// without firing for what they missed.
	do(b, "setWatches2", jute.OpSetWatches2, &jute.SetWatches2{RelativeZxid: b.zxid,
		DataWatches: []string{}, ExistWatches: []string{}, ChildWatches: []string{},
		PersistentWatches: []string{"/w"}, PersistentRecursiveWatches: []string{"/later"}})
	setData(b, "/w")
	create(b, "/later/x", jute.FlagPersistent, open)
	do(b, "setWatches of stale watches", jute.OpSetWatches, &jute.SetWatches{RelativeZxid: 1,
		DataWatches: []string{"/w", "/gone"}, ExistWatches: []string{"/later"}, ChildWatches: []string{"/w"}})
	do(b, "checkWatches after setWatches2", jute.OpCheckWatches, &jute.CheckWatchesRequest{Path: "/later", Type: jute.WatcherData})

	do(b, "sasl", jute.OpSASL, &jute.GetSASLRequest{Token: []byte{}})
	do(b, "exists after sasl", jute.OpExists, &jute.ExistsRequest{Path: "/w"})
	do(b, "reconfig", jute.OpReconfig, &jute.ReconfigRequest{NullJoining: true, NullLeaving: true,
		NewMembers: "server.1=127.0.0.1:1:2;3", CurConfigID: -1})
	do(b, "incremental reconfig", jute.OpReconfig, &jute.ReconfigRequest{JoiningServers: "server.9=127.0.0.1:1:2;3",
		NullLeaving: true, NullNewMembers: true, CurConfigID: -1})
	return out
}

// showBody renders a reply body so that two servers' answers compare:
// stats are left out (they hold times and zxids).
func showBody(op, code int32, body []byte) string {
	if code != 0 {
		return hex.EncodeToString(body)
	}
	switch op {
	case jute.OpGetEphemerals:
		var r jute.GetEphemeralsResponse
		if jute.DecodeRecord(body, &r) != nil {
			return "undecodable " + hex.EncodeToString(body)
		}
		return fmt.Sprint(r.Ephemerals)
	case jute.OpWhoAmI:
		var r jute.WhoAmIResponse
		if jute.DecodeRecord(body, &r) != nil {
			return "undecodable " + hex.EncodeToString(body)
		}
		return fmt.Sprint(r.ClientInfo)
	case jute.OpCreate, jute.OpGetAllChildrenNumber, jute.OpAddWatch, jute.OpSASL:
		return hex.EncodeToString(body)
	case jute.OpSetData, jute.OpExists:
		return fmt.Sprintf("%d bytes", len(body))
	}
	return hex.EncodeToString(body)
}

// The requests ZooKeeper 3.6 to 3.8 added get the answers ZooKeeper 3.8
// gives, byte for byte where no time or zxid is in them, through a
// follower's client port (reconfig goes to the leader) and from a real
// ZooKeeper 3.8 server alike.
func TestClientPortAnswersLikeZooKeeper38(t *testing.T) {
	zkref.Need(t)
	s, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{Quorum: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	want := protocolScript(t, s.Addr)

	e := start(t, testConfig(t, 3, 0))
	addrs := servePorts(t, e)
	follower := uint64(1)
	if e.Leader() == 1 {
		follower = 2
	}
	for _, l := range want {
		if strings.HasPrefix(l, "setWatches of stale watches") && !strings.Contains(l, "[3 /w 2 /gone 1 /later 4 /w]") {
			t.Errorf("ZooKeeper 3.8 fired %q; the script expects the stale watches first, in order", l)
		}
	}
	got := protocolScript(t, addrs[follower])
	if !slices.Equal(got, want) {
		t.Errorf("answers differ from ZooKeeper 3.8's:\n%s", lineDiff(got, want))
	}
}

// A client whose member stops takes its session to another member and
// re-registers its persistent watches there with setWatches2 (the Java
// client does so when it has any): they fire there for later writes,
// standard watches whose node changed meanwhile fire at once.
func TestSetWatches2AfterMemberStops(t *testing.T) {
	e := start(t, testConfig(t, 3, 0))
	addrs := servePorts(t, e)
	first := uint64(1)
	if e.Leader() == 1 {
		first = 2
	}
	other := first%3 + 1
	c := rawConnect(t, addrs[first])
	if code, _, _ := c.call(jute.OpCreate, &jute.CreateRequest{Path: "/p", ACL: jute.OpenACL}); code != 0 {
		t.Fatalf("create: %d", code)
	}
	c.call(jute.OpAddWatch, &jute.AddWatchRequest{Path: "/p", Mode: jute.AddWatchPersistentRecursive})
	c.call(jute.OpGetData, &jute.GetDataRequest{Path: "/p", Watch: true})
	if err := e.StopMember(first); err != nil {
		t.Fatal(err)
	}
	w := rawConnect(t, addrs[other])
	if code, _, _ := w.call(jute.OpSetData, &jute.SetDataRequest{Path: "/p", Data: []byte("missed"), Version: -1}); code != 0 {
		t.Fatalf("setData while the client is away: %d", code)
	}

	r := rawResume(t, addrs[other], c.session, c.zxid)
	code, _, closed := r.callAs(jute.XidSetWatches, jute.OpSetWatches2, &jute.SetWatches2{RelativeZxid: c.zxid,
		DataWatches: []string{"/p"}, ExistWatches: []string{}, ChildWatches: []string{},
		PersistentWatches: []string{}, PersistentRecursiveWatches: []string{"/p"}})
	if code != 0 || closed {
		t.Fatalf("setWatches2: %d, closed %v", code, closed)
	}
	if got := r.takeEvents(); !slices.Equal(got, []string{"3 /p"}) {
		t.Errorf("standard watch on a node changed meanwhile: %q before the reply, want it fired once", got)
	}
	w.call(jute.OpCreate, &jute.CreateRequest{Path: "/p/q", ACL: jute.OpenACL})
	r.call(jute.OpSync, &jute.SyncRequest{Path: "/"}) // the notification is queued before the sync's reply
	if got := r.takeEvents(); !slices.Equal(got, []string{"1 /p/q"}) {
		t.Errorf("recursive watch after setWatches2: %q", got)
	}
}

// lineDiff shows our answers beside ZooKeeper 3.8's, line by line, the
// lines that differ marked.
func lineDiff(ours, zk []string) string {
	var diff strings.Builder
	for i := range max(len(ours), len(zk)) {
		g, w := "", ""
		if i < len(ours) {
			g = ours[i]
		}
		if i < len(zk) {
			w = zk[i]
		}
		mark := "  "
		if g != w {
			mark = "≠ "
		}
		fmt.Fprintf(&diff, "%sours: %s\n  zk:   %s\n", mark, g, w)
	}
	return diff.String()
}
