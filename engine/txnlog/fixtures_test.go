package txnlog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
)

// sharedFixtures is the full fixture set; tests that use it skip when it is
// not there. testdata/ holds a gzipped subset that is always available.
const sharedFixtures = "/work/shared/fixtures/zk-3.8.0"

// readFixture reads path, or path+".gz" gunzipped.
func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	if b, err := os.ReadFile(path); err == nil {
		return b
	}
	b, err := os.ReadFile(path + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s.gz: %v", path, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s.gz: %v", path, err)
	}
	return out
}

// scenario is one fixture data directory: its log files and ZooKeeper's
// dumps of them.
type scenario struct {
	name  string
	logs  string // a version-2 directory readable with disk.OS
	dumps string // folder of the dumps, or "" when there are none
}

// materialize gunzips testdata/<rel>/version-2 into a temporary directory
// and returns it.
func materialize(t testing.TB, rel string) string {
	t.Helper()
	src := filepath.Join("testdata", rel, VersionDir)
	dst := filepath.Join(t.TempDir(), VersionDir)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".gz")
		b := readFixture(t, filepath.Join(src, name))
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// scenarios returns the testdata scenarios and, when present, every scenario
// of the shared fixtures.
func scenarios(t *testing.T) []scenario {
	var out []scenario
	for _, s := range []string{"standalone", "quorum1"} {
		out = append(out, scenario{name: "testdata/" + s, logs: materialize(t, s), dumps: filepath.Join("testdata", s, "dumps")})
	}
	if _, err := os.Stat(sharedFixtures); err != nil {
		t.Logf("%s not present: testing testdata only", sharedFixtures)
		return out
	}
	for _, s := range []string{"standalone", "quorum1", "ensemble3/server1", "ensemble3/server2", "ensemble3/server3"} {
		d := filepath.Join(sharedFixtures, s)
		out = append(out, scenario{name: "fixtures/" + s, logs: filepath.Join(d, VersionDir), dumps: filepath.Join(d, "dumps")})
	}
	return out
}

// dumpRecord is one txn line of TxnLogToolkit's output.
type dumpRecord struct {
	session uint64
	cxid    uint32
	zxid    int64
	op      string
	crcErr  bool
}

func (d dumpRecord) String() string {
	return fmt.Sprintf("zxid 0x%x %s session 0x%x cxid 0x%x crcErr=%v", d.zxid, d.op, d.session, d.cxid, d.crcErr)
}

// A txn line starts with the date (printed in UTC); a body may span lines
// (an ACL list ends in a newline), and multi bodies are raw bytes, so only
// lines that start like this are txns.
var toolkitLine = regexp.MustCompile(`^(CRC ERROR - )?\d+/\d+/\d+, \d+:\d+:\d+ [AP]M UTC session 0x([0-9a-f]+) cxid 0x([0-9a-f]+) zxid 0x([0-9a-f]+) (\S+)`)
var toolkitEOF = regexp.MustCompile(`^EOF reached after (\d+) txns\.$`)

// parseToolkit parses `TxnLogToolkit -d` output. A record with a bad
// checksum is printed twice, first with a "CRC ERROR - " prefix; it is
// returned once, with crcErr set.
func parseToolkit(t testing.TB, out []byte) (recs []dumpRecord, total int) {
	t.Helper()
	total = -1
	crc := false
	for _, line := range bytes.Split(out, []byte("\n")) {
		if m := toolkitEOF.FindSubmatch(line); m != nil {
			total, _ = strconv.Atoi(string(m[1]))
			continue
		}
		m := toolkitLine.FindSubmatch(line)
		if m == nil {
			continue
		}
		if len(m[1]) > 0 {
			crc = true
			continue
		}
		session, _ := strconv.ParseUint(string(m[2]), 16, 64)
		cxid, _ := strconv.ParseUint(string(m[3]), 16, 32)
		zxid, _ := strconv.ParseInt(string(m[4]), 16, 64)
		recs = append(recs, dumpRecord{session: session, cxid: uint32(cxid), zxid: zxid, op: string(m[5]), crcErr: crc})
		crc = false
	}
	if total < 0 {
		t.Fatal("no 'EOF reached after N txns.' line")
	}
	return recs, total
}

