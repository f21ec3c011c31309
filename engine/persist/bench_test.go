package persist

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/jute"
	"zkbench/engine/snap"
)

// The benchmark tree: benchParents × benchChildren znodes of 16..64 bytes,
// the size of ensemble zkbench is meant to hold.
const (
	benchParents  = 1000
	benchChildren = 1000
)

var benchTree struct {
	once sync.Once
	tree *datatree.Tree
}

// millionTree returns the benchmark tree, built once per process by
// applying creates (as a member replaying its log would) and shared by all
// benchmarks, which only read it.
func millionTree(b *testing.B) *datatree.Tree {
	benchTree.once.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		pool := make([]byte, 4096)
		for i := range pool {
			pool[i] = byte(' ' + rng.IntN(95))
		}
		tree := datatree.New()
		var zxid int64
		create := func(path string, parentCVersion int32) {
			zxid++
			n := 16 + rng.IntN(49)
			off := rng.IntN(len(pool) - n)
			tree.Apply(&jute.Txn{
				Header: jute.TxnHeader{ClientID: 0x100000a46010001, Cxid: int32(zxid), Zxid: zxid, Time: genT0 + zxid, Type: jute.OpCreate},
				// Data shares the pool (Apply keeps, never modifies it); the
				// ACL list is one shared, read-only slice.
				Body: &jute.CreateTxn{Path: path, Data: pool[off : off+n : off+n], ACL: jute.OpenACL, ParentCVersion: parentCVersion},
			})
		}
		for p := range benchParents {
			parent := fmt.Sprintf("/bench-%03d", p)
			create(parent, int32(p+1))
			for c := range benchChildren {
				create(fmt.Sprintf("%s/k%04d", parent, c), int32(c+1))
			}
		}
		benchTree.tree = tree
	})
	if n := benchTree.tree.NodeCount(); n < benchParents*benchChildren {
		b.Fatalf("benchmark tree has %d znodes", n)
	}
	return benchTree.tree
}

// BenchmarkSnapshotWrite writes a snapshot of a million znodes to the
// temporary directory (on the real disk: TMPDIR must not be a tmpfs for the
// numbers to mean anything), without and with an fsync before close.
// MB/s counts the snapshot file.
func BenchmarkSnapshotWrite(b *testing.B) {
	tree := millionTree(b)
	for _, bc := range []struct {
		name string
		opts snap.Options
	}{
		{"nosync", snap.Options{}},
		{"fsync", snap.Options{Fsync: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			root := b.TempDir()
			var res snap.Result
			n := 0
			for b.Loop() {
				dir := filepath.Join(root, strconv.Itoa(n))
				n++
				b.StopTimer()
				if err := os.Mkdir(dir, 0o755); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				var err error
				if res, err = WriteSnapshot(disk.OS, dir, tree, bc.opts); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				// A snapshot is some 100 MB: do not let them pile up.
				if err := os.RemoveAll(dir); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.SetBytes(res.Bytes)
			b.ReportMetric(float64(res.Nodes)*float64(n)/b.Elapsed().Seconds(), "znodes/s")
		})
	}
}

// BenchmarkRestore restores a member from a directory holding one snapshot
// of a million znodes and no log: snapshot parse plus tree rebuild (ACL
// cache, children, digest). MB/s counts the snapshot file.
func BenchmarkRestore(b *testing.B) {
	tree := millionTree(b)
	dirs := NewDirs(b.TempDir(), "")
	if err := os.MkdirAll(dirs.Snap, 0o755); err != nil {
		b.Fatal(err)
	}
	written, err := WriteSnapshot(disk.OS, dirs.Snap, tree, snap.Options{Fsync: true})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		res, err := Restore(disk.OS, dirs, RestoreOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Tree.NodeCount() != tree.NodeCount() || res.Tree.Digest() != tree.Digest() {
			b.Fatalf("restored %d znodes, digest %d; wrote %d, %d", res.Tree.NodeCount(), res.Tree.Digest(), tree.NodeCount(), tree.Digest())
		}
		n++
	}
	b.SetBytes(written.Bytes)
	b.ReportMetric(float64(written.Nodes)*float64(n)/b.Elapsed().Seconds(), "znodes/s")
}
