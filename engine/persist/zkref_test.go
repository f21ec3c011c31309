package persist

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/jute"
	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
	"zkbench/internal/zkref"
)

// The data directory handed to ZooKeeper is built by our code alone, the
// way a member builds its own: restore of an empty directory, snapshot.0 of
// the empty tree, then generated txns through a txnlog.Writer with a roll
// and a snapshot every zkrefEvery txns (one of them fuzzy), then close.
const (
	zkrefSeed  = 38
	zkrefTxns  = 600
	zkrefEvery = 150
	zkrefEpoch = 2 // as in the fixtures' quorum1 after its restart
	// zkrefFuzz txns are applied while the fuzzy snapshot waits to create
	// its file (its name is taken, its walk has not begun), and as many
	// again while it walks.
	zkrefFuzz = 25
	// zkrefMinOpen: sessions with a shorter timeout are closed before the
	// end. A real server re-arms the timers of the sessions it loads and
	// expires them (with a closeSession that deletes their ephemerals) once
	// their timeout passes without a client, so the tree it serves is ours
	// only for that long after start-up. Keeping only sessions of 30 s and
	// more leaves ample time to compare, and still compares ephemerals.
	zkrefMinOpen = 30000
)

// dirCheckSource is ZkDirCheck, run through zkref.Run rather than
// zkref.DirCheck when its stderr matters (ZooKeeper logs digest mismatches
// there).
const dirCheckSource = "../../internal/zkref/ZkDirCheck.java"

// zkrefData is the directory and our own reading of it.
type zkrefData struct {
	dataDir  string
	dirs     Dirs
	final    *datatree.Tree // the generator's tree after the last txn
	restored *Restored      // persist.Restore of the directory
	logs     []zkrefLog
	snaps    []zkrefSnap
}

type zkrefLog struct {
	path    string
	records []*jute.Txn
}

type zkrefSnap struct {
	path     string
	zxid     int64
	digest   *snap.Digest
	nodes    map[string]snap.Node // by path, the root as "/"
	sessions []snap.Session
}

// snapGateFS holds the creation of the first snapshot file until released. A
// snapshot is named when WriteSnapshot begins, before the file is created,
// so whatever the tree takes while the gate is shut lands in a snapshot
// named before it: a fuzzy snapshot whose fuzz is certain, not a matter of
// scheduling.
type snapGateFS struct {
	disk.FS
	entered chan struct{}
	release chan struct{}
}

func (g *snapGateFS) Create(name string) (disk.File, error) {
	if strings.HasPrefix(filepath.Base(name), snap.Prefix+".") {
		close(g.entered)
		<-g.release
	}
	return g.FS.Create(name)
}

func zkrefMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func zkrefBuild(t *testing.T) *zkrefData {
	d := &zkrefData{dataDir: t.TempDir()}
	d.dirs = NewDirs(d.dataDir, "")
	res, err := Restore(disk.OS, d.dirs, RestoreOptions{})
	zkrefMust(t, err)
	if res.Snapshot != "" || res.LastZxid != 0 {
		t.Fatalf("restore of an empty directory: %+v", res)
	}
	// ZooKeeper's first act on an empty data directory.
	_, err = WriteSnapshot(disk.OS, d.dirs.Snap, res.Tree, snap.Options{})
	zkrefMust(t, err)

	w, err := txnlog.Open(disk.OS, d.dirs.Log, txnlog.Options{PreAllocSize: 64 << 10, PreallocMode: disk.PreallocZooKeeper})
	zkrefMust(t, err)
	g := newTxnGen(zkrefSeed, res.Tree, Zxid(zkrefEpoch, 1), genT0)
	commits := rand.New(rand.NewPCG(zkrefSeed, 1))
	n := 0
	step := func() {
		zkrefMust(t, w.Append(jute.EncodeTxn(g.Next())))
		n++
		if commits.IntN(4) == 0 { // group commits of a few txns
			zkrefMust(t, w.Commit())
		}
	}
	for n < zkrefTxns {
		step()
		if n%zkrefEvery != 0 || n == zkrefTxns {
			continue
		}
		// As ZooKeeper's sync thread: roll, then snapshot.
		zkrefMust(t, w.Roll())
		if n != 2*zkrefEvery {
			_, err := WriteSnapshot(disk.OS, d.dirs.Snap, g.tree, snap.Options{})
			zkrefMust(t, err)
			continue
		}
		gate := &snapGateFS{FS: disk.OS, entered: make(chan struct{}), release: make(chan struct{})}
		type result struct {
			res snap.Result
			err error
		}
		done := make(chan result, 1)
		go func() {
			r, err := WriteSnapshot(gate, d.dirs.Snap, g.tree, snap.Options{})
			done <- result{r, err}
		}()
		<-gate.entered
		name := g.tree.LastProcessedZxid()
		for range zkrefFuzz {
			step()
		}
		close(gate.release)
		for range zkrefFuzz { // these race with the walk
			step()
		}
		r := <-done
		zkrefMust(t, r.err)
		if r.res.Zxid != name || r.res.Digest.Zxid < name+zkrefFuzz {
			t.Fatalf("fuzzy snapshot named 0x%x with digest zxid 0x%x; want name 0x%x, digest zxid >= 0x%x",
				r.res.Zxid, r.res.Digest.Zxid, name, name+zkrefFuzz)
		}
	}
	for _, id := range slices.Clone(g.sessions) {
		if to, _ := g.tree.SessionTimeout(id); to < zkrefMinOpen {
			zkrefMust(t, w.Append(jute.EncodeTxn(g.CloseSession(id))))
		}
	}
	zkrefMust(t, w.Close())
	d.final = g.tree
	if d.final.EphemeralCount() == 0 || len(d.final.Sessions()) == 0 {
		t.Fatalf("seed %d leaves no open session with ephemerals: the server comparison would not cover them", zkrefSeed)
	}
	t.Logf("generated %d txns (%v), last zxid 0x%x: %d znodes, %d sessions, %d ephemerals",
		g.LastZxid()-Zxid(zkrefEpoch, 0), g.counts, g.LastZxid(), d.final.NodeCount(), len(d.final.Sessions()), d.final.EphemeralCount())

	// Our own view of the files.
	d.restored, err = Restore(disk.OS, d.dirs, RestoreOptions{})
	zkrefMust(t, err)
	rt := d.restored.Tree
	if d.restored.LastZxid != g.LastZxid() || rt.Digest() != d.final.Digest() || rt.NodeCount() != d.final.NodeCount() ||
		rt.DigestMismatches() != 0 || !slices.Equal(rt.Sessions(), d.final.Sessions()) {
		t.Fatalf("persist.Restore: zxid 0x%x digest %d, %d nodes, %d digest mismatches, sessions %v; generated: 0x%x %d, %d nodes, sessions %v",
			d.restored.LastZxid, rt.Digest(), rt.NodeCount(), rt.DigestMismatches(), rt.Sessions(),
			g.LastZxid(), d.final.Digest(), d.final.NodeCount(), d.final.Sessions())
	}
	files, err := txnlog.ListFiles(disk.OS, d.dirs.Log)
	zkrefMust(t, err)
	for _, f := range files {
		d.logs = append(d.logs, zkrefReadLog(t, f.Path))
	}
	entries, err := snap.List(disk.OS, d.dirs.Snap)
	zkrefMust(t, err)
	for _, e := range entries {
		s := zkrefSnap{path: e.Path, zxid: e.Zxid, nodes: map[string]snap.Node{}}
		info, err := snap.ReadFile(disk.OS, e.Path, snap.Handler{
			Session: func(x snap.Session) error { s.sessions = append(s.sessions, x); return nil },
			Node: func(x snap.Node) error {
				if x.Path == "" {
					x.Path = "/"
				}
				s.nodes[x.Path] = x
				return nil
			},
		})
		zkrefMust(t, err)
		s.digest = info.Digest
		d.snaps = append(d.snaps, s)
	}
	if len(d.logs) != zkrefTxns/zkrefEvery || len(d.snaps) != zkrefTxns/zkrefEvery {
		t.Fatalf("%d log files and %d snapshots, want %d of each", len(d.logs), len(d.snaps), zkrefTxns/zkrefEvery)
	}
	return d
}

