package persist

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/jute"
	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
)

// The empty tree's snapshot is the 457 bytes ZooKeeper writes on an empty
// data dir (docs/zk-disk-format.md §3.8).
func TestEmptyTreeSnapshotIsZooKeepers(t *testing.T) {
	dir := t.TempDir()
	res, err := WriteSnapshot(disk.OS, dir, datatree.New(), snap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(res.Path)
	want, _ := os.ReadFile(filepath.Join(fixtures, "standalone/version-2/snapshot.0"))
	if filepath.Base(res.Path) != "snapshot.0" || !bytes.Equal(got, want) {
		t.Errorf("%s (%d bytes) differs from ZooKeeper's snapshot.0 (%d bytes)", res.Path, len(got), len(want))
	}
	if _, err := WriteSnapshot(disk.OS, dir, datatree.New(), snap.Options{}); !errors.Is(err, ErrSnapshotExists) {
		t.Errorf("second snapshot at zxid 0: err = %v", err)
	}
}

// setDataTxn builds a valid setData for path on tree (version = current+1).
func setDataTxn(t *testing.T, tree *datatree.Tree, zxid int64, path string, data []byte) *jute.Txn {
	m, ok := tree.Lookup(path)
	if !ok {
		t.Fatalf("%s missing", path)
	}
	return &jute.Txn{
		Header: jute.TxnHeader{ClientID: 1, Cxid: int32(zxid), Zxid: zxid, Time: zxid, Type: jute.OpSetData},
		Body:   &jute.SetDataTxn{Path: path, Data: data, Version: m.Stat.Version + 1},
	}
}

func createTxn(tree *datatree.Tree, zxid int64, path string) *jute.Txn {
	parent, _ := tree.Lookup("/")
	return &jute.Txn{
		Header: jute.TxnHeader{ClientID: 1, Cxid: int32(zxid), Zxid: zxid, Time: zxid, Type: jute.OpCreate},
		Body:   &jute.CreateTxn{Path: path, Data: []byte(path), ACL: jute.OpenACL, ParentCVersion: parent.Stat.Cversion + 1},
	}
}

// logAndApply applies t, stamps the digest after it and logs it, the order
// a test can afford (a member logs first and applies on commit).
func logAndApply(t *testing.T, w *txnlog.Writer, tree *datatree.Tree, tx *jute.Txn) {
	t.Helper()
	if r := tree.Apply(tx); r.Err != datatree.Ok {
		t.Fatalf("apply zxid 0x%x: %v", tx.Header.Zxid, r.Err)
	}
	tx.Digest = &jute.TxnDigest{Version: jute.DigestVersion, TreeDigest: tree.Digest()}
	if err := w.Append(jute.EncodeTxn(tx)); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

// A snapshot written while the tree keeps changing is fuzzy; replaying the
// log from its name's zxid must still give exactly the live tree.
func TestFuzzySnapshotUnderWrites(t *testing.T) {
	data := t.TempDir()
	dirs := NewDirs(data, "")
	res, err := Restore(disk.OS, dirs, RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tree := res.Tree
	if _, err := WriteSnapshot(disk.OS, dirs.Snap, tree, snap.Options{}); err != nil {
		t.Fatal(err)
	}
	w, err := txnlog.Open(disk.OS, dirs.Log, txnlog.Options{PreAllocSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	zxid := int64(0)
	const nodes = 300
	for i := range nodes {
		zxid++
		logAndApply(t, w, tree, createTxn(tree, zxid, fmt.Sprintf("/n%03d", i)))
	}
	var began, ended []SnapshotEvent
	var mu sync.Mutex
	s := NewSnapshotter(disk.OS, dirs.Snap, SnapshotterOptions{
		OnBegin: func(e SnapshotEvent) { mu.Lock(); began = append(began, e); mu.Unlock() },
		OnEnd:   func(e SnapshotEvent) { mu.Lock(); ended = append(ended, e); mu.Unlock() },
	})
	if err := w.Roll(); err != nil {
		t.Fatal(err)
	}
	if !s.Start(tree) {
		t.Fatal("snapshotter refused the first snapshot")
	}
	// Keep writing while it runs: every node changes several times.
	for round := range 5 {
		for i := range nodes {
			zxid++
			logAndApply(t, w, tree, setDataTxn(t, tree, zxid, fmt.Sprintf("/n%03d", i), []byte(fmt.Sprint(round, i))))
		}
	}
	s.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(began) != 1 || len(ended) != 1 || ended[0].Err != nil || ended[0].Nodes < nodes+4 || ended[0].Bytes == 0 {
		t.Fatalf("events: begin %+v end %+v", began, ended)
	}
	// The file is named when the background walk begins, which may be a
	// few txns after the trigger.
	if ended[0].Zxid < began[0].Zxid || began[0].Zxid < nodes {
		t.Errorf("snapshot named 0x%x, triggered at 0x%x", ended[0].Zxid, began[0].Zxid)
	}
	got, err := Restore(disk.OS, dirs, RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Snapshot != ended[0].Path {
		t.Errorf("restored from %s, want the new snapshot %s", got.Snapshot, ended[0].Path)
	}
	if got.LastZxid != zxid || got.Tree.Digest() != tree.Digest() || got.Tree.NodeCount() != tree.NodeCount() {
		t.Errorf("restored zxid 0x%x digest %d nodes %d; live 0x%x %d %d",
			got.LastZxid, got.Tree.Digest(), got.Tree.NodeCount(), zxid, tree.Digest(), tree.NodeCount())
	}
	if got.Tree.DigestMismatches() != 0 {
		t.Errorf("%d digest mismatches while replaying", got.Tree.DigestMismatches())
	}
}

func TestSnapshotterTooBusy(t *testing.T) {
	dir := t.TempDir()
	release := make(chan struct{})
	var ends []SnapshotEvent
	s := NewSnapshotter(disk.OS, dir, SnapshotterOptions{
		OnBegin: func(SnapshotEvent) { <-release },
		OnEnd:   func(e SnapshotEvent) { ends = append(ends, e) },
	})
	tree := datatree.New()
	started := make(chan bool)
	go func() { started <- s.Start(tree) }()
	// While the first Start is held in OnBegin, Busy is already true.
	for !s.Busy() {
	}
	if s.Start(tree) {
		t.Error("a second snapshot started while one was running")
	}
	close(release)
	if !<-started {
		t.Fatal("first snapshot refused")
	}
	s.Wait()
	if len(ends) != 1 || ends[0].Err != nil {
		t.Fatalf("ends = %+v", ends)
	}
	// The next one finds nothing new at zxid 0 and says so.
	s.Start(tree)
	s.Wait()
	if len(ends) != 2 || !errors.Is(ends[1].Err, ErrSnapshotExists) {
		t.Errorf("second end = %+v", ends[1:])
	}
}

// A crash inside a snapshot can leave a torn file under the name the next
// snapshot needs; it is replaced, while a good one is never overwritten.
func TestWriteSnapshotReplacesOnlyATornFile(t *testing.T) {
	dir := t.TempDir()
	torn := filepath.Join(dir, "snapshot.0")
	if err := os.WriteFile(torn, []byte("ZKSN\x00\x00\x00\x02 torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := WriteSnapshot(disk.OS, dir, datatree.New(), snap.Options{})
	if err != nil {
		t.Fatalf("torn file not replaced: %v", err)
	}
	if _, err := snap.Verify(disk.OS, res.Path); err != nil {
		t.Fatalf("replacement does not verify: %v", err)
	}
	if _, err := WriteSnapshot(disk.OS, dir, datatree.New(), snap.Options{}); !errors.Is(err, ErrSnapshotExists) {
		t.Fatalf("a valid snapshot was not protected: %v", err)
	}
}

// A SNAP payload carries the whole tree: the learner's copy has the same
// digest, nodes and sessions as the leader's.
func TestSnapshotStreamRoundTrip(t *testing.T) {
	tree := datatree.New()
	g := newTxnGen(3, tree, 0x100000001, 1_700_000_000_000)
	for range 300 {
		g.Next()
	}
	var buf bytes.Buffer
	if err := EncodeSnapshot(&buf, tree); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSnapshot(bytes.NewReader(buf.Bytes()), tree.LastProcessedZxid(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != tree.Digest() || got.NodeCount() != tree.NodeCount() || len(got.Sessions()) != len(tree.Sessions()) {
		t.Fatalf("decoded tree: digest %x nodes %d sessions %d; want %x %d %d",
			got.Digest(), got.NodeCount(), len(got.Sessions()), tree.Digest(), tree.NodeCount(), len(tree.Sessions()))
	}
	if got.LastProcessedZxid() != tree.LastProcessedZxid() {
		t.Errorf("lastProcessedZxid 0x%x, want 0x%x", got.LastProcessedZxid(), tree.LastProcessedZxid())
	}
	if _, err := DecodeSnapshot(bytes.NewReader(buf.Bytes()[:buf.Len()-3]), 1, nil); err == nil {
		t.Error("a cut stream decoded without error")
	}
}
