package datatree

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zkbench/engine/jute"
	"zkbench/internal/zkref"
)

// freshDigest is the digest of a new tree (root + /zookeeper), which every
// fixture log's first createSession carries.
const freshDigest = 1371985504

// dumpDigests reads dumps/ZkDirCheck-txns.txt: zxid -> "v2:<digest>" or
// "none", as printed by ZooKeeper's own log iterator.
func dumpDigests(tb testing.TB, dir string) map[int64]string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "dumps", "ZkDirCheck-txns.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	txns, _, err := zkref.ParseDirTxns(b)
	if err != nil {
		tb.Fatal(err)
	}
	out := make(map[int64]string, len(txns))
	for _, t := range txns {
		out[t.Zxid] = t.Digest
	}
	return out
}

// The strongest check there is: replaying every fixture log from the
// initial tree, the tree digest after each txn equals the TxnDigest the
// real server logged for it (827 digests over the five data directories).
func TestFixtureDigestsAfterEveryTxn(t *testing.T) {
	total := 0
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := fixtureDir(sc)
			dump := dumpDigests(t, dir)
			txns := allTxns(t, dir)
			if len(txns) != len(dump) {
				t.Fatalf("read %d txns, ZkDirCheck iterated %d", len(txns), len(dump))
			}
			tree := New()
			if d := tree.Digest(); d != freshDigest {
				t.Fatalf("fresh tree digest %d, want %d", d, freshDigest)
			}
			checked := 0
			for _, txn := range txns {
				h := txn.Header
				r := tree.Apply(txn)
				want := dump[h.Zxid]
				if txn.Digest == nil {
					if want != "none" {
						t.Fatalf("zxid 0x%x: no digest decoded, ZkDirCheck saw %s", h.Zxid, want)
					}
				} else {
					if w := fmt.Sprintf("v%d:%d", txn.Digest.Version, txn.Digest.TreeDigest); w != want {
						t.Fatalf("zxid 0x%x: decoded digest %s, ZkDirCheck saw %s", h.Zxid, w, want)
					}
					if got := tree.Digest(); got != txn.Digest.TreeDigest {
						t.Fatalf("zxid 0x%x %s %s: tree digest %d, logged %d",
							h.Zxid, jute.OpName(h.Type), txn.Path(), got, txn.Digest.TreeDigest)
					}
					checked++
				}
				if r.DigestMismatch {
					t.Fatalf("zxid 0x%x: Apply reported a digest mismatch", h.Zxid)
				}
				// A clean replay from the start never meets a tolerated
				// error: only error txns and failed multis carry codes.
				if r.Err != Ok && h.Type != jute.OpError && !(h.Type == jute.OpMulti && body[*jute.MultiTxn](txn).Failed()) {
					t.Fatalf("zxid 0x%x %s %s: %v", h.Zxid, jute.OpName(h.Type), txn.Path(), r.Err)
				}
			}
			last := txns[len(txns)-1].Header.Zxid
			if got := tree.LastProcessedZxid(); got != last {
				t.Errorf("LastProcessedZxid 0x%x, want 0x%x", got, last)
			}
			if got, want := tree.LastDigest(), (ZxidDigest{last, 2, tree.Digest()}); got != want {
				t.Errorf("LastDigest %+v, want %+v", got, want)
			}
			if tree.DigestMismatches() != 0 {
				t.Errorf("DigestMismatches %d", tree.DigestMismatches())
			}
			t.Logf("%d txns, %d digests checked", len(txns), checked)
			total += checked
		})
	}
	if total != 827 && !t.Failed() {
		t.Errorf("checked %d digests, the fixtures hold 827", total)
	}
}

func body[T jute.Record](txn *jute.Txn) T { return txn.Body.(T) }