func zkrefReadLog(t *testing.T, path string) zkrefLog {
	t.Helper()
	r, err := txnlog.OpenReader(disk.OS, path)
	zkrefMust(t, err)
	defer r.Close()
	l := zkrefLog{path: path}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		zkrefMust(t, err)
		// The Entry aliases the reader's buffer; the decoded Txn does not.
		l.records = append(l.records, rec.Txn)
	}
	if r.Torn() {
		t.Fatalf("%s has a torn tail after a clean close", path)
	}
	return l
}

// TestZooKeeperReadsOurDataDir hands a data directory written by our code
// alone to ZooKeeper 3.8 itself: its dump tools, its restore path and a
// live server (standalone and one-member quorum) must all see exactly what
// we see in the same files.
func TestZooKeeperReadsOurDataDir(t *testing.T) {
	zkref.Need(t)
	// Node names go beyond ASCII; the JVM prints them in the locale's
	// encoding, which must be UTF-8 for the dumps to compare.
	t.Setenv("LC_ALL", "C.UTF-8")
	d := zkrefBuild(t)

	for _, l := range d.logs {
		t.Run("TxnLogToolkit/"+filepath.Base(l.path), func(t *testing.T) {
			t.Parallel()
			zkrefCheckTxnLogToolkit(t, l)
		})
	}
	for _, s := range d.snaps {
		t.Run("SnapshotFormatter/"+filepath.Base(s.path), func(t *testing.T) {
			t.Parallel()
			zkrefCheckSnapshotFormatter(t, s)
		})
	}
	t.Run("ZkDirCheck/restore", func(t *testing.T) {
		t.Parallel()
		zkrefCheckDirCheckRestore(t, d)
	})
	t.Run("ZkDirCheck/txns", func(t *testing.T) {
		t.Parallel()
		zkrefCheckDirCheckTxns(t, d)
	})
	t.Run("server/standalone", func(t *testing.T) {
		t.Parallel()
		zkrefCheckServer(t, d, false)
	})
	t.Run("server/quorum", func(t *testing.T) {
		t.Parallel()
		zkrefCheckServer(t, d, true)
	})
}

func zkrefCheckTxnLogToolkit(t *testing.T, l zkrefLog) {
	out, err := zkref.TxnLogToolkit(l.path)
	zkrefMust(t, err)
	txns, err := zkref.ParseTxnLog([]byte(out))
	zkrefMust(t, err)
	if len(txns) != len(l.records) {
		t.Errorf("TxnLogToolkit printed %d txns, we read %d", len(txns), len(l.records))
	}
	for i, got := range txns[:min(len(txns), len(l.records))] {
		h := l.records[i].Header
		if want := (zkref.Txn{Session: h.ClientID, Cxid: h.Cxid, Zxid: h.Zxid, Op: jute.OpName(h.Type)}); got != want {
			t.Errorf("txn %d: TxnLogToolkit says %v, we read %v", i, got, want)
		}
	}
}

func zkrefCheckSnapshotFormatter(t *testing.T, s zkrefSnap) {
	out, err := zkref.SnapshotFormatter(s.path, false)
	zkrefMust(t, err)
	dump, err := zkref.ParseSnapshot([]byte(out))
	zkrefMust(t, err)
	// ZooKeeper's node map holds the root twice ("" and "/").
	if dump.Count != len(s.nodes)+1 {
		t.Errorf("ZNode Details (count=%d), we have %d nodes (+1 for the root alias)", dump.Count, len(s.nodes))
	}
	// "Last zxid" is the newest of the name's zxid and every node's mzxid
	// and pzxid (SnapshotFormatter.printZnode returns max(mzxid, pzxid)):
	// a fuzzy snapshot shows how far its walk got (as the fixture
	// quorum1/snapshot.20000002f does). It is not the digest block's
	// zxid: txns applied during the walk that touched no node still
	// unwalked (session txns, changes behind the walk) move only that.
	want := s.zxid
	for _, n := range s.nodes {
		want = max(want, n.Stat.Mzxid, n.Stat.Pzxid)
	}
	if dump.LastZxid != want {
		t.Errorf("Last zxid: 0x%x, want 0x%x (name 0x%x, digest block 0x%x)", dump.LastZxid, want, s.zxid, s.digest.Zxid)
	}
	for p := range s.nodes {
		if _, ok := dump.Nodes[p]; !ok {
			t.Errorf("SnapshotFormatter does not print %q", p)
		}
	}
	ephemerals := map[int64]int{}
	for p, got := range dump.Nodes {
		n, ok := s.nodes[p]
		if !ok {
			t.Errorf("SnapshotFormatter prints %q, which we did not write", p)
			continue
		}
		if want := zkref.NodeFor(n.Stat, n.Data); got != want {
			t.Errorf("%s: SnapshotFormatter %+v, we wrote %+v", p, got, want)
		}
		if owner := n.Stat.EphemeralOwner; datatree.EphemeralTypeOf(owner) == datatree.EphemeralNormal {
			ephemerals[owner]++
		}
	}
	if len(dump.Sessions) != len(s.sessions) {
		t.Errorf("SnapshotFormatter lists %d sessions, we wrote %d", len(dump.Sessions), len(s.sessions))
	}
	for _, x := range s.sessions {
		if want := (zkref.Session{ID: x.ID, Timeout: x.Timeout, Ephemerals: ephemerals[x.ID]}); !slices.Contains(dump.Sessions, want) {
			t.Errorf("session %+v not in SnapshotFormatter's %+v", want, dump.Sessions)
		}
	}
}

