package snap

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
)

// fill returns a WriteFile callback that writes c.
func fill(c *contents) func(*Writer) (*Digest, error) {
	return func(w *Writer) (*Digest, error) {
		if err := w.WriteSessions(c.sessions); err != nil {
			return nil, err
		}
		if err := w.WriteACLs(c.acls); err != nil {
			return nil, err
		}
		for i := range c.nodes {
			if err := w.WriteNode(&c.nodes[i]); err != nil {
				return nil, err
			}
		}
		return c.info.Digest, nil
	}
}

// sameContents compares what was written with what was read back, knowing
// the two lossy spots of the format: nil data is stored as empty, and a
// non-BMP path comes back as its CESU-8 bytes.
func sameContents(t *testing.T, want, got *contents) {
	t.Helper()
	if len(got.sessions) != len(want.sessions) || len(got.acls) != len(want.acls) || len(got.nodes) != len(want.nodes) {
		t.Fatalf("read %d/%d/%d sessions/acls/nodes, wrote %d/%d/%d",
			len(got.sessions), len(got.acls), len(got.nodes), len(want.sessions), len(want.acls), len(want.nodes))
	}
	for i := range want.sessions {
		if got.sessions[i] != want.sessions[i] {
			t.Errorf("session %d = %+v, want %+v", i, got.sessions[i], want.sessions[i])
		}
	}
	for i := range want.acls {
		g, w := got.acls[i], want.acls[i]
		if g.Ref != w.Ref || len(g.ACL) != len(w.ACL) {
			t.Errorf("acl entry %d = %+v, want %+v", i, g, w)
			continue
		}
		for j := range w.ACL {
			if g.ACL[j] != w.ACL[j] {
				t.Errorf("acl entry %d[%d] = %+v, want %+v", i, j, g.ACL[j], w.ACL[j])
			}
		}
	}
	for i := range want.nodes {
		g, w := got.nodes[i], want.nodes[i]
		if g.Path != cesu8(w.Path) || g.ACLRef != w.ACLRef || g.Stat != w.Stat || !bytes.Equal(g.Data, w.Data) || g.Data == nil {
			t.Errorf("node %d = {%q %d bytes ref %d %+v}, want {%q %d bytes ref %d %+v}",
				i, g.Path, len(g.Data), g.ACLRef, g.Stat, w.Path, len(w.Data), w.ACLRef, w.Stat)
		}
	}
	switch {
	case want.info.Digest == nil && got.info.Digest != nil:
		t.Errorf("digest %+v, wrote none", *got.info.Digest)
	case want.info.Digest != nil && (got.info.Digest == nil || *got.info.Digest != *want.info.Digest):
		t.Errorf("digest %+v, want %+v", got.info.Digest, *want.info.Digest)
	}
}

