package server

import (
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// flagsFit reports whether a create's flags agree with its op code. When
// they do not (createContainer without the container flag, create with it),
// ZooKeeper prepares the node's owner from the flags and logs the txn type
// of the op code, and its tree then disagrees with the logged digest; so do
// we.
func flagsFit(typ int32, rec jute.Record) bool {
	switch r := rec.(type) {
	case *jute.CreateRequest:
		return typ == jute.OpMulti || (typ == jute.OpCreateContainer) == (r.Flags == jute.FlagContainer)
	case *jute.CreateTTLRequest:
		return createMode(r.Flags).ttl()
	case *jute.MultiRequest:
		for _, op := range r.Ops {
			if !flagsFit(jute.OpMulti, op.Record) {
				return false
			}
		}
	}
	return true
}

// FuzzPrepare feeds arbitrary request bodies of every write type to a
// Preparer over baseTree: whatever decodes must prepare without panicking,
// and the tree must accept what prepare accepted, at the digest prepare
// computed.
func FuzzPrepare(f *testing.F) {
	seed := func(typ int32, rec jute.Record) {
		w := jute.NewWriter(nil)
		rec.Encode(w)
		f.Add(byte(typ), w.Bytes())
	}
	seed(jute.OpCreate, &jute.CreateRequest{Path: "/a/x", Data: []byte("d"), ACL: jute.OpenACL, Flags: jute.FlagEphemeralSequential})
	seed(jute.OpCreateTTL, &jute.CreateTTLRequest{Path: "/c/t", ACL: jute.OpenACL, Flags: jute.FlagPersistentWithTTL, TTL: 10})
	seed(jute.OpDelete, &jute.DeleteRequest{Path: "/a/child", Version: -1})
	seed(jute.OpSetData, &jute.SetDataRequest{Path: "/locked", Data: []byte("x"), Version: 0})
	seed(jute.OpSetACL, &jute.SetACLRequest{Path: "/a", ACL: []jute.ACL{{Perms: 1, ID: jute.ID{Scheme: "auth"}}}, Version: -1})
	seed(jute.OpCheck, &jute.CheckVersionRequest{Path: "/a", Version: 0})
	seed(jute.OpMulti, &jute.MultiRequest{Ops: []jute.Op{opCreate("/a/m", "", 0), opDelete("/a/child", -1), opCheck("/x", 0)}})
	f.Fuzz(func(t *testing.T, op byte, body []byte) {
		typ := int32(int8(op))
		rec, err := jute.NewRequest(typ)
		if err != nil || rec == nil || !IsWrite(typ) {
			return
		}
		if jute.DecodeRecord(body, rec) != nil {
			return
		}
		e := baseTree(t, Config{})
		req := Request{SessionID: sessA, Type: typ, Record: rec, Auth: []jute.ID{localhost, alice}}
		txn := e.prepare(req)
		r := e.p.Apply(txn)
		if !flagsFit(typ, rec) {
			return
		}
		if r.DigestMismatch {
			t.Fatalf("%s %+v: digest mismatch", jute.OpName(typ), rec)
		}
		m, isMulti := txn.Body.(*jute.MultiTxn)
		if txn.Header.Type != jute.OpError && !(isMulti && m.Failed()) && r.Err != datatree.Ok {
			t.Fatalf("%s %+v: prepared, but the tree says %v", jute.OpName(typ), rec, r.Err)
		}
		Reply(req, r, e.tree.LastProcessedZxid())
	})
}