// Replaying up to each snapshot's zxid gives the tree the server
// serialized: every znode's stat and data length as SnapshotFormatter
// printed them, and (read from the snapshot file itself) every node's data,
// ACL reference, the ACL cache and the session table. A fuzzy snapshot may
// hold txns past its name, up to its digest zxid; the comparison succeeds
// if the tree equals the dump at some zxid in that window.
func TestFixtureSnapshotsMatchReplay(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := fixtureDir(sc)
			v2 := filepath.Join(dir, "version-2")
			type check struct {
				name     string
				from, to int64
				dump     *zkref.Snapshot
				snap     *snapFile
				matched  bool
				lastDiff []string
			}
			var checks []*check
			for _, f := range filesWithPrefix(t, v2, "snapshot.") {
				s := readSnap(t, filepath.Join(v2, f))
				c := &check{name: f, from: s.zxid, to: s.zxid, snap: s,
					dump: readFormatter(t, filepath.Join(dir, "dumps", f+".SnapshotFormatter.txt"))}
				if s.digest != nil && s.digest.Zxid > c.to {
					c.to = s.digest.Zxid
				}
				checks = append(checks, c)
			}
			tree := New()
			try := func(zxid int64) {
				for _, c := range checks {
					if c.matched || zxid < c.from || zxid > c.to {
						continue
					}
					c.lastDiff = append(diffFormatter(tree, c.dump, sc.quorum), diffSnap(tree, c.snap, sc.quorum)...)
					c.matched = len(c.lastDiff) == 0
				}
			}
			try(0)
			for _, txn := range allTxns(t, dir) {
				tree.Apply(txn)
				try(txn.Header.Zxid)
			}
			for _, c := range checks {
				if !c.matched {
					t.Errorf("%s (zxid 0x%x..0x%x) never matched the replay; last differences:\n  %s",
						c.name, c.from, c.to, strings.Join(c.lastDiff, "\n  "))
				}
			}
		})
	}
}

// Restoring as the server does — load a snapshot with the Loader, replay
// the log from its zxid+1 with the tolerant rules — reaches the same tree as
// replaying everything from the start, and every txn digest past the
// snapshot's digest zxid matches. This covers every fixture snapshot,
// including the fuzzy ones.
func TestFixtureRestoreFromEverySnapshot(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := fixtureDir(sc)
			v2 := filepath.Join(dir, "version-2")
			txns := allTxns(t, dir)
			full := New()
			for _, txn := range txns {
				full.Apply(txn)
			}
			for _, f := range filesWithPrefix(t, v2, "snapshot.") {
				s := readSnap(t, filepath.Join(v2, f))
				tree := s.load(t)
				if tree.LastProcessedZxid() != s.zxid {
					t.Fatalf("%s: LastProcessedZxid 0x%x", f, tree.LastProcessedZxid())
				}
				if got := tree.LastDigest(); got != (ZxidDigest{Version: 2}) {
					t.Fatalf("%s: LastDigest right after load %+v, want zero", f, got)
				}
				if s.digest != nil && s.digest.Zxid > 0 && s.digest.Zxid == s.zxid && tree.Digest() != s.digest.Digest {
					t.Errorf("%s: loaded digest %d, snapshot says %d", f, tree.Digest(), s.digest.Digest)
				}
				for _, txn := range txns {
					if txn.Header.Zxid <= s.zxid {
						continue
					}
					r := tree.Apply(txn)
					if r.DigestMismatch {
						t.Errorf("%s: digest mismatch at zxid 0x%x", f, txn.Header.Zxid)
					}
				}
				if d := diffTrees(tree, full, sc.quorum); len(d) > 0 {
					t.Errorf("%s: restored tree differs from the full replay:\n  %s", f, strings.Join(d, "\n  "))
				}
			}
		})
	}
}

