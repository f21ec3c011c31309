package datatree

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"zkbench/engine/jute"
)

// recorder is a Watcher that remembers its events as "Type path".
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Process(e WatchedEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf("%d %s", e.Type, e.Path))
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func TestWatches(t *testing.T) {
	const (
		created  = "1 "
		deleted  = "2 "
		changed  = "3 "
		children = "4 "
	)
	tests := []struct {
		name  string
		watch func(tree *Tree, w Watcher)
		txns  func(b *txnBuilder) []*jute.Txn
		want  []string
	}{
		{
			name:  "data watch fires once on setData",
			watch: func(tree *Tree, w Watcher) { tree.GetData("/a", w) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{
					b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/a", Data: []byte("1"), Version: 1}),
					b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/a", Data: []byte("2"), Version: 2}),
				}
			},
			want: []string{changed + "/a"},
		},
		{
			name: "exists watch on a missing node fires on create",
			watch: func(tree *Tree, w Watcher) {
				if _, err := tree.Exists("/new", w); err != NoNode {
					t.Errorf("Exists: %v", err)
				}
			},
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{b.txn(sess, jute.OpCreate, createTxn("/new", "", nil, false, 3))}
			},
			want: []string{created + "/new"},
		},
		{
			name:  "child watch fires on create and delete of a child",
			watch: func(tree *Tree, w Watcher) { tree.GetChildren("/a", w) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{
					b.txn(sess, jute.OpCreate, createTxn("/a/y", "", nil, false, 2)),
					b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/a/y"}),
				}
			},
			want: []string{children + "/a"},
		},
		{
			name:  "child watch on the root is on /",
			watch: func(tree *Tree, w Watcher) { tree.GetChildren("/", w) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{b.txn(sess, jute.OpCreate, createTxn("/r", "", nil, false, 3))}
			},
			want: []string{children + "/"},
		},
		{
			name: "delete notifies a data+child watcher once",
			watch: func(tree *Tree, w Watcher) {
				tree.GetData("/a/x", w)
				tree.GetChildren("/a/x", w)
			},
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/a/x"})}
			},
			want: []string{deleted + "/a/x"},
		},
		{
			name:  "child watch alone fires NodeDeleted",
			watch: func(tree *Tree, w Watcher) { tree.GetChildren("/a/x", w) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/a/x"})}
			},
			want: []string{deleted + "/a/x"},
		},
		{
			name:  "setACL fires nothing",
			watch: func(tree *Tree, w Watcher) { tree.GetData("/a", w) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{b.txn(sess, jute.OpSetACL, &jute.SetACLTxn{Path: "/a", ACL: readACL, Version: 1})}
			},
		},
		{
			name:  "failed multi fires nothing",
			watch: func(tree *Tree, w Watcher) { tree.GetData("/a", w) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{b.txn(sess, jute.OpMulti, multiTxn(
					jute.Op{Type: jute.OpSetData, Record: &jute.SetDataTxn{Path: "/a", Data: nil, Version: 1}},
					jute.Op{Type: jute.OpError, Record: &jute.ErrorTxn{Err: int32(BadVersion)}},
				))}
			},
		},
		{
			name:  "closeSession fires NodeDeleted for ephemerals",
			watch: func(tree *Tree, w Watcher) { tree.Exists("/a/e", w) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{b.txn(sess, jute.OpCloseSession, &jute.CloseSessionTxn{})}
			},
			want: []string{deleted + "/a/e"},
		},
		{
			name: "removed watcher hears nothing",
			watch: func(tree *Tree, w Watcher) {
				tree.GetData("/a", w)
				tree.GetChildren("/a", w)
				tree.RemoveWatcher(w)
			},
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/a", Data: nil, Version: 1})}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree, w := watchedTree(t, tc.watch, tc.txns)
			if got := w.take(); !slices.Equal(got, tc.want) {
				t.Errorf("events %q, want %q", got, tc.want)
			}
			if tree.WatchCount() != 0 && tc.want != nil {
				t.Errorf("%d watches left after firing", tree.WatchCount())
			}
		})
	}
}

