package datatree

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"zkbench/engine/jute"
)

const (
	sess  int64 = 0x100000a46010001
	sess2 int64 = 0x100000a46010002
)

var (
	readACL = []jute.ACL{{Perms: jute.PermRead, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
	rwaACL  = []jute.ACL{{Perms: jute.PermRead | jute.PermWrite | jute.PermAdmin, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
)

// txnBuilder makes txns with increasing zxids and times.
type txnBuilder struct {
	zxid int64
}

func (b *txnBuilder) txn(client int64, typ int32, body jute.Record) *jute.Txn {
	b.zxid++
	return &jute.Txn{
		Header: jute.TxnHeader{ClientID: client, Cxid: int32(b.zxid), Zxid: b.zxid, Time: 1000 + b.zxid, Type: typ},
		Body:   body,
	}
}

func createTxn(path, data string, acl []jute.ACL, eph bool, pcv int32) *jute.CreateTxn {
	return &jute.CreateTxn{Path: path, Data: []byte(data), ACL: acl, Ephemeral: eph, ParentCVersion: pcv}
}

func mustApply(t *testing.T, tree *Tree, txn *jute.Txn) Result {
	t.Helper()
	r := tree.Apply(txn)
	if r.Err != Ok {
		t.Fatalf("zxid 0x%x %s %s: %v", txn.Header.Zxid, jute.OpName(txn.Header.Type), txn.Path(), r.Err)
	}
	return r
}

func mustMeta(t *testing.T, tree *Tree, path string) NodeMeta {
	t.Helper()
	m, ok := tree.Lookup(path)
	if !ok {
		t.Fatalf("%s does not exist", path)
	}
	return m
}

// recomputeDigest sums NodeDigest over every node, independently of the
// incremental bookkeeping.
func recomputeDigest(tree *Tree) int64 {
	var sum int64
	for _, v := range walkAll(tree) {
		sum += NodeDigest(v.Path, v.Data, &v.Stat)
	}
	return sum
}

func TestNewTree(t *testing.T) {
	tree := New()
	var paths []string
	for _, v := range walkAll(tree) {
		paths = append(paths, v.Path)
		if v.Stat != (jute.StatPersisted{Aversion: v.Stat.Aversion}) || v.Data == nil || len(v.Data) != 0 {
			t.Errorf("%q: %+v data %v", v.Path, v.Stat, v.Data)
		}
	}
	if want := []string{"", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"}; !slices.Equal(paths, want) {
		t.Fatalf("walk %q, want %q", paths, want)
	}
	if tree.Digest() != freshDigest || recomputeDigest(tree) != freshDigest {
		t.Errorf("digest %d, want %d", tree.Digest(), freshDigest)
	}
	cfg := mustMeta(t, tree, ConfigPath)
	if cfg.ACLRef != 1 || cfg.Stat.Aversion != -1 || fmt.Sprint(cfg.ACL) != fmt.Sprint(readACL) {
		t.Errorf("config node: ref %d aversion %d acl %v", cfg.ACLRef, cfg.Stat.Aversion, cfg.ACL)
	}
	for _, p := range []string{"/", "", ZookeeperPath, QuotaPath} {
		if m := mustMeta(t, tree, p); m.ACLRef != OpenACLRef {
			t.Errorf("%q: acl ref %d", p, m.ACLRef)
		}
	}
	if tree.NodeCount() != 4 {
		t.Errorf("NodeCount %d", tree.NodeCount())
	}
	// "" 0 + "/" 1 + "/zookeeper" 10 + "/zookeeper/quota" 16 + "/zookeeper/config" 17
	if got := tree.ApproximateDataSize(); got != 44 {
		t.Errorf("ApproximateDataSize %d, want 44", got)
	}
	if got := tree.LastDigest(); got != (ZxidDigest{Version: 2}) {
		t.Errorf("LastDigest %+v", got)
	}
	names, st, err := tree.GetChildren("/", nil)
	if err != nil || !slices.Equal(names, []string{"zookeeper"}) || st.NumChildren != 1 {
		t.Errorf("GetChildren(/) = %v %+v %v", names, st, err)
	}
}

// Stat effects of each txn type (docs/zk-disk-format.md §4.2), one table row per txn applied to a
// tree holding /a (with child /a/x) and /b.
func TestApplyStatEffects(t *testing.T) {
	type want struct {
		path string
		stat jute.StatPersisted
		data string
	}
	tests := []struct {
		name  string
		txn   func(b *txnBuilder) *jute.Txn
		err   Code
		nodes []want // nodes to check after the txn; zxid of the txn is 4, time 1004
		gone  []string
	}{
		{
			name: "create bumps parent cversion and pzxid",
			txn: func(b *txnBuilder) *jute.Txn {
				return b.txn(sess, jute.OpCreate, createTxn("/a/y", "v", nil, false, 2))
			},
			nodes: []want{
				{"/a/y", jute.StatPersisted{Czxid: 4, Mzxid: 4, Pzxid: 4, Ctime: 1004, Mtime: 1004}, "v"},
				{"/a", jute.StatPersisted{Czxid: 1, Mzxid: 1, Pzxid: 4, Ctime: 1001, Mtime: 1001, Cversion: 2}, "a"},
			},
		},
		{
			name: "create with parentCVersion -1 means current+1",
			txn: func(b *txnBuilder) *jute.Txn {
				return b.txn(sess, jute.OpCreate2, createTxn("/a/y", "", nil, false, -1))
			},
			nodes: []want{
				{"/a", jute.StatPersisted{Czxid: 1, Mzxid: 1, Pzxid: 4, Ctime: 1001, Mtime: 1001, Cversion: 2}, "a"},
			},
		},
		{
			name: "create never moves the parent back",
			txn:  func(b *txnBuilder) *jute.Txn { return b.txn(sess, jute.OpCreate, createTxn("/a/y", "", nil, false, 1)) },
			nodes: []want{
				{"/a/y", jute.StatPersisted{Czxid: 4, Mzxid: 4, Pzxid: 4, Ctime: 1004, Mtime: 1004}, ""},
				{"/a", jute.StatPersisted{Czxid: 1, Mzxid: 1, Pzxid: 2, Ctime: 1001, Mtime: 1001, Cversion: 1}, "a"},
			},
		},
		{
			name: "ephemeral owner is the txn's session",
			txn:  func(b *txnBuilder) *jute.Txn { return b.txn(sess2, jute.OpCreate, createTxn("/b/e", "", nil, true, 1)) },
			nodes: []want{
				{"/b/e", jute.StatPersisted{Czxid: 4, Mzxid: 4, Pzxid: 4, Ctime: 1004, Mtime: 1004, EphemeralOwner: sess2}, ""},
			},
		},
		{
			name: "container owner",
			txn: func(b *txnBuilder) *jute.Txn {
				return b.txn(sess, jute.OpCreateContainer, &jute.CreateContainerTxn{Path: "/c", Data: []byte{}, ACL: jute.OpenACL, ParentCVersion: 3})
			},
			nodes: []want{
				{"/c", jute.StatPersisted{Czxid: 4, Mzxid: 4, Pzxid: 4, Ctime: 1004, Mtime: 1004, EphemeralOwner: ContainerOwner}, ""},
				{"", jute.StatPersisted{Pzxid: 4, Cversion: 3}, ""},
			},
		},
		{
			name: "TTL owner",
			txn: func(b *txnBuilder) *jute.Txn {
				return b.txn(sess, jute.OpCreateTTL, &jute.CreateTTLTxn{Path: "/t", Data: []byte("x"), ACL: jute.OpenACL, ParentCVersion: 3, TTL: 3600000})
			},
			nodes: []want{
				{"/t", jute.StatPersisted{Czxid: 4, Mzxid: 4, Pzxid: 4, Ctime: 1004, Mtime: 1004, EphemeralOwner: u64(0xff0000000036ee80)}, "x"},
			},
		},
		{
			name: "create under a missing parent",
			txn: func(b *txnBuilder) *jute.Txn {
				return b.txn(sess, jute.OpCreate, createTxn("/nope/x", "", nil, false, 1))
			},
			err: NoNode,
		},
		{
			name: "delete moves parent pzxid, not cversion",
			txn:  func(b *txnBuilder) *jute.Txn { return b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/a/x"}) },
			nodes: []want{
				{"/a", jute.StatPersisted{Czxid: 1, Mzxid: 1, Pzxid: 4, Ctime: 1001, Mtime: 1001, Cversion: 1}, "a"},
			},
			gone: []string{"/a/x"},
		},
		{
			name: "deleteContainer is a delete",
			txn:  func(b *txnBuilder) *jute.Txn { return b.txn(0, jute.OpDeleteContainer, &jute.DeleteTxn{Path: "/b"}) },
			nodes: []want{
				{"", jute.StatPersisted{Pzxid: 4, Cversion: 2}, ""},
			},
			gone: []string{"/b"},
		},
		{
			name: "setData",
			txn: func(b *txnBuilder) *jute.Txn {
				return b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/a", Data: []byte("new"), Version: 7})
			},
			nodes: []want{
				{"/a", jute.StatPersisted{Czxid: 1, Mzxid: 4, Pzxid: 2, Ctime: 1001, Mtime: 1004, Version: 7, Cversion: 1}, "new"},
			},
		},
		{
			name: "reconfig is a setData",
			txn: func(b *txnBuilder) *jute.Txn {
				return b.txn(sess, jute.OpReconfig, &jute.SetDataTxn{Path: ConfigPath, Data: []byte("server.1=x"), Version: 1})
			},
			nodes: []want{
				{ConfigPath, jute.StatPersisted{Mzxid: 4, Mtime: 1004, Version: 1, Aversion: -1}, "server.1=x"},
			},
		},
		{
			name: "setACL",
			txn: func(b *txnBuilder) *jute.Txn {
				return b.txn(sess, jute.OpSetACL, &jute.SetACLTxn{Path: "/b", ACL: readACL, Version: 1})
			},
			nodes: []want{
				{"/b", jute.StatPersisted{Czxid: 3, Mzxid: 3, Pzxid: 3, Ctime: 1003, Mtime: 1003, Aversion: 1}, "b"},
			},
		},
		{
			name: "setData of a missing node",
			txn: func(b *txnBuilder) *jute.Txn {
				return b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/nope", Data: nil, Version: 1})
			},
			err: NoNode,
		},
		{
			name: "error txn carries its code",
			txn: func(b *txnBuilder) *jute.Txn {
				return b.txn(sess, jute.OpError, &jute.ErrorTxn{Err: int32(BadVersion)})
			},
			err: BadVersion,
		},
		{
			name: "check changes nothing",
			txn: func(b *txnBuilder) *jute.Txn {
				return b.txn(sess, jute.OpCheck, &jute.CheckVersionTxn{Path: "/a", Version: 0})
			},
			nodes: []want{
				{"/a", jute.StatPersisted{Czxid: 1, Mzxid: 1, Pzxid: 2, Ctime: 1001, Mtime: 1001, Cversion: 1}, "a"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree := New()
			var b txnBuilder
			mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/a", "a", jute.OpenACL, false, 1)))
			mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/a/x", "x", jute.OpenACL, false, 1)))
			mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/b", "b", jute.OpenACL, false, 2)))
			before := tree.Digest()
			r := tree.Apply(tc.txn(&b))
			if r.Err != tc.err {
				t.Fatalf("Err %v, want %v", r.Err, tc.err)
			}
			if tc.err != Ok && tree.Digest() != before {
				t.Errorf("failed txn changed the digest")
			}
			for _, w := range tc.nodes {
				m := mustMeta(t, tree, w.path)
				if m.Stat != w.stat || string(m.Data) != w.data {
					t.Errorf("%s: stat %+v data %q\n want %+v data %q", w.path, m.Stat, m.Data, w.stat, w.data)
				}
			}
			for _, p := range tc.gone {
				if _, ok := tree.Lookup(p); ok {
					t.Errorf("%s still exists", p)
				}
			}
			if got := recomputeDigest(tree); got != tree.Digest() {
				t.Errorf("incremental digest %d, recomputed %d", tree.Digest(), got)
			}
			if tree.LastProcessedZxid() != 4 || tree.LastDigest() != (ZxidDigest{4, 2, tree.Digest()}) {
				t.Errorf("LastProcessedZxid %d LastDigest %+v", tree.LastProcessedZxid(), tree.LastDigest())
			}
		})
	}
}

// Results carry the path and the client-visible Stat, whose cversion is
// ZooKeeper's "number of changes" translation and whose owner hides the
// container/TTL encodings.
func TestResultStat(t *testing.T) {
	tree := New()
	var b txnBuilder
	r := mustApply(t, tree, b.txn(sess, jute.OpCreateContainer, &jute.CreateContainerTxn{Path: "/c", Data: []byte("xy"), ACL: jute.OpenACL, ParentCVersion: 2}))
	if r.Path != "/c" || r.Stat.EphemeralOwner != 0 || r.Stat.DataLength != 2 || r.Stat.Czxid != 1 {
		t.Errorf("create result %+v", r)
	}
	for i := range 3 {
		mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn(fmt.Sprintf("/c/k%d", i), "", nil, false, int32(i+1))))
	}
	mustApply(t, tree, b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/c/k0"}))
	_, st, err := tree.GetData("/c", nil)
	// 3 creates, 1 delete: cversion 3 persisted, 3*2-2 = 4 changes visible.
	if err != nil || st.Cversion != 4 || st.NumChildren != 2 || st.EphemeralOwner != 0 {
		t.Errorf("GetData stat %+v %v", st, err)
	}
	if m := mustMeta(t, tree, "/c"); m.ClientStat() != st || m.Stat.Cversion != 3 || m.Stat.EphemeralOwner != ContainerOwner {
		t.Errorf("Lookup %+v / ClientStat %+v vs %+v", m.Stat, m.ClientStat(), st)
	}
	r = mustApply(t, tree, b.txn(sess2, jute.OpCreate, createTxn("/e", "", nil, true, 3)))
	if r.Stat.EphemeralOwner != sess2 {
		t.Errorf("ephemeral owner in stat %x", r.Stat.EphemeralOwner)
	}
	r = mustApply(t, tree, b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/c", Data: []byte("abc"), Version: 1}))
	if r.Stat.Version != 1 || r.Stat.DataLength != 3 || r.Stat.Mzxid != b.zxid || r.Stat.NumChildren != 2 {
		t.Errorf("setData stat %+v", r.Stat)
	}
}

// Sequential names come from the parent's cversion, which counts creates
// and survives deletes (docs/zk-disk-format.md §4.3, the fixture's seq-0000000001).
func TestSequentialNames(t *testing.T) {
	tree := New()
	var b txnBuilder
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/bench", "", nil, false, 1)))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/bench/empty", "", nil, false, 1)))
	var names []string
	for range 3 {
		m := mustMeta(t, tree, "/bench")
		name := SequentialName("/bench/seq-", m.Stat.Cversion)
		r := mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn(name, "", nil, false, m.Stat.Cversion+1)))
		names = append(names, r.Path)
		if len(names) == 1 {
			mustApply(t, tree, b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: name}))
		}
	}
	want := []string{"/bench/seq-0000000001", "/bench/seq-0000000002", "/bench/seq-0000000003"}
	if !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	for _, tc := range []struct {
		cv   int32
		want string
	}{{0, "p0000000000"}, {42, "p0000000042"}, {2147483647, "p2147483647"}, {-1, "p-000000001"}} {
		if got := SequentialName("p", tc.cv); got != tc.want {
			t.Errorf("SequentialName(%d) = %q, want %q", tc.cv, got, tc.want)
		}
	}
}

