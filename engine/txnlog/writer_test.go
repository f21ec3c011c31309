package txnlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
	"zkbench/engine/jute"
)

const testSession = 0x100000a46010001

func digest(v int64) *jute.TxnDigest {
	return &jute.TxnDigest{Version: jute.DigestVersion, TreeDigest: v}
}

// allTypes returns one txn of every type ZooKeeper 3.8 logs, with zxids
// from first on.
func allTypes(first int64) []*jute.Txn {
	hdr := func(i int, op int32) jute.TxnHeader {
		return jute.TxnHeader{ClientID: testSession, Cxid: int32(i), Zxid: first + int64(i), Time: 1795579238596 + int64(i), Type: op}
	}
	aclRW := []jute.ACL{{Perms: jute.PermRead | jute.PermWrite, ID: jute.ID{Scheme: "digest", ID: "bench:CVynBOw/MPFUuStoOWBBajO7Kh4="}}}
	txns := []*jute.Txn{
		{Body: &jute.CreateSessionTxn{TimeOut: 4000}},
		{Body: &jute.CreateTxn{Path: "/bench", Data: []byte("bench-root"), ACL: jute.OpenACL, ParentCVersion: 1}},
		{Body: &jute.CreateTxn{Path: "/bench/eph-seq-0000000005", Data: []byte{}, ACL: jute.OpenACL, Ephemeral: true, ParentCVersion: 6}},
		{Body: &jute.CreateTxn{Path: "/bench/create2-é", Data: []byte("via-create2"), ACL: jute.OpenACL, ParentCVersion: 17}},
		{Body: &jute.CreateContainerTxn{Path: "/bench/container", Data: []byte("c"), ACL: jute.OpenACL, ParentCVersion: 8}},
		{Body: &jute.CreateTTLTxn{Path: "/bench/ttl", Data: []byte("ttl-node"), ACL: jute.OpenACL, ParentCVersion: 9, TTL: 3600000}},
		{Body: &jute.DeleteTxn{Path: "/bench/seq-0000000001"}},
		{Body: &jute.DeleteTxn{Path: "/bench/container"}},
		{Body: &jute.SetDataTxn{Path: "/bench", Data: bytes.Repeat([]byte("x"), 3000), Version: 2}},
		{Body: &jute.SetDataTxn{Path: "/bench/empty", Data: []byte{}, Version: 1}},
		{Body: &jute.SetACLTxn{Path: "/bench/acl", ACL: append(slices.Clone(aclRW), jute.ReadACL...), Version: 1}},
		{Body: &jute.MultiTxn{Ops: []jute.Op{
			{Type: jute.OpCreate, Record: &jute.CreateTxn{Path: "/bench/multi-a", Data: []byte("ma"), ACL: jute.OpenACL, ParentCVersion: 20}},
			{Type: jute.OpSetData, Record: &jute.SetDataTxn{Path: "/bench", Data: []byte("multi-set"), Version: 3}},
			{Type: jute.OpCheck, Record: &jute.CheckVersionTxn{Path: "/bench/empty", Version: 1}},
			{Type: jute.OpDelete, Record: &jute.DeleteTxn{Path: "/bench/seq-0000000002"}},
		}}},
		{Body: &jute.MultiTxn{Ops: []jute.Op{
			{Type: jute.OpCreate, Record: &jute.CreateTxn{Path: "/bench/multi-b", Data: []byte("mb"), ACL: jute.OpenACL, ParentCVersion: 21}},
			{Type: jute.OpError, Record: &jute.ErrorTxn{Err: -101}},
			{Type: jute.OpError, Record: &jute.ErrorTxn{Err: -2}},
		}}},
		{Body: &jute.ErrorTxn{Err: -110}},
		{Body: &jute.CloseSessionTxn{Paths2Delete: []string{"/bench/eph", "/bench/eph-seq-0000000005"}}},
		{Body: &jute.CloseSessionTxn{Paths2Delete: []string{}}},
		{Body: &jute.SetDataTxn{Path: "/zookeeper/config", Data: []byte("server.1=127.0.0.1:2888:3888"), Version: 1}},
	}
	ops := []int32{jute.OpCreateSession, jute.OpCreate, jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL,
		jute.OpDelete, jute.OpDeleteContainer, jute.OpSetData, jute.OpSetData, jute.OpSetACL, jute.OpMulti, jute.OpMulti,
		jute.OpError, jute.OpCloseSession, jute.OpCloseSession, jute.OpReconfig}
	for i, t := range txns {
		t.Header = hdr(i, ops[i])
		if ops[i] != jute.OpError { // top-level error txns carry no digest
			t.Digest = digest(int64(1000 + i))
		}
	}
	txns[7].Header.ClientID, txns[7].Header.Cxid = 0, 0 // the reaper's deleteContainer
	return txns
}

