package jute

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The testdata entries are raw log entries (header ‖ body ‖ digest) cut from
// ZooKeeper 3.8.0's fixture logs, one per txn type.
func TestDecodeFixtureEntries(t *testing.T) {
	tests := []struct {
		file      string
		op        int32
		path      string
		hasDigest bool
		check     func(t *testing.T, tx *Txn)
	}{
		{"createSession.entry", OpCreateSession, "", true, func(t *testing.T, tx *Txn) {
			if got := tx.Body.(*CreateSessionTxn).TimeOut; got != 3000 {
				t.Errorf("timeout = %d, want 3000", got)
			}
		}},
		{"closeSession.entry", OpCloseSession, "", true, func(t *testing.T, tx *Txn) {
			if p := tx.Body.(*CloseSessionTxn).Paths2Delete; p == nil || len(p) != 0 {
				t.Errorf("paths2Delete = %#v, want empty non-nil", p)
			}
		}},
		{"create.entry", OpCreate, "/bench", true, func(t *testing.T, tx *Txn) {
			c := tx.Body.(*CreateTxn)
			if string(c.Data) != "bench-root" || c.Ephemeral || c.ParentCVersion != 1 || len(c.ACL) != 1 || c.ACL[0].Perms != PermAll {
				t.Errorf("create body = %+v", c)
			}
		}},
		{"create2.entry", OpCreate2, "/bench/create2", true, nil},
		{"createContainer.entry", OpCreateContainer, "/bench/container", true, nil},
		{"createTTL.entry", OpCreateTTL, "/bench/ttl", true, func(t *testing.T, tx *Txn) {
			if ttl := tx.Body.(*CreateTTLTxn).TTL; ttl != 3600000 {
				t.Errorf("ttl = %d", ttl)
			}
		}},
		{"delete.entry", OpDelete, "/bench/seq-0000000001", true, nil},
		{"deleteContainer.entry", OpDeleteContainer, "/bench/ttl-short", true, func(t *testing.T, tx *Txn) {
			if tx.Header.ClientID != 0 || tx.Header.Cxid != 0 {
				t.Errorf("reaper txn has session 0x%x cxid %d", tx.Header.ClientID, tx.Header.Cxid)
			}
		}},
		{"setData.entry", OpSetData, "/bench", true, func(t *testing.T, tx *Txn) {
			if v := tx.Body.(*SetDataTxn).Version; v != 1 {
				t.Errorf("version = %d", v)
			}
		}},
		{"setACL.entry", OpSetACL, "/bench/acl", true, func(t *testing.T, tx *Txn) {
			a := tx.Body.(*SetACLTxn).ACL
			if len(a) != 2 || a[0].ID.Scheme != "digest" || a[1].Perms != PermRead {
				t.Errorf("acl = %+v", a)
			}
		}},
		{"error.entry", OpError, "", false, func(t *testing.T, tx *Txn) {
			if e := tx.Body.(*ErrorTxn).Err; e != -103 {
				t.Errorf("err = %d", e)
			}
		}},
		{"multi.entry", OpMulti, "", true, func(t *testing.T, tx *Txn) {
			m := tx.Body.(*MultiTxn)
			want := []int32{OpCreate, OpSetData, OpCheck, OpDelete}
			if len(m.Ops) != len(want) || m.Failed() {
				t.Fatalf("ops = %+v", m.Ops)
			}
			for i, op := range m.Ops {
				if op.Type != want[i] {
					t.Errorf("op %d = %s, want %s", i, OpName(op.Type), OpName(want[i]))
				}
			}
		}},
		{"multi-failed.entry", OpMulti, "", true, func(t *testing.T, tx *Txn) {
			m := tx.Body.(*MultiTxn)
			if !m.Failed() || len(m.Ops) != 3 {
				t.Fatalf("ops = %+v", m.Ops)
			}
			if e1, e2 := m.Ops[1].Record.(*ErrorTxn).Err, m.Ops[2].Record.(*ErrorTxn).Err; e1 != -101 || e2 != -2 {
				t.Errorf("errors = %d, %d; want -101, -2", e1, e2)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			entry, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			tx, err := DecodeTxn(entry)
			if err != nil {
				t.Fatal(err)
			}
			if tx.Header.Type != tt.op {
				t.Errorf("type = %s, want %s", OpName(tx.Header.Type), OpName(tt.op))
			}
			if got := tx.Path(); got != tt.path {
				t.Errorf("path = %q, want %q", got, tt.path)
			}
			if (tx.Digest != nil) != tt.hasDigest {
				t.Errorf("digest present = %v, want %v", tx.Digest != nil, tt.hasDigest)
			}
			if tx.Digest != nil && tx.Digest.Version != DigestVersion {
				t.Errorf("digest version = %d", tx.Digest.Version)
			}
			if tt.check != nil {
				tt.check(t, tx)
			}
			w := NewWriter(nil)
			tx.Encode(w)
			if !bytes.Equal(w.Bytes(), entry) {
				t.Errorf("re-encoding differs:\n got %x\nwant %x", w.Bytes(), entry)
			}
		})
	}
}

func TestStringEncodingIsJavaModifiedForSupplementary(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
	}{
		{"", []byte{0, 0, 0, 0}},
		{"/a", []byte{0, 0, 0, 2, '/', 'a'}},
		{"é", []byte{0, 0, 0, 2, 0xc3, 0xa9}},
		{"€", []byte{0, 0, 0, 3, 0xe2, 0x82, 0xac}},
		// U+1F600 as two 3-byte surrogates (D83D, DE00), as Java writes it.
		{"😀", []byte{0, 0, 0, 6, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80}},
	}
	for _, tt := range tests {
		w := NewWriter(nil)
		w.String(tt.in)
		if !bytes.Equal(w.Bytes(), tt.want) {
			t.Errorf("String(%q) = %x, want %x", tt.in, w.Bytes(), tt.want)
		}
	}
}