func TestACLCacheRefcounting(t *testing.T) {
	tree := New()
	var b txnBuilder
	refs := func() []int64 {
		var out []int64
		for _, e := range tree.ACLs() {
			out = append(out, e.Ref)
		}
		return out
	}
	// A null list is the open ACL without a cache entry; an explicit
	// world:anyone ALL list gets a normal reference.
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/null", "", nil, false, 1)))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/open1", "", jute.OpenACL, false, 2)))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/open2", "", slices.Clone(jute.OpenACL), false, 3)))
	if m := mustMeta(t, tree, "/null"); m.ACLRef != OpenACLRef || fmt.Sprint(m.ACL) != fmt.Sprint(jute.OpenACL) {
		t.Errorf("/null ref %d acl %v", m.ACLRef, m.ACL)
	}
	if a, c := mustMeta(t, tree, "/open1").ACLRef, mustMeta(t, tree, "/open2").ACLRef; a != 2 || c != 2 || tree.ACLRefCount(2) != 2 {
		t.Errorf("open refs %d %d count %d", a, c, tree.ACLRefCount(2))
	}
	// The fixture's sequence: a new list gets 3, setACL to another list
	// takes 4 and drops 3, which is never handed out again.
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/acl", "", rwaACL, false, 4)))
	mustApply(t, tree, b.txn(sess, jute.OpSetACL, &jute.SetACLTxn{Path: "/acl", ACL: readACL[:1:1], Version: 1}))
	if got := refs(); !slices.Equal(got, []int64{1, 2}) {
		// readACL equals the config node's list, so /acl shares ref 1.
		t.Errorf("refs %v, want [1 2]", got)
	}
	if tree.ACLRefCount(1) != 2 {
		t.Errorf("ref 1 count %d", tree.ACLRefCount(1))
	}
	mustApply(t, tree, b.txn(sess, jute.OpSetACL, &jute.SetACLTxn{Path: "/acl", ACL: rwaACL, Version: 2}))
	if m := mustMeta(t, tree, "/acl"); m.ACLRef != 4 {
		t.Errorf("re-created list got ref %d, want 4 (3 is never reused)", m.ACLRef)
	}
	// Setting the same list on its only user releases first, so the entry
	// dies and the list comes back under a new reference, as in ZooKeeper.
	mustApply(t, tree, b.txn(sess, jute.OpSetACL, &jute.SetACLTxn{Path: "/acl", ACL: rwaACL, Version: 3}))
	if m := mustMeta(t, tree, "/acl"); m.ACLRef != 5 {
		t.Errorf("same list on sole user: ref %d, want 5", m.ACLRef)
	}
	// Deleting the last users drops the entry.
	mustApply(t, tree, b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/open1"}))
	mustApply(t, tree, b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/open2"}))
	if got := refs(); !slices.Equal(got, []int64{1, 5}) {
		t.Errorf("refs %v, want [1 5]", got)
	}
	// An empty (non-null) list is a list like any other.
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/empty-acl", "", []jute.ACL{}, false, 7)))
	if m := mustMeta(t, tree, "/empty-acl"); m.ACLRef != 6 || m.ACL == nil || len(m.ACL) != 0 {
		t.Errorf("empty list: ref %d acl %#v", m.ACLRef, m.ACL)
	}
	acl, _, err := tree.GetACL("/acl")
	if err != nil || fmt.Sprint(acl) != fmt.Sprint(rwaACL) {
		t.Errorf("GetACL %v %v", acl, err)
	}
	if _, _, err := tree.GetACL("/nope"); err != NoNode {
		t.Errorf("GetACL(missing) err %v", err)
	}
}

func TestEphemeralTypes(t *testing.T) {
	hour, err := TTLOwner(3600000)
	if err != nil || uint64(hour) != 0xff0000000036ee80 {
		t.Fatalf("TTLOwner(1h) = %x, %v", uint64(hour), err)
	}
	short, _ := TTLOwner(500)
	tests := []struct {
		owner int64
		typ   EphemeralType
		ttl   int64
	}{
		{0, EphemeralVoid, 0},
		{sess, EphemeralNormal, 0},
		{ContainerOwner, EphemeralContainer, 0},
		{hour, EphemeralTTL, 3600000},
		{short, EphemeralTTL, 500},
		{u64(0xff01000000000001), EphemeralNormal, 0}, // unknown extended type
		{-1, EphemeralNormal, 0},                      // 0xffffffffffffffff: reserved bits set
	}
	for _, tc := range tests {
		if got := EphemeralTypeOf(tc.owner); got != tc.typ {
			t.Errorf("EphemeralTypeOf(%x) = %d, want %d", uint64(tc.owner), got, tc.typ)
		}
		if got := TTLOf(tc.owner); got != tc.ttl {
			t.Errorf("TTLOf(%x) = %d, want %d", uint64(tc.owner), got, tc.ttl)
		}
	}
	for _, bad := range []int64{0, -5, MaxTTL + 1} {
		if _, err := TTLOwner(bad); !errors.Is(err, ErrBadTTL) {
			t.Errorf("TTLOwner(%d) err %v", bad, err)
		}
	}
	if _, err := TTLOwner(MaxTTL); err != nil {
		t.Errorf("TTLOwner(MaxTTL): %v", err)
	}
	// A createTTL txn with an impossible TTL is rejected without effect.
	tree := New()
	var b txnBuilder
	r := tree.Apply(b.txn(sess, jute.OpCreateTTL, &jute.CreateTTLTxn{Path: "/t", ACL: jute.OpenACL, ParentCVersion: 1, TTL: 0}))
	if r.Err != BadArguments || tree.NodeCount() != 4 {
		t.Errorf("bad TTL: %v, %d nodes", r.Err, tree.NodeCount())
	}
}

func TestIndexesAndReapCandidates(t *testing.T) {
	tree := New()
	var b txnBuilder
	mustApply(t, tree, b.txn(sess, jute.OpCreateContainer, &jute.CreateContainerTxn{Path: "/c-new", ACL: jute.OpenACL, ParentCVersion: 1}))
	mustApply(t, tree, b.txn(sess, jute.OpCreateContainer, &jute.CreateContainerTxn{Path: "/c-used", ACL: jute.OpenACL, ParentCVersion: 2}))
	mustApply(t, tree, b.txn(sess, jute.OpCreateContainer, &jute.CreateContainerTxn{Path: "/c-full", ACL: jute.OpenACL, ParentCVersion: 3}))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/c-used/x", "", nil, false, 1)))
	mustApply(t, tree, b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/c-used/x"}))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/c-full/x", "", nil, false, 1)))
	mustApply(t, tree, b.txn(sess, jute.OpCreateTTL, &jute.CreateTTLTxn{Path: "/ttl-short", ACL: jute.OpenACL, ParentCVersion: 4, TTL: 500}))
	mustApply(t, tree, b.txn(sess, jute.OpCreateTTL, &jute.CreateTTLTxn{Path: "/ttl-long", ACL: jute.OpenACL, ParentCVersion: 5, TTL: 3600000}))
	mustApply(t, tree, b.txn(sess, jute.OpCreateTTL, &jute.CreateTTLTxn{Path: "/ttl-parent", ACL: jute.OpenACL, ParentCVersion: 6, TTL: 1}))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/ttl-parent/x", "", nil, false, 1)))
	if got := tree.Containers(); !slices.Equal(got, []string{"/c-full", "/c-new", "/c-used"}) {
		t.Errorf("Containers %v", got)
	}
	if got := tree.TTLNodes(); !slices.Equal(got, []string{"/ttl-long", "/ttl-parent", "/ttl-short"}) {
		t.Errorf("TTLNodes %v", got)
	}
	mtime := mustMeta(t, tree, "/ttl-short").Stat.Mtime
	if got := tree.ReapCandidates(mtime + 500); !slices.Equal(got, []string{"/c-used"}) {
		t.Errorf("at ttl: %v", got) // elapsed must exceed the TTL
	}
	if got := tree.ReapCandidates(mtime + 501); !slices.Equal(got, []string{"/c-used", "/ttl-short"}) {
		t.Errorf("past ttl: %v", got)
	}
	mustApply(t, tree, b.txn(0, jute.OpDeleteContainer, &jute.DeleteTxn{Path: "/c-used"}))
	mustApply(t, tree, b.txn(0, jute.OpDeleteContainer, &jute.DeleteTxn{Path: "/ttl-short"}))
	if got := tree.Containers(); !slices.Equal(got, []string{"/c-full", "/c-new"}) {
		t.Errorf("Containers after reaping %v", got)
	}
	if got := tree.TTLNodes(); !slices.Equal(got, []string{"/ttl-long", "/ttl-parent"}) {
		t.Errorf("TTLNodes after reaping %v", got)
	}
}

