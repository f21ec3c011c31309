package snap_test

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"unsafe"
	"weak"

	"zkbench/engine/jute"
	"zkbench/engine/snap"
)

// valuesSnapshot encodes a snapshot whose nodes hold data.
func valuesSnapshot(t *testing.T, data map[string][]byte, order []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := snap.NewWriter(&buf)
	if err := w.WriteSessions(nil); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteACLs(nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range append([]string{""}, order...) {
		if err := w.WriteNode(&snap.Node{Path: p, Data: data[p], ACLRef: snap.OpenACLRef}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(&snap.Digest{Version: jute.DigestVersion}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readData reads a snapshot's node data by path through values.
func readData(t *testing.T, file []byte, values *snap.Values) map[string][]byte {
	t.Helper()
	got := map[string][]byte{}
	_, err := snap.Read(bytes.NewReader(file), "snapshot.0", snap.Handler{
		Values: values,
		Node:   func(n snap.Node) error { got[n.Path] = n.Data; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func same(a, b []byte) bool {
	return len(a) > 0 && len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

// Two reads of one snapshot through one pool share every value long
// enough to be worth it, and still return each node's own bytes.
func TestValuesShareAcrossReads(t *testing.T) {
	big := bytes.Repeat([]byte("v"), 1024)
	other := bytes.Repeat([]byte("w"), 1024)
	data := map[string][]byte{
		"/a": big, "/b": other, "/c": big, // /c equals /a
		"/short": []byte("tiny"), "/empty": {},
	}
	order := []string{"/a", "/b", "/c", "/short", "/empty"}
	file := valuesSnapshot(t, data, order)

	pool := snap.NewValues()
	first, second := readData(t, file, pool), readData(t, file, pool)
	private := readData(t, file, nil)
	for _, tc := range []struct {
		path          string
		sharedByReads bool
	}{
		{"/a", true}, {"/b", true}, {"/c", true},
		{"/short", false}, {"/empty", false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			for _, got := range []map[string][]byte{first, second, private} {
				if !bytes.Equal(got[tc.path], data[tc.path]) || (got[tc.path] == nil) != (data[tc.path] == nil) {
					t.Fatalf("data %q, want %q", got[tc.path], data[tc.path])
				}
			}
			if s := same(first[tc.path], second[tc.path]); s != tc.sharedByReads {
				t.Errorf("shared by two reads through one pool: %v, want %v", s, tc.sharedByReads)
			}
			if same(first[tc.path], private[tc.path]) {
				t.Error("a read without the pool shares its data")
			}
		})
	}
	if !same(first["/a"], first["/c"]) {
		t.Error("equal values in one snapshot are not shared")
	}
	if same(first["/a"], first["/b"]) {
		t.Error("different values share one array")
	}
}

// A pool does not keep a value alive: once no tree refers to it, it is
// collected, and a later read gets the same bytes afresh.
func TestValuesHoldNothingAlive(t *testing.T) {
	big := bytes.Repeat([]byte("v"), 1024)
	file := valuesSnapshot(t, map[string][]byte{"/a": big}, []string{"/a"})
	pool := snap.NewValues()

	first := readData(t, file, pool)["/a"]
	ref := weak.Make(unsafe.SliceData(first))
	first = nil
	runtime.GC()
	if ref.Value() != nil {
		t.Fatal("a value no tree refers to is still alive: the pool holds it")
	}
	if again := readData(t, file, pool)["/a"]; !bytes.Equal(again, big) {
		t.Fatalf("data after the first copy was collected: %q", again)
	}
}

func BenchmarkValuesRead(b *testing.B) {
	const nodes = 10_000
	var buf bytes.Buffer
	w := snap.NewWriter(&buf)
	w.WriteSessions(nil)
	w.WriteACLs(nil)
	w.WriteNode(&snap.Node{Path: "", ACLRef: snap.OpenACLRef})
	for i := range nodes {
		v := bytes.Repeat([]byte{byte(i), byte(i >> 8)}, 512)
		w.WriteNode(&snap.Node{Path: fmt.Sprintf("/k%06d", i), Data: v, ACLRef: snap.OpenACLRef})
	}
	w.Finish(&snap.Digest{Version: jute.DigestVersion})
	file := buf.Bytes()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		pool := snap.NewValues()
		var trees [3][][]byte // three members, each keeping its data as a tree does
		for m := range trees {
			keep := func(n snap.Node) error { trees[m] = append(trees[m], n.Data); return nil }
			if _, err := snap.Read(bytes.NewReader(file), "snapshot.0", snap.Handler{Values: pool, Node: keep}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