func zkrefNames(paths []string) string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func zkrefCheckDirCheckRestore(t *testing.T, d *zkrefData) {
	out, stderr, err := zkref.Run(dirCheckSource, d.dataDir)
	zkrefMust(t, err)
	res, tree := d.restored, d.restored.Tree
	var snaps, logs []string
	for _, s := range d.snaps {
		snaps = append(snaps, s.path)
	}
	for _, l := range d.logs {
		logs = append(logs, l.path)
	}
	dg := tree.Digest()
	want := []string{
		"snapshots passing the cheap validity test (newest first): " + zkrefNames(snaps),
		"log files (ascending): " + zkrefNames(logs),
		fmt.Sprintf("restore OK: highest zxid 0x%x", res.LastZxid),
		fmt.Sprintf("snapshot used: zxid 0x%x", res.SnapshotZxid),
		fmt.Sprintf("txns replayed from logs: %d (first 0x%x, last 0x%x)", res.Replayed, res.FirstReplayed, res.LastReplayed),
		fmt.Sprintf("node count: %d", tree.NodeCount()+1),
		fmt.Sprintf("tree digest (digest version 2): %d (0x%x)", dg, dg),
	}
	for _, s := range tree.Sessions() {
		want = append(want, fmt.Sprintf("session 0x%x timeout %d ephemerals [%s]", s.ID, s.Timeout, strings.Join(tree.Ephemerals(s.ID), ", ")))
	}
	if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); !slices.Equal(got, want) {
		t.Errorf("ZkDirCheck:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
	// A TxnDigest or snapshot digest that differs from ZooKeeper's own tree
	// is logged, not fatal: look for it.
	if strings.Contains(stderr, "not matching") || strings.Contains(strings.ToLower(stderr), "mismatch") {
		t.Errorf("ZooKeeper reports digest mismatches while restoring:\n%s", stderr)
	}
}

func zkrefCheckDirCheckTxns(t *testing.T, d *zkrefData) {
	out, err := zkref.DirCheck(d.dataDir, true)
	zkrefMust(t, err)
	var want []string
	for _, l := range d.logs {
		for _, txn := range l.records {
			h := txn.Header
			dg := "none"
			if txn.Digest != nil {
				dg = fmt.Sprintf("v%d:%d", txn.Digest.Version, txn.Digest.TreeDigest)
			}
			want = append(want, fmt.Sprintf("zxid 0x%x type %s session 0x%x cxid %d digest %s", h.Zxid, jute.OpName(h.Type), h.ClientID, h.Cxid, dg))
		}
	}
	want = append(want, fmt.Sprintf("iterated %d txns without error", len(want)))
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(got) != len(want) {
		t.Errorf("ZkDirCheck --txns printed %d lines, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("ZkDirCheck --txns line %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
}

// checkServer starts ZooKeeper on a copy of the directory and walks the
// tree it serves, comparing every node with ours.
func zkrefCheckServer(t *testing.T, d *zkrefData, quorum bool) {
	dataDir := filepath.Join(t.TempDir(), "data")
	zkrefMust(t, os.CopyFS(dataDir, os.DirFS(d.dataDir)))
	if quorum {
		// A quorum member needs its epoch files; ours say the epoch the
		// txns were written in. The server will elect itself leader of the
		// next epoch.
		v2 := filepath.Join(dataDir, txnlog.VersionDir)
		zkrefMust(t, WriteEpochFile(disk.OS, filepath.Join(v2, CurrentEpochFile), zkrefEpoch))
		zkrefMust(t, WriteEpochFile(disk.OS, filepath.Join(v2, AcceptedEpochFile), zkrefEpoch))
	}
	start := time.Now()
	// The container/TTL reaper would delete our expired TTL nodes and empty
	// containers a minute after start-up; keep it out of the comparison.
	s, err := zkref.StartServer(dataDir, zkref.ServerOptions{Quorum: quorum, Props: []string{"-Dznode.container.checkIntervalMs=3600000"}})
	zkrefMust(t, err)
	defer s.Stop()
	c, err := s.Connect()
	zkrefMust(t, err)
	defer c.Close()

	tree := d.restored.Tree
	seen := map[string]bool{}
	var walk func(p string)
	walk = func(p string) {
		data, st, err := c.Get(p)
		if err != nil {
			t.Errorf("server: get %s: %v", p, err)
			return
		}
		seen[p] = true
		wdata, wst, err := tree.GetData(p, nil)
		if err != nil {
			t.Errorf("server has %s, we do not", p)
			return
		}
		if !bytes.Equal(data, wdata) {
			t.Errorf("%s: server data %d bytes, ours %d bytes (or different content)", p, len(data), len(wdata))
		}
		want := zk.Stat{
			Czxid: wst.Czxid, Mzxid: wst.Mzxid, Ctime: wst.Ctime, Mtime: wst.Mtime,
			Version: wst.Version, Cversion: wst.Cversion, Aversion: wst.Aversion,
			EphemeralOwner: wst.EphemeralOwner, DataLength: wst.DataLength, NumChildren: wst.NumChildren, Pzxid: wst.Pzxid,
		}
		if *st != want {
			t.Errorf("%s: server stat %+v\nours %+v", p, *st, want)
		}
		kids, _, err := c.Children(p)
		if err != nil {
			t.Errorf("server: children of %s: %v", p, err)
			return
		}
		slices.Sort(kids)
		for _, k := range kids {
			child := p + "/" + k
			if p == "/" {
				child = "/" + k
			}
			if child != datatree.ZookeeperPath { // the server's own, partly local state
				walk(child)
			}
		}
	}
	walk("/")
	tree.Walk(func(v datatree.NodeView) error {
		p := v.Path
		if p == "" {
			p = "/"
		}
		if !seen[p] && p != datatree.ZookeeperPath && !strings.HasPrefix(p, datatree.ZookeeperPath+"/") {
			t.Errorf("we have %s, the server does not", p)
		}
		return nil
	})
	elapsed := time.Since(start)
	t.Logf("compared %d znodes with the server, %v after its start", len(seen), elapsed.Round(time.Millisecond))
	if t.Failed() && elapsed > zkrefMinOpen*time.Millisecond {
		t.Logf("the comparison ended %v after start-up: sessions may have expired on the server", elapsed)
	}

	// The server goes on from our last zxid: a standalone one in the same
	// epoch, a quorum leader in a new one of its own.
	_, err = c.Create("/zkbench-probe", nil, 0, zk.WorldACL(zk.PermAll))
	zkrefMust(t, err)
	_, st, err := c.Exists("/zkbench-probe")
	zkrefMust(t, err)
	switch e := EpochOf(st.Czxid); {
	case st.Czxid <= d.restored.LastZxid:
		t.Errorf("server created a node at zxid 0x%x, not after our last 0x%x", st.Czxid, d.restored.LastZxid)
	case quorum && e <= zkrefEpoch, !quorum && e != zkrefEpoch:
		t.Errorf("server (quorum %v) created a node in epoch %d; we wrote epoch %d", quorum, e, zkrefEpoch)
	}
}
