package datatree

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"zkbench/engine/jute"
)

func TestLoader(t *testing.T) {
	ttl, _ := TTLOwner(1000)
	st := func(owner int64) jute.StatPersisted {
		return jute.StatPersisted{Czxid: 5, Mzxid: 5, Pzxid: 5, EphemeralOwner: owner}
	}
	l := NewLoader()
	l.AddSession(sess, 4000)
	l.AddACL(1, readACL)
	l.AddACL(2, jute.OpenACL)
	l.AddACL(7, rwaACL) // unused: purged
	nodes := []NodeView{
		{Path: "", Data: []byte{}, ACLRef: OpenACLRef},
		{Path: "/zookeeper", Data: []byte{}, ACLRef: OpenACLRef},
		{Path: "/zookeeper/config", Data: []byte{}, ACLRef: 1, Stat: jute.StatPersisted{Aversion: -1}},
		{Path: "/zookeeper/quota", Data: []byte{}, ACLRef: OpenACLRef},
		{Path: "/b", Data: []byte("b"), ACLRef: 2, Stat: st(0)},
		{Path: "/b/e", Data: nil, ACLRef: 2, Stat: st(sess)},
		{Path: "/b/c", Data: []byte{}, ACLRef: 2, Stat: st(ContainerOwner)},
		{Path: "/b/t", Data: []byte{}, ACLRef: 2, Stat: st(ttl)},
		{Path: "/b/c/x", Data: []byte("x"), ACLRef: 9, Stat: st(0)}, // ref not in the cache: ignored
	}
	var want int64
	for _, n := range nodes {
		if err := l.AddNode(n.Path, n.Data, n.ACLRef, n.Stat); err != nil {
			t.Fatal(err)
		}
		want += NodeDigest(n.Path, n.Data, &n.Stat)
	}
	tree, err := l.Finish(0x40, &ZxidDigest{Zxid: 0x42, Version: 2, Digest: 99})
	if err != nil {
		t.Fatal(err)
	}
	if tree.Digest() != want || tree.NodeCount() != len(nodes) || tree.LastProcessedZxid() != 0x40 {
		t.Errorf("digest %d (want %d), %d nodes, zxid %x", tree.Digest(), want, tree.NodeCount(), tree.LastProcessedZxid())
	}
	if got := walkAll(tree); len(got) != len(nodes) || got[0].Path != "" {
		t.Errorf("walk %v", got)
	}
	if got := tree.Ephemerals(sess); !slices.Equal(got, []string{"/b/e"}) {
		t.Errorf("ephemerals %v", got)
	}
	if !slices.Equal(tree.Containers(), []string{"/b/c"}) || !slices.Equal(tree.TTLNodes(), []string{"/b/t"}) {
		t.Errorf("containers %v ttls %v", tree.Containers(), tree.TTLNodes())
	}
	var refs []int64
	for _, e := range tree.ACLs() {
		refs = append(refs, e.Ref)
	}
	if !slices.Equal(refs, []int64{1, 2}) || tree.ACLRefCount(2) != 4 {
		t.Errorf("ACL refs %v, ref 2 used %d", refs, tree.ACLRefCount(2))
	}
	if m := mustMeta(t, tree, "/b/e"); m.Data != nil {
		t.Errorf("null data became %#v", m.Data)
	}
	if names, _, _ := tree.GetChildren("/b", nil); len(names) != 3 {
		t.Errorf("children of /b: %v", names)
	}
	// The counter continues after the highest reference, even a purged one.
	b := txnBuilder{zxid: 0x40}
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/b/n", "", []jute.ACL{{Perms: 3, ID: jute.ID{Scheme: "world", ID: "anyone"}}}, false, 1)))
	if m := mustMeta(t, tree, "/b/n"); m.ACLRef != 8 {
		t.Errorf("new ACL ref %d, want 8", m.ACLRef)
	}
	// Still fuzzy: nothing recorded, no digest compared until 0x42.
	if tree.LastDigest() != (ZxidDigest{Version: 2}) {
		t.Errorf("LastDigest while fuzzy %+v", tree.LastDigest())
	}
	mustApply(t, tree, b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/b", Data: nil, Version: 1}))
	if tree.DigestMismatches() != 1 { // 99 is not the digest at 0x42
		t.Errorf("snapshot digest not compared at its zxid")
	}
	if tree.LastDigest() != (ZxidDigest{Version: 2}) {
		t.Errorf("the digest zxid's txn itself is not recorded either")
	}
	mustApply(t, tree, b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/b", Data: nil, Version: 2}))
	if d := tree.LastDigest(); d.Zxid != 0x43 {
		t.Errorf("LastDigest after the fuzzy window %+v", d)
	}
	// Closing the session deletes the ephemeral the snapshot recorded.
	mustApply(t, tree, b.txn(sess, jute.OpCloseSession, &jute.CloseSessionTxn{}))
	if _, ok := tree.Lookup("/b/e"); ok || len(tree.Sessions()) != 0 {
		t.Errorf("session not closed")
	}
}

func TestLoaderErrors(t *testing.T) {
	root := func(l *Loader) { l.AddNode("", []byte{}, OpenACLRef, jute.StatPersisted{}) }
	tests := []struct {
		name  string
		build func(l *Loader) error
		want  string
	}{
		{"missing parent", func(l *Loader) error {
			root(l)
			return l.AddNode("/a/b", nil, OpenACLRef, jute.StatPersisted{})
		}, "Invalid Datatree, unable to find parent /a of path /a/b"},
		{"root not first", func(l *Loader) error {
			return l.AddNode("/a", nil, OpenACLRef, jute.StatPersisted{})
		}, "unable to find parent  of path /a"},
		{"relative path", func(l *Loader) error {
			root(l)
			return l.AddNode("a", nil, OpenACLRef, jute.StatPersisted{})
		}, "not absolute"},
		{"no root", func(l *Loader) error {
			_, err := l.Finish(0, nil)
			return err
		}, "no root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.build(NewLoader())
			if !errors.Is(err, ErrInvalidTree) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want ErrInvalidTree with %q", err, tc.want)
			}
		})
	}
}

