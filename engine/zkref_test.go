package engine

import (
	"bytes"
	"fmt"
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
	"zkbench/engine/persist"
	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
	"zkbench/internal/zkref"
)

// The workload of TestZooKeeperReadsEnsembleDataDirs: zkrefRounds rounds of
// a few writes each (about 300 txns), on an ensemble that rolls its log and
// snapshots every 26..50 txns and extends its log files 4 KiB at a time.
const (
	zkrefRounds    = 90
	zkrefSnapCount = 50
	// zkrefSession is every session's timeout. A real server re-arms the
	// timers of the sessions it loads and expires them (deleting their
	// ephemerals) once their timeout passes without a client, so the tree it
	// serves is the ensemble's only for that long after start-up.
	zkrefSession = 2 * time.Minute
)

// TestZooKeeperReadsEnsembleDataDirs runs a three-member ensemble on the
// real disk through a workload that rolls logs and takes snapshots, stops
// it cleanly, and hands what the members wrote to ZooKeeper 3.8 itself:
// every log and snapshot of every member must verify with our readers and
// read with ZooKeeper's TxnLogToolkit and SnapshotFormatter, and a copy of
// member 1's directories must start as a real ZooKeeper server (myid 1, a
// one-member quorum) that serves exactly the tree member 1 served.
func TestZooKeeperReadsEnsembleDataDirs(t *testing.T) {
	zkref.Need(t)
	cfg := testConfig(t, 3, 0)
	cfg.DataLogDir = t.TempDir() // logs apart from snapshots, as a tuned ZooKeeper has them
	cfg.SnapCount, cfg.SnapRandomize = zkrefSnapCount, true
	cfg.PreAllocSize = 4 << 10
	cfg.MaxSessionTimeout = 2 * zkrefSession
	// A busy machine must not make the leader drop a follower (an election
	// would fail the workload's writes): 3 s to sync and to acknowledge.
	cfg.InitLimit, cfg.SyncLimit = 30, 30
	e := start(t, cfg)

	want, lastZxid := zkrefWorkload(t, e)
	if err := e.Stop(); err != nil {
		t.Fatalf("clean stop: %v", err)
	}

	// Each check of ZooKeeper's runs a JVM: they run in parallel.
	for _, id := range e.Members() {
		zkrefCheckMemberFiles(t, e, id, lastZxid)
	}
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		zkrefServeMember1(t, e, want, lastZxid)
	})
}

// TestZooKeeperStartsFromAnInitializedDataDir gives a three-member
// ensemble a starting tree (Initialize, as a preloaded run does) and hands
// a pristine copy of member 1's dataDir to ZooKeeper 3.8: its restore path
// (ZkDirCheck) must compute the tree digest every member restored and the
// snapshot's digest block holds, SnapshotFormatter must read the snapshot,
// and a real server started on the directory must serve exactly what
// member 1 serves.
func TestZooKeeperStartsFromAnInitializedDataDir(t *testing.T) {
	zkref.Need(t)
	cfg := testConfig(t, 3, 0)
	cfg.MaxSessionTimeout = 2 * zkrefSession
	in, err := Initialize(cfg, initCreated, initNodes(2000))
	if err != nil {
		t.Fatal(err)
	}
	dataDir, _ := cfg.MemberDirs(1)
	tmp := t.TempDir()
	pristine, served := filepath.Join(tmp, "check"), filepath.Join(tmp, "serve")
	for _, dir := range []string{pristine, served} {
		if err := os.CopyFS(dir, os.DirFS(dataDir)); err != nil {
			t.Fatal(err)
		}
	}

	e := start(t, cfg)
	for _, id := range e.Members() {
		if d := e.Status(id).Digest; d != in.Digest {
			t.Errorf("member %d restored digest %d, Initialize built %d", id, d, in.Digest)
		}
	}
	want := zkrefServed(t, client(t, e, 1))
	if len(want) != in.Znodes+1 {
		t.Fatalf("member 1 serves %d nodes, want the root and the tree's %d", len(want), in.Znodes)
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}

	snaps, err := snap.List(disk.OS, filepath.Join(pristine, txnlog.VersionDir))
	if err != nil || len(snaps) != 1 {
		t.Fatalf("the starting database has snapshots %v (%v), want one", snaps, err)
	}
	info, err := snap.Verify(disk.OS, snaps[0].Path)
	if err != nil || info.Digest == nil || info.Digest.Value != in.Digest || info.Digest.Zxid != in.Zxid {
		t.Fatalf("snapshot %s: digest block %+v, %v; want digest %d at 0x%x", snaps[0].Path, info.Digest, err, in.Digest, in.Zxid)
	}
	t.Run("ZkDirCheck", func(t *testing.T) {
		t.Parallel()
		out, err := zkref.DirCheck(pristine, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range []string{
			fmt.Sprintf("restore OK: highest zxid 0x%x", in.Zxid),
			"txns replayed from logs: 0 (first 0xffffffffffffffff, last 0xffffffffffffffff)",
			fmt.Sprintf("node count: %d", in.Znodes+5), // ZooKeeper's 4 and the root's alias
			fmt.Sprintf("tree digest (digest version 2): %d (0x%x)", in.Digest, in.Digest),
		} {
			if !strings.Contains(out, line+"\n") {
				t.Errorf("ZkDirCheck printed no %q:\n%s", line, out)
			}
		}
	})
	t.Run("SnapshotFormatter", func(t *testing.T) {
		t.Parallel()
		zkrefFormatter(t, snaps[0], info, 0)
	})
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		zkrefServe(t, served, "", want, in.Zxid)
	})
}