// dirCheckRecord is one line of ZkDirCheck --txns.
type dirCheckRecord struct {
	zxid    int64
	op      string
	session uint64
	cxid    int32
	digest  string // "none" or "v2:<treeDigest>"
}

var dirCheckLine = regexp.MustCompile(`^zxid 0x([0-9a-f]+) type (\S+) session 0x([0-9a-f]+) cxid (-?\d+) digest (\S+)$`)
var dirCheckEnd = regexp.MustCompile(`^(?:iterated (\d+) txns without error|iteration stopped after (\d+) txns: (.*))$`)

// parseDirCheck returns the records, their count and the error text when
// the iteration failed.
func parseDirCheck(t testing.TB, out []byte) (recs []dirCheckRecord, total int, failure string) {
	t.Helper()
	total = -1
	for _, line := range strings.Split(string(out), "\n") {
		if m := dirCheckLine.FindStringSubmatch(line); m != nil {
			zxid, _ := strconv.ParseInt(m[1], 16, 64)
			session, _ := strconv.ParseUint(m[3], 16, 64)
			cxid, _ := strconv.ParseInt(m[4], 10, 32)
			recs = append(recs, dirCheckRecord{zxid: zxid, op: m[2], session: session, cxid: int32(cxid), digest: m[5]})
			continue
		}
		if m := dirCheckEnd.FindStringSubmatch(line); m != nil {
			if m[1] != "" {
				total, _ = strconv.Atoi(m[1])
			} else {
				total, _ = strconv.Atoi(m[2])
				failure = m[3]
			}
		}
	}
	if total < 0 {
		t.Fatal("no final 'iterated'/'iteration stopped' line")
	}
	return recs, total, failure
}

func asDump(rec Record, crcErr bool) dumpRecord {
	h := rec.Txn.Header
	return dumpRecord{session: uint64(h.ClientID), cxid: uint32(h.Cxid), zxid: h.Zxid, op: jute.OpName(h.Type), crcErr: crcErr}
}

func asDirCheck(rec Record) dirCheckRecord {
	h := rec.Txn.Header
	d := "none"
	if rec.Txn.Digest != nil {
		d = fmt.Sprintf("v%d:%d", rec.Txn.Digest.Version, rec.Txn.Digest.TreeDigest)
	}
	return dirCheckRecord{zxid: h.Zxid, op: jute.OpName(h.Type), session: uint64(h.ClientID), cxid: h.Cxid, digest: d}
}

// readAll reads a file the way TxnLogToolkit does: on past checksum errors.
func readAll(t testing.TB, fsys disk.FS, path string) (recs []dumpRecord, torn bool) {
	t.Helper()
	r, err := OpenReader(fsys, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs, r.Torn()
		}
		if err != nil && !errors.Is(err, ErrChecksum) {
			t.Fatalf("%s: %v", path, err)
		}
		recs = append(recs, asDump(rec, err != nil))
	}
}

func compareDump(t *testing.T, got, want []dumpRecord, total int) {
	t.Helper()
	if len(want) != total {
		t.Fatalf("dump parse: %d txn lines but 'EOF reached after %d txns'", len(want), total)
	}
	if len(got) != len(want) {
		t.Errorf("read %d records, ZooKeeper printed %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("record %d: got %v, ZooKeeper printed %v", i, got[i], want[i])
		}
	}
}

// TestFixtureFilesMatchToolkit reads every fixture log file and compares
// each record's zxid, op, session and cxid, and the count, with what
// ZooKeeper's TxnLogToolkit printed for the same file.
func TestFixtureFilesMatchToolkit(t *testing.T) {
	for _, sc := range scenarios(t) {
		files, err := ListFiles(disk.OS, sc.logs)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("%s: no log files", sc.logs)
		}
		for _, f := range files {
			name := filepath.Base(f.Path)
			t.Run(sc.name+"/"+name, func(t *testing.T) {
				want, total := parseToolkit(t, readFixture(t, filepath.Join(sc.dumps, name+".TxnLogToolkit.txt")))
				got, torn := readAll(t, disk.OS, f.Path)
				compareDump(t, got, want, total)
				if torn {
					t.Error("intact fixture reported as torn")
				}
				res, err := Verify(disk.OS, f.Path)
				if err != nil || res.Records != total || res.Torn {
					t.Errorf("Verify = %+v, %v; want %d records, no error", res, err, total)
				}
			})
		}
	}
}