// closeSession deletes the ephemerals the txn lists and also those only
// the tree's index knows, and removes the session.
func TestCloseSession(t *testing.T) {
	tree := New()
	var b txnBuilder
	mustApply(t, tree, b.txn(sess, jute.OpCreateSession, &jute.CreateSessionTxn{TimeOut: 4000}))
	mustApply(t, tree, b.txn(sess2, jute.OpCreateSession, &jute.CreateSessionTxn{TimeOut: 6000}))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/p", "", nil, false, 1)))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/p/e1", "", nil, true, 1)))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/p/e2", "", nil, true, 2)))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/e3", "", nil, true, 2)))
	mustApply(t, tree, b.txn(sess2, jute.OpCreate, createTxn("/p/other", "", nil, true, 3)))
	if got := tree.Sessions(); fmt.Sprint(got) != fmt.Sprint([]Session{{sess, 4000}, {sess2, 6000}}) {
		t.Fatalf("Sessions %v", got)
	}
	if got := tree.Ephemerals(sess); !slices.Equal(got, []string{"/e3", "/p/e1", "/p/e2"}) {
		t.Fatalf("Ephemerals %v", got)
	}
	// The txn lists only one path (and one that does not exist).
	r := mustApply(t, tree, b.txn(sess, jute.OpCloseSession, &jute.CloseSessionTxn{Paths2Delete: []string{"/p/e1", "/gone"}}))
	if r.Err != Ok {
		t.Errorf("closeSession err %v", r.Err)
	}
	for _, p := range []string{"/p/e1", "/p/e2", "/e3"} {
		if _, ok := tree.Lookup(p); ok {
			t.Errorf("%s survived its session", p)
		}
	}
	if _, ok := tree.Lookup("/p/other"); !ok {
		t.Errorf("another session's ephemeral was deleted")
	}
	if m := mustMeta(t, tree, "/p"); m.Stat.Pzxid != b.zxid || m.Stat.Cversion != 3 {
		t.Errorf("/p after close: %+v", m.Stat)
	}
	if got := tree.Sessions(); fmt.Sprint(got) != fmt.Sprint([]Session{{sess2, 6000}}) {
		t.Errorf("Sessions after close %v", got)
	}
	if tree.EphemeralCount() != 1 || len(tree.Ephemerals(sess)) != 0 {
		t.Errorf("EphemeralCount %d", tree.EphemeralCount())
	}
	// An old-style close without body uses the index alone.
	mustApply(t, tree, b.txn(sess2, jute.OpCloseSession, &jute.CloseSessionTxn{}))
	if _, ok := tree.Lookup("/p/other"); ok || len(tree.Sessions()) != 0 {
		t.Errorf("body-less close left %v", tree.Sessions())
	}
	if recomputeDigest(tree) != tree.Digest() {
		t.Errorf("digest drifted")
	}
}