// zkrefNode is a node as member 1 serves it.
type zkrefNode struct {
	data []byte
	stat jute.Stat
}

// zkrefWorkload writes through clients on every member: persistent nodes
// created, updated and deleted, persistent and ephemeral sequentials,
// ephemerals of a session that stays open and of one that closes, and
// multis. It returns every node member 1 serves at the end (except the
// /zookeeper subtree) and the zxid of the last txn.
func zkrefWorkload(t *testing.T, e *Ensemble) (map[string]zkrefNode, int64) {
	connect := func(id uint64) *Client {
		t.Helper()
		c, err := e.Connect(id, zkrefSession)
		if err != nil {
			t.Fatalf("connect to %d: %v", id, err)
		}
		return c
	}
	must := func(err error, what string, a ...any) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", fmt.Sprintf(what, a...), err)
		}
	}
	clients := []*Client{connect(1), connect(2), connect(3)}
	owner := connect(2)  // stays open: its ephemerals must survive into ZooKeeper
	leaver := connect(1) // closes: its ephemerals must be gone
	_, err := clients[0].Create("/app", []byte("app"), jute.FlagPersistent, OpenACL)
	must(err, "create /app")
	_, err = clients[1].Create("/app/q", nil, jute.FlagPersistent, OpenACL)
	must(err, "create /app/q")
	_, err = owner.Create("/owned", []byte("mine"), jute.FlagEphemeral, OpenACL)
	must(err, "create /owned")
	_, err = leaver.Create("/leaving", nil, jute.FlagEphemeral, OpenACL)
	must(err, "create /leaving")

	data := func(i, n int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, n) }
	for i := range zkrefRounds {
		c := clients[i%len(clients)]
		p := fmt.Sprintf("/app/n%03d", i)
		_, err := c.Create(p, data(i, i*7%500), jute.FlagPersistent, OpenACL)
		must(err, "create %s", p)
		j := i / 2
		if j%5 == 1 { // n001, n006, …: deleted three rounds after their creation
			j--
		}
		_, err = c.SetData(fmt.Sprintf("/app/n%03d", j), data(i+1, 64+i%300), -1)
		must(err, "round %d: setData", i)
		if i%5 == 4 {
			must(c.Delete(fmt.Sprintf("/app/n%03d", i-3), -1), "round %d: delete", i)
		}
		if i%4 == 1 {
			_, err := c.Create("/app/q/s-", data(i, 10), jute.FlagPersistentSequential, OpenACL)
			must(err, "round %d: sequential", i)
		}
		if i%9 == 2 {
			_, err := owner.Create("/app/q/e-", data(i, 20), jute.FlagEphemeralSequential, OpenACL)
			must(err, "round %d: ephemeral sequential", i)
			_, err = leaver.Create(fmt.Sprintf("/app/gone%03d", i), nil, jute.FlagEphemeral, OpenACL)
			must(err, "round %d: ephemeral", i)
		}
		if i%11 == 6 {
			m := fmt.Sprintf("/app/m%03d", i)
			_, err := c.Multi(
				jute.Op{Type: jute.OpCreate, Record: &jute.CreateRequest{Path: m, Data: data(i, 30), ACL: OpenACL}},
				jute.Op{Type: jute.OpSetData, Record: &jute.SetDataRequest{Path: m, Data: data(i, 40), Version: 0}},
				jute.Op{Type: jute.OpCreate, Record: &jute.CreateRequest{Path: m + "/child", ACL: OpenACL}},
			)
			must(err, "round %d: multi", i)
		}
		if i%13 == 12 { // a multi that fails is logged too (as an error txn)
			_, err := c.Multi(
				jute.Op{Type: jute.OpCreate, Record: &jute.CreateRequest{Path: "/app/never", ACL: OpenACL}},
				jute.Op{Type: jute.OpDelete, Record: &jute.DeleteRequest{Path: "/app/missing", Version: -1}},
			)
			if err == nil {
				t.Fatalf("round %d: a multi deleting a missing node succeeded", i)
			}
		}
	}
	must(leaver.Close(), "close the leaving session")
	for _, c := range clients[1:] {
		must(c.Close(), "close session 0x%x", c.SessionID())
	}

	// What member 1 serves once it has applied everything.
	r := clients[0]
	must(r.Sync("/"), "sync member 1")
	want := zkrefServed(t, r)
	if _, ok := want["/owned"]; !ok {
		t.Fatal("the open session's ephemeral is missing")
	}
	if _, ok := want["/leaving"]; ok {
		t.Fatal("the closed session's ephemeral survived")
	}
	last := r.LastZxid()
	if st := e.Status(1); st.Zxid != last {
		t.Fatalf("member 1 applied up to 0x%x, its client saw 0x%x", st.Zxid, last)
	}
	t.Logf("workload: %d znodes, last zxid 0x%x", len(want), last)
	return want, last
}

