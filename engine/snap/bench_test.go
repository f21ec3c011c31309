package snap

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"zkbench/engine/disk"
)

const benchNodes = 1_000_000

var bench struct {
	once sync.Once
	tree *contents
	raw  []byte // the encoded snapshot
}

// benchTree is a million /bench/k0000123 nodes with 16..100 bytes of data,
// built once for all benchmarks.
func benchTree(b *testing.B) (*contents, []byte) {
	bench.once.Do(func() {
		bench.tree = genTree(42, benchNodes, false)
		var buf bytes.Buffer
		buf.Grow(200 << 20)
		w := NewWriter(&buf)
		if _, err := fill(bench.tree)(w); err != nil {
			panic(err)
		}
		if err := w.Finish(bench.tree.info.Digest); err != nil {
			panic(err)
		}
		bench.raw = buf.Bytes()
	})
	return bench.tree, bench.raw
}

// BenchmarkWrite is a whole snapshot file: create, encode, checksum,
// write, fsync, close.
func BenchmarkWrite(b *testing.B) {
	c, raw := benchTree(b)
	dir := b.TempDir()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := WriteFile(disk.OS, dir, int64(i), Options{Fsync: true}, fill(c)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.Remove(filepath.Join(dir, FileName(int64(i), None)))
		b.StartTimer()
	}
	b.ReportMetric(float64(len(c.nodes))*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
}

// BenchmarkEncode is the Writer alone (encoding and Adler-32, no I/O).
func BenchmarkEncode(b *testing.B) {
	c, raw := benchTree(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		w := NewWriter(io.Discard)
		if _, err := fill(c)(w); err != nil {
			b.Fatal(err)
		}
		if err := w.Finish(c.info.Digest); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	c, raw := benchTree(b)
	dir := b.TempDir()
	path := filepath.Join(dir, FileName(1, None))
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	nodes := 0
	h := Handler{Node: func(n Node) error { nodes++; return nil }}
	check := func(b *testing.B, info Info, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if info.Nodes != len(c.nodes) {
			b.Fatalf("%d nodes", info.Nodes)
		}
	}
	b.Run("memory", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			info, err := Read(bytes.NewReader(raw), "mem", h)
			check(b, info, err)
		}
	})
	b.Run("file", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			info, err := ReadFile(disk.OS, path, h)
			check(b, info, err)
		}
	})
}