// TestFixtureDirMatchesZkDirCheck iterates each fixture directory from the
// start and compares every record, including its digest, with what the
// server's own restore iterator printed.
func TestFixtureDirMatchesZkDirCheck(t *testing.T) {
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			want, total, failure := parseDirCheck(t, readFixture(t, filepath.Join(sc.dumps, "ZkDirCheck-txns.txt")))
			if failure != "" || len(want) != total {
				t.Fatalf("unexpected ZkDirCheck output: %d records, total %d, failure %q", len(want), total, failure)
			}
			got := iterateDir(t, sc.logs, 0, nil)
			compareDirCheck(t, got, want)
			last, err := LastZxid(disk.OS, sc.logs)
			if err != nil || last != want[len(want)-1].zxid {
				t.Errorf("LastZxid = 0x%x, %v; want 0x%x", last, err, want[len(want)-1].zxid)
			}
		})
	}
}

// iterateDir iterates dir from zxid; the error it ends with must match
// wantErr (nil: a clean end).
func iterateDir(t *testing.T, dir string, from int64, wantErr error) []dirCheckRecord {
	t.Helper()
	it, err := NewIterator(disk.OS, dir, from)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var got []dirCheckRecord
	for {
		rec, err := it.Next()
		if err == io.EOF {
			if wantErr != nil {
				t.Errorf("iteration ended cleanly, want %v", wantErr)
			}
			return got
		}
		if err != nil {
			if wantErr == nil || !errors.Is(err, wantErr) {
				t.Errorf("iteration failed with %v, want %v", err, wantErr)
			}
			return got
		}
		got = append(got, asDirCheck(rec))
	}
}

func compareDirCheck(t *testing.T, got, want []dirCheckRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("iterated %d records, ZooKeeper %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("record %d: got %+v, ZooKeeper %+v", i, got[i], want[i])
		}
	}
}