// zkrefServed is every node c's member serves, except the /zookeeper
// subtree, by path.
func zkrefServed(t *testing.T, c *Client) map[string]zkrefNode {
	t.Helper()
	served := map[string]zkrefNode{}
	var walk func(p string)
	walk = func(p string) {
		d, st, err := c.GetData(p, false)
		if err != nil {
			t.Fatalf("member %d: get %s: %v", c.Member(), p, err)
		}
		served[p] = zkrefNode{d, st}
		kids, err := c.GetChildren(p, false)
		if err != nil {
			t.Fatalf("member %d: children of %s: %v", c.Member(), p, err)
		}
		for _, k := range kids {
			if child := zkrefChild(p, k); child != datatree.ZookeeperPath {
				walk(child)
			}
		}
	}
	walk("/")
	return served
}

func zkrefChild(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// zkrefCheckMemberFiles verifies every log and snapshot member id wrote,
// with our readers and with ZooKeeper's tools.
func zkrefCheckMemberFiles(t *testing.T, e *Ensemble, id uint64, lastZxid int64) {
	t.Helper()
	dataDir, logDir := e.Dirs(id)
	dirs := persist.NewDirs(dataDir, logDir)
	logs, err := txnlog.ListFiles(disk.OS, dirs.Log)
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := snap.List(disk.OS, dirs.Snap)
	if err != nil {
		t.Fatal(err)
	}
	// At least ~300 txns with a roll every 50 or fewer; every roll starts a
	// snapshot unless one still runs, so there is at least one besides
	// snapshot.0.
	if len(logs) < 5 || len(snaps) < 2 {
		t.Fatalf("member %d wrote %d logs and %d snapshots: the workload did not roll and snapshot", id, len(logs), len(snaps))
	}
	t.Logf("member %d: %d logs, %d snapshots", id, len(logs), len(snaps))

	// Our readers, and the history the logs hold: every zxid of the
	// ensemble's life, in order, without gap or overlap.
	vs := make([]txnlog.VerifyResult, len(logs))
	next := persist.Zxid(1, 1) // a fresh ensemble's first epoch
	for i, f := range logs {
		v, err := txnlog.Verify(disk.OS, f.Path)
		switch {
		case err != nil:
			t.Errorf("member %d: txnlog.Verify %s: %v", id, f.Path, err)
		case v.Torn:
			t.Errorf("member %d: %s has a torn tail after a clean stop", id, f.Path)
		case v.FirstZxid != f.Zxid || v.FirstZxid != next || v.LastZxid-v.FirstZxid+1 != int64(v.Records):
			t.Errorf("member %d: %s holds %d txns 0x%x..0x%x, want them to start at 0x%x (its name 0x%x)",
				id, f.Path, v.Records, v.FirstZxid, v.LastZxid, next, f.Zxid)
		}
		vs[i], next = v, v.LastZxid+1
	}
	if next-1 != lastZxid {
		t.Errorf("member %d logged up to 0x%x, the ensemble's last txn is 0x%x", id, next-1, lastZxid)
	}
	infos := make([]snap.Info, len(snaps))
	newest := make([]int64, len(snaps)) // the newest mzxid or pzxid of a node
	for i, s := range snaps {
		info, err := snap.Verify(disk.OS, s.Path)
		if err != nil {
			t.Errorf("member %d: snap.Verify %s: %v", id, s.Path, err)
		} else if info.Trailing != 0 || info.Digest == nil {
			t.Errorf("member %d: %s: %d trailing bytes, digest %v", id, s.Path, info.Trailing, info.Digest)
		}
		infos[i] = info
		if _, err := snap.ReadFile(disk.OS, s.Path, snap.Handler{Node: func(n snap.Node) error {
			newest[i] = max(newest[i], n.Stat.Mzxid, n.Stat.Pzxid)
			return nil
		}}); err != nil {
			t.Errorf("member %d: snap.ReadFile %s: %v", id, s.Path, err)
		}
	}
	if t.Failed() {
		return
	}

	// ZooKeeper's tools.
	for i, f := range logs {
		t.Run(fmt.Sprintf("member%d/TxnLogToolkit/%s", id, filepath.Base(f.Path)), func(t *testing.T) {
			t.Parallel()
			zkrefToolkit(t, f.Path, vs[i])
		})
	}
	for i, s := range snaps {
		t.Run(fmt.Sprintf("member%d/SnapshotFormatter/%s", id, filepath.Base(s.Path)), func(t *testing.T) {
			t.Parallel()
			zkrefFormatter(t, s, infos[i], newest[i])
		})
	}
}

func zkrefToolkit(t *testing.T, path string, v txnlog.VerifyResult) {
	out, err := zkref.TxnLogToolkit(path)
	if err != nil {
		t.Fatal(err)
	}
	txns, err := zkref.ParseTxnLog([]byte(out))
	if err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(txns) != v.Records {
		t.Fatalf("TxnLogToolkit printed %d txns, txnlog.Verify read %d", len(txns), v.Records)
	}
	for i, x := range txns {
		if x.CRCError || x.Zxid != v.FirstZxid+int64(i) {
			t.Errorf("TxnLogToolkit's txn %d: %v, want zxid 0x%x and no CRC error", i, x, v.FirstZxid+int64(i))
		}
	}
}

func zkrefFormatter(t *testing.T, s snap.Entry, info snap.Info, newest int64) {
	out, err := zkref.SnapshotFormatter(s.Path, false)
	if err != nil {
		t.Fatal(err)
	}
	dump, err := zkref.ParseSnapshot([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	// ZooKeeper's node map holds the root twice ("" and "/").
	if dump.Count != info.Nodes+1 || len(dump.Nodes) != info.Nodes {
		t.Errorf("SnapshotFormatter: count=%d and %d nodes, want count=%d (our %d nodes and the root's alias)", dump.Count, len(dump.Nodes), info.Nodes+1, info.Nodes)
	}
	// SnapshotFormatter's "Last zxid" is the newer of the name's zxid and
	// the newest mzxid or pzxid of any node it printed (printZnode's
	// result): a fuzzy snapshot's walk may have seen later txns, but not
	// those that touched no node it had yet to walk (a setData of a node
	// already written, a session's txns), which the digest block records.
	if want := max(s.Zxid, newest); dump.LastZxid != want {
		t.Errorf("SnapshotFormatter: Last zxid 0x%x, want 0x%x", dump.LastZxid, want)
	}
}

// zkrefServeMember1 starts ZooKeeper on a copy of member 1's dataDir and
// dataLogDir and compares every node it serves with what member 1 served.
func zkrefServeMember1(t *testing.T, e *Ensemble, want map[string]zkrefNode, lastZxid int64) {
	dataDir, logDir := e.Dirs(1)
	tmp := t.TempDir()
	dataCopy, logCopy := filepath.Join(tmp, "data"), filepath.Join(tmp, "datalog")
	if err := os.CopyFS(dataCopy, os.DirFS(dataDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(logCopy, os.DirFS(logDir)); err != nil {
		t.Fatal(err)
	}
	zkrefServe(t, dataCopy, logCopy, want, lastZxid)
}

// zkrefServe starts ZooKeeper as member 1 of a one-member quorum on
// dataDir and logDir ("": logs in dataDir), which it may write into, and
// compares every node it serves with want; its first write must come
// after lastZxid, in a new epoch.
func zkrefServe(t *testing.T, dataDir, logDir string, want map[string]zkrefNode, lastZxid int64) {
	start := time.Now()
	s, err := zkref.StartServer(dataDir, zkref.ServerOptions{Quorum: true, DataLogDir: logDir,
		// No container/TTL reaper during the comparison.
		Props: []string{"-Dznode.container.checkIntervalMs=3600000"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	c, err := s.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	seen := map[string]bool{}
	var walk func(p string)
	walk = func(p string) {
		data, st, err := c.Get(p)
		if err != nil {
			t.Errorf("server: get %s: %v", p, err)
			return
		}
		seen[p] = true
		w, ok := want[p]
		if !ok {
			t.Errorf("the server has %s, member 1 did not", p)
			return
		}
		if !bytes.Equal(data, w.data) {
			t.Errorf("%s: server data %q, member 1 %q", p, data, w.data)
		}
		ws := w.stat
		if got, want := *st, (zk.Stat{
			Czxid: ws.Czxid, Mzxid: ws.Mzxid, Ctime: ws.Ctime, Mtime: ws.Mtime,
			Version: ws.Version, Cversion: ws.Cversion, Aversion: ws.Aversion,
			EphemeralOwner: ws.EphemeralOwner, DataLength: ws.DataLength, NumChildren: ws.NumChildren, Pzxid: ws.Pzxid,
		}); got != want {
			t.Errorf("%s: server stat %+v\nmember 1 %+v", p, got, want)
		}
		kids, _, err := c.Children(p)
		if err != nil {
			t.Errorf("server: children of %s: %v", p, err)
			return
		}
		slices.Sort(kids)
		for _, k := range kids {
			if child := zkrefChild(p, k); child != datatree.ZookeeperPath {
				walk(child)
			}
		}
	}
	walk("/")
	for p := range want {
		if !seen[p] {
			t.Errorf("member 1 had %s, the server does not", p)
		}
	}
	elapsed := time.Since(start)
	t.Logf("compared %d znodes with the server, %v after its start", len(seen), elapsed.Round(time.Millisecond))
	if t.Failed() && elapsed > zkrefSession {
		t.Logf("the comparison ended %v after start-up: sessions may have expired on the server", elapsed)
	}

	// The server goes on after the ensemble's last txn, as leader of a new
	// epoch.
	if _, err := c.Create("/zkbench-probe", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	_, st, err := c.Exists("/zkbench-probe")
	if err != nil {
		t.Fatal(err)
	}
	if st.Czxid <= lastZxid || persist.EpochOf(st.Czxid) <= persist.EpochOf(lastZxid) {
		t.Errorf("server created a node at 0x%x; want a new epoch after the ensemble's 0x%x", st.Czxid, lastZxid)
	}
}
