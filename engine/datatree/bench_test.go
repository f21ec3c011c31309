package datatree

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"zkbench/engine/jute"
)

// benchTree returns a tree with n nodes /bench/k0000000.. holding 16 bytes.
func benchTree(b *testing.B, n int) (*Tree, *txnBuilder) {
	b.Helper()
	tree := New()
	tb := &txnBuilder{}
	tree.Apply(tb.txn(sess, jute.OpCreate, createTxn("/bench", "", jute.OpenACL, false, 1)))
	for i := range n {
		tree.Apply(tb.txn(sess, jute.OpCreate, &jute.CreateTxn{
			Path: benchPath(i), Data: make([]byte, 16), ACL: jute.OpenACL, ParentCVersion: int32(i + 1),
		}))
	}
	return tree, tb
}

func benchPath(i int) string { return fmt.Sprintf("/bench/k%07d", i) }

func BenchmarkApplySetData(b *testing.B) {
	tree, tb := benchTree(b, 10000)
	data := make([]byte, 1024)
	txns := make([]*jute.Txn, 1024)
	for i := range txns {
		txns[i] = tb.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: benchPath(i * 7 % 10000), Data: data, Version: 1})
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := tree.Apply(txns[i%len(txns)]); r.Err != Ok {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkApplyCreate(b *testing.B) {
	tree := New()
	tb := &txnBuilder{}
	tree.Apply(tb.txn(sess, jute.OpCreate, createTxn("/bench", "", jute.OpenACL, false, 1)))
	// Build the txns outside the timer: decoding is jute's cost, not ours.
	txns := make([]*jute.Txn, b.N)
	data := make([]byte, 16)
	for i := range txns {
		txns[i] = tb.txn(sess, jute.OpCreate, &jute.CreateTxn{
			Path: "/bench/k" + strconv.Itoa(i), Data: data, ACL: jute.OpenACL, ParentCVersion: int32(i + 1),
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := tree.Apply(txns[i]); r.Err != Ok {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkGetData(b *testing.B) {
	tree, _ := benchTree(b, 10000)
	paths := make([]string, 10000)
	for i := range paths {
		paths[i] = benchPath(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, _, err := tree.GetData(paths[i%len(paths)], nil); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
}

func BenchmarkWalk(b *testing.B) {
	tree, _ := benchTree(b, 100000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		tree.Walk(func(NodeView) error { n++; return nil })
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tree.NodeCount()), "ns/node")
}

// BenchmarkMemoryPerZnode builds 1M znodes with 16 bytes of data and
// reports the heap they cost beyond their path and data bytes. The budget
// for the ensemble is 250 bytes per znode.
func BenchmarkMemoryPerZnode(b *testing.B) {
	const n = 1_000_000
	layouts := []struct {
		name    string
		parents int
	}{
		{"one-parent", 1},
		{"1000-parents", 1000},
	}
	for _, l := range layouts {
		b.Run(l.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				perNode := memoryPerZnode(b, n, l.parents)
				b.ReportMetric(perNode, "overhead-B/znode")
			}
		})
	}
}

func memoryPerZnode(b *testing.B, n, parents int) float64 {
	b.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	tree := New()
	tb := &txnBuilder{}
	var payload int64 // path and data bytes the nodes hold
	create := func(path string, data []byte, pcv int32) {
		payload += int64(len(path) + len(data))
		if r := tree.Apply(tb.txn(sess, jute.OpCreate, &jute.CreateTxn{
			Path: path, Data: data, ACL: jute.OpenACL, ParentCVersion: pcv,
		})); r.Err != Ok {
			b.Fatal(r.Err)
		}
	}
	create("/bench", []byte{}, 1)
	prefixes := make([]string, parents)
	for p := range parents {
		prefixes[p] = "/bench"
		if parents > 1 {
			prefixes[p] = fmt.Sprintf("/bench/p%03d", p)
			create(prefixes[p], []byte{}, int32(p+1))
		}
	}
	cv := make([]int32, parents)
	for i := range n {
		p := i % parents
		cv[p]++
		// Path and data are allocated exactly as a decoded txn's are.
		create(prefixes[p]+"/k"+strconv.Itoa(1000000 + i)[1:], make([]byte, 16), cv[p])
	}

	runtime.GC()
	runtime.ReadMemStats(&after)
	total := tree.NodeCount()
	runtime.KeepAlive(tree)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	b.ReportMetric(float64(heap)/float64(total), "heap-B/znode")
	return float64(heap-payload) / float64(total)
}

// BenchmarkApplySetDataWatched is a setData whose node has a data watch
// its client sets again after every notification, the way a cache
// recipe watches: the trigger's cost on Apply.
func BenchmarkApplySetDataWatched(b *testing.B) {
	tree, tb := benchTree(b, 1000)
	txns := make([]*jute.Txn, 1000)
	for i := range txns {
		txns[i] = tb.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: benchPath(i), Data: []byte("x"), Version: 1})
	}
	w := &countWatcher{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := benchPath(i % 1000)
		tree.GetData(p, w)
		tree.Apply(txns[i%len(txns)])
	}
}

type countWatcher struct{ n int }

func (c *countWatcher) Process(WatchedEvent) { c.n++ }

// BenchmarkApplySetDataRecursive is a setData while a persistent
// recursive watch on the root exists: every trigger walks the path's
// ancestors.
func BenchmarkApplySetDataRecursive(b *testing.B) {
	tree, tb := benchTree(b, 1000)
	txns := make([]*jute.Txn, 1000)
	for i := range txns {
		txns[i] = tb.txn(sess, jute.OpSetData, &jute.SetDataTxn{Path: benchPath(i), Data: []byte("x"), Version: 1})
	}
	w := &countWatcher{}
	tree.AddWatch("/", w, true)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tree.Apply(txns[i%len(txns)])
	}
	if w.n != b.N {
		b.Fatalf("%d notifications for %d writes", w.n, b.N)
	}
}
