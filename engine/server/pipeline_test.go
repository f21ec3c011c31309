package server

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// prepareAll prepares reqs back to back, none applied yet.
func (e *env) prepareAll(reqs ...Request) []*jute.Txn {
	e.t.Helper()
	txns := make([]*jute.Txn, len(reqs))
	for i, r := range reqs {
		txns[i] = e.prepare(r)
	}
	return txns
}

func bodies(txns []*jute.Txn) []jute.Record {
	out := make([]jute.Record, len(txns))
	for i, t := range txns {
		out[i] = t.Body
	}
	return out
}

func TestPipelinedDependentWrites(t *testing.T) {
	e := newEnv(t, Config{})
	txns := e.prepareAll(
		createReq("/p", "p", jute.FlagPersistent),
		createReq("/p/c", "c", jute.FlagPersistent), // its parent is only outstanding
		setDataReq("/p/c", "c2", 0),                 // so is the node
	)
	want := []jute.Record{
		&jute.CreateTxn{Path: "/p", Data: []byte("p"), ACL: jute.OpenACL, ParentCVersion: 1},
		&jute.CreateTxn{Path: "/p/c", Data: []byte("c"), ACL: jute.OpenACL, ParentCVersion: 1},
		&jute.SetDataTxn{Path: "/p/c", Data: []byte("c2"), Version: 1},
	}
	if got := bodies(txns); !reflect.DeepEqual(got, want) {
		t.Fatalf("bodies %+v", got)
	}
	if n := e.p.Outstanding(); n != 5 {
		t.Errorf("outstanding = %d, want 5 (2 per create, 1 per setData)", n)
	}
	for _, txn := range txns {
		if r := e.apply(txn); r.Err != datatree.Ok {
			t.Fatalf("apply %s: %v", jute.OpName(txn.Header.Type), r.Err)
		}
	}
	if n := e.p.Outstanding(); n != 0 {
		t.Errorf("outstanding after apply = %d", n)
	}
	if m, _ := e.tree.Lookup("/p/c"); string(m.Data) != "c2" || m.Stat.Version != 1 {
		t.Errorf("/p/c = %+v", m)
	}
}

func TestPipelinedConflicts(t *testing.T) {
	e := baseTree(t, Config{})
	txns := e.prepareAll(
		deleteReq("/a/child", -1),
		setDataReq("/a/child", "x", -1),                     // NoNode: deleted by the outstanding delete
		createReq("/a/child", "again", jute.FlagPersistent), // fine: the name is free again
		createReq("/a/child", "twice", jute.FlagPersistent), // NodeExists: created just above
		deleteReq("/a", -1),                                 // NotEmpty: /a/child is back
		setDataReq("/a", "v", 0),
		setDataReq("/a", "v", 0), // BadVersion: the one above made it 1
	)
	wantErr := []datatree.Code{datatree.Ok, datatree.NoNode, datatree.Ok, datatree.NodeExists, datatree.NotEmpty, datatree.Ok, datatree.BadVersion}
	for i, txn := range txns {
		got := datatree.Ok
		if txn.Header.Type == jute.OpError {
			got = datatree.Code(txn.Body.(*jute.ErrorTxn).Err)
		}
		if got != wantErr[i] {
			t.Errorf("request %d: %v, want %v", i, got, wantErr[i])
		}
	}
	if c := txns[2].Body.(*jute.CreateTxn); c.ParentCVersion != 2 {
		t.Errorf("re-create parentCVersion = %d, want 2", c.ParentCVersion)
	}
	for _, txn := range txns {
		e.apply(txn)
	}
}