func TestWriteFileReadBack(t *testing.T) {
	tests := []struct {
		name   string
		comp   Compression
		atomic bool
		digest *Digest
		nonBMP bool
	}{
		{"plain", None, false, &Digest{Zxid: 0x1234, Version: 2, Value: -42}, false},
		{"plain-no-digest", None, false, nil, false},
		{"plain-digest-v1", None, false, &Digest{Zxid: 7, Version: 1, Value: -2}, false},
		{"plain-non-bmp", None, false, &Digest{Version: 2}, true},
		{"gzip", Gzip, false, &Digest{Zxid: 0x1234, Version: 2, Value: 99}, false},
		{"gzip-no-digest", Gzip, false, nil, true},
		{"atomic", None, true, &Digest{Version: 2}, false},
		{"atomic-gzip", Gzip, true, &Digest{Version: 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := genTree(1, 2000, true)
			c.info.Digest = tt.digest
			if tt.nonBMP {
				withNonBMP(c)
			}
			const zxid = 0x10000009f
			res, err := WriteFile(disk.OS, dir, zxid, Options{Compression: tt.comp, Atomic: tt.atomic}, fill(c))
			if err != nil {
				t.Fatal(err)
			}
			wantName := "snapshot.10000009f" + tt.comp.Ext()
			if res.Path != filepath.Join(dir, wantName) || res.Zxid != zxid || res.Nodes != len(c.nodes) ||
				res.Sessions != len(c.sessions) || res.ACLs != len(c.acls) || res.Digest != tt.digest {
				t.Errorf("result = %+v", res)
			}
			names, _ := disk.OS.ReadDir(dir)
			if len(names) != 1 || names[0] != wantName {
				t.Errorf("directory holds %v, want just %s", names, wantName)
			}
			raw, err := os.ReadFile(res.Path)
			if err != nil {
				t.Fatal(err)
			}
			if res.Bytes != int64(len(raw)) {
				t.Errorf("Bytes = %d, file is %d", res.Bytes, len(raw))
			}
			if tt.comp == Gzip {
				zr, err := gzip.NewReader(bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				if raw, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if res.Raw != int64(len(raw)) || (tt.comp == None && res.Raw != res.Bytes) {
				t.Errorf("Raw = %d, stream is %d", res.Raw, len(raw))
			}
			if !bytes.HasSuffix(raw, tail) {
				t.Errorf("stream does not end with 00 00 00 01 2f")
			}
			if err := Valid(disk.OS, res.Path); err != nil {
				t.Errorf("Valid: %v", err)
			}

			got := &contents{}
			info, err := ReadFile(disk.OS, res.Path, collect(got))
			if err != nil {
				t.Fatal(err)
			}
			got.info = info
			sameContents(t, c, got)
			if info.Size != int64(len(raw)) || info.Trailing != 0 {
				t.Errorf("Size %d Trailing %d, stream is %d", info.Size, info.Trailing, len(raw))
			}
			// Reading and writing again gives the same bytes: the read side
			// loses nothing the format can express.
			if again := encode(t, got); !bytes.Equal(again, raw) {
				t.Errorf("re-encoding what was read differs from the file")
			}
			vinfo, err := Verify(disk.OS, res.Path)
			if err != nil || vinfo.Nodes != len(c.nodes) {
				t.Errorf("Verify = %+v, %v", vinfo, err)
			}
		})
	}
}

func TestWriteFileNeverOverwrites(t *testing.T) {
	for _, atomic := range []bool{false, true} {
		dir := t.TempDir()
		c := genTree(2, 10, false)
		if _, err := WriteFile(disk.OS, dir, 5, Options{Atomic: atomic}, fill(c)); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(filepath.Join(dir, "snapshot.5"))
		_, err := WriteFile(disk.OS, dir, 5, Options{Atomic: atomic}, fill(genTree(3, 20, false)))
		if !errors.Is(err, fs.ErrExist) {
			t.Errorf("atomic=%v: second WriteFile = %v, want fs.ErrExist", atomic, err)
		}
		after, _ := os.ReadFile(filepath.Join(dir, "snapshot.5"))
		if !bytes.Equal(before, after) {
			t.Errorf("atomic=%v: existing snapshot changed", atomic)
		}
	}
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	for _, atomic := range []bool{false, true} {
		dir := t.TempDir()
		boom := errors.New("tree walk failed")
		_, err := WriteFile(disk.OS, dir, 9, Options{Atomic: atomic}, func(w *Writer) (*Digest, error) {
			w.WriteSessions(nil)
			w.WriteACLs(nil)
			return nil, boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("err = %v", err)
		}
		if names, _ := disk.OS.ReadDir(dir); len(names) != 0 {
			t.Errorf("atomic=%v: left %v behind", atomic, names)
		}
		// A fill that forgets the sequence fails in Finish.
		_, err = WriteFile(disk.OS, dir, 9, Options{Atomic: atomic}, func(w *Writer) (*Digest, error) { return nil, nil })
		if !errors.Is(err, errOrder) {
			t.Errorf("err = %v, want errOrder", err)
		}
		if names, _ := disk.OS.ReadDir(dir); len(names) != 0 {
			t.Errorf("atomic=%v: left %v behind", atomic, names)
		}
	}
}

func TestWriterMisuse(t *testing.T) {
	node := &Node{Path: "/a"}
	tests := []struct {
		name string
		use  func(w *Writer) error
		want error
	}{
		{"node before sessions", func(w *Writer) error { return w.WriteNode(node) }, errOrder},
		{"acls before sessions", func(w *Writer) error { return w.WriteACLs(nil) }, errOrder},
		{"sessions twice", func(w *Writer) error { w.WriteSessions(nil); return w.WriteSessions(nil) }, errOrder},
		{"finish before acls", func(w *Writer) error { w.WriteSessions(nil); return w.Finish(nil) }, errOrder},
		{"node after finish", func(w *Writer) error {
			w.WriteSessions(nil)
			w.WriteACLs(nil)
			w.Finish(nil)
			return w.WriteNode(node)
		}, errOrder},
		{"root written as /", func(w *Writer) error {
			w.WriteSessions(nil)
			w.WriteACLs(nil)
			return w.WriteNode(&Node{Path: "/"})
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.use(NewWriter(io.Discard))
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

type failingWriter struct{ after int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after -= len(p); f.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriterErrorIsSticky(t *testing.T) {
	c := genTree(4, 20000, false)
	w := NewWriter(&failingWriter{after: chunk})
	w.WriteSessions(c.sessions)
	w.WriteACLs(c.acls)
	var err error
	for i := range c.nodes {
		if err = w.WriteNode(&c.nodes[i]); err != nil {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	if err2 := w.Finish(nil); err2 != err {
		t.Errorf("Finish = %v, want the first error %v", err2, err)
	}
}

func TestSnappyUnsupported(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteFile(disk.OS, dir, 1, Options{Compression: Snappy}, fill(genTree(5, 1, false))); !errors.Is(err, ErrUnsupported) {
		t.Errorf("WriteFile(snappy) = %v", err)
	}
	p := filepath.Join(dir, "snapshot.1.snappy")
	if err := os.WriteFile(p, append(append([]byte{}, snappyMagic...), 0, 0, 0, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Valid(disk.OS, p); err != nil {
		t.Errorf("Valid(snappy with magic) = %v", err)
	}
	if _, err := ReadFile(disk.OS, p, Handler{}); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), p) {
		t.Errorf("ReadFile(snappy) = %v", err)
	}
}

// A Writer's node loop should not allocate: it is run once per znode on
// every snapshot.
func TestWriteNodeDoesNotAllocate(t *testing.T) {
	c := genTree(6, 1000, false)
	w := NewWriter(io.Discard)
	w.WriteSessions(c.sessions)
	w.WriteACLs(c.acls)
	i := 0
	allocs := testing.AllocsPerRun(10000, func() {
		w.WriteNode(&c.nodes[i%len(c.nodes)])
		i++
	})
	if allocs != 0 {
		t.Errorf("WriteNode allocates %.1f times per node", allocs)
	}
}

func TestWriterStatEncodingMatchesJute(t *testing.T) {
	// The reader decodes StatPersisted inline for speed; check it against
	// jute's own decoder on a stat with every field distinct.
	st := jute.StatPersisted{Czxid: 1, Mzxid: 2, Ctime: 3, Mtime: 4, Version: 5, Cversion: 6, Aversion: 7, EphemeralOwner: 8, Pzxid: 9}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.WriteSessions(nil)
	w.WriteACLs(nil)
	w.WriteNode(&Node{Path: "", Data: []byte{}, ACLRef: -1, Stat: st})
	w.Finish(nil)
	var got Node
	if _, err := Read(&buf, "t", Handler{Node: func(n Node) error { got = n; return nil }}); err != nil {
		t.Fatal(err)
	}
	if got.Stat != st {
		t.Errorf("stat = %+v, want %+v", got.Stat, st)
	}
	var jw jute.Writer
	st.Encode(&jw)
	var back jute.StatPersisted
	back.Decode(jute.NewReader(jw.Bytes()))
	if back != got.Stat {
		t.Errorf("jute decodes %+v", back)
	}
}
