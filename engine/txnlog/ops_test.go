package txnlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
)

func TestParseName(t *testing.T) {
	cases := []struct {
		name string
		zxid int64
		ok   bool
	}{
		{"log.1", 1, true},
		{"log.9e", 0x9e, true},
		{"log.100000001", 0x100000001, true},
		{"log.0", 0, true},
		{"log.1.txt", 1, true}, // ZooKeeper takes it for log 1 too
		{"log.ABC", 0xabc, true},
		{"log.+f", 0xf, true}, // Long.parseLong accepts a sign
		{"log.-1", 0, false},
		{"log.", 0, false},
		{"log", 0, false},
		{"log..5", 0, false},
		{"log.xyz", 0, false},
		{"log.10000000000000000", 0, false}, // overflows a long
		{"snapshot.1", 0, false},
		{"Log.1", 0, false},
		{"log.1.tmp", 1, true},
	}
	for _, c := range cases {
		z, ok := ParseName(c.name)
		if z != c.zxid || ok != c.ok {
			t.Errorf("ParseName(%q) = 0x%x, %v; want 0x%x, %v", c.name, z, ok, c.zxid, c.ok)
		}
	}
	for _, z := range []int64{0, 1, 0x9e, 0x100000001, 0x7fffffffffffffff} {
		if got, ok := ParseName(FileName(z)); !ok || got != z {
			t.Errorf("FileName(0x%x) = %q does not parse back", z, FileName(z))
		}
	}
	if FileName(0x9E) != "log.9e" {
		t.Errorf("FileName(0x9e) = %q", FileName(0x9e))
	}
}

func TestListAndSelectFiles(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	must(t, fsys.MkdirAll("v2/log.dir-ignored"))
	for _, n := range []string{"log.100000001", "log.33", "log.1", "log.a0", "log.9e", "snapshot.9c", "log.xyz", "currentEpoch", "log.200000001"} {
		f, err := fsys.Create("v2/" + n)
		must(t, err)
		f.Close()
	}
	files, err := ListFiles(fsys, "v2")
	must(t, err)
	var zxids []int64
	for _, f := range files {
		zxids = append(zxids, f.Zxid)
		if f.Path != filepath.Join("v2", FileName(f.Zxid)) {
			t.Errorf("path %q", f.Path)
		}
	}
	want := []int64{0x1, 0x33, 0x9e, 0xa0, 0x100000001, 0x200000001}
	if !slices.Equal(zxids, want) {
		t.Fatalf("ListFiles zxids %x, want %x (numeric order)", zxids, want)
	}
	sel := func(z int64) []int64 {
		var out []int64
		for _, f := range SelectFiles(files, z) {
			out = append(out, f.Zxid)
		}
		return out
	}
	for _, c := range []struct {
		from int64
		want []int64
	}{
		{0, want},
		{1, want},
		{2, want},
		{0x33, want}, // the file starting at Z is included, so is the newest below it
		{0x34, want[1:]},
		{0x9d, want[1:]},
		{0x9e, want[1:]},
		{0x9f, want[2:]},
		{0x100000001, want[3:]},
		{0x200000001, want[4:]},
		{0x300000000, want[5:]}, // only the newest file, which may hold it
	} {
		if got := sel(c.from); !slices.Equal(got, c.want) {
			t.Errorf("SelectFiles(0x%x) = %x, want %x", c.from, got, c.want)
		}
	}
	if got, err := ListFiles(fsys, "missing"); got != nil || err != nil {
		t.Errorf("ListFiles(missing dir) = %v, %v", got, err)
	}
}