// u64 reinterprets an unsigned constant, such as an owner written in hex.
func u64(u uint64) int64 { return int64(u) }

func multiTxn(ops ...jute.Op) *jute.MultiTxn { return &jute.MultiTxn{Ops: ops} }

func TestMulti(t *testing.T) {
	setup := func(t *testing.T) (*Tree, *txnBuilder) {
		tree := New()
		b := &txnBuilder{}
		mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/m", "m", nil, false, 1)))
		mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/m/del", "", nil, false, 1)))
		return tree, b
	}
	t.Run("applied in order with one zxid", func(t *testing.T) {
		tree, b := setup(t)
		r := mustApply(t, tree, b.txn(sess, jute.OpMulti, multiTxn(
			jute.Op{Type: jute.OpCreate, Record: createTxn("/m/a", "", nil, false, 2)},
			jute.Op{Type: jute.OpSetData, Record: &jute.SetDataTxn{Path: "/m/a", Data: []byte("x"), Version: 1}},
			jute.Op{Type: jute.OpCheck, Record: &jute.CheckVersionTxn{Path: "/m", Version: 0}},
			jute.Op{Type: jute.OpDelete, Record: &jute.DeleteTxn{Path: "/m/del"}},
		)))
		if len(r.Multi) != 4 || r.Multi[1].Stat.Version != 1 || r.Multi[2].Path != "/m" {
			t.Fatalf("results %+v", r.Multi)
		}
		a := mustMeta(t, tree, "/m/a")
		if a.Stat.Czxid != 3 || a.Stat.Mzxid != 3 || string(a.Data) != "x" {
			t.Errorf("/m/a %+v", a.Stat)
		}
		if _, ok := tree.Lookup("/m/del"); ok {
			t.Errorf("/m/del not deleted")
		}
		if tree.LastProcessedZxid() != 3 {
			t.Errorf("zxid %d", tree.LastProcessedZxid())
		}
	})
	t.Run("failed multi is a no-op", func(t *testing.T) {
		tree, b := setup(t)
		before := tree.Digest()
		r := tree.Apply(b.txn(sess, jute.OpMulti, multiTxn(
			jute.Op{Type: jute.OpCreate, Record: createTxn("/m/b", "", nil, false, 2)},
			jute.Op{Type: jute.OpSetData, Record: &jute.SetDataTxn{Path: "/m", Data: []byte("y"), Version: 1}},
			jute.Op{Type: jute.OpError, Record: &jute.ErrorTxn{Err: int32(NoNode)}},
			jute.Op{Type: jute.OpError, Record: &jute.ErrorTxn{Err: int32(RuntimeInconsistency)}},
		)))
		if r.Err != NoNode || tree.Digest() != before {
			t.Errorf("err %v, digest moved %v", r.Err, tree.Digest() != before)
		}
		var got []string
		for _, s := range r.Multi {
			got = append(got, fmt.Sprintf("%d:%d", s.Type, s.Err))
		}
		if want := "-1:0 -1:0 -1:-101 -1:-2"; strings.Join(got, " ") != want {
			t.Errorf("sub-results %v, want %s", got, want)
		}
		if _, ok := tree.Lookup("/m/b"); ok {
			t.Errorf("failed multi created /m/b")
		}
		if tree.LastDigest().Zxid != 3 {
			t.Errorf("failed multi not recorded in the digest log")
		}
	})
	t.Run("unknown sub-op ends the multi", func(t *testing.T) {
		tree, b := setup(t)
		r := tree.Apply(b.txn(sess, jute.OpMulti, multiTxn(
			jute.Op{Type: jute.OpCreate, Record: createTxn("/m/c", "", nil, false, 2)},
			jute.Op{Type: jute.OpSetACL, Record: &jute.SetACLTxn{Path: "/m", ACL: readACL, Version: 1}},
			jute.Op{Type: jute.OpDelete, Record: &jute.DeleteTxn{Path: "/m/del"}},
		)))
		if len(r.Multi) != 1 {
			t.Errorf("results %+v", r.Multi)
		}
		_, created := tree.Lookup("/m/c")
		_, kept := tree.Lookup("/m/del")
		if !created || !kept {
			t.Errorf("created %v kept %v", created, kept)
		}
	})
}