// Walk is parent-first and sorted, and a Loader rebuilds the same tree.
func TestWalkRoundTrip(t *testing.T) {
	tree := New()
	var b txnBuilder
	for _, p := range []string{"/b", "/a", "/a/z", "/a/y", "/a/y/1", "/c"} {
		parent, _ := split(p)
		m := mustMeta(t, tree, canon(parent))
		mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn(p, p, jute.OpenACL, false, m.Stat.Cversion+1)))
	}
	var got []string
	l := NewLoader()
	for _, e := range tree.ACLs() {
		l.AddACL(e.Ref, e.ACL)
	}
	tree.Walk(func(v NodeView) error {
		got = append(got, v.Path)
		return l.AddNode(v.Path, v.Data, v.ACLRef, v.Stat)
	})
	want := []string{"", "/a", "/a/y", "/a/y/1", "/a/z", "/b", "/c", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"}
	if !slices.Equal(got, want) {
		t.Errorf("walk order %q", got)
	}
	copy, err := l.Finish(tree.LastProcessedZxid(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffTrees(tree, copy, false); len(d) > 0 {
		t.Errorf("round trip differs: %v", d)
	}
	stop := errors.New("stop")
	n := 0
	if err := tree.Walk(func(NodeView) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("Walk did not stop: %v after %d", err, n)
	}
}

// A snapshot walk, readers and Apply run at once (run with -race). Each walk
// must be parent-first, and the final tree must be consistent.
func TestConcurrentWalkReadsAndApply(t *testing.T) {
	tree := New()
	var b txnBuilder
	mustApply(t, tree, b.txn(sess, jute.OpCreateSession, &jute.CreateSessionTxn{TimeOut: 1000}))
	const dirs = 8
	for d := range dirs {
		mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn(fmt.Sprintf("/d%d", d), "", nil, false, int32(d+2))))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the single writer
		defer wg.Done()
		defer close(done)
		rng := rand.New(rand.NewPCG(1, 2))
		live := map[string]bool{}
		for i := range 1500 {
			d := rng.IntN(dirs)
			p := fmt.Sprintf("/d%d/n%d", d, rng.IntN(50))
			var txn *jute.Txn
			switch {
			case !live[p]:
				m, _ := tree.Lookup(fmt.Sprintf("/d%d", d))
				txn = b.txn(sess, jute.OpCreate, createTxn(p, "v", nil, i%3 == 0, m.Stat.Cversion+1))
				live[p] = true
			case i%2 == 0:
				txn = b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: p, Data: []byte(p), Version: int32(i)})
			default:
				txn = b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: p})
				delete(live, p)
			}
			if r := tree.Apply(txn); r.Err != Ok {
				t.Errorf("apply %s: %v", txn.Path(), r.Err)
				return
			}
		}
	}()
	for range 2 { // snapshot walkers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				seen := map[string]bool{}
				err := tree.Walk(func(v NodeView) error {
					if parent, ok := split(v.Path); ok && !seen[canon(parent)] {
						return fmt.Errorf("%s before its parent", v.Path)
					}
					seen[v.Path] = true
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				tree.ACLs()
				tree.Sessions()
				tree.LastDigest()
			}
		}()
	}
	for r := range 2 { // readers
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &recorder{}
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				p := fmt.Sprintf("/d%d/n%d", (i+r)%dirs, i%50)
				tree.GetData(p, nil)
				tree.Exists(p, w)
				tree.GetChildren(fmt.Sprintf("/d%d", i%dirs), nil)
				tree.Lookup(p)
				tree.GetACL(p)
				tree.ReapCandidates(0)
			}
		}()
	}
	wg.Wait()
	if got := recomputeDigest(tree); got != tree.Digest() {
		t.Errorf("digest %d, recomputed %d", tree.Digest(), got)
	}
	n := 0
	tree.Walk(func(NodeView) error { n++; return nil })
	if n != tree.NodeCount() {
		t.Errorf("walked %d nodes, NodeCount %d", n, tree.NodeCount())
	}
}

