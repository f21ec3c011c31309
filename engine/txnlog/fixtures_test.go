package txnlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
	"zkbench/internal/zkfixtures"
	"zkbench/internal/zkref"
)

// fixtures is the tree of files ZooKeeper 3.8.0 wrote (its README.md says
// how), with the dumps its tools printed of them.
var fixtures = zkfixtures.Dir()

// readFixture reads a file of the fixture tree; rel is relative to its root.
func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scenario is one fixture data directory: its log files and ZooKeeper's
// dumps of them.
type scenario struct {
	name  string
	logs  string // a version-2 directory readable with disk.OS
	dumps string // folder of the dumps, relative to fixtures
}

// scenarios are the fixture's data directories.
func scenarios() []scenario {
	var out []scenario
	for _, s := range []string{"standalone", "quorum1", "ensemble3/server1", "ensemble3/server2", "ensemble3/server3"} {
		out = append(out, scenario{name: s, logs: filepath.Join(fixtures, s, VersionDir), dumps: filepath.Join(s, "dumps")})
	}
	return out
}

// copyLogs copies the version-2 directory of a fixture scenario into a
// temporary directory, for tests that change files in it.
func copyLogs(t testing.TB, scenario string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), VersionDir)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join(fixtures, scenario, VersionDir))); err != nil {
		t.Fatal(err)
	}
	return dst
}

// toolkitDump parses the TxnLogToolkit dump at rel in the fixture tree.
func toolkitDump(t testing.TB, rel string) []zkref.Txn {
	t.Helper()
	txns, err := zkref.ParseTxnLog(readFixture(t, rel))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return txns
}

// dirCheckDump parses the ZkDirCheck --txns dump at rel in the fixture
// tree; failure is why its iteration stopped early, if it did.
func dirCheckDump(t testing.TB, rel string) (txns []zkref.DirTxn, failure string) {
	t.Helper()
	txns, failure, err := zkref.ParseDirTxns(readFixture(t, rel))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return txns, failure
}

func asDump(rec Record, crcErr bool) zkref.Txn {
	h := rec.Txn.Header
	return zkref.Txn{Session: h.ClientID, Cxid: h.Cxid, Zxid: h.Zxid, Op: jute.OpName(h.Type), CRCError: crcErr}
}

func asDirCheck(rec Record) zkref.DirTxn {
	h := rec.Txn.Header
	d := "none"
	if rec.Txn.Digest != nil {
		d = fmt.Sprintf("v%d:%d", rec.Txn.Digest.Version, rec.Txn.Digest.TreeDigest)
	}
	return zkref.DirTxn{Zxid: h.Zxid, Op: jute.OpName(h.Type), Session: h.ClientID, Cxid: h.Cxid, Digest: d}
}

// readAll reads a file the way TxnLogToolkit does: on past checksum errors.
func readAll(t testing.TB, fsys disk.FS, path string) (recs []zkref.Txn, torn bool) {
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

func compareDump(t *testing.T, got, want []zkref.Txn) {
	t.Helper()
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
	for _, sc := range scenarios() {
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
				want := toolkitDump(t, filepath.Join(sc.dumps, name+".TxnLogToolkit.txt"))
				got, torn := readAll(t, disk.OS, f.Path)
				compareDump(t, got, want)
				if torn {
					t.Error("intact fixture reported as torn")
				}
				res, err := Verify(disk.OS, f.Path)
				if err != nil || res.Records != len(want) || res.Torn {
					t.Errorf("Verify = %+v, %v; want %d records, no error", res, err, len(want))
				}
			})
		}
	}
}

// TestFixtureDirMatchesZkDirCheck iterates each fixture directory from the
// start and compares every record, including its digest, with what the
// server's own restore iterator printed.
func TestFixtureDirMatchesZkDirCheck(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			want, failure := dirCheckDump(t, filepath.Join(sc.dumps, "ZkDirCheck-txns.txt"))
			if failure != "" {
				t.Fatalf("ZkDirCheck failed on an intact directory: %s", failure)
			}
			got := iterateDir(t, sc.logs, 0, nil)
			compareDirCheck(t, got, want)
			last, err := LastZxid(disk.OS, sc.logs)
			if err != nil || last != want[len(want)-1].Zxid {
				t.Errorf("LastZxid = 0x%x, %v; want 0x%x", last, err, want[len(want)-1].Zxid)
			}
		})
	}
}

// iterateDir iterates dir from zxid; the error it ends with must match
// wantErr (nil: a clean end).
func iterateDir(t *testing.T, dir string, from int64, wantErr error) []zkref.DirTxn {
	t.Helper()
	it, err := NewIterator(disk.OS, dir, from)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var got []zkref.DirTxn
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

func compareDirCheck(t *testing.T, got, want []zkref.DirTxn) {
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
		dir := filepath.Join(fixtures, "corrupt/log-flipped-byte", VersionDir)
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
		want := toolkitDump(t, "corrupt/log-flipped-byte/TxnLogToolkit.txt")
		got, _ := readAll(t, disk.OS, path)
		compareDump(t, got, want)
		res, err := Verify(disk.OS, path)
		var ce *CorruptError
		if !errors.As(err, &ce) || !errors.Is(err, ErrChecksum) || ce.Offset != 3229 || res.Records != 43 || res.LastZxid != 0xe5 {
			t.Errorf("Verify = %+v, %v; want 43 records and ErrChecksum at 3229", res, err)
		}
	})
	t.Run("truncated-tail", func(t *testing.T) {
		dir := filepath.Join(fixtures, "corrupt/log-truncated-tail", VersionDir)
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
		want := toolkitDump(t, "corrupt/log-truncated-tail/TxnLogToolkit.txt")
		got, torn := readAll(t, disk.OS, path)
		compareDump(t, got, want)
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
			dir := copyLogs(t, "standalone")
			b := readFixture(t, filepath.Join("corrupt", c.name, VersionDir, "log.bb"))
			if err := os.WriteFile(filepath.Join(dir, "log.bb"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			want, failure := dirCheckDump(t, filepath.Join("corrupt", c.name, "ZkDirCheck-txns-with-full-dir.txt"))
			if (failure != "") != (c.wantErr != nil) {
				t.Fatalf("ZkDirCheck's iteration stopped with %q, want an error: %v", failure, c.wantErr != nil)
			}
			compareDirCheck(t, iterateDir(t, dir, 0, c.wantErr), want)
		})
	}
}

// TestFixtureIteratorFrom checks the file selection and the skipping of
// records below the start zxid against the fixture directory.
func TestFixtureIteratorFrom(t *testing.T) {
	dir := filepath.Join(fixtures, "standalone", VersionDir)
	want, _ := dirCheckDump(t, "standalone/dumps/ZkDirCheck-txns.txt")
	for _, from := range []int64{0, 1, 0x32, 0x33, 0x34, 0x9d, 0x9e, 0x9f, 0xa0, 0xe5, 0xe6, 0x1000} {
		t.Run(fmt.Sprintf("0x%x", from), func(t *testing.T) {
			var exp []zkref.DirTxn
			for _, r := range want {
				if r.Zxid >= from {
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
	for _, sc := range scenarios() {
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