// setData returns a setData txn with a payload of n bytes.
func setData(zxid int64, n int) *jute.Txn {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(zxid) + byte(i)
	}
	return &jute.Txn{
		Header: jute.TxnHeader{ClientID: testSession, Cxid: int32(zxid), Zxid: zxid, Time: 1795579238596, Type: jute.OpSetData},
		Body:   &jute.SetDataTxn{Path: fmt.Sprintf("/bench/key-%d", zxid%100), Data: data, Version: int32(zxid)},
		Digest: digest(zxid * 7),
	}
}

func mustOpen(t testing.TB, fsys disk.FS, dir string, opts Options) *Writer {
	t.Helper()
	w, err := Open(fsys, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func appendAll(t testing.TB, w *Writer, txns ...*jute.Txn) {
	t.Helper()
	for _, txn := range txns {
		if err := w.Append(jute.EncodeTxn(txn)); err != nil {
			t.Fatal(err)
		}
	}
}

// readDir returns every txn of dir.
func readDir(t testing.TB, fsys disk.FS, dir string) []*jute.Txn {
	t.Helper()
	it, err := NewIterator(fsys, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []*jute.Txn
	for {
		rec, err := it.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec.Txn)
	}
}

func fileNames(t testing.TB, fsys disk.FS, dir string) []string {
	t.Helper()
	files, err := ListFiles(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f.Path))
	}
	return names
}