// A node listed twice replaces the first (ZooKeeper's nodes.put): the
// children that follow hang under the second, whether their parent was
// just looked up or not.
func TestLoaderDuplicateParent(t *testing.T) {
	l := NewLoader()
	for _, p := range []string{"", "/a", "/a/b", "/a", "/a/c", "/d", "/a/e"} {
		if err := l.AddNode(p, []byte(p), OpenACLRef, jute.StatPersisted{}); err != nil {
			t.Fatal(err)
		}
	}
	tree, err := l.Finish(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	kids, _, err := tree.GetChildren("/a", nil)
	slices.Sort(kids)
	if err != nil || !slices.Equal(kids, []string{"c", "e"}) {
		t.Errorf("children of /a: %v, %v; want those listed after its second entry", kids, err)
	}
	if kids, _, _ := tree.GetChildren("/", nil); len(kids) != 2 {
		t.Errorf("children of /: %v, want a (once) and d", kids)
	}
}

// A node listed again after its parent was replaced replaces its first
// entry too: counted once, its first digest taken back.
func TestLoaderDuplicateUnderReplacedParent(t *testing.T) {
	l := NewLoader()
	final := map[string][]byte{}
	for i, p := range []string{"", "/a", "/a/b", "/a", "/a/b", "/a/c"} {
		data := []byte(fmt.Sprint(p, i))
		if err := l.AddNode(p, data, OpenACLRef, jute.StatPersisted{}); err != nil {
			t.Fatal(err)
		}
		final[p] = data
	}
	tree, err := l.Finish(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for p, d := range final {
		want += NodeDigest(p, d, &jute.StatPersisted{})
	}
	kids, _, _ := tree.GetChildren("/a", nil)
	slices.Sort(kids)
	if tree.NodeCount() != len(final) || tree.Digest() != want || !slices.Equal(kids, []string{"b", "c"}) {
		t.Errorf("%d nodes, digest %d, children of /a %v; want %d, %d, [b c]", tree.NodeCount(), tree.Digest(), kids, len(final), want)
	}
}