// TestCorruptFixtures checks the two damaged copies of standalone's log.bb:
// alone, and placed into a copy of the whole standalone directory as
// ZooKeeper's restore saw them.
func TestCorruptFixtures(t *testing.T) {
	t.Run("flipped-byte", func(t *testing.T) {
		dir := materialize(t, "corrupt/log-flipped-byte")
		it, err := NewIterator(disk.OS, dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		var last int64 = -1
		n := 0
		for {
			rec, err := it.Next()
			if err == nil {
				last = rec.Txn.Header.Zxid
				n++
				continue
			}
			var ce *CorruptError
			switch {
			case !errors.Is(err, ErrChecksum):
				t.Fatalf("got %v, want ErrChecksum", err)
			case !errors.As(err, &ce) || filepath.Base(ce.File) != "log.bb" || ce.Offset != 3229:
				t.Fatalf("error %v does not name log.bb at offset 3229", err)
			case !strings.Contains(err.Error(), "log.bb at offset 3229"):
				t.Fatalf("message %q lacks file and offset", err)
			}
			break
		}
		if n != 21 || last != 0xcf {
			t.Errorf("yielded %d records up to 0x%x before the error, want 21 up to 0xcf", n, last)
		}
		if _, err := it.Next(); !errors.Is(err, ErrChecksum) {
			t.Errorf("error is not sticky: %v", err)
		}

		// TxnLogToolkit reads on past the bad record.
		path := filepath.Join(dir, "log.bb")
		want, total := parseToolkit(t, readFixture(t, "testdata/corrupt/log-flipped-byte/TxnLogToolkit.txt"))
		got, _ := readAll(t, disk.OS, path)
		compareDump(t, got, want, total)
		res, err := Verify(disk.OS, path)
		var ce *CorruptError
		if !errors.As(err, &ce) || !errors.Is(err, ErrChecksum) || ce.Offset != 3229 || res.Records != 43 || res.LastZxid != 0xe5 {
			t.Errorf("Verify = %+v, %v; want 43 records and ErrChecksum at 3229", res, err)
		}
	})
	t.Run("truncated-tail", func(t *testing.T) {
		dir := materialize(t, "corrupt/log-truncated-tail")
		it, err := NewIterator(disk.OS, dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		var last int64 = -1
		n := 0
		for {
			rec, err := it.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			last = rec.Txn.Header.Zxid
			n++
		}
		if n != 42 || last != 0xe4 {
			t.Errorf("yielded %d records up to 0x%x, want 42 up to 0xe4", n, last)
		}
		if tt := it.TornTails(); len(tt) != 1 || tt[0].Offset != 6442 || filepath.Base(tt[0].File) != "log.bb" {
			t.Errorf("TornTails = %+v, want log.bb at 6442", tt)
		}
		path := filepath.Join(dir, "log.bb")
		want, total := parseToolkit(t, readFixture(t, "testdata/corrupt/log-truncated-tail/TxnLogToolkit.txt"))
		got, torn := readAll(t, disk.OS, path)
		compareDump(t, got, want, total)
		if !torn {
			t.Error("Reader.Torn = false")
		}
		res, err := Verify(disk.OS, path)
		if err != nil || res.Records != 42 || !res.Torn || res.End != 6442 {
			t.Errorf("Verify = %+v, %v; want 42 records, torn at 6442", res, err)
		}
	})
	for _, c := range []struct {
		name    string
		wantErr error
	}{
		{"log-flipped-byte", ErrChecksum},
		{"log-truncated-tail", nil},
	} {
		t.Run(c.name+"/with-full-dir", func(t *testing.T) {
			dir := materialize(t, "standalone")
			b := readFixture(t, filepath.Join("testdata/corrupt", c.name, VersionDir, "log.bb"))
			if err := os.WriteFile(filepath.Join(dir, "log.bb"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			want, total, failure := parseDirCheck(t, readFixture(t, filepath.Join("testdata/corrupt", c.name, "ZkDirCheck-txns-with-full-dir.txt")))
			if (failure != "") != (c.wantErr != nil) || len(want) != total {
				t.Fatalf("unexpected ZkDirCheck output: %d records, total %d, failure %q", len(want), total, failure)
			}
			compareDirCheck(t, iterateDir(t, dir, 0, c.wantErr), want)
		})
	}
}

// TestFixtureIteratorFrom checks the file selection and the skipping of
// records below the start zxid against the fixture directory.
func TestFixtureIteratorFrom(t *testing.T) {
	dir := materialize(t, "standalone")
	want, _, _ := parseDirCheck(t, readFixture(t, "testdata/standalone/dumps/ZkDirCheck-txns.txt"))
	for _, from := range []int64{0, 1, 0x32, 0x33, 0x34, 0x9d, 0x9e, 0x9f, 0xa0, 0xe5, 0xe6, 0x1000} {
		t.Run(fmt.Sprintf("0x%x", from), func(t *testing.T) {
			var exp []dirCheckRecord
			for _, r := range want {
				if r.zxid >= from {
					exp = append(exp, r)
				}
			}
			compareDirCheck(t, iterateDir(t, dir, from, nil), exp)
		})
	}
}

// TestRewriteFixturesByteExact feeds the txns of every fixture file to a
// Writer configured like the fixture servers (64 KiB preallocation written
// ZooKeeper's way) and expects the very same bytes: header, records, and
// the file length with its zero padding, including standalone's log.1,
// which grew to 131072 bytes when a 100 KiB record ran past the first
// preallocation.
func TestRewriteFixturesByteExact(t *testing.T) {
	for _, sc := range scenarios(t) {
		files, err := ListFiles(disk.OS, sc.logs)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			t.Run(sc.name+"/"+filepath.Base(f.Path), func(t *testing.T) {
				want, err := os.ReadFile(f.Path)
				if err != nil {
					t.Fatal(err)
				}
				r, err := NewReader(bytes.NewReader(want), f.Path)
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				w, err := Open(disk.OS, dir, Options{PreAllocSize: 64 << 10, PreallocMode: disk.PreallocZooKeeper, SyncMethod: disk.SyncNone})
				if err != nil {
					t.Fatal(err)
				}
				for {
					rec, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					if err := w.Append(jute.EncodeTxn(rec.Txn)); err != nil {
						t.Fatal(err)
					}
					// Commit every txn: the fixture servers' batches are
					// unknown, and the padding only depends on where the
					// big record was committed.
					if err := w.Commit(); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(filepath.Join(dir, filepath.Base(f.Path)))
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("file is %d bytes, ZooKeeper's %d", len(got), len(want))
				}
				if i := firstDiff(got, want); i >= 0 {
					t.Fatalf("first difference at offset %d", i)
				}
			})
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