// threeFiles writes log.1 (1-10), log.b (11-20) and log.15 (21-30) with
// 4 KiB preallocation and returns the FS.
func threeFiles(t *testing.T) *faultfs.FS {
	fsys := faultfs.New(faultfs.Options{})
	w := mustOpen(t, fsys, "v2", Options{PreAllocSize: 4096})
	for z := int64(1); z <= 30; z++ {
		appendAll(t, w, setData(z, 100))
		if z%10 == 0 {
			must(t, w.Roll())
		}
	}
	must(t, w.Close())
	return fsys
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		zxid      int64
		wantFiles []string
		wantLast  int64
		cutFile   string
	}{
		{15, []string{"log.1", "log.b"}, 15, "log.b"},
		{11, []string{"log.1", "log.b"}, 11, "log.b"},
		{10, []string{"log.1"}, 10, "log.1"}, // Z is the last record of log.1: every later file goes
		{30, []string{"log.1", "log.b", "log.15"}, 30, "log.15"},
		{1, []string{"log.1"}, 1, "log.1"},
		{0, []string{"log.1"}, 1, "log.1"}, // like ZooKeeper: cut after the first record >= Z
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("0x%x", c.zxid), func(t *testing.T) {
			fsys := threeFiles(t)
			must(t, Truncate(fsys, "v2", c.zxid))
			if got := fileNames(t, fsys, "v2"); !slices.Equal(got, c.wantFiles) {
				t.Errorf("files %v, want %v", got, c.wantFiles)
			}
			last, err := LastZxid(fsys, "v2")
			if err != nil || last != c.wantLast {
				t.Errorf("LastZxid = %d, %v; want %d", last, err, c.wantLast)
			}
			txns := readDir(t, fsys, "v2")
			if len(txns) != int(c.wantLast) || txns[len(txns)-1].Header.Zxid != c.wantLast {
				t.Errorf("read %d txns", len(txns))
			}
			// The cut file ends right after the 'B' of the last record:
			// the preallocated zeros are gone.
			path := filepath.Join("v2", c.cutFile)
			res, err := Verify(fsys, path)
			must(t, err)
			if size := fileSize(t, fsys, path); size != res.End || res.LastZxid != c.wantLast {
				t.Errorf("%s: %d bytes, log ends at %d with zxid %d", c.cutFile, size, res.End, res.LastZxid)
			}
			b, _ := disk.ReadFile(fsys, path)
			if b[len(b)-1] != 'B' {
				t.Errorf("last byte 0x%x, want 'B'", b[len(b)-1])
			}
			// The next Append starts a new file.
			w := mustOpen(t, fsys, "v2", Options{PreAllocSize: 4096})
			appendAll(t, w, setData(c.wantLast+1, 10))
			must(t, w.Close())
			if got := readDir(t, fsys, "v2"); len(got) != int(c.wantLast)+1 {
				t.Errorf("after truncate and append: %d txns", len(got))
			}
		})
	}
	t.Run("beyond-the-log", func(t *testing.T) {
		fsys := threeFiles(t)
		if err := Truncate(fsys, "v2", 31); !errors.Is(err, ErrNoLog) {
			t.Errorf("Truncate(31) = %v, want ErrNoLog", err)
		}
		if got := fileNames(t, fsys, "v2"); len(got) != 3 {
			t.Errorf("files %v", got)
		}
	})
	t.Run("no-files", func(t *testing.T) {
		fsys := faultfs.New(faultfs.Options{})
		must(t, fsys.MkdirAll("v2"))
		if err := Truncate(fsys, "v2", 5); !errors.Is(err, ErrNoLog) {
			t.Errorf("Truncate = %v, want ErrNoLog", err)
		}
	})
	t.Run("corrupt-before-zxid", func(t *testing.T) {
		fsys := threeFiles(t)
		corruptByte(t, fsys, "v2/log.b", 16+12+40)
		if err := Truncate(fsys, "v2", 15); !errors.Is(err, ErrChecksum) {
			t.Errorf("Truncate = %v, want ErrChecksum", err)
		}
	})
}

func corruptByte(t *testing.T, fsys disk.FS, path string, off int64) {
	t.Helper()
	f, err := fsys.OpenAppend(path)
	must(t, err)
	var b [1]byte
	_, err = f.ReadAt(b[:], off)
	must(t, err)
	b[0] ^= 0xff
	_, err = f.WriteAt(b[:], off)
	must(t, err)
	must(t, f.Close())
}

