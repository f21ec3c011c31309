package snap

import (
	"bytes"
	"os"
	"testing"
)

// FuzzReader feeds arbitrary bytes to Read. It must never panic, and
// whatever it accepts must survive a write and a second read unchanged.
func FuzzReader(f *testing.F) {
	for _, p := range fixtureSnapshots(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(small(f, nil))
	f.Add(small(f, &Digest{Zxid: 1, Version: 1, Value: 5}))
	f.Add([]byte{})
	f.Add([]byte("ZKSN"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &contents{}
		info, err := Read(bytes.NewReader(in), "fuzz", collect(c))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			return
		}
		if info.Size+info.Trailing != int64(len(in)) {
			t.Fatalf("Size %d + Trailing %d != %d", info.Size, info.Trailing, len(in))
		}
		c.info = info
		out := encode(t, c)
		if info.Trailing == 0 && info.Size == int64(len(in)) && len(out) != len(in) {
			// Only null strings (read as "") and null data (read as nil,
			// written as empty) can change the length.
			t.Logf("re-encoded %d bytes from %d", len(out), len(in))
		}
		c2 := &contents{}
		info2, err := Read(bytes.NewReader(out), "again", collect(c2))
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		c2.info = info2
		if info2.Nodes != info.Nodes || info2.Sessions != info.Sessions || info2.ACLs != info.ACLs {
			t.Fatalf("counts changed: %+v vs %+v", info2, info)
		}
		for i := range c.nodes {
			a, b := c.nodes[i], c2.nodes[i]
			if a.Path != b.Path || a.ACLRef != b.ACLRef || a.Stat != b.Stat || !bytes.Equal(a.Data, b.Data) {
				t.Fatalf("node %d changed: %+v vs %+v", i, a, b)
			}
		}
		if (info.Digest == nil) != (info2.Digest == nil) || (info.Digest != nil && *info.Digest != *info2.Digest) {
			t.Fatalf("digest changed: %v vs %v", info.Digest, info2.Digest)
		}
	})
}