func TestWatchBookkeeping(t *testing.T) {
	tree := New()
	w1, w2 := &recorder{}, &recorder{}
	tree.GetData("/zookeeper", w1)
	tree.GetData("/zookeeper", w1) // same watcher twice: one registration
	tree.GetData("/zookeeper", w2)
	tree.GetChildren("/zookeeper", w1)
	if tree.WatchCount() != 3 {
		t.Fatalf("WatchCount %d", tree.WatchCount())
	}
	if !tree.RemoveWatch("/zookeeper", WatchData, w2) || tree.RemoveWatch("/zookeeper", WatchData, w2) {
		t.Errorf("RemoveWatch")
	}
	if !tree.RemoveWatch("/zookeeper", WatchAny, w1) || tree.WatchCount() != 0 {
		t.Errorf("RemoveWatch any: %d left", tree.WatchCount())
	}
	// SetWatches: stale watches fire immediately, current ones register.
	var b txnBuilder
	mustApply(t, tree, b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/zookeeper", Data: nil, Version: 1}))
	tree.SetWatches(0, []string{"/zookeeper", "/gone"}, []string{"/zookeeper", "/later"}, []string{"/zookeeper/quota"}, nil, nil, w1)
	want := []string{"3 /zookeeper", "2 /gone", "1 /zookeeper"}
	if got := w1.take(); !slices.Equal(got, want) {
		t.Errorf("SetWatches fired %q, want %q", got, want)
	}
	if tree.WatchCount() != 2 {
		t.Errorf("SetWatches registered %d, want 2", tree.WatchCount())
	}
}

// Persistent and persistent recursive watches (addWatch) as ZooKeeper
// 3.8's WatchManager fires them: they stay after firing, a recursive one
// hears every node below its path but not NodeChildrenChanged, and a
// watcher hears one event per change however many of its watches match.
func TestPersistentWatches(t *testing.T) {
	setData := func(b *txnBuilder, path string, v int32) *jute.Txn {
		return b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: path, Version: v})
	}
	tests := []struct {
		name  string
		watch func(tree *Tree, w Watcher)
		txns  func(b *txnBuilder) []*jute.Txn
		want  []string
		left  int // registrations left afterwards
	}{
		{
			name:  "persistent: every change of the node, children too",
			watch: func(tree *Tree, w Watcher) { tree.AddWatch("/a", w, false) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{setData(b, "/a", 1), setData(b, "/a", 2),
					b.txn(sess, jute.OpCreate, createTxn("/a/y", "", nil, false, 3)), setData(b, "/a/x", 1)}
			},
			want: []string{"3 /a", "3 /a", "4 /a"},
			left: 2,
		},
		{
			name:  "recursive: nodes below, no NodeChildrenChanged",
			watch: func(tree *Tree, w Watcher) { tree.AddWatch("/a", w, true) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{setData(b, "/a/x", 1),
					b.txn(sess, jute.OpCreate, createTxn("/a/x/y", "", nil, false, 1)),
					b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/a/x/y"}), setData(b, "/a", 1)}
			},
			want: []string{"3 /a/x", "1 /a/x/y", "2 /a/x/y", "3 /a"},
			left: 2,
		},
		{
			name: "recursive and standard watch of one watcher: one event",
			watch: func(tree *Tree, w Watcher) {
				tree.AddWatch("/a", w, true)
				tree.GetData("/a/x", w)
			},
			txns: func(b *txnBuilder) []*jute.Txn { return []*jute.Txn{setData(b, "/a/x", 1), setData(b, "/a/x", 2)} },
			want: []string{"3 /a/x", "3 /a/x"},
			left: 2,
		},
		{
			name: "a standard watch over a persistent one makes it standard",
			watch: func(tree *Tree, w Watcher) {
				tree.AddWatch("/a", w, false)
				tree.GetData("/a", w)
			},
			txns: func(b *txnBuilder) []*jute.Txn { return []*jute.Txn{setData(b, "/a", 1), setData(b, "/a", 2)} },
			want: []string{"3 /a"},
			left: 1, // the child table's entry is still persistent
		},
		{
			name:  "recursive on the root",
			watch: func(tree *Tree, w Watcher) { tree.AddWatch("/", w, true) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{b.txn(sess, jute.OpCreate, createTxn("/r", "", nil, false, 4))}
			},
			want: []string{"1 /r"},
			left: 2,
		},
		{
			name:  "persistent watch of a deleted node: one NodeDeleted, and it stays",
			watch: func(tree *Tree, w Watcher) { tree.AddWatch("/a/x", w, false) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/a/x"}),
					b.txn(sess, jute.OpCreate, createTxn("/a/x", "", nil, false, 4))}
			},
			want: []string{"2 /a/x", "1 /a/x"},
			left: 2,
		},
		{
			name:  "recursive hears ephemerals go with their session",
			watch: func(tree *Tree, w Watcher) { tree.AddWatch("/a", w, true) },
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{b.txn(sess, jute.OpCloseSession, &jute.CloseSessionTxn{})}
			},
			want: []string{"2 /a/e"},
			left: 2,
		},
		{
			name: "removing the data half leaves the child half",
			watch: func(tree *Tree, w Watcher) {
				tree.AddWatch("/a", w, true)
				if !tree.RemoveWatch("/a", WatchData, w) {
					t.Error("RemoveWatch data")
				}
			},
			txns: func(b *txnBuilder) []*jute.Txn {
				return []*jute.Txn{setData(b, "/a", 1), setData(b, "/a/x", 1),
					b.txn(sess, jute.OpDelete, &jute.DeleteTxn{Path: "/a/x"})}
			},
			want: []string{"2 /a/x"}, // child table, recursive: NodeDeleted of /a/x
			left: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree, w := watchedTree(t, tc.watch, tc.txns)
			if got := w.take(); !slices.Equal(got, tc.want) {
				t.Errorf("events %q, want %q", got, tc.want)
			}
			if n := tree.WatchCount(); n != tc.left {
				t.Errorf("%d registrations left, want %d", n, tc.left)
			}
			tree.RemoveWatcher(w)
			if n := tree.WatchCount(); n != 0 || tree.dataWatches.recursive.Load() != 0 || tree.childWatches.recursive.Load() != 0 {
				t.Errorf("after RemoveWatcher: %d registrations, %d+%d recursive", n,
					tree.dataWatches.recursive.Load(), tree.childWatches.recursive.Load())
			}
		})
	}
}