func TestLastZxid(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		fsys := faultfs.New(faultfs.Options{})
		if z, err := LastZxid(fsys, "v2"); z != -1 || err != nil {
			t.Errorf("LastZxid(no dir) = %d, %v", z, err)
		}
	})
	t.Run("three-files", func(t *testing.T) {
		if z, err := LastZxid(threeFiles(t), "v2"); z != 30 || err != nil {
			t.Errorf("LastZxid = %d, %v", z, err)
		}
	})
	// A newest file without a complete record (crash before its first
	// commit) does not count; the one before it does.
	for _, c := range []struct {
		name    string
		content []byte
	}{
		{"empty-newest", nil},
		{"short-header", logHeader()[:7]},
		{"header-only", logHeader()},
		{"torn-record", append(logHeader(), fileWith(t, setData(31, 10))[16:40]...)},
	} {
		t.Run(c.name, func(t *testing.T) {
			fsys := threeFiles(t)
			f, err := fsys.Create("v2/log.1f")
			must(t, err)
			_, err = f.Write(c.content)
			must(t, err)
			f.Close()
			if z, err := LastZxid(fsys, "v2"); z != 30 || err != nil {
				t.Errorf("LastZxid = %d, %v; want 30", z, err)
			}
			// The iterator reads past it too.
			if n := len(readDir(t, fsys, "v2")); n != 30 {
				t.Errorf("read %d", n)
			}
		})
	}
	t.Run("corrupt-newest", func(t *testing.T) {
		fsys := threeFiles(t)
		corruptByte(t, fsys, "v2/log.15", 100)
		if _, err := LastZxid(fsys, "v2"); !errors.Is(err, ErrChecksum) {
			t.Errorf("LastZxid = %v, want ErrChecksum", err)
		}
	})
}

// TestReaderEndRules checks the docs/zk-disk-format.md §2.7 table on crafted files: what ends a
// file quietly, what is torn, and what is an error at which offset.
func TestReaderEndRules(t *testing.T) {
	rec1 := fileWith(t, setData(1, 10))[16:]
	rec2 := fileWith(t, setData(2, 10))[16:]
	n1 := int64(len(rec1))
	good := slices.Concat(logHeader(), rec1, rec2)
	withLen := func(n uint32) []byte {
		return slices.Concat(logHeader(), rec1, []byte{0, 0, 0, 0, 0, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	}
	flip := func(b []byte, off int) []byte { b = slices.Clone(b); b[off] ^= 0x01; return b }
	unknown := fileWith(t, setData(2, 10))
	cases := []struct {
		name    string
		file    []byte
		records int   // records returned without error
		torn    bool  // ends with a torn tail
		end     int64 // Offset after the end
		wantErr error // at offset errOff
		errOff  int64
	}{
		{"exact-end", good, 2, false, 16 + 2*n1, nil, 0},
		{"zero-padding", slices.Concat(good, make([]byte, 4096)), 2, false, 16 + 2*n1, nil, 0},
		// Fewer than 12 zeros before EOF are still padding, as for ZooKeeper
		// (its position lags appends, so its padding can end that close).
		{"short-padding", slices.Concat(good, make([]byte, 5)), 2, false, 16 + 2*n1, nil, 0},
		{"short-nonzero-tail", slices.Concat(good, []byte{0, 0, 0, 1}), 2, true, 16 + 2*n1, nil, 0},
		{"length-0-nonzero-crc", slices.Concat(good, []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0}), 2, false, 16 + 2*n1, nil, 0},
		{"length-minus-1", withLen(0xffffffff), 1, false, 16 + n1, nil, 0},
		{"length-minus-2", withLen(0xfffffffe), 1, false, 16 + n1, ErrLength, 16 + n1},
		{"length-too-big", withLen(2*0xfffff + 1), 1, false, 16 + n1, ErrLength, 16 + n1},
		{"length-max-eof", withLen(2 * 0xfffff), 1, true, 16 + n1, nil, 0},
		{"torn-in-checksum", slices.Concat(logHeader(), rec1, rec2[:5]), 1, true, 16 + n1, nil, 0},
		{"torn-in-length", slices.Concat(logHeader(), rec1, rec2[:10]), 1, true, 16 + n1, nil, 0},
		{"torn-in-entry", slices.Concat(logHeader(), rec1, rec2[:30]), 1, true, 16 + n1, nil, 0},
		{"missing-marker", slices.Concat(logHeader(), rec1, rec2[:len(rec2)-1]), 1, true, 16 + n1, nil, 0},
		{"bad-marker", slices.Concat(logHeader(), rec1, rec2[:len(rec2)-1], []byte{'C'}, rec1), 1, true, 16 + n1, nil, 0},
		// A damaged entry with a torn marker is a torn tail, not a
		// checksum error: the marker is checked first.
		{"bad-crc-and-marker", flip(slices.Concat(logHeader(), rec1, rec2[:len(rec2)-1], []byte{0}), 16+int(n1)+20), 1, true, 16 + n1, nil, 0},
		{"checksum", flip(good, 16+int(n1)+20), 1, false, 16 + 2*n1, ErrChecksum, 16 + n1},
		{"checksum-high-bytes", flip(good, 16+int(n1)), 1, false, 16 + 2*n1, ErrChecksum, 16 + n1},
		{"unknown-op", withCRC(flipType(unknown)), 0, false, 16 + n1, ErrUnknownOp, 16},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(c.file), "f")
			must(t, err)
			records := 0
			var firstErr error
			for {
				rec, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					if rec.Size == 0 {
						break
					}
					continue
				}
				records++
			}
			if records != c.records || r.Torn() != c.torn || r.Offset() != c.end {
				t.Errorf("records %d torn %v end %d; want %d %v %d", records, r.Torn(), r.Offset(), c.records, c.torn, c.end)
			}
			var ce *CorruptError
			switch {
			case c.wantErr == nil && firstErr != nil:
				t.Errorf("unexpected error %v", firstErr)
			case c.wantErr != nil && !errors.Is(firstErr, c.wantErr):
				t.Errorf("error %v, want %v", firstErr, c.wantErr)
			case c.wantErr != nil && (!errors.As(firstErr, &ce) || ce.Offset != c.errOff || ce.File != "f"):
				t.Errorf("error %v, want offset %d", firstErr, c.errOff)
			}
		})
	}
	t.Run("header", func(t *testing.T) {
		for _, c := range []struct {
			file    []byte
			wantErr error
		}{
			{nil, ErrShortHeader},
			{logHeader()[:15], ErrShortHeader},
			// Preallocated but the header never reached the disk: no txns.
			{make([]byte, 100), ErrShortHeader},
			{[]byte("ZKSN\x00\x00\x00\x02\xff\xff\xff\xff\xff\xff\xff\xff"), ErrBadMagic},
		} {
			_, err := NewReader(bytes.NewReader(c.file), "f")
			var ce *CorruptError
			if !errors.Is(err, c.wantErr) || !errors.As(err, &ce) || ce.File != "f" {
				t.Errorf("NewReader(% x) = %v, want %v", c.file, err, c.wantErr)
			}
		}
		// Only the magic is checked.
		h := logHeader()
		h[7], h[15] = 9, 7
		if _, err := NewReader(bytes.NewReader(h), "f"); err != nil {
			t.Errorf("version/dbid checked: %v", err)
		}
	})
}