func fileSize(t testing.TB, fsys disk.FS, path string) int64 {
	t.Helper()
	fi, err := fsys.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestWriterRoundTripAllTypes(t *testing.T) {
	for _, batch := range []int{1, 5, 100} {
		t.Run(fmt.Sprintf("batch%d", batch), func(t *testing.T) {
			fsys := faultfs.New(faultfs.Options{})
			w := mustOpen(t, fsys, "/data/version-2", Options{PreAllocSize: 4096})
			want := allTypes(1)
			for i, txn := range want {
				appendAll(t, w, txn)
				if (i+1)%batch == 0 {
					if err := w.Commit(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got := readDir(t, fsys, "/data/version-2")
			if len(got) != len(want) {
				t.Fatalf("read %d txns, wrote %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("txn %d (%s): read %+v, wrote %+v", i, jute.OpName(want[i].Header.Type), got[i], want[i])
				}
			}
			if names := fileNames(t, fsys, "/data/version-2"); !slices.Equal(names, []string{"log.1"}) {
				t.Errorf("files = %v", names)
			}
		})
	}
}

// TestWriterLog9e writes the two txns of the fixture standalone/log.9e and
// expects its exact bytes: header, records, 65552 bytes with zeros after.
func TestWriterLog9e(t *testing.T) {
	want := readFixture(t, "standalone/version-2/log.9e")
	create2 := &jute.Txn{
		Header: jute.TxnHeader{ClientID: 72057638162071555, Cxid: 1, Zxid: 0x9e, Time: 1795579238596, Type: jute.OpCreate2},
		Body:   &jute.CreateTxn{Path: "/bench/create2", Data: []byte("via-create2"), ACL: jute.OpenACL, ParentCVersion: 17},
		Digest: digest(30137692552),
	}
	closeSession := &jute.Txn{
		Header: jute.TxnHeader{ClientID: 72057638162071555, Cxid: 2, Zxid: 0x9f, Time: 1795579238599, Type: jute.OpCloseSession},
		Body:   &jute.CloseSessionTxn{Paths2Delete: []string{}},
		Digest: digest(30137692552),
	}
	fsys := faultfs.New(faultfs.Options{})
	w := mustOpen(t, fsys, "v2", Options{PreAllocSize: 64 << 10, PreallocMode: disk.PreallocZooKeeper})
	appendAll(t, w, create2, closeSession)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := disk.ReadFile(fsys, "v2/log.9e")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 65552 || !bytes.Equal(got, want) {
		t.Fatalf("log.9e: %d bytes, first difference at %d", len(got), firstDiff(got, want))
	}
}

// TestPreallocModes checks every mode's file length and that the bytes
// after the last record read as the end of the log.
func TestPreallocModes(t *testing.T) {
	const step = 16 << 10
	cases := []struct {
		mode disk.PreallocMode
		size int64 // -1: exactly header + records
	}{
		{disk.PreallocZooKeeper, 16 + step},
		{disk.PreallocFallocate, 16 + step},
		{disk.PreallocZero, 16 + step},
		{disk.PreallocNone, -1},
	}
	for _, c := range cases {
		for _, fsName := range []string{"faultfs", "os"} {
			t.Run(c.mode.String()+"/"+fsName, func(t *testing.T) {
				var fsys disk.FS = faultfs.New(faultfs.Options{})
				dir := "/v2"
				if fsName == "os" {
					fsys, dir = disk.OS, filepath.Join(t.TempDir(), VersionDir)
				}
				var sink recordingSink
				w := mustOpen(t, fsys, dir, Options{PreAllocSize: step, PreallocMode: c.mode, Sink: &sink})
				var records int64
				for z := int64(1); z <= 10; z++ {
					txn := setData(z, 100)
					appendAll(t, w, txn)
					records += encodedSize(txn)
				}
				err := w.Close()
				if c.mode == disk.PreallocFallocate && errors.Is(err, syscall.EOPNOTSUPP) {
					t.Skip("fallocate not supported here")
				}
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, "log.1")
				want := c.size
				if want < 0 {
					want = 16 + records
				}
				if got := fileSize(t, fsys, path); got != want {
					t.Errorf("file is %d bytes, want %d", got, want)
				}
				b, _ := disk.ReadFile(fsys, path)
				if tail := b[16+records:]; bytes.ContainsFunc(tail, func(r rune) bool { return r != 0 }) {
					t.Error("non-zero bytes after the last record")
				}
				if n := len(readDir(t, fsys, dir)); n != 10 {
					t.Errorf("read %d txns, want 10", n)
				}
				wantExt := int64(1)
				if c.mode == disk.PreallocNone {
					wantExt = 0
				}
				if st := w.Stats(); st.Extends != wantExt || int64(len(sink.extends())) != wantExt {
					t.Errorf("Extends = %d, sink saw %d, want %d", st.Extends, len(sink.extends()), wantExt)
				}
			})
		}
	}
}

func encodedSize(t *jute.Txn) int64 {
	var w jute.Writer
	t.Encode(&w)
	return int64(w.Len()) + RecordOverhead
}

// TestPreallocGrowth follows docs/zk-disk-format.md §2.6 step by step: a file starts at 16+step;
// appends extend by one step once less than 4 KiB is left; a record that
// runs past the preallocated end makes the next append round the size to
// the next multiple of the step above the position (fixture log.1: 131072).
func TestPreallocGrowth(t *testing.T) {
	const step = 64 << 10
	fsys := faultfs.New(faultfs.Options{})
	var sink recordingSink
	w := mustOpen(t, fsys, "v2", Options{PreAllocSize: step, Sink: &sink})
	size := func() int64 { return fileSize(t, fsys, "v2/log.1") }
	commit := func() {
		t.Helper()
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}

	appendAll(t, w, setData(1, 100))
	commit()
	if got := size(); got != 16+step {
		t.Fatalf("new file is %d bytes, want %d", got, 16+step)
	}
	// A 100 KiB record runs past the preallocated end ...
	appendAll(t, w, setData(2, 100<<10))
	commit()
	pos := int64(16) + encodedSize(setData(1, 100)) + encodedSize(setData(2, 100<<10))
	if got := size(); got != pos {
		t.Fatalf("after the big record the file is %d bytes, want %d", got, pos)
	}
	// ... so the next append grows it to a multiple of the step.
	appendAll(t, w, setData(3, 100))
	commit()
	if got := size(); got != 131072 {
		t.Fatalf("file is %d bytes, want 131072 like fixture log.1", got)
	}
	// Fill to within 4 KiB of the end: the next append adds one step.
	z := int64(4)
	for ; ; z++ {
		st := w.pos
		if st+padMargin >= 131072 {
			break
		}
		appendAll(t, w, setData(z, 1000))
		commit()
		if got := size(); got != 131072 {
			t.Fatalf("zxid %d: file grew early to %d (pos %d)", z, got, st)
		}
	}
	appendAll(t, w, setData(z, 10))
	commit()
	if got := size(); got != 131072+step {
		t.Fatalf("file is %d bytes, want %d", got, 131072+step)
	}
	ext := sink.extends()
	want := [][2]int64{{16, 16 + step}, {pos, 131072}, {131072, 131072 + step}}
	if len(ext) != len(want) {
		t.Fatalf("extensions %v, want %v", ext, want)
	}
	for i := range want {
		if ext[i] != want[i] {
			t.Errorf("extension %d = %v, want %v", i, ext[i], want[i])
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(readDir(t, fsys, "v2")); int64(n) != z {
		t.Errorf("read %d txns, want %d", n, z)
	}
}

func TestSizeLimitRolls(t *testing.T) {
	cases := []struct {
		name      string
		opts      Options
		batch     int
		wantFiles []string
		wantRolls int
	}{
		// A limit below the preallocation rolls after every commit,
		// including the one Close makes.
		{"below-prealloc", Options{PreAllocSize: 64 << 10, SizeLimit: 32 << 10}, 3, []string{"log.1", "log.4", "log.7", "log.a"}, 4},
		// Without preallocation the file length is the position: each
		// record is 1000+ bytes, so every third commit of one txn rolls.
		{"no-prealloc", Options{PreAllocSize: -1, SizeLimit: 3000}, 1, []string{"log.1", "log.4", "log.7", "log.a"}, 3},
		{"off", Options{PreAllocSize: 64 << 10}, 3, []string{"log.1"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := faultfs.New(faultfs.Options{})
			var rolls []RollEvent
			c.opts.OnRoll = func(e RollEvent) { rolls = append(rolls, e) }
			w := mustOpen(t, fsys, "v2", c.opts)
			for z := int64(1); z <= 10; z++ {
				appendAll(t, w, setData(z, 1000))
				if z%int64(c.batch) == 0 {
					if err := w.Commit(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := fileNames(t, fsys, "v2"); !slices.Equal(got, c.wantFiles) {
				t.Errorf("files %v, want %v", got, c.wantFiles)
			}
			if len(rolls) != c.wantRolls {
				t.Fatalf("%d roll events, want %d", len(rolls), c.wantRolls)
			}
			for i, e := range rolls {
				if e.Reason != RollSizeLimit || filepath.Base(e.Path) != c.wantFiles[i] || e.Size <= c.opts.SizeLimit {
					t.Errorf("roll %d = %+v", i, e)
				}
			}
			if st := w.Stats(); st.Rolls != int64(len(rolls)) || st.Files != int64(len(c.wantFiles)) {
				t.Errorf("Stats = %+v", st)
			}
			if n := len(readDir(t, fsys, "v2")); n != 10 {
				t.Errorf("read %d txns", n)
			}
		})
	}
}

func TestRollNaming(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	var rolls []RollEvent
	w := mustOpen(t, fsys, "v2", Options{PreAllocSize: 4096, OnRoll: func(e RollEvent) { rolls = append(rolls, e) }})
	if err := w.Roll(); err != nil { // nothing open: nothing to do
		t.Fatal(err)
	}
	appendAll(t, w, setData(1, 10), setData(2, 10), setData(3, 10))
	if st := w.Stats(); st.File != "v2/log.1" || st.LastZxid != 3 || st.SyncedZxid != -1 {
		t.Errorf("Stats before commit = %+v", st)
	}
	if err := w.Roll(); err != nil { // commits the three txns first
		t.Fatal(err)
	}
	if st := w.Stats(); st.File != "" || st.SyncedZxid != 3 || st.Txns != 3 {
		t.Errorf("Stats after roll = %+v", st)
	}
	appendAll(t, w, setData(0x1f, 10))
	if err := w.Roll(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, w, setData(0x100000001, 10), setData(0x100000002, 10))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"log.1", "log.1f", "log.100000001"}
	if got := fileNames(t, fsys, "v2"); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if len(rolls) != 2 || rolls[0].Reason != RollRequested || rolls[0].Txns != 3 || rolls[0].FirstZxid != 1 || rolls[0].LastZxid != 3 {
		t.Errorf("rolls = %+v", rolls)
	}
	if n := len(readDir(t, fsys, "v2")); n != 6 {
		t.Errorf("read %d txns, want 6", n)
	}
}

func TestZxidOrder(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	w := mustOpen(t, fsys, "v2", Options{})
	appendAll(t, w, setData(5, 10))
	for _, z := range []int64{5, 4, -1} {
		if err := w.Append(jute.EncodeTxn(setData(z, 10))); !errors.Is(err, ErrZxidOrder) {
			t.Errorf("Append(zxid %d) = %v, want ErrZxidOrder", z, err)
		}
	}
	// The rejected appends left the Writer usable and the file unchanged.
	appendAll(t, w, setData(6, 10))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readDir(t, fsys, "v2")
	if len(got) != 2 || got[0].Header.Zxid != 5 || got[1].Header.Zxid != 6 {
		t.Errorf("read %d txns", len(got))
	}
	if err := w.Append(jute.EncodeTxn(setData(7, 10))); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v", err)
	}
}

// TestAppendShortEntry: bytes too short to hold a txn header have no zxid
// to order or name a file by; they are refused and the Writer goes on.
func TestAppendShortEntry(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	w := mustOpen(t, fsys, "v2", Options{})
	entry := jute.EncodeTxn(setData(1, 10))
	for _, n := range []int{0, 1, jute.TxnHeaderSize - 1} {
		if err := w.Append(entry[:n]); !errors.Is(err, jute.ErrShort) {
			t.Errorf("Append of %d bytes = %v, want jute.ErrShort", n, err)
		}
	}
	appendAll(t, w, setData(1, 10))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readDir(t, fsys, "v2"); len(got) != 1 || got[0].Header.Zxid != 1 {
		t.Errorf("read %d txns, want the one appended", len(got))
	}
}

func TestAppendTooLong(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	w := mustOpen(t, fsys, "v2", Options{})
	if err := w.Append(jute.EncodeTxn(setData(1, jute.MaxLength))); !errors.Is(err, ErrLength) {
		t.Fatalf("Append of an oversized entry = %v, want ErrLength", err)
	}
	if names := fileNames(t, fsys, "v2"); len(names) != 0 {
		t.Errorf("a rejected first txn created %v", names)
	}
	big := setData(1, jute.MaxLength-200) // just fits
	appendAll(t, w, big)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readDir(t, fsys, "v2"); len(got) != 1 || !reflect.DeepEqual(got[0], big) {
		t.Error("the largest entry did not read back")
	}
}

// TestWriterFailures checks that a failed sync or write fails the Writer
// for good and that the error says what happened.
func TestWriterFailures(t *testing.T) {
	errIO := errors.New("injected EIO")
	t.Run("sync", func(t *testing.T) {
		fsys := faultfs.New(faultfs.Options{})
		w := mustOpen(t, fsys, "v2", Options{PreAllocSize: 4096})
		appendAll(t, w, setData(1, 10))
		fsys.FailSyncs(errIO)
		if err := w.Commit(); !errors.Is(err, errIO) {
			t.Fatalf("Commit = %v, want the sync error", err)
		}
		fsys.FailSyncs(nil)
		if err := w.Append(jute.EncodeTxn(setData(2, 10))); !errors.Is(err, errIO) {
			t.Errorf("Append after a failed sync = %v, want the sticky error", err)
		}
		if err := w.Close(); !errors.Is(err, errIO) {
			t.Errorf("Close = %v", err)
		}
	})
	t.Run("no-space", func(t *testing.T) {
		fsys := faultfs.New(faultfs.Options{})
		fsys.SetNoSpace(10 << 10)
		w := mustOpen(t, fsys, "v2", Options{PreAllocSize: -1})
		var err error
		for z := int64(1); err == nil && z < 100; z++ {
			if err = w.Append(jute.EncodeTxn(setData(z, 1000))); err == nil {
				err = w.Commit()
			}
		}
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("got %v, want ENOSPC", err)
		}
		w.Close()
		// Everything committed before the failure reads back cleanly.
		fsys.SetNoSpace(0)
		if n := len(readDir(t, fsys, "v2")); n != 9 {
			t.Errorf("read %d txns, want 9", n)
		}
	})
}

func TestStatsAndSink(t *testing.T) {
	var slow sync.Once
	fsys := faultfs.New(faultfs.Options{SyncLatency: func() time.Duration {
		d := time.Duration(0)
		slow.Do(func() { d = 20 * time.Millisecond }) // the first sync is slow
		return d
	}})
	var sink recordingSink
	w := mustOpen(t, fsys, "v2", Options{PreAllocSize: 64 << 10, Sink: &sink, WarnThreshold: 10 * time.Millisecond})
	appendAll(t, w, setData(1, 100), setData(2, 100))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, w, setData(3, 100))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b1 := 16 + encodedSize(setData(1, 100)) + encodedSize(setData(2, 100))
	b2 := encodedSize(setData(3, 100))
	syncs := sink.syncs()
	if len(syncs) != 2 || syncs[0].Txns != 2 || syncs[0].Bytes != b1 || syncs[1].Txns != 1 || syncs[1].Bytes != b2 {
		t.Errorf("sync events %+v, want (2 txns, %d bytes), (1 txn, %d bytes)", syncs, b1, b2)
	}
	want := Stats{Syncs: 2, SlowSyncs: 1, Commits: 2, Txns: 3, Bytes: b1 + b2, Extends: 1, Files: 1, LastZxid: 3, SyncedZxid: 3}
	if st := w.Stats(); st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}

	// forceSync=no: no syncs at all.
	fsys2 := faultfs.New(faultfs.Options{})
	w2 := mustOpen(t, fsys2, "v2", Options{SyncMethod: disk.SyncNone})
	appendAll(t, w2, setData(1, 100))
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	if st, fst := w2.Stats(), fsys2.Stats(); st.Syncs != 0 || st.Commits != 1 || fst.Datasyncs+fst.Syncs != 0 {
		t.Errorf("SyncNone: Stats %+v, faultfs %+v", st, fst)
	}
}

// TestSyncMethods checks that each method issues the right call.
func TestSyncMethods(t *testing.T) {
	for _, m := range []disk.SyncMethod{disk.SyncFdatasync, disk.SyncFsync, disk.SyncODsync, disk.SyncNone} {
		t.Run(m.String(), func(t *testing.T) {
			fsys := faultfs.New(faultfs.Options{})
			w := mustOpen(t, fsys, "v2", Options{PreAllocSize: 64 << 10, SyncMethod: m})
			for z := int64(1); z <= 3; z++ {
				appendAll(t, w, setData(z, 100))
				if err := w.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()
			st := fsys.Stats()
			got := [3]int64{st.Datasyncs, st.Syncs, st.SyncWrites}
			want := map[disk.SyncMethod][3]int64{
				disk.SyncFdatasync: {3, 0, 0},
				disk.SyncFsync:     {0, 3, 0},
				disk.SyncODsync:    {0, 0, 4}, // 3 batches + 1 preallocation write
				disk.SyncNone:      {0, 0, 0},
			}[m]
			if got != want {
				t.Errorf("datasyncs, syncs, sync writes = %v, want %v", got, want)
			}
			if n := len(readDir(t, fsys, "v2")); n != 3 {
				t.Errorf("read %d txns", n)
			}
		})
	}
}

// TestReplaceLeftover: a file of the name the Writer needs that holds no
// txn (a crash before its first commit) is replaced, as ZooKeeper would; a
// file that holds txns is not.
func TestReplaceLeftover(t *testing.T) {
	for _, c := range []struct {
		name    string
		content []byte
		wantErr bool
	}{
		{"empty", nil, false},
		{"short-header", []byte{0x5a, 0x4b}, false},
		{"header-only", logHeader(), false},
		{"torn-record", append(logHeader(), 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 50, 1, 2), false},
		{"has-txns", fileWith(t, setData(1, 10)), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			fsys := faultfs.New(faultfs.Options{})
			must(t, fsys.MkdirAll("v2"))
			f, err := fsys.Create("v2/log.1")
			must(t, err)
			_, err = f.Write(c.content)
			must(t, err)
			must(t, f.Close())
			w := mustOpen(t, fsys, "v2", Options{})
			err = w.Append(jute.EncodeTxn(setData(1, 20)))
			if c.wantErr {
				if !errors.Is(err, os.ErrExist) {
					t.Fatalf("Append = %v, want ErrExist", err)
				}
				return
			}
			must(t, err)
			must(t, w.Close())
			if got := readDir(t, fsys, "v2"); len(got) != 1 || !reflect.DeepEqual(got[0], setData(1, 20)) {
				t.Errorf("read %v", got)
			}
		})
	}
}

func logHeader() []byte {
	return []byte{0x5a, 0x4b, 0x4c, 0x47, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0}
}

// fileWith returns the bytes of a log file holding txns, without padding.
func fileWith(t testing.TB, txns ...*jute.Txn) []byte {
	t.Helper()
	fsys := faultfs.New(faultfs.Options{})
	w := mustOpen(t, fsys, "v2", Options{PreAllocSize: -1})
	appendAll(t, w, txns...)
	must(t, w.Close())
	b, err := disk.ReadFile(fsys, filepath.Join("v2", FileName(txns[0].Header.Zxid)))
	must(t, err)
	return b
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// recordingSink keeps every event.
type recordingSink struct {
	mu  sync.Mutex
	s   []disk.SyncEvent
	ext []disk.ExtendEvent
}

func (r *recordingSink) Synced(e disk.SyncEvent) {
	r.mu.Lock()
	r.s = append(r.s, e)
	r.mu.Unlock()
}

func (r *recordingSink) Extended(e disk.ExtendEvent) {
	r.mu.Lock()
	r.ext = append(r.ext, e)
	r.mu.Unlock()
}

func (r *recordingSink) syncs() []disk.SyncEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.s)
}

func (r *recordingSink) extends() [][2]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][2]int64
	for _, e := range r.ext {
		out = append(out, [2]int64{e.From, e.To})
	}
	return out
}
