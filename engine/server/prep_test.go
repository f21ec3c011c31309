package server

import (
	"reflect"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

const (
	sessA int64 = 0x100000a46010001
	sessB int64 = 0x100000a46010002
)

var (
	alice     = DigestAuth([]byte("alice:secret"))
	bob       = DigestAuth([]byte("bob:secret"))
	localhost = jute.ID{Scheme: "ip", ID: "127.0.0.1"}
	world     = jute.ID{Scheme: "world", ID: "anyone"}
)

// env is a tree, a Preparer on it, and a zxid/clock that move by one txn.
type env struct {
	t    testing.TB
	tree *datatree.Tree
	p    *Preparer
	zxid int64
	now  int64
}

func newEnv(t testing.TB, cfg Config) *env {
	tree := datatree.New()
	return &env{t: t, tree: tree, p: NewPreparer(tree, cfg), now: 1_795_579_235_000}
}

func (e *env) prepare(req Request) *jute.Txn {
	e.t.Helper()
	e.zxid++
	e.now += 7
	txn := e.p.Prepare(req, e.zxid, e.now)
	if txn == nil {
		e.t.Fatalf("Prepare(%s) returned no txn", jute.OpName(req.Type))
	}
	return txn
}

// apply applies a prepared txn and checks that the digest it carries is the
// tree's digest afterwards.
func (e *env) apply(txn *jute.Txn) datatree.Result {
	e.t.Helper()
	r := e.p.Apply(txn)
	if r.DigestMismatch {
		e.t.Errorf("zxid 0x%x %s: digest mismatch", txn.Header.Zxid, jute.OpName(txn.Header.Type))
	}
	if txn.Digest != nil && txn.Digest.TreeDigest != e.tree.Digest() {
		e.t.Errorf("zxid 0x%x %s: txn digest %d, tree %d", txn.Header.Zxid, jute.OpName(txn.Header.Type), txn.Digest.TreeDigest, e.tree.Digest())
	}
	return r
}

func (e *env) do(req Request) *jute.Txn {
	e.t.Helper()
	txn := e.prepare(req)
	e.apply(txn)
	return txn
}

// mustDo runs a request that has to succeed.
func (e *env) mustDo(req Request) *jute.Txn {
	e.t.Helper()
	txn := e.do(req)
	if txn.Header.Type == jute.OpError {
		e.t.Fatalf("%s failed: %v", jute.OpName(req.Type), datatree.Code(txn.Body.(*jute.ErrorTxn).Err))
	}
	return txn
}

func createReq(path string, data string, flags int32, auth ...jute.ID) Request {
	return Request{SessionID: sessA, Cxid: 1, Type: jute.OpCreate, Auth: auth,
		Record: &jute.CreateRequest{Path: path, Data: []byte(data), ACL: jute.OpenACL, Flags: flags}}
}

func createACLReq(path string, acl []jute.ACL, auth ...jute.ID) Request {
	return Request{SessionID: sessA, Type: jute.OpCreate, Auth: auth,
		Record: &jute.CreateRequest{Path: path, Data: []byte{}, ACL: acl}}
}

func ttlReq(path string, flags int32, ttl int64) Request {
	return Request{SessionID: sessA, Type: jute.OpCreateTTL,
		Record: &jute.CreateTTLRequest{Path: path, Data: []byte("t"), ACL: jute.OpenACL, Flags: flags, TTL: ttl}}
}

func deleteReq(path string, version int32, auth ...jute.ID) Request {
	return Request{SessionID: sessA, Type: jute.OpDelete, Auth: auth, Record: &jute.DeleteRequest{Path: path, Version: version}}
}

func setDataReq(path, data string, version int32, auth ...jute.ID) Request {
	return Request{SessionID: sessA, Type: jute.OpSetData, Auth: auth, Record: &jute.SetDataRequest{Path: path, Data: []byte(data), Version: version}}
}

func setACLReq(path string, acl []jute.ACL, version int32, auth ...jute.ID) Request {
	return Request{SessionID: sessA, Type: jute.OpSetACL, Auth: auth, Record: &jute.SetACLRequest{Path: path, ACL: acl, Version: version}}
}

func reapReq(path string) Request {
	return Request{Type: jute.OpDeleteContainer, Record: &jute.DeleteRequest{Path: path}}
}

func sessionReq(id int64, timeout int32) Request {
	return Request{SessionID: id, Type: jute.OpCreateSession, Record: &jute.ConnectRequest{TimeOut: timeout}}
}

func closeReq(id int64) Request { return Request{SessionID: id, Type: jute.OpCloseSession} }

func multiReq(ops ...jute.Op) Request {
	return Request{SessionID: sessA, Type: jute.OpMulti, Record: &jute.MultiRequest{Ops: ops}}
}

func opCreate(path, data string, flags int32) jute.Op {
	return jute.Op{Type: jute.OpCreate, Record: &jute.CreateRequest{Path: path, Data: []byte(data), ACL: jute.OpenACL, Flags: flags}}
}

func opDelete(path string, version int32) jute.Op {
	return jute.Op{Type: jute.OpDelete, Record: &jute.DeleteRequest{Path: path, Version: version}}
}

func opSetData(path, data string, version int32) jute.Op {
	return jute.Op{Type: jute.OpSetData, Record: &jute.SetDataRequest{Path: path, Data: []byte(data), Version: version}}
}

func opCheck(path string, version int32) jute.Op {
	return jute.Op{Type: jute.OpCheck, Record: &jute.CheckVersionRequest{Path: path, Version: version}}
}

// baseTree builds the nodes the per-op cases run against:
//
//	/a        persistent, version 0, with child /a/child
//	/eph      ephemeral of sessA
//	/locked   digest alice ALL only
//	/ro       world READ only
//	/c        container with child /c/x
//	/t        TTL node (1 h)
//
// cfg applies to what the case does, not to building the tree.
func baseTree(t testing.TB, cfg Config) *env {
	e := newEnv(t, Config{})
	e.mustDo(sessionReq(sessA, 4000))
	e.mustDo(createReq("/a", "a", jute.FlagPersistent))
	e.mustDo(createReq("/a/child", "", jute.FlagPersistent))
	e.mustDo(createReq("/eph", "e", jute.FlagEphemeral))
	e.mustDo(createACLReq("/locked", []jute.ACL{{Perms: jute.PermAll, ID: alice}}))
	e.mustDo(createACLReq("/ro", []jute.ACL{{Perms: jute.PermRead, ID: world}}))
	e.mustDo(Request{SessionID: sessA, Type: jute.OpCreateContainer, Record: &jute.CreateRequest{Path: "/c", ACL: jute.OpenACL, Flags: jute.FlagContainer}})
	e.mustDo(createReq("/c/x", "", jute.FlagPersistent))
	e.mustDo(ttlReq("/t", jute.FlagPersistentWithTTL, 3600000))
	e.p.cfg = cfg
	return e
}

// TestPrepareOps checks, per op, the txn body ZooKeeper would log or the
// error code it would fail with, against baseTree. Successful txns are
// applied and their digest compared with the tree's.
func TestPrepareOps(t *testing.T) {
	maxTTL := datatree.MaxTTL
	tests := []struct {
		name    string
		cfg     Config
		req     Request
		wantErr datatree.Code
		want    jute.Record // the txn body when wantErr is Ok; nil: not checked
		wantTyp int32       // the txn type when wantErr is Ok; 0: req.Type
		// keepsDigest: an error txn that still carries a digest (a multi
		// aborted by a MarshallingError keeps the one its ops set so far).
		keepsDigest bool
	}{
		// create
		{name: "create", req: createReq("/a/new", "d", jute.FlagPersistent),
			want: &jute.CreateTxn{Path: "/a/new", Data: []byte("d"), ACL: jute.OpenACL, ParentCVersion: 2}},
		{name: "create ephemeral", req: createReq("/a/e", "", jute.FlagEphemeral),
			want: &jute.CreateTxn{Path: "/a/e", Data: []byte{}, ACL: jute.OpenACL, Ephemeral: true, ParentCVersion: 2}},
		{name: "create sequential suffix is parent cversion", req: createReq("/a/s-", "", jute.FlagPersistentSequential),
			want: &jute.CreateTxn{Path: "/a/s-0000000001", Data: []byte{}, ACL: jute.OpenACL, ParentCVersion: 2}},
		{name: "create ephemeral sequential", req: createReq("/a/s-", "", jute.FlagEphemeralSequential),
			want: &jute.CreateTxn{Path: "/a/s-0000000001", Data: []byte{}, ACL: jute.OpenACL, Ephemeral: true, ParentCVersion: 2}},
		{name: "create sequential with trailing slash", req: createReq("/a/", "", jute.FlagPersistentSequential),
			want: &jute.CreateTxn{Path: "/a/0000000001", Data: []byte{}, ACL: jute.OpenACL, ParentCVersion: 2}},
		{name: "create2", req: Request{SessionID: sessA, Type: jute.OpCreate2, Record: &jute.CreateRequest{Path: "/n", ACL: jute.OpenACL}},
			want: &jute.CreateTxn{Path: "/n", ACL: jute.OpenACL, ParentCVersion: 7}},
		{name: "createContainer", req: Request{SessionID: sessA, Type: jute.OpCreateContainer, Record: &jute.CreateRequest{Path: "/a/c", ACL: jute.OpenACL, Flags: jute.FlagContainer}},
			want: &jute.CreateContainerTxn{Path: "/a/c", ACL: jute.OpenACL, ParentCVersion: 2}},
		{name: "createTTL", req: ttlReq("/a/t", jute.FlagPersistentWithTTL, 500),
			want: &jute.CreateTTLTxn{Path: "/a/t", Data: []byte("t"), ACL: jute.OpenACL, ParentCVersion: 2, TTL: 500}},
		{name: "createTTL sequential", req: ttlReq("/a/t-", jute.FlagPersistentSequentialWithTTL, maxTTL),
			want: &jute.CreateTTLTxn{Path: "/a/t-0000000001", Data: []byte("t"), ACL: jute.OpenACL, ParentCVersion: 2, TTL: maxTTL}},
		{name: "create under container", req: createReq("/c/y", "", jute.FlagPersistent),
			want: &jute.CreateTxn{Path: "/c/y", Data: []byte{}, ACL: jute.OpenACL, ParentCVersion: 2}},
		{name: "create under TTL node", req: createReq("/t/y", "", jute.FlagPersistent),
			want: &jute.CreateTxn{Path: "/t/y", Data: []byte{}, ACL: jute.OpenACL, ParentCVersion: 1}},
		{name: "create existing", req: createReq("/a", "", jute.FlagPersistent), wantErr: datatree.NodeExists},
		{name: "create root", req: createReq("/", "", jute.FlagPersistent), wantErr: datatree.NodeExists},
		{name: "create missing parent", req: createReq("/nope/x", "", jute.FlagPersistent), wantErr: datatree.NoNode},
		{name: "create under ephemeral", req: createReq("/eph/x", "", jute.FlagPersistent), wantErr: datatree.NoChildrenForEphemerals},
		{name: "create relative path", req: createReq("a", "", jute.FlagPersistent), wantErr: datatree.BadArguments},
		{name: "create trailing slash", req: createReq("/a/", "", jute.FlagPersistent), wantErr: datatree.BadArguments},
		// The parent ("/a/") is looked up before the path is validated.
		{name: "create empty component", req: createReq("/a//b", "", jute.FlagPersistent), wantErr: datatree.NoNode},
		{name: "create control character", req: createReq("/a/b\x01", "", jute.FlagPersistent), wantErr: datatree.BadArguments},
		{name: "create dot component", req: createReq("/a/.", "", jute.FlagPersistent), wantErr: datatree.BadArguments},
		{name: "create NUL", req: createReq("/a\x00b", "", jute.FlagPersistent), wantErr: datatree.BadArguments},
		{name: "create bad flags", req: createReq("/x", "", 7), wantErr: datatree.BadArguments},
		{name: "create with TTL flags and no ttl", req: createReq("/x", "", jute.FlagPersistentWithTTL), wantErr: datatree.BadArguments},
		{name: "createTTL zero ttl", req: ttlReq("/x", jute.FlagPersistentWithTTL, 0), wantErr: datatree.BadArguments},
		{name: "createTTL ttl too large", req: ttlReq("/x", jute.FlagPersistentWithTTL, maxTTL+1), wantErr: datatree.BadArguments},
		{name: "createTTL without TTL flags", req: ttlReq("/x", jute.FlagPersistent, 100), wantErr: datatree.BadArguments},
		{name: "createTTL extended types off", cfg: Config{DisableExtendedTypes: true}, req: ttlReq("/x", jute.FlagPersistentWithTTL, 100), wantErr: datatree.Unimplemented},
		{name: "createContainer extended types off", cfg: Config{DisableExtendedTypes: true},
			req:  Request{SessionID: sessA, Type: jute.OpCreateContainer, Record: &jute.CreateRequest{Path: "/a/c", ACL: jute.OpenACL, Flags: jute.FlagContainer}},
			want: &jute.CreateContainerTxn{Path: "/a/c", ACL: jute.OpenACL, ParentCVersion: 2}},
		{name: "create under TTL node, extended types off", cfg: Config{DisableExtendedTypes: true},
			req: createReq("/t/y", "", jute.FlagPersistent), wantErr: datatree.NoChildrenForEphemerals},
		{name: "create empty ACL", req: createACLReq("/x", []jute.ACL{}), wantErr: datatree.InvalidACL},
		{name: "create null ACL", req: createACLReq("/x", nil), wantErr: datatree.InvalidACL},
		{name: "create unknown scheme", req: createACLReq("/x", []jute.ACL{{Perms: 31, ID: jute.ID{Scheme: "sasl", ID: "u"}}}), wantErr: datatree.InvalidACL},
		{name: "create world not anyone", req: createACLReq("/x", []jute.ACL{{Perms: 31, ID: jute.ID{Scheme: "world", ID: "me"}}}), wantErr: datatree.InvalidACL},
		{name: "create digest without colon", req: createACLReq("/x", []jute.ACL{{Perms: 31, ID: jute.ID{Scheme: "digest", ID: "alice"}}}), wantErr: datatree.InvalidACL},
		{name: "create digest empty hash", req: createACLReq("/x", []jute.ACL{{Perms: 31, ID: jute.ID{Scheme: "digest", ID: "alice:"}}}), wantErr: datatree.InvalidACL},
		{name: "create bad ip", req: createACLReq("/x", []jute.ACL{{Perms: 31, ID: jute.ID{Scheme: "ip", ID: "10.0.0.256"}}}), wantErr: datatree.InvalidACL},
		{name: "create ip subnet", req: createACLReq("/x", []jute.ACL{{Perms: 31, ID: jute.ID{Scheme: "ip", ID: "10.0.0.0/8"}}}),
			want: &jute.CreateTxn{Path: "/x", Data: []byte{}, ACL: []jute.ACL{{Perms: 31, ID: jute.ID{Scheme: "ip", ID: "10.0.0.0/8"}}}, ParentCVersion: 7}},
		{name: "create auth without credentials", req: createACLReq("/x", []jute.ACL{{Perms: 31, ID: jute.ID{Scheme: "auth"}}}, localhost), wantErr: datatree.InvalidACL},
		{name: "create auth expands to digest ids, deduplicated", req: createACLReq("/x",
			[]jute.ACL{{Perms: 31, ID: jute.ID{Scheme: "auth", ID: "ignored"}}, {Perms: 31, ID: jute.ID{Scheme: "auth", ID: "ignored"}}, {Perms: 1, ID: world}},
			localhost, alice, bob),
			want: &jute.CreateTxn{Path: "/x", Data: []byte{}, ACL: []jute.ACL{{Perms: 31, ID: alice}, {Perms: 31, ID: bob}, {Perms: 1, ID: world}}, ParentCVersion: 7}},
		{name: "create under locked without auth", req: createReq("/locked/x", "", jute.FlagPersistent, localhost), wantErr: datatree.NoAuth},
		{name: "create under locked as bob", req: createReq("/locked/x", "", jute.FlagPersistent, bob), wantErr: datatree.NoAuth},
		{name: "create under locked as alice", req: createReq("/locked/x", "", jute.FlagPersistent, localhost, alice),
			want: &jute.CreateTxn{Path: "/locked/x", Data: []byte{}, ACL: jute.OpenACL, ParentCVersion: 1}},
		{name: "create under locked as super", req: createReq("/locked/x", "", jute.FlagPersistent, jute.ID{Scheme: "super"})},
		{name: "create under read-only", req: createReq("/ro/x", "", jute.FlagPersistent), wantErr: datatree.NoAuth},
		{name: "create session expired", cfg: Config{CheckSession: func(int64) datatree.Code { return datatree.SessionExpired }},
			req: createReq("/x", "", jute.FlagPersistent), wantErr: datatree.SessionExpired},
		{name: "create wrong record", req: Request{Type: jute.OpCreate, Record: &jute.CreateTTLRequest{Path: "/x", ACL: jute.OpenACL}}, wantErr: datatree.MarshallingError},
		{name: "create undecodable", req: Request{Type: jute.OpCreate}, wantErr: datatree.MarshallingError},

		// delete
		{name: "delete", req: deleteReq("/a/child", -1), want: &jute.DeleteTxn{Path: "/a/child"}},
		{name: "delete matching version", req: deleteReq("/a/child", 0), want: &jute.DeleteTxn{Path: "/a/child"}},
		{name: "delete ephemeral", req: deleteReq("/eph", -1), want: &jute.DeleteTxn{Path: "/eph"}},
		{name: "delete bad version", req: deleteReq("/a/child", 3), wantErr: datatree.BadVersion},
		{name: "delete missing", req: deleteReq("/a/none", -1), wantErr: datatree.NoNode},
		{name: "delete missing parent", req: deleteReq("/none/x", -1), wantErr: datatree.NoNode},
		{name: "delete not empty", req: deleteReq("/a", -1), wantErr: datatree.NotEmpty},
		{name: "delete root", req: deleteReq("/", -1), wantErr: datatree.BadArguments},
		{name: "delete /zookeeper", req: deleteReq("/zookeeper", -1), wantErr: datatree.BadArguments},
		{name: "delete /zookeeper/quota", req: deleteReq("/zookeeper/quota", -1), wantErr: datatree.BadArguments},
		{name: "delete relative", req: deleteReq("a", -1), wantErr: datatree.BadArguments},
		{name: "delete without DELETE on parent", req: deleteReq("/ro", -1)},
		{name: "delete session moved", cfg: Config{CheckSession: func(int64) datatree.Code { return datatree.SessionMoved }},
			req: deleteReq("/nothing/at/all", -1), wantErr: datatree.SessionMoved},

		// deleteContainer (the reaper)
		{name: "deleteContainer empty TTL node", req: reapReq("/t"), want: &jute.DeleteTxn{Path: "/t"}},
		{name: "deleteContainer persistent", req: reapReq("/ro"), want: &jute.DeleteTxn{Path: "/ro"}},
		{name: "deleteContainer not empty", req: reapReq("/c"), wantErr: datatree.NotEmpty},
		{name: "deleteContainer ephemeral", req: reapReq("/eph"), wantErr: datatree.BadVersion},
		{name: "deleteContainer missing", req: reapReq("/gone"), wantErr: datatree.NoNode},
		{name: "deleteContainer system node", req: reapReq("/zookeeper/config"), wantErr: datatree.BadArguments},

		// setData
		{name: "setData", req: setDataReq("/a", "v2", -1), want: &jute.SetDataTxn{Path: "/a", Data: []byte("v2"), Version: 1}},
		{name: "setData matching version", req: setDataReq("/a", "v2", 0), want: &jute.SetDataTxn{Path: "/a", Data: []byte("v2"), Version: 1}},
		{name: "setData root alias", req: setDataReq("/", "r", -1), want: &jute.SetDataTxn{Path: "/", Data: []byte("r"), Version: 1}},
		{name: "setData null data", req: Request{SessionID: sessA, Type: jute.OpSetData, Record: &jute.SetDataRequest{Path: "/a", Version: -1}},
			want: &jute.SetDataTxn{Path: "/a", Version: 1}},
		{name: "setData bad version", req: setDataReq("/a", "v2", 5), wantErr: datatree.BadVersion},
		{name: "setData missing", req: setDataReq("/none", "", -1), wantErr: datatree.NoNode},
		{name: "setData bad path", req: setDataReq("/a/", "", -1), wantErr: datatree.BadArguments},
		{name: "setData read-only", req: setDataReq("/ro", "", -1), wantErr: datatree.NoAuth},
		{name: "setData locked as alice", req: setDataReq("/locked", "x", -1, alice), want: &jute.SetDataTxn{Path: "/locked", Data: []byte("x"), Version: 1}},
		{name: "setData /zookeeper/config", req: setDataReq("/zookeeper/config", "x", -1), wantErr: datatree.NoAuth},

		// setACL
		{name: "setACL", req: setACLReq("/a", []jute.ACL{{Perms: jute.PermRead, ID: world}}, 0),
			want: &jute.SetACLTxn{Path: "/a", ACL: []jute.ACL{{Perms: jute.PermRead, ID: world}}, Version: 1}},
		{name: "setACL bad version", req: setACLReq("/a", jute.OpenACL, 2), wantErr: datatree.BadVersion},
		{name: "setACL invalid ACL", req: setACLReq("/a", nil, -1), wantErr: datatree.InvalidACL},
		{name: "setACL without ADMIN", req: setACLReq("/ro", jute.OpenACL, -1), wantErr: datatree.NoAuth},
		{name: "setACL missing", req: setACLReq("/none", jute.OpenACL, -1), wantErr: datatree.NoNode},
		{name: "setACL config node", req: setACLReq("/zookeeper/config", jute.OpenACL, -1), wantErr: datatree.NoAuth},

		// check outside a multi: ZooKeeper logs it as a check txn
		{name: "check", req: Request{Type: jute.OpCheck, Record: &jute.CheckVersionRequest{Path: "/a", Version: 0}},
			want: &jute.CheckVersionTxn{Path: "/a", Version: 1}},
		{name: "check bad version", req: Request{Type: jute.OpCheck, Record: &jute.CheckVersionRequest{Path: "/a", Version: 1}}, wantErr: datatree.BadVersion},

		// sessions
		{name: "createSession within bounds", cfg: Config{TickTime: 500}, req: sessionReq(sessB, 4000), want: &jute.CreateSessionTxn{TimeOut: 4000}},
		{name: "createSession below 2 ticks", cfg: Config{TickTime: 500}, req: sessionReq(sessB, 10), want: &jute.CreateSessionTxn{TimeOut: 1000}},
		{name: "createSession above 20 ticks", cfg: Config{TickTime: 500}, req: sessionReq(sessB, 60000), want: &jute.CreateSessionTxn{TimeOut: 10000}},
		{name: "createSession default tick", req: sessionReq(sessB, 1), want: &jute.CreateSessionTxn{TimeOut: 6000}},
		{name: "createSession explicit bounds", cfg: Config{MinSessionTimeout: 100, MaxSessionTimeout: 200}, req: sessionReq(sessB, 1000), want: &jute.CreateSessionTxn{TimeOut: 200}},
		{name: "closeSession", req: closeReq(sessA), want: &jute.CloseSessionTxn{Paths2Delete: []string{"/eph"}}},
		{name: "closeSession without ephemerals", req: closeReq(sessB), want: &jute.CloseSessionTxn{Paths2Delete: []string{}}},

		// others
		{name: "reconfig", req: Request{Type: jute.OpReconfig, Record: &jute.ReconfigRequest{NullJoining: true, NullNewMembers: true, LeavingServers: "2", CurConfigID: -1}}, wantErr: datatree.ReconfigDisabled},
		{name: "multi of reads", req: Request{Type: jute.OpMulti, Record: &jute.MultiRequest{Ops: []jute.Op{{Type: jute.OpGetData, Record: &jute.GetDataRequest{Path: "/a"}}}}},
			wantErr: datatree.MarshallingError, keepsDigest: true},
		{name: "multi with TTL flags on a create", req: multiReq(opCreate("/m1", "", jute.FlagPersistent), opCreate("/m2", "", jute.FlagPersistentWithTTL)),
			wantErr: datatree.MarshallingError, keepsDigest: true},
		{name: "multi aborted by its first op", req: multiReq(opCreate("/m2", "", jute.FlagPersistentWithTTL), opCreate("/m1", "", jute.FlagPersistent)),
			wantErr: datatree.MarshallingError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := baseTree(t, tt.cfg)
			before := e.tree.Digest()
			txn := e.prepare(tt.req)
			if txn.Header.ClientID != tt.req.SessionID || txn.Header.Cxid != tt.req.Cxid || txn.Header.Zxid != e.zxid || txn.Header.Time != e.now {
				t.Errorf("header %+v", txn.Header)
			}
			if tt.wantErr != datatree.Ok {
				got := datatree.Ok
				if txn.Header.Type == jute.OpError {
					got = datatree.Code(txn.Body.(*jute.ErrorTxn).Err)
				}
				if got != tt.wantErr || (txn.Digest != nil) != tt.keepsDigest {
					t.Fatalf("got %s %+v digest %v, want error %v", jute.OpName(txn.Header.Type), txn.Body, txn.Digest, tt.wantErr)
				}
				if n := e.p.Outstanding(); n != 0 {
					t.Errorf("a failed request left %d change records", n)
				}
				// Not e.apply: a kept digest need not be the tree's.
				if r := e.p.Apply(txn); r.Err != tt.wantErr || e.tree.Digest() != before {
					t.Errorf("applying the error txn: %+v", r)
				}
				return
			}
			wantTyp := tt.wantTyp
			if wantTyp == 0 {
				wantTyp = tt.req.Type
			}
			if txn.Header.Type != wantTyp {
				t.Fatalf("txn %s %+v, want type %s", jute.OpName(txn.Header.Type), txn.Body, jute.OpName(wantTyp))
			}
			if tt.want != nil && !reflect.DeepEqual(txn.Body, tt.want) {
				t.Errorf("body\n got %+v\nwant %+v", txn.Body, tt.want)
			}
			if txn.Digest == nil || txn.Digest.Version != jute.DigestVersion {
				t.Fatalf("digest = %+v", txn.Digest)
			}
			if r := e.apply(txn); r.Err != datatree.Ok {
				t.Errorf("the tree rejected the prepared txn: %v", r.Err)
			}
			if n := e.p.Outstanding(); n != 0 {
				t.Errorf("%d change records left after apply", n)
			}
		})
	}
}