// checkWatches asks ZooKeeper 3.8's containsWatcher, which answers
// whether anyone watches the path; setWatches2 registers persistent
// watches again without firing.
func TestCheckWatchAndSetWatches2(t *testing.T) {
	tree := New()
	w1, w2 := &recorder{}, &recorder{}
	if tree.CheckWatch("/zookeeper", WatchAny) {
		t.Fatal("CheckWatch with no watches")
	}
	tree.GetChildren("/zookeeper", w1)
	if !tree.CheckWatch("/zookeeper", WatchChildren) || tree.CheckWatch("/zookeeper", WatchData) || !tree.CheckWatch("/zookeeper", WatchAny) {
		t.Error("CheckWatch of a child watch")
	}
	if tree.RemoveWatch("/zookeeper", WatchChildren, w2) || !tree.RemoveWatch("/zookeeper", WatchChildren, w1) {
		t.Error("RemoveWatch removed another's watch, or not its own")
	}
	var b txnBuilder
	mustApply(t, tree, b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/zookeeper", Version: 1}))
	tree.SetWatches(0, nil, nil, nil, []string{"/zookeeper"}, []string{"/"}, w2)
	if got := w2.take(); len(got) != 0 {
		t.Errorf("setWatches2 fired %q", got)
	}
	if tree.WatchCount() != 4 {
		t.Errorf("%d registrations, want 4", tree.WatchCount())
	}
	mustApply(t, tree, b.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: "/zookeeper/quota", Version: 1}))
	if got := w2.take(); !slices.Equal(got, []string{"3 /zookeeper/quota"}) {
		t.Errorf("recursive from setWatches2: %q", got)
	}
}

func TestAllChildrenNumber(t *testing.T) {
	tree := New()
	var b txnBuilder
	for _, p := range []string{"/a", "/a/b", "/a/b/c", "/ab"} {
		mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn(p, "", nil, false, 1)))
	}
	for path, want := range map[string]int{"/": 7, "/a": 2, "/a/b": 1, "/a/b/c": 0, "/zookeeper": 2} {
		if got := tree.AllChildrenNumber(path); got != want {
			t.Errorf("AllChildrenNumber(%s) = %d, want %d", path, got, want)
		}
	}
}

// watchedTree is /a (data "a") with a child /a/x and an ephemeral /a/e,
// watched by watch, after txns: the tree and what the watcher heard.
func watchedTree(t *testing.T, watch func(*Tree, Watcher), txns func(*txnBuilder) []*jute.Txn) (*Tree, *recorder) {
	t.Helper()
	tree := New()
	var b txnBuilder
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/a", "a", nil, false, 1)))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/a/x", "", nil, false, 1)))
	mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/a/e", "", nil, true, 2)))
	w := &recorder{}
	watch(tree, w)
	for _, txn := range txns(&b) {
		tree.Apply(txn)
	}
	return tree, w
}