// The tolerant replay rules: a create of an existing node and a delete of
// a missing one report their codes, change nothing else, except that the
// parent moves forward (cversion/pzxid for create, pzxid for delete).
func TestReplayTolerance(t *testing.T) {
	tree := New()
	var b txnBuilder
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/p", "", nil, false, 1)))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/p/x", "x", nil, false, 1)))
	r := tree.Apply(b.txn(sess, jute.OpCreate, createTxn("/p/x", "other", nil, false, 5)))
	if r.Err != NodeExists {
		t.Fatalf("re-create: %v", r.Err)
	}
	if m := mustMeta(t, tree, "/p"); m.Stat.Cversion != 5 || m.Stat.Pzxid != 3 {
		t.Errorf("parent after tolerated create: %+v", m.Stat)
	}
	if m := mustMeta(t, tree, "/p/x"); string(m.Data) != "x" || m.Stat.Czxid != 2 {
		t.Errorf("existing node changed: %+v %q", m.Stat, m.Data)
	}
	// create2 gets no parent fix-up (ZooKeeper only does it for create).
	r = tree.Apply(b.txn(sess, jute.OpCreate2, createTxn("/p/x", "", nil, false, 9)))
	if m := mustMeta(t, tree, "/p"); r.Err != NodeExists || m.Stat.Cversion != 5 {
		t.Errorf("create2 over existing: %v, cversion %d", r.Err, m.Stat.Cversion)
	}
	r = tree.Apply(b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/p/missing"}))
	if r.Err != NoNode {
		t.Fatalf("delete missing: %v", r.Err)
	}
	if m := mustMeta(t, tree, "/p"); m.Stat.Pzxid != 5 || m.Stat.Cversion != 5 {
		t.Errorf("parent after tolerated delete: %+v", m.Stat)
	}
	if r := tree.Apply(b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/nope/x"})); r.Err != NoNode {
		t.Errorf("delete under missing parent: %v", r.Err)
	}
	if recomputeDigest(tree) != tree.Digest() {
		t.Errorf("digest drifted")
	}
}