// flipType sets the op code of a one-record file to 99.
func flipType(file []byte) []byte {
	b := slices.Clone(file)
	b[16+12+28+3] = 99 // low byte of TxnHeader.Type
	return b
}

// withCRC recomputes the checksum of the first record.
func withCRC(file []byte) []byte {
	r, _ := NewReader(bytes.NewReader(file), "x")
	rec, _ := r.Next()
	b := slices.Clone(file)
	putChecksum(b[16:], rec.Entry)
	return b
}

// TestIteratorErrorsAreSticky: after ErrBadMagic in the second file the
// iteration stops, naming the file.
func TestIteratorBadMagicFile(t *testing.T) {
	fsys := threeFiles(t)
	corruptByte(t, fsys, "v2/log.b", 0)
	it, err := NewIterator(fsys, "v2", 0)
	must(t, err)
	defer it.Close()
	n := 0
	for {
		_, err := it.Next()
		if err == nil {
			n++
			continue
		}
		var ce *CorruptError
		if !errors.Is(err, ErrBadMagic) || !errors.As(err, &ce) || ce.File != "v2/log.b" || n != 10 {
			t.Fatalf("after %d records: %v", n, err)
		}
		break
	}
	if _, err := it.Next(); !errors.Is(err, ErrBadMagic) {
		t.Errorf("not sticky: %v", err)
	}
}

// putChecksum stores the Adler-32 of entry in the checksum field of the
// record that starts at rec[0].
func putChecksum(rec, entry []byte) {
	binary.BigEndian.PutUint64(rec, uint64(adler32.Checksum(entry)))
}