func TestPipelinedSequentialNames(t *testing.T) {
	e := baseTree(t, Config{})
	seq := func() Request { return createReq("/a/s-", "", jute.FlagPersistentSequential) }
	txns := e.prepareAll(
		seq(), seq(),
		// A failed multi whose sequential create took the next suffix: the
		// rollback must give it back (ZOOKEEPER-1624).
		multiReq(opCreate("/a/s-", "", jute.FlagPersistentSequential), opDelete("/a/none", -1)),
		seq(),
		deleteReq("/a/s-0000000001", -1), // deletes do not bump cversion...
		seq(),                            // ...so the counter goes on
	)
	var names []string
	for _, txn := range txns {
		switch b := txn.Body.(type) {
		case *jute.CreateTxn:
			names = append(names, b.Path)
		case *jute.MultiTxn:
			names = append(names, "multi:"+b.Ops[0].Record.(*jute.CreateTxn).Path)
		}
	}
	want := []string{"/a/s-0000000001", "/a/s-0000000002", "multi:/a/s-0000000003", "/a/s-0000000003", "/a/s-0000000004"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	for _, txn := range txns {
		e.apply(txn)
	}
	kids, _, _ := e.tree.GetChildren("/a", nil)
	if len(kids) != 4 { // child, s-2, s-3, s-4
		t.Errorf("children %v", kids)
	}
}

// A failed multi takes back its own change records and restores the ones
// of earlier outstanding txns it had replaced.
func TestFailedMultiLeavesNoTrace(t *testing.T) {
	e := baseTree(t, Config{})
	first := e.prepare(setDataReq("/a", "one", 0)) // version 1, outstanding
	before := e.p.Outstanding()
	digestBefore := e.p.currentDigest()
	failed := e.prepare(multiReq(
		opSetData("/a", "two", 1), // replaces /a's outstanding record
		opCreate("/a/x", "", jute.FlagPersistent),
		opCreate("/a/x", "", jute.FlagPersistent), // NodeExists
	))
	if failed.Body.(*jute.MultiTxn).Ops[2].Type != jute.OpError {
		t.Fatalf("multi did not fail: %+v", failed.Body)
	}
	if n := e.p.Outstanding(); n != before {
		t.Errorf("outstanding %d after the failed multi, want %d", n, before)
	}
	if failed.Digest.TreeDigest != digestBefore || e.p.currentDigest() != digestBefore {
		t.Errorf("failed multi moved the digest")
	}
	// /a is back at the first setData's version, /a/x does not exist.
	next := e.prepareAll(setDataReq("/a", "three", 1), createReq("/a/x", "", jute.FlagPersistent))
	for i, txn := range next {
		if txn.Header.Type == jute.OpError {
			t.Errorf("request %d after the failed multi: %+v", i, txn.Body)
		}
	}
	for _, txn := range append([]*jute.Txn{first, failed}, next...) {
		e.apply(txn)
	}
	if m, _ := e.tree.Lookup("/a"); string(m.Data) != "three" || m.Stat.Version != 2 {
		t.Errorf("/a = %q v%d", m.Data, m.Stat.Version)
	}
}

func TestCloseSessionSeesOutstandingChanges(t *testing.T) {
	e := baseTree(t, Config{})
	e.mustDo(sessionReq(sessB, 4000))
	inB := func(r Request) Request { r.SessionID = sessB; return r }
	e.mustDo(inB(createReq("/b1", "", jute.FlagEphemeral)))
	e.mustDo(inB(createReq("/b2", "", jute.FlagEphemeral)))
	txns := e.prepareAll(
		inB(createReq("/b3", "", jute.FlagEphemeral)), // only outstanding
		deleteReq("/b1", -1),                          // deleted, not yet applied
		inB(setDataReq("/b2", "x", -1)),               // a duplicate record of a listed node
		closeReq(sessB),
		inB(createReq("/b4", "", jute.FlagPersistent)), // the session is gone for the tree, not for prepare
	)
	// The clone of the tree's {/b1, /b2}, minus the outstanding delete, plus
	// the outstanding create, in HashSet order.
	es := newJavaSet(0)
	es.add("/b1")
	es.add("/b2")
	es = es.clone()
	es.remove("/b1")
	es.add("/b3")
	got := txns[3].Body.(*jute.CloseSessionTxn).Paths2Delete
	if want := es.list(); !reflect.DeepEqual(got, want) || len(got) != 2 {
		t.Errorf("paths2Delete %v, want %v", got, want)
	}
	for _, txn := range txns {
		e.apply(txn)
	}
	if eph := e.tree.Ephemerals(sessB); len(eph) != 0 {
		t.Errorf("session B still owns %v", eph)
	}
	// /b3's parent (the root) records the close's zxid as pzxid.
	if m, _ := e.tree.Lookup("/"); m.Stat.Pzxid != txns[4].Header.Zxid {
		t.Errorf("root pzxid 0x%x", m.Stat.Pzxid)
	}
}

// paths2Delete comes out in the order of a cloned Java HashSet, not sorted.
func TestCloseSessionOrder(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustDo(sessionReq(sessA, 4000))
	var created []string
	for i := range 20 {
		p := fmt.Sprintf("/e%02d", i)
		created = append(created, p)
		e.mustDo(createReq(p, "", jute.FlagEphemeral))
	}
	got := e.do(closeReq(sessA)).Body.(*jute.CloseSessionTxn).Paths2Delete
	orig := newJavaSet(0)
	for _, p := range created {
		orig.add(p)
	}
	if want := orig.clone().list(); !reflect.DeepEqual(got, want) {
		t.Errorf("paths2Delete\n got %v\nwant %v", got, want)
	}
}

func TestAppliedOutOfBand(t *testing.T) {
	e := baseTree(t, Config{})
	txns := e.prepareAll(createReq("/x", "", jute.FlagPersistent), setDataReq("/x", "1", -1))
	if n := e.p.Outstanding(); n != 3 {
		t.Fatalf("outstanding %d", n)
	}
	// Apply the create through the tree and tell the Preparer afterwards.
	e.tree.Apply(txns[0])
	e.p.Applied(txns[0].Header.Zxid)
	if n := e.p.Outstanding(); n != 1 {
		t.Errorf("outstanding %d after Applied, want the setData's record", n)
	}
	third := e.prepare(setDataReq("/x", "2", 1))
	if third.Header.Type == jute.OpError {
		t.Fatalf("third: %+v", third.Body)
	}
	e.apply(txns[1])
	e.apply(third)
}

func TestReset(t *testing.T) {
	e := baseTree(t, Config{})
	e.prepare(createReq("/x", "", jute.FlagPersistent)) // lost with the old leader
	e.p.Reset()
	if n := e.p.Outstanding(); n != 0 {
		t.Fatalf("outstanding %d after Reset", n)
	}
	txn := e.prepare(createReq("/x", "", jute.FlagPersistent))
	if txn.Header.Type != jute.OpCreate || txn.Digest.TreeDigest == e.tree.Digest() {
		t.Fatalf("create after Reset: %+v", txn)
	}
	e.apply(txn)
}

// One goroutine prepares while another applies, as the pipeline's stages
// do; the race detector watches the shared state.
func TestConcurrentPrepareAndApply(t *testing.T) {
	e := baseTree(t, Config{})
	const n = 400
	ch := make(chan *jute.Txn, 16)
	var wg sync.WaitGroup
	var mismatches, failures int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for txn := range ch {
			r := e.p.Apply(txn)
			if r.DigestMismatch {
				mismatches++
			}
			if r.Err != datatree.Ok {
				failures++
			}
		}
	}()
	zxid := e.zxid
	for i := range n {
		zxid++
		var req Request
		switch i % 4 {
		case 0:
			req = createReq(fmt.Sprintf("/a/n%d", i), "v", jute.FlagPersistent)
		case 1:
			req = setDataReq(fmt.Sprintf("/a/n%d", i-1), "w", 0)
		case 2:
			req = createReq("/a/s-", "", jute.FlagEphemeralSequential)
		case 3:
			req = deleteReq(fmt.Sprintf("/a/n%d", i-3), 1)
		}
		txn := e.p.Prepare(req, zxid, int64(i))
		if txn.Header.Type == jute.OpError {
			t.Errorf("request %d failed: %v", i, txn.Body)
		}
		ch <- txn
	}
	close(ch)
	wg.Wait()
	if mismatches != 0 || failures != 0 {
		t.Errorf("%d digest mismatches, %d failed applies", mismatches, failures)
	}
}

// The root has two names, "/" (what a setData on it says) and "" (what a
// create of /x names as parent), and ZooKeeper keys outstanding changes by
// name: a setData on "/" pipelined behind a create under the root reads the
// root from the tree, stale, and logs a digest the tree disagrees with. The
// txn body is right. TestZooKeeperOracle confirms ZooKeeper 3.8.0 logs the
// very same bytes.
func TestRootAliasDigestQuirk(t *testing.T) {
	e := baseTree(t, Config{})
	txns := e.prepareAll(createReq("/x", "", jute.FlagPersistent), setDataReq("/", "root", -1))
	if want := (&jute.SetDataTxn{Path: "/", Data: []byte("root"), Version: 1}); !reflect.DeepEqual(txns[1].Body, want) {
		t.Fatalf("setData body %+v", txns[1].Body)
	}
	e.apply(txns[0])
	if r := e.p.Apply(txns[1]); !r.DigestMismatch {
		t.Errorf("the root alias no longer produces ZooKeeper's digest mismatch")
	}
	// Unpipelined, both names give the right digest.
	e.apply(e.prepare(setDataReq("/", "again", -1)))
	e.apply(e.prepare(createReq("/y", "", jute.FlagPersistent)))
}