func TestPrepareIgnoresReads(t *testing.T) {
	e := newEnv(t, Config{})
	for _, typ := range []int32{jute.OpGetData, jute.OpExists, jute.OpGetChildren, jute.OpGetChildren2,
		jute.OpGetACL, jute.OpSync, jute.OpPing, jute.OpAuth, jute.OpSetWatches, jute.OpMultiRead, 999} {
		if IsWrite(typ) {
			t.Errorf("IsWrite(%s)", jute.OpName(typ))
		}
		if txn := e.p.Prepare(Request{Type: typ}, 1, 1); txn != nil {
			t.Errorf("Prepare(%s) = %+v", jute.OpName(typ), txn)
		}
	}
}

// The multi of the standalone fixture's zxid 0x1b, in a small tree: sub-ops
// see each other's effects and share the header; check logs version+1.
func TestPrepareMulti(t *testing.T) {
	e := baseTree(t, Config{})
	txn := e.prepare(multiReq(
		opCreate("/a/m", "m", jute.FlagPersistent),
		opCreate("/a/m/s-", "", jute.FlagPersistentSequential), // under the node the op before creates
		opSetData("/a/m", "m2", 0),                             // version of the node created above
		opCheck("/a/m", 1),                                     // sees the setData
		opDelete("/a/child", -1),
		jute.Op{Type: jute.OpCreateContainer, Record: &jute.CreateRequest{Path: "/a/cont", ACL: jute.OpenACL, Flags: jute.FlagContainer}},
		jute.Op{Type: jute.OpCreateTTL, Record: &jute.CreateTTLRequest{Path: "/a/ttl", ACL: jute.OpenACL, Flags: jute.FlagPersistentWithTTL, TTL: 9}},
		// create2 in a multi is a create; createTTL without TTL flags a plain create without ttl.
		jute.Op{Type: jute.OpCreate2, Record: &jute.CreateRequest{Path: "/a/c2", ACL: jute.OpenACL}},
		jute.Op{Type: jute.OpCreateTTL, Record: &jute.CreateTTLRequest{Path: "/a/nottl", ACL: jute.OpenACL, Flags: jute.FlagPersistent, TTL: 9}},
	))
	want := &jute.MultiTxn{Ops: []jute.Op{
		{Type: jute.OpCreate, Record: &jute.CreateTxn{Path: "/a/m", Data: []byte("m"), ACL: jute.OpenACL, ParentCVersion: 2}},
		{Type: jute.OpCreate, Record: &jute.CreateTxn{Path: "/a/m/s-0000000000", Data: []byte{}, ACL: jute.OpenACL, ParentCVersion: 1}},
		{Type: jute.OpSetData, Record: &jute.SetDataTxn{Path: "/a/m", Data: []byte("m2"), Version: 1}},
		{Type: jute.OpCheck, Record: &jute.CheckVersionTxn{Path: "/a/m", Version: 2}},
		{Type: jute.OpDelete, Record: &jute.DeleteTxn{Path: "/a/child"}},
		{Type: jute.OpCreateContainer, Record: &jute.CreateContainerTxn{Path: "/a/cont", ACL: jute.OpenACL, ParentCVersion: 3}},
		{Type: jute.OpCreateTTL, Record: &jute.CreateTTLTxn{Path: "/a/ttl", ACL: jute.OpenACL, ParentCVersion: 4, TTL: 9}},
		{Type: jute.OpCreate, Record: &jute.CreateTxn{Path: "/a/c2", ACL: jute.OpenACL, ParentCVersion: 5}},
		{Type: jute.OpCreate, Record: &jute.CreateTxn{Path: "/a/nottl", ACL: jute.OpenACL, ParentCVersion: 6}},
	}}
	if txn.Header.Type != jute.OpMulti || !reflect.DeepEqual(txn.Body, want) {
		t.Fatalf("multi = %s\n%+v", jute.OpName(txn.Header.Type), txn.Body)
	}
	r := e.apply(txn)
	if r.Err != datatree.Ok || len(r.Multi) != 9 {
		t.Fatalf("apply: %+v", r)
	}
	hdr, rsp := Reply(multiReq(), r, e.tree.LastProcessedZxid())
	res := rsp.(*jute.MultiResponse).Results
	types := make([]int32, len(res))
	for i, op := range res {
		types[i] = op.Type
	}
	wantTypes := []int32{jute.OpCreate, jute.OpCreate, jute.OpSetData, jute.OpCheck, jute.OpDelete, jute.OpCreate2, jute.OpCreate2, jute.OpCreate, jute.OpCreate}
	if hdr.Err != 0 || !reflect.DeepEqual(types, wantTypes) {
		t.Errorf("reply %+v types %v", hdr, types)
	}
}

