package txnlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/adler32"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"zkbench/engine/jute"
)

// fixtureLogs returns the bytes of the standalone, quorum1 and corrupt
// fixture log files.
func fixtureLogs(f *testing.F) [][]byte {
	paths, _ := filepath.Glob(filepath.Join(fixtures, "*", VersionDir, "log.*"))
	more, _ := filepath.Glob(filepath.Join(fixtures, "corrupt", "*", VersionDir, "log.*"))
	var out [][]byte
	for _, p := range append(paths, more...) {
		rel, _ := filepath.Rel(fixtures, p)
		out = append(out, readFixture(f, rel))
	}
	if len(out) == 0 {
		f.Fatal("no fixture logs")
	}
	return out
}

// FuzzReader feeds arbitrary bytes to the Reader as a log file. It must
// never panic or loop, offsets must only grow, and every record returned
// without error must have a valid checksum and re-encode to its entry's
// header.
func FuzzReader(f *testing.F) {
	for _, b := range fixtureLogs(f) {
		f.Add(b)
		// The records without the zero padding, so that mutations hit
		// the records rather than the zeros.
		if r, err := NewReader(bytes.NewReader(b), "seed"); err == nil {
			for {
				if _, err := r.Next(); err != nil {
					break
				}
			}
			f.Add(b[:r.Offset()])
		}
	}
	f.Add([]byte{})
	f.Add(logHeader())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("header error is not a *CorruptError: %v", err)
			}
			return
		}
		prev := r.Offset()
		for i := 0; ; i++ {
			if i > len(data) {
				t.Fatal("more records than bytes")
			}
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var ce *CorruptError
				if !errors.As(err, &ce) || ce.Offset < prev || ce.Offset >= int64(len(data)) {
					t.Fatalf("error %v at a bad offset (previous end %d)", err, prev)
				}
				if rec.Size == 0 {
					if _, again := r.Next(); again == nil || again == io.EOF {
						t.Fatal("a framing error is not sticky")
					}
					break
				}
			}
			if rec.Offset != prev || rec.End() != r.Offset() || rec.End() > int64(len(data)) {
				t.Fatalf("record at %d..%d, previous end %d", rec.Offset, rec.End(), prev)
			}
			prev = r.Offset()
			if err != nil {
				continue
			}
			if uint64(adler32.Checksum(rec.Entry)) != rec.Checksum {
				t.Fatal("record with a bad checksum returned without error")
			}
			var w jute.Writer
			rec.Txn.Header.Encode(&w)
			if !bytes.Equal(w.Bytes(), rec.Entry[:w.Len()]) {
				t.Fatal("header does not re-encode to its bytes")
			}
		}
		if r.Offset() > int64(len(data)) {
			t.Fatalf("end %d past the data (%d)", r.Offset(), len(data))
		}
	})
}

// FuzzDecodeEntry frames arbitrary bytes as a record with a valid checksum.
// Decoding must not panic; a txn that decodes must encode to an entry that
// frames, reads back and decodes to the same txn.
func FuzzDecodeEntry(f *testing.F) {
	for _, b := range fixtureLogs(f)[:3] {
		r, err := NewReader(bytes.NewReader(b), "seed")
		if err != nil {
			f.Fatal(err)
		}
		for {
			rec, err := r.Next()
			if err != nil {
				break
			}
			f.Add(bytes.Clone(rec.Entry))
		}
	}
	for _, t := range allTypes(1) {
		var w jute.Writer
		t.Encode(&w)
		f.Add(bytes.Clone(w.Bytes()))
	}
	f.Fuzz(func(t *testing.T, entry []byte) {
		if len(entry) == 0 || len(entry) > jute.MaxLength {
			return
		}
		rec, err := readOne(t, entry)
		if err != nil {
			var ce *CorruptError
			if !errors.As(err, &ce) || errors.Is(err, ErrChecksum) {
				t.Fatalf("unexpected error for a well-framed record: %v", err)
			}
			return
		}
		var w jute.Writer
		rec.Txn.Encode(&w)
		again, err := readOne(t, w.Bytes())
		if err != nil {
			t.Fatalf("re-encoded txn does not read back: %v", err)
		}
		if !reflect.DeepEqual(again.Txn, rec.Txn) && canonicalStrings(rec.Txn) {
			t.Fatalf("round trip changed the txn:\n%+v\n%+v", rec.Txn, again.Txn)
		}
	})
}

// readOne frames entry as the only record of a log file and reads it.
func readOne(t *testing.T, entry []byte) (Record, error) {
	file := append(logHeader(), make([]byte, recordHeaderSize)...)
	binary.BigEndian.PutUint64(file[16:], uint64(adler32.Checksum(entry)))
	binary.BigEndian.PutUint32(file[24:], uint32(len(entry)))
	file = append(append(file, entry...), 'B')
	r, err := NewReader(bytes.NewReader(file), "fuzz")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Next()
	if err == io.EOF {
		t.Fatal("a well-framed record read as the end of the log")
	}
	return rec, err
}

// canonicalStrings reports whether re-encoding can be expected to give
// back the same strings: jute writes characters outside the BMP as CESU-8
// and invalid UTF-8 as U+FFFD, while reading keeps the raw bytes.
func canonicalStrings(t *jute.Txn) bool {
	var w jute.Writer
	t.Encode(&w)
	return !bytes.ContainsAny(w.Bytes(), "\ufffd") && !strings.ContainsFunc(string(w.Bytes()), func(r rune) bool { return r > 0xffff })
}