func TestDigestLog(t *testing.T) {
	tree := New()
	b := txnBuilder{zxid: 100}
	for range 300 {
		mustApply(t, tree, b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/zookeeper", Data: []byte{byte(b.zxid)}, Version: 1}))
	}
	var zxids []int64
	for _, d := range tree.DigestLog() {
		zxids = append(zxids, d.Zxid)
	}
	if !slices.Equal(zxids, []int64{128, 256, 384}) {
		t.Errorf("digest log zxids %v", zxids)
	}
	if d := tree.LastDigest(); d.Zxid != 400 || d.Digest != tree.Digest() {
		t.Errorf("LastDigest %+v", d)
	}
	// A txn carrying a wrong digest is applied and reported.
	txn := b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/zookeeper", Data: []byte("z"), Version: 2})
	txn.Digest = &jute.TxnDigest{Version: 2, TreeDigest: 12345}
	if r := tree.Apply(txn); !r.DigestMismatch || tree.DigestMismatches() != 1 || r.Err != Ok {
		t.Errorf("mismatch not reported: %+v", r)
	}
	txn = b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/zookeeper", Data: []byte("y"), Version: 3})
	txn.Digest = &jute.TxnDigest{Version: 1, TreeDigest: 12345} // other versions are not compared
	if r := tree.Apply(txn); r.DigestMismatch {
		t.Errorf("digest of another version compared")
	}
}

func TestValidatePath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"/", true}, {"/a", true}, {"/a/b.c", true}, {"/a/...", true}, {"/.a", true}, {"/zookeeper", true},
		{"/é", true},
		{"", false}, {"a", false}, {"/a/", false}, {"//a", false}, {"/a//b", false},
		{"/.", false}, {"/a/.", false}, {"/a/./b", false}, {"/..", false}, {"/a/../b", false},
		{"/a\x00b", false}, {"/a\x01", false}, {"/a\u007f", false}, {"/a\u009f", false},
		{"/a\ue000", false}, {"/a\ufff0", false}, {"/a\U0001F600", false}, {"/a\xff", false},
	}
	for _, tc := range tests {
		err := ValidatePath(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("ValidatePath(%q) = %v, want ok=%v", tc.path, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidPath) {
			t.Errorf("ValidatePath(%q) error does not wrap ErrInvalidPath", tc.path)
		}
	}
}

func TestCodeError(t *testing.T) {
	var err error = NoNode
	var c Code
	if !errors.As(fmt.Errorf("wrapped: %w", err), &c) || c != NoNode {
		t.Fatalf("errors.As: %v", c)
	}
	if NoNode.Error() != "KeeperErrorCode = NoNode" || Code(-999).String() != "Unknown error -999" {
		t.Errorf("messages %q %q", NoNode.Error(), Code(-999).String())
	}
}

// The node struct must stay in the 96-byte size class: a million znodes
// per ensemble member is the memory budget's unit.
func TestNodeSize(t *testing.T) {
	if s := unsafe.Sizeof(node{}); s != 96 {
		t.Errorf("node is %d bytes, want 96", s)
	}
	var n node
	for _, tc := range []struct {
		in   []byte
		null bool
	}{{nil, true}, {[]byte{}, false}, {[]byte("abc"), false}} {
		n.setData(tc.in)
		got := n.bytes()
		if (got == nil) != tc.null || string(got) != string(tc.in) || cap(got) != len(got) || n.size() != int64(len(tc.in)) {
			t.Errorf("setData(%#v) -> %#v (cap %d)", tc.in, got, cap(got))
		}
	}
}