func TestNullsRoundTrip(t *testing.T) {
	w := NewWriter(nil)
	w.Buffer(nil)
	w.Buffer([]byte{})
	EncodeACLs(w, nil)
	EncodeACLs(w, []ACL{})
	r := NewReader(w.Bytes())
	if b := r.BufferCopy(); b != nil {
		t.Errorf("null buffer read as %#v", b)
	}
	if b := r.BufferCopy(); b == nil || len(b) != 0 {
		t.Errorf("empty buffer read as %#v", b)
	}
	if a := DecodeACLs(r); a != nil {
		t.Errorf("null vector read as %#v", a)
	}
	if a := DecodeACLs(r); a == nil || len(a) != 0 {
		t.Errorf("empty vector read as %#v", a)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeErrors(t *testing.T) {
	hdr := func(op int32) []byte {
		w := NewWriter(nil)
		(&TxnHeader{ClientID: 1, Cxid: 2, Zxid: 3, Time: 4, Type: op}).Encode(w)
		return w.Bytes()
	}
	withInt := func(b []byte, v int32) []byte {
		w := &Writer{buf: append([]byte(nil), b...)}
		w.Int(v)
		return w.Bytes()
	}
	tests := []struct {
		name  string
		entry []byte
		want  error
		msg   string
	}{
		{"short header", hdr(OpCreate)[:20], ErrShort, "txn header"},
		{"unknown op", hdr(99), ErrUnknownOp, "99"},
		{"truncated body", withInt(hdr(OpSetData), 5), ErrShort, "setData body"},
		{"huge length", withInt(hdr(OpDelete), MaxLength+1), ErrLength, "unreasonable"},
		{"negative length", withInt(hdr(OpDelete), -2), ErrLength, "-2"},
		{"trailing junk", append(withInt(hdr(OpCreateSession), 1), 1, 2, 3), nil, "unexpected bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeTxn(tt.entry)
			if err == nil {
				t.Fatal("decoded without error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v is not %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

func TestCloseSessionWithoutBody(t *testing.T) {
	w := NewWriter(nil)
	(&TxnHeader{ClientID: 7, Zxid: 9, Type: OpCloseSession}).Encode(w)
	tx, err := DecodeTxn(w.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if p := tx.Body.(*CloseSessionTxn).Paths2Delete; p != nil {
		t.Errorf("paths = %v", p)
	}
}

func TestCreateTxnV0Fallback(t *testing.T) {
	w := NewWriter(nil)
	(&TxnHeader{Zxid: 1, Type: OpCreate}).Encode(w)
	w.String("/old")
	w.Buffer([]byte("x"))
	EncodeACLs(w, OpenACL)
	w.Bool(true)
	tx, err := DecodeTxn(w.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	c := tx.Body.(*CreateTxn)
	if c.ParentCVersion != -1 || !c.Ephemeral || c.Path != "/old" {
		t.Errorf("V0 create = %+v", c)
	}
}

func FuzzDecodeTxn(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.entry"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, entry []byte) {
		tx, err := DecodeTxn(entry)
		if err != nil {
			return
		}
		// A log reads only the zxid of what it appends: it must be the one
		// the txn decodes with.
		if z, err := EntryZxid(entry); err != nil || z != tx.Header.Zxid {
			t.Fatalf("EntryZxid = 0x%x, %v; the txn decodes with 0x%x", z, err, tx.Header.Zxid)
		}
		// Whatever decodes must encode back to a record that decodes the same.
		w := NewWriter(nil)
		tx.Encode(w)
		if !bytes.Equal(EncodeTxn(tx), w.Bytes()) {
			t.Fatal("EncodeTxn differs from Txn.Encode")
		}
		tx2, err := DecodeTxn(w.Bytes())
		if err != nil {
			t.Fatalf("re-encoded txn does not decode: %v", err)
		}
		w2 := NewWriter(nil)
		tx2.Encode(w2)
		if !bytes.Equal(w.Bytes(), w2.Bytes()) {
			t.Fatalf("encoding is not stable")
		}
	})
}

func BenchmarkEncodeSetData(b *testing.B) {
	tx := &Txn{
		Header: TxnHeader{ClientID: 0x100000a46010001, Cxid: 1, Zxid: 0x100000001, Time: 1795579238596, Type: OpSetData},
		Body:   &SetDataTxn{Path: "/bench/k0000001", Data: make([]byte, 1024), Version: 3},
		Digest: &TxnDigest{Version: DigestVersion, TreeDigest: 1371985504},
	}
	w := NewWriter(make([]byte, 0, 2048))
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		tx.Encode(w)
	}
	b.SetBytes(int64(w.Len()))
}

func BenchmarkDecodeSetData(b *testing.B) {
	tx := &Txn{
		Header: TxnHeader{Type: OpSetData, Zxid: 1},
		Body:   &SetDataTxn{Path: "/bench/k0000001", Data: make([]byte, 1024), Version: 3},
		Digest: &TxnDigest{Version: DigestVersion},
	}
	w := NewWriter(nil)
	tx.Encode(w)
	entry := w.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(entry)))
	for b.Loop() {
		if _, err := DecodeTxn(entry); err != nil {
			b.Fatal(err)
		}
	}
}
