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
			tree := New()
			var b txnBuilder
			mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/a", "a", nil, false, 1)))
			mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/a/x", "", nil, false, 1)))
			mustApply(t, tree, b.txn(sess, jute.OpCreate, createTxn("/a/e", "", nil, true, 2)))
			w := &recorder{}
			tc.watch(tree, w)
			for _, txn := range tc.txns(&b) {
				tree.Apply(txn)
			}
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
	tree.SetWatches(0, []string{"/zookeeper", "/gone"}, []string{"/zookeeper", "/later"}, []string{"/zookeeper/quota"}, w1)
	want := []string{"3 /zookeeper", "2 /gone", "1 /zookeeper"}
	if got := w1.take(); !slices.Equal(got, want) {
		t.Errorf("SetWatches fired %q, want %q", got, want)
	}
	if tree.WatchCount() != 2 {
		t.Errorf("SetWatches registered %d, want 2", tree.WatchCount())
	}
}
