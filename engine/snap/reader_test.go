package snap

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
)

// small is a tiny but complete snapshot: one session, one ACL entry, two
// nodes, digest block. Its layout:
//
//	0   header (16)
//	16  session count, 1 session (12)        → ACL count at 32
//	32  ACL count, ref, vector of one ACL    → first node at 36+8+4+4+9+10 = 71
const smallACLCount = 32

func small(t testing.TB, d *Digest) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.WriteSessions([]Session{{ID: 0x55, Timeout: 4000}})
	w.WriteACLs([]ACLEntry{{Ref: 1, ACL: jute.ReadACL}})
	w.WriteNode(&Node{Path: "", Data: []byte{}, ACLRef: -1})
	w.WriteNode(&Node{Path: "/a", Data: []byte("hello"), ACLRef: 1})
	if err := w.Finish(d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func put32(b []byte, off int, v int32) []byte {
	b = append([]byte{}, b...)
	binary.BigEndian.PutUint32(b[off:], uint32(v))
	return b
}

func TestReadMalformed(t *testing.T) {
	d := &Digest{Zxid: 3, Version: 2, Value: 77}
	good := small(t, d)
	noDigest := small(t, nil)
	n := len(good)
	firstNode := smallACLCount + 4 + 8 + 4 + 4 + 4 + len("world") + 4 + len("anyone")
	seal1 := len(noDigest) - 13
	seal2 := n - 13

	tests := []struct {
		name     string
		in       []byte
		want     error // nil: must succeed
		off      int64 // where the *Error must point (when want != nil)
		digest   bool
		trailing int64
	}{
		{"complete", good, nil, 0, true, 0},
		{"pre-3.6, no digest", noDigest, nil, 0, false, 0},
		{"digest cut short is ignored, like ZooKeeper", good[:seal1+13+7], nil, 0, false, 7},
		{"digest complete, seal #2 missing", good[:seal2], ErrTruncated, int64(seal2), false, 0},
		{"seal #2 marker cut", good[:n-1], ErrTruncated, int64(n - 5), false, 0},
		{"trailing bytes after seal #2", append(append([]byte{}, good...), 1, 2, 3), nil, 0, true, 3},
		{"empty", nil, ErrTruncated, 0, false, 0},
		{"header cut", good[:10], ErrTruncated, 0, false, 0},
		{"bad magic", put32(good, 0, 0x5A4B4C47), ErrBadMagic, 0, false, 0},
		{"negative session count", put32(good, 16, -2), ErrCorrupt, 16, false, 0},
		{"negative ACL count", put32(good, smallACLCount, -1), ErrCorrupt, smallACLCount, false, 0},
		{"null ACL list", put32(good, smallACLCount+12, -1), ErrCorrupt, smallACLCount + 4, false, 0},
		{"unreasonable path length", put32(good, firstNode, jute.MaxLength+1), jute.ErrLength, int64(firstNode), false, 0},
		{"negative data length", put32(good, firstNode+4, -7), jute.ErrLength, int64(firstNode + 4), false, 0},
		{"null path", put32(good, firstNode, -1), ErrCorrupt, int64(firstNode), false, 0},
		{"path runs past the end", put32(good, firstNode, int32(n)), ErrTruncated, int64(firstNode), false, 0},
		{"no end marker", good[:seal1-5], ErrTruncated, int64(seal1 - 5), false, 0},
		{"seal #1 wrong", flip(good, seal1+7), ErrCRC, int64(seal1), false, 0},
		{"root stat changed", flip(good, firstNode+4+4+8+3), ErrCRC, int64(seal1), false, 0},
		{"digest changed", flip(good, seal1+13+3), ErrCRC, int64(seal2), false, 0},
		{"seal #1 marker changed (covered by seal #2)", flip(good, seal1+12), ErrCRC, int64(seal2), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Read(bytes.NewReader(tt.in), "snapshot.x", Handler{})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if (info.Digest != nil) != tt.digest || info.Trailing != tt.trailing {
					t.Errorf("digest %v trailing %d, want digest %v trailing %d", info.Digest, info.Trailing, tt.digest, tt.trailing)
				}
				if info.Digest != nil && *info.Digest != *d {
					t.Errorf("digest = %+v", *info.Digest)
				}
				if info.Sessions != 1 || info.ACLs != 1 || info.Nodes != 2 {
					t.Errorf("info = %+v", info)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.File != "snapshot.x" || fe.Offset != tt.off {
				t.Errorf("err = %v, want an *Error at offset %d", err, tt.off)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	b = append([]byte{}, b...)
	b[i] ^= 0xff
	return b
}

func TestReadCallbackErrors(t *testing.T) {
	boom := errors.New("unable to find parent")
	in := small(t, nil)
	tests := []struct {
		name string
		h    Handler
		off  int64
	}{
		{"session", Handler{Session: func(Session) error { return boom }}, 20},
		{"acl", Handler{ACL: func(ACLEntry) error { return boom }}, smallACLCount + 4},
		{"node", Handler{Node: func(n Node) error {
			if n.Path == "/a" {
				return boom
			}
			return nil
		}}, 71 + 4 + 4 + 8 + 60},
	}
	for _, tt := range tests {
		_, err := Read(bytes.NewReader(in), "f", tt.h)
		var fe *Error
		if !errors.Is(err, boom) || !errors.As(err, &fe) || fe.Offset != tt.off {
			t.Errorf("%s: err = %v, want boom at offset %d", tt.name, err, tt.off)
		}
	}
}

// Every single-byte change and every truncation of a real snapshot must be
// caught by Read or by the validity test, and must never panic.
func TestEveryDamageIsCaught(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(fixtureRoot, "standalone", "version-2", "snapshot.9f"))
	if err != nil {
		t.Fatal(err)
	}
	valid := func(b []byte) bool { return len(b) >= 10 && bytes.HasSuffix(b, tail) }
	if info, err := Read(bytes.NewReader(orig[:len(orig)-33]), "f", Handler{}); err != nil || info.Digest != nil {
		t.Errorf("snapshot without its digest block: %+v, %v", info, err)
	}
	for i := range orig {
		b := flip(orig, i)
		if _, err := Read(bytes.NewReader(b), "f", Handler{}); err == nil && valid(b) {
			t.Errorf("byte %d flipped: accepted", i)
		}
	}
	preDigest := len(orig) - 20 - 13 // cut right after seal #1: a valid pre-3.6 snapshot
	for n := range len(orig) {
		if n == preDigest {
			continue
		}
		b := orig[:n]
		if _, err := Read(bytes.NewReader(b), "f", Handler{}); err == nil && valid(b) {
			t.Errorf("cut to %d bytes: accepted", n)
		}
	}
	// The same for a gzip file: damage in the compressed bytes is a gzip
	// error, a seal mismatch or a truncation, never a silent success.
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(orig)
	zw.Close()
	for i := 10; i < gz.Len()-8; i += 7 {
		p := filepath.Join(dir, "snapshot.9f.gz")
		os.Remove(p)
		if err := os.WriteFile(p, flip(gz.Bytes(), i), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFile(disk.OS, p, Handler{}); err == nil {
			// A flip in a stored block's length or in flate padding can
			// decode to the same stream; the seals then prove it intact.
			c := readAll(t, p)
			if !bytes.Equal(encode(t, c), orig) {
				t.Errorf("gzip byte %d flipped: accepted different content", i)
			}
		}
	}
}

func TestVerifyParentOrder(t *testing.T) {
	dir := t.TempDir()
	c := &contents{nodes: []Node{
		{Path: "", Data: []byte{}, ACLRef: -1},
		{Path: "/a/b", Data: []byte{}, ACLRef: -1},
		{Path: "/a", Data: []byte{}, ACLRef: -1},
	}}
	res, err := WriteFile(disk.OS, dir, 1, Options{}, fill(c))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(disk.OS, res.Path, Handler{}); err != nil {
		t.Errorf("ReadFile: %v (the format itself does not care)", err)
	}
	_, err = Verify(disk.OS, res.Path)
	var fe *Error
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &fe) || fe.Offset != 16+4+4+4+4+8+60 {
		t.Errorf("Verify = %v, want ErrCorrupt at the second node", err)
	}
}

func TestVerifyReportsTornTail(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "snapshot.3")
	// Parses (ZooKeeper ignores bytes after seal #2) but the listing would
	// never pick it.
	if err := os.WriteFile(p, append(small(t, &Digest{Version: 2}), 9, 9), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := Verify(disk.OS, p)
	if !errors.Is(err, ErrInvalid) || info.Trailing != 2 {
		t.Errorf("Verify = %+v, %v", info, err)
	}
}

func TestReadFileGzipDamage(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(small(t, &Digest{Version: 2}))
	zw.Close()
	full := gz.Bytes()
	tests := []struct {
		name    string
		content []byte
		want    error
	}{
		{"empty", nil, ErrTruncated},
		{"not gzip", []byte("ZKSN and more bytes"), ErrCorrupt},
		{"cut in the middle", full[:len(full)/2], ErrTruncated},
		{"gzip trailer missing", full[:len(full)-8], nil}, // ZooKeeper never reads that far
	}
	dir := t.TempDir()
	for i, tt := range tests {
		p := filepath.Join(dir, FileName(int64(i), Gzip))
		if err := os.WriteFile(p, tt.content, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(disk.OS, p, Handler{})
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}