// ZooKeeper's own restore of the standalone directory (ZkDirCheck, which
// loads snapshot.b9 and replays 44 txns) printed its node count and digest.
func TestFixtureRestoreMatchesZkDirCheck(t *testing.T) {
	sc := scenarios[0]
	dir := fixtureDir(sc)
	b, err := os.ReadFile(filepath.Join(dir, "dumps", "ZkDirCheck-restore.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var count int
	var digest int64
	for _, line := range strings.Split(string(b), "\n") {
		fmt.Sscanf(line, "node count: %d", &count)
		fmt.Sscanf(line, "tree digest (digest version 2): %d", &digest)
	}
	s := readSnap(t, filepath.Join(dir, "version-2", "snapshot.b9"))
	tree := s.load(t)
	for _, txn := range allTxns(t, dir) {
		if txn.Header.Zxid > s.zxid {
			tree.Apply(txn)
		}
	}
	// ZooKeeper's node count includes the root alias "/".
	if tree.NodeCount()+1 != count || tree.Digest() != digest {
		t.Errorf("restored %d nodes (+1 alias), digest %d; ZooKeeper: %d, %d", tree.NodeCount(), tree.Digest(), count, digest)
	}
}

// diffTrees compares two trees node by node, resolving ACL references
// (a restored tree may number ACLs differently from a continuous one). In
// quorum mode /zookeeper/config is local state, not compared.
func diffTrees(a, b *Tree, quorum bool) []string {
	var diffs []string
	type full struct {
		v   NodeView
		acl string
	}
	collect := func(t *Tree) map[string]full {
		m := make(map[string]full)
		for _, v := range walkAll(t) {
			acl, _ := t.ACL(v.ACLRef)
			m[v.Path] = full{v, fmt.Sprint(acl)}
		}
		return m
	}
	ma, mb := collect(a), collect(b)
	for p, x := range ma {
		y, ok := mb[p]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%q only in the first tree", p))
		case quorum && p == ConfigPath:
		case x.v.Stat != y.v.Stat || string(x.v.Data) != string(y.v.Data) || x.acl != y.acl:
			diffs = append(diffs, fmt.Sprintf("%q: %+v %s vs %+v %s", p, x.v.Stat, x.acl, y.v.Stat, y.acl))
		}
	}
	for p := range mb {
		if _, ok := ma[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q only in the second tree", p))
		}
	}
	if a.Digest() != b.Digest() {
		diffs = append(diffs, fmt.Sprintf("digest %d vs %d", a.Digest(), b.Digest()))
	}
	if fmt.Sprint(a.Sessions()) != fmt.Sprint(b.Sessions()) {
		diffs = append(diffs, fmt.Sprintf("sessions %v vs %v", a.Sessions(), b.Sessions()))
	}
	for _, s := range a.Sessions() {
		if !slices.Equal(a.Ephemerals(s.ID), b.Ephemerals(s.ID)) {
			diffs = append(diffs, fmt.Sprintf("ephemerals of 0x%x: %v vs %v", s.ID, a.Ephemerals(s.ID), b.Ephemerals(s.ID)))
		}
	}
	if !slices.Equal(a.Containers(), b.Containers()) || !slices.Equal(a.TTLNodes(), b.TTLNodes()) {
		diffs = append(diffs, "container/TTL sets differ")
	}
	return diffs
}

// The standalone log's known results: the three error txns, the failed
// multi and the ACL cache after snapshot.31 (refs 1, 2 and 4: ref 3 went
// away when /bench/acl, its only user, had its ACL changed).
func TestFixtureStandaloneResults(t *testing.T) {
	dir := fixtureDir(scenarios[0])
	tree := New()
	results := make(map[int64]Result)
	var refsAt31 []int64
	for _, txn := range allTxns(t, dir) {
		results[txn.Header.Zxid] = tree.Apply(txn)
		if txn.Header.Zxid == 0x31 {
			for _, e := range tree.ACLs() {
				refsAt31 = append(refsAt31, e.Ref)
			}
		}
	}
	for _, tc := range []struct {
		zxid int64
		err  Code
	}{{0x16, BadVersion}, {0x17, NodeExists}, {0x19, NoNode}, {0x1c, NoNode}, {0x1b, Ok}} {
		if got := results[tc.zxid].Err; got != tc.err {
			t.Errorf("zxid 0x%x: Err %v, want %v", tc.zxid, got, tc.err)
		}
	}
	failed := results[0x1c]
	var subs []string
	for _, s := range failed.Multi {
		subs = append(subs, fmt.Sprintf("%s:%d", jute.OpName(s.Type), s.Err))
	}
	if got, want := strings.Join(subs, " "), "error:0 error:-101 error:-2"; got != want {
		t.Errorf("failed multi results %q, want %q", got, want)
	}
	if ok := results[0x1b]; len(ok.Multi) != 4 || ok.Multi[0].Path != "/bench/multi-a" || ok.Multi[0].Type != jute.OpCreate {
		t.Errorf("multi 0x1b results %+v", ok.Multi)
	}
	if !slices.Equal(refsAt31, []int64{1, 2, 4}) {
		t.Errorf("ACL refs after 0x31: %v, want [1 2 4]", refsAt31)
	}
	if r := results[0x9e]; r.Path != "/bench/create2" || r.Stat.Czxid != 0x9e {
		t.Errorf("create2: %+v", r)
	}
}
