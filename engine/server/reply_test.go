package server

import (
	"reflect"
	"sync"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// recorder is a client connection's watcher.
type recorder struct {
	mu     sync.Mutex
	events []datatree.WatchedEvent
}

func (r *recorder) Process(e datatree.WatchedEvent) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) got() []datatree.EventType {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []datatree.EventType
	for _, e := range r.events {
		out = append(out, e.Type)
	}
	return out
}

func readReq(typ int32, rec jute.Record, auth ...jute.ID) Request {
	return Request{SessionID: sessA, Cxid: 42, Type: typ, Record: rec, Auth: auth}
}

// readTree is baseTree plus /shared (alice ALL, world READ) and /p with
// children created in the order c, i, b, a.
func readTree(t *testing.T) *env {
	e := baseTree(t, Config{})
	e.mustDo(createACLReq("/shared", []jute.ACL{{Perms: jute.PermAll, ID: alice}, {Perms: jute.PermRead, ID: world}}))
	e.mustDo(createReq("/p", "parent", jute.FlagPersistent))
	for _, n := range []string{"c", "i", "b", "a"} {
		e.mustDo(createReq("/p/"+n, "", jute.FlagPersistent))
	}
	return e
}

func TestRead(t *testing.T) {
	e := readTree(t)
	pStat, _ := e.tree.Exists("/p", nil)
	sharedACL, sharedStat, _ := e.tree.GetACL("/shared")
	tests := []struct {
		name    string
		req     Request
		wantErr datatree.Code
		want    jute.Record
	}{
		{"getData", readReq(jute.OpGetData, &jute.GetDataRequest{Path: "/p"}), 0, &jute.GetDataResponse{Data: []byte("parent"), Stat: pStat}},
		{"getData missing", readReq(jute.OpGetData, &jute.GetDataRequest{Path: "/none"}), datatree.NoNode, nil},
		{"getData no READ", readReq(jute.OpGetData, &jute.GetDataRequest{Path: "/locked"}, bob), datatree.NoAuth, nil},
		{"getData as alice", readReq(jute.OpGetData, &jute.GetDataRequest{Path: "/locked"}, alice), 0, nil},
		{"exists", readReq(jute.OpExists, &jute.ExistsRequest{Path: "/p"}), 0, &jute.ExistsResponse{Stat: pStat}},
		{"exists needs no READ", readReq(jute.OpExists, &jute.ExistsRequest{Path: "/locked"}), 0, nil},
		{"exists missing", readReq(jute.OpExists, &jute.ExistsRequest{Path: "/none"}), datatree.NoNode, nil},
		{"exists NUL", readReq(jute.OpExists, &jute.ExistsRequest{Path: "/a\x00"}), datatree.BadArguments, nil},
		// HashSet(8) order of the names, creation order within a bucket.
		{"getChildren", readReq(jute.OpGetChildren, &jute.GetChildrenRequest{Path: "/p"}), 0, &jute.GetChildrenResponse{Children: []string{"i", "a", "b", "c"}}},
		{"getChildren leaf", readReq(jute.OpGetChildren, &jute.GetChildrenRequest{Path: "/p/a"}), 0, &jute.GetChildrenResponse{Children: []string{}}},
		{"getChildren no READ", readReq(jute.OpGetChildren, &jute.GetChildrenRequest{Path: "/locked"}), datatree.NoAuth, nil},
		{"getChildren2", readReq(jute.OpGetChildren2, &jute.GetChildren2Request{Path: "/p"}), 0, &jute.GetChildren2Response{Children: []string{"i", "a", "b", "c"}, Stat: pStat}},
		{"getChildren2 missing", readReq(jute.OpGetChildren2, &jute.GetChildren2Request{Path: "/none"}), datatree.NoNode, nil},
		{"getACL as admin", readReq(jute.OpGetACL, &jute.GetACLRequest{Path: "/shared"}, alice), 0, &jute.GetACLResponse{ACL: sharedACL, Stat: sharedStat}},
		{"getACL without ADMIN hides digests", readReq(jute.OpGetACL, &jute.GetACLRequest{Path: "/shared"}, localhost), 0,
			&jute.GetACLResponse{ACL: []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "digest", ID: "alice:x"}}, {Perms: jute.PermRead, ID: world}}, Stat: sharedStat}},
		{"getACL neither READ nor ADMIN", readReq(jute.OpGetACL, &jute.GetACLRequest{Path: "/locked"}, bob), datatree.NoAuth, nil},
		{"getACL config node", readReq(jute.OpGetACL, &jute.GetACLRequest{Path: "/zookeeper/config"}), 0, nil},
		{"sync", readReq(jute.OpSync, &jute.SyncRequest{Path: "/p"}), 0, &jute.SyncResponse{Path: "/p"}},
		{"multiRead", readReq(jute.OpMultiRead, &jute.MultiRequest{Ops: []jute.Op{
			{Type: jute.OpGetData, Record: &jute.GetDataRequest{Path: "/p"}},
			{Type: jute.OpGetData, Record: &jute.GetDataRequest{Path: "/none"}},
			{Type: jute.OpGetChildren, Record: &jute.GetChildrenRequest{Path: "/p"}},
			{Type: jute.OpGetChildren, Record: &jute.GetChildrenRequest{Path: "/locked"}},
		}}), 0, &jute.MultiResponse{Results: []jute.Op{
			{Type: jute.OpGetData, Record: &jute.GetDataResponse{Data: []byte("parent"), Stat: pStat}},
			{Type: jute.OpError, Record: &jute.ErrorResponse{Err: int32(datatree.NoNode)}},
			{Type: jute.OpGetChildren, Record: &jute.GetChildrenResponse{Children: []string{"i", "a", "b", "c"}}},
			{Type: jute.OpError, Record: &jute.ErrorResponse{Err: int32(datatree.NoAuth)}},
		}}},
		{"multiRead with a write", readReq(jute.OpMultiRead, &jute.MultiRequest{Ops: []jute.Op{opDelete("/p/a", -1)}}), datatree.MarshallingError, nil},
		{"record of another type", readReq(jute.OpGetData, &jute.ExistsRequest{Path: "/p"}), datatree.MarshallingError, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr, rsp := Read(e.tree, tt.req, nil)
			if hdr.Xid != 42 || hdr.Zxid != e.zxid || datatree.Code(hdr.Err) != tt.wantErr {
				t.Fatalf("header %+v, want err %v", hdr, tt.wantErr)
			}
			if tt.wantErr != 0 && rsp != nil {
				t.Errorf("a failed read has a body: %+v", rsp)
			}
			if tt.wantErr == 0 && rsp == nil {
				t.Errorf("no body")
			}
			if tt.want != nil && !reflect.DeepEqual(rsp, tt.want) {
				t.Errorf("response\n got %+v\nwant %+v", rsp, tt.want)
			}
		})
	}
}