func TestPrepareFailedMulti(t *testing.T) {
	e := baseTree(t, Config{})
	before := e.tree.Digest()
	txn := e.prepare(multiReq(
		opCreate("/a/m", "m", jute.FlagPersistent),
		opSetData("/a/m", "x", -1),
		opDelete("/a/none", -1), // fails
		opSetData("/a", "never", -1),
		opCreate("bad path is never looked at", "", 99),
	))
	want := &jute.MultiTxn{Ops: []jute.Op{
		{Type: jute.OpCreate, Record: &jute.CreateTxn{Path: "/a/m", Data: []byte("m"), ACL: jute.OpenACL, ParentCVersion: 2}},
		{Type: jute.OpSetData, Record: &jute.SetDataTxn{Path: "/a/m", Data: []byte("x"), Version: 1}},
		{Type: jute.OpError, Record: &jute.ErrorTxn{Err: int32(datatree.NoNode)}},
		{Type: jute.OpError, Record: &jute.ErrorTxn{Err: int32(datatree.RuntimeInconsistency)}},
		{Type: jute.OpError, Record: &jute.ErrorTxn{Err: int32(datatree.RuntimeInconsistency)}},
	}}
	if txn.Header.Type != jute.OpMulti || !reflect.DeepEqual(txn.Body, want) {
		t.Fatalf("multi = %s\n%+v", jute.OpName(txn.Header.Type), txn.Body)
	}
	// A failed multi still carries a digest: the unchanged one.
	if txn.Digest == nil || txn.Digest.TreeDigest != before {
		t.Errorf("digest %+v, want %d", txn.Digest, before)
	}
	if n := e.p.Outstanding(); n != 0 {
		t.Errorf("%d change records after a failed multi", n)
	}
	r := e.apply(txn)
	hdr, rsp := Reply(multiReq(), r, e.tree.LastProcessedZxid())
	var errs []int32
	for _, res := range rsp.(*jute.MultiResponse).Results {
		errs = append(errs, res.Record.(*jute.ErrorResponse).Err)
	}
	if hdr.Err != 0 || !reflect.DeepEqual(errs, []int32{0, 0, -101, -2, -2}) {
		t.Errorf("reply %+v, results %v", hdr, errs)
	}
}

// A multi aborted by a MarshallingError after some of its ops were
// prepared: the error txn keeps the digest those ops set (ZooKeeper's bytes),
// but their change records go, so a write pipelined behind it does not see
// the node the multi would have created. ZooKeeper 3.8.0 keeps them until the
// error txn is applied, and logs a create here that then fails in the tree;
// the client sees NoNode either way.
func TestAbortedMultiLeavesNoPhantoms(t *testing.T) {
	e := baseTree(t, Config{})
	txns := e.prepareAll(
		multiReq(opCreate("/a/m", "x", jute.FlagPersistent), opCreate("/a/t", "", jute.FlagPersistentWithTTL)),
		createReq("/a/m/c", "", jute.FlagPersistent),
	)
	if txns[0].Header.Type != jute.OpError || txns[0].Digest == nil {
		t.Fatalf("aborted multi: %+v digest %+v", txns[0].Body, txns[0].Digest)
	}
	if b, ok := txns[1].Body.(*jute.ErrorTxn); !ok || b.Err != int32(datatree.NoNode) {
		t.Errorf("create under the phantom: %s %+v", jute.OpName(txns[1].Header.Type), txns[1].Body)
	}
	e.p.Apply(txns[0])
	e.apply(txns[1])
}