func TestReadPing(t *testing.T) {
	e := readTree(t)
	hdr, rsp := Read(e.tree, Request{Cxid: -2, Type: jute.OpPing}, nil)
	if want := (jute.ReplyHeader{Xid: jute.XidPing, Zxid: e.zxid}); hdr != want || rsp != nil {
		t.Errorf("ping reply %+v %v", hdr, rsp)
	}
}

func TestReadWatches(t *testing.T) {
	e := readTree(t)
	w := &recorder{}
	Read(e.tree, readReq(jute.OpGetData, &jute.GetDataRequest{Path: "/p", Watch: true}), w)
	Read(e.tree, readReq(jute.OpGetChildren2, &jute.GetChildren2Request{Path: "/p", Watch: true}), w)
	Read(e.tree, readReq(jute.OpExists, &jute.ExistsRequest{Path: "/new", Watch: true}), w)
	// Denied reads leave no watch.
	before := e.tree.WatchCount()
	Read(e.tree, readReq(jute.OpGetData, &jute.GetDataRequest{Path: "/locked", Watch: true}), w)
	Read(e.tree, readReq(jute.OpGetChildren, &jute.GetChildrenRequest{Path: "/locked", Watch: true}), w)
	if n := e.tree.WatchCount(); n != before || n != 3 {
		t.Errorf("watch count %d (was %d)", n, before)
	}
	// Watch false leaves none either.
	Read(e.tree, readReq(jute.OpGetData, &jute.GetDataRequest{Path: "/a"}), w)
	e.mustDo(setDataReq("/p", "x", -1))
	e.mustDo(createReq("/p/z", "", jute.FlagPersistent))
	e.mustDo(createReq("/new", "", jute.FlagPersistent))
	e.mustDo(setDataReq("/a", "x", -1))
	want := []datatree.EventType{datatree.EventNodeDataChanged, datatree.EventNodeChildrenChanged, datatree.EventNodeCreated}
	if got := w.got(); !reflect.DeepEqual(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	// setWatches re-registers: a watch on a node changed since relativeZxid
	// fires at once, the others wait.
	w2 := &recorder{}
	rel := e.zxid
	e.mustDo(setDataReq("/a", "y", -1))
	hdr, rsp := Read(e.tree, readReq(jute.OpSetWatches, &jute.SetWatches{RelativeZxid: rel, DataWatches: []string{"/a", "/p"}}), w2)
	if hdr.Err != 0 || rsp != nil {
		t.Fatalf("setWatches reply %+v %v", hdr, rsp)
	}
	e.mustDo(setDataReq("/p", "y", -1))
	if got := w2.got(); !reflect.DeepEqual(got, []datatree.EventType{datatree.EventNodeDataChanged, datatree.EventNodeDataChanged}) {
		t.Errorf("setWatches events %v", got)
	}
}

func TestReply(t *testing.T) {
	e := baseTree(t, Config{})
	do := func(req Request) (jute.ReplyHeader, jute.Record) {
		t.Helper()
		r := e.apply(e.prepare(req))
		return Reply(req, r, e.tree.LastProcessedZxid())
	}
	hdr, rsp := do(createReq("/a/s-", "x", jute.FlagPersistentSequential))
	if hdr.Err != 0 || hdr.Xid != 1 || hdr.Zxid != e.zxid || !reflect.DeepEqual(rsp, &jute.CreateResponse{Path: "/a/s-0000000001"}) {
		t.Errorf("create: %+v %+v", hdr, rsp)
	}
	hdr, rsp = do(Request{SessionID: sessA, Type: jute.OpCreate2, Record: &jute.CreateRequest{Path: "/a/c2", Data: []byte("x"), ACL: jute.OpenACL}})
	if c, ok := rsp.(*jute.Create2Response); hdr.Err != 0 || !ok || c.Path != "/a/c2" || c.Stat.Czxid != e.zxid || c.Stat.DataLength != 1 {
		t.Errorf("create2: %+v %+v", hdr, rsp)
	}
	hdr, rsp = do(ttlReq("/a/ttl", jute.FlagPersistentWithTTL, 5))
	if c, ok := rsp.(*jute.Create2Response); !ok || c.Stat.EphemeralOwner != 0 {
		t.Errorf("createTTL: %+v %+v (a TTL node shows owner 0)", hdr, rsp)
	}
	hdr, rsp = do(setDataReq("/a", "v", 0))
	if s, ok := rsp.(*jute.SetDataResponse); hdr.Err != 0 || !ok || s.Stat.Version != 1 || s.Stat.Mzxid != e.zxid {
		t.Errorf("setData: %+v %+v", hdr, rsp)
	}
	hdr, rsp = do(setACLReq("/a", jute.OpenACL, -1))
	if s, ok := rsp.(*jute.SetACLResponse); hdr.Err != 0 || !ok || s.Stat.Aversion != 1 {
		t.Errorf("setACL: %+v %+v", hdr, rsp)
	}
	hdr, rsp = do(Request{Type: jute.OpCheck, Record: &jute.CheckVersionRequest{Path: "/a", Version: 1}})
	if _, ok := rsp.(*jute.SetDataResponse); hdr.Err != 0 || !ok {
		t.Errorf("check: %+v %+v", hdr, rsp)
	}
	for _, req := range []Request{deleteReq("/a/c2", -1), reapReq("/t"), sessionReq(sessB, 5000), closeReq(sessB)} {
		if hdr, rsp := do(req); hdr.Err != 0 || rsp != nil {
			t.Errorf("%s: %+v %+v", jute.OpName(req.Type), hdr, rsp)
		}
	}
	// A failed write is a header with the code, at the zxid of its error txn.
	hdr, rsp = do(deleteReq("/a", 7))
	if hdr.Err != int32(datatree.BadVersion) || hdr.Zxid != e.zxid || rsp != nil {
		t.Errorf("failed delete: %+v %+v", hdr, rsp)
	}
}
