package datatree

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"zkbench/engine/jute"
	"zkbench/internal/zkfixtures"
	"zkbench/internal/zkref"
)

type scenario struct {
	name   string // folder under zkfixtures.Dir()
	quorum bool   // /zookeeper/config holds the dynamic config, set locally
}

var scenarios = []scenario{
	{"standalone", false},
	{"quorum1", true},
	{"ensemble3/server1", true},
	{"ensemble3/server2", true},
	{"ensemble3/server3", true},
}

func fixtureDir(sc scenario) string {
	return filepath.Join(zkfixtures.Dir(), sc.name)
}

// zxidOfName parses the hex zxid of "log.<hex>" / "snapshot.<hex>".
func zxidOfName(name string) int64 {
	z, err := strconv.ParseUint(name[strings.IndexByte(name, '.')+1:], 16, 64)
	if err != nil {
		panic(err)
	}
	return int64(z)
}

// filesWithPrefix lists dir's files named prefix+<hex>, in zxid order.
func filesWithPrefix(tb testing.TB, dir, prefix string) []string {
	tb.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	slices.SortFunc(out, func(a, b string) int { return int(zxidOfName(a) - zxidOfName(b)) })
	return out
}

// readLog is a deliberately tiny log reader (engine/txnlog is the real
// one): a 16-byte file header, then records of {uint64 Adler-32 of the
// entry, int32 length, entry, 'B'}, ending at a length <= 0 (padding) or a
// torn record.
func readLog(tb testing.TB, path string) []*jute.Txn {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out []*jute.Txn
	for off := jute.FileHeaderSize; off+12 <= len(b); {
		sum := binary.BigEndian.Uint64(b[off:])
		n := int(int32(binary.BigEndian.Uint32(b[off+8:])))
		if n <= 0 || off+12+n+1 > len(b) {
			break
		}
		entry := b[off+12 : off+12+n]
		if uint64(adler32.Checksum(entry)) != sum || b[off+12+n] != 'B' {
			tb.Fatalf("%s: bad record at offset %d", path, off)
		}
		txn, err := jute.DecodeTxn(entry)
		if err != nil {
			tb.Fatalf("%s at offset %d: %v", path, off, err)
		}
		out = append(out, txn)
		off += 12 + n + 1
	}
	return out
}

// allTxns returns every txn of a scenario's logs in zxid order.
func allTxns(tb testing.TB, dir string) []*jute.Txn {
	tb.Helper()
	v2 := filepath.Join(dir, "version-2")
	var out []*jute.Txn
	for _, f := range filesWithPrefix(tb, v2, "log.") {
		out = append(out, readLog(tb, filepath.Join(v2, f))...)
	}
	for i := 1; i < len(out); i++ {
		if out[i].Header.Zxid <= out[i-1].Header.Zxid {
			tb.Fatalf("zxids out of order: 0x%x after 0x%x", out[i].Header.Zxid, out[i-1].Header.Zxid)
		}
	}
	return out
}

// snapFile is a snapshot file decoded by a tiny local reader (engine/snap
// is the real one).
type snapFile struct {
	zxid     int64 // from the file name
	sessions []Session
	acls     []ACLEntry
	nodes    []NodeView
	digest   *ZxidDigest
}

func readSnap(tb testing.TB, path string) *snapFile {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	r := jute.NewReader(b)
	var h jute.FileHeader
	h.Decode(r)
	s := &snapFile{zxid: zxidOfName(filepath.Base(path))}
	for n := r.Int(); n > 0; n-- {
		id := r.Long()
		s.sessions = append(s.sessions, Session{ID: id, Timeout: r.Int()})
	}
	for n := r.Int(); n > 0; n-- {
		ref := r.Long()
		s.acls = append(s.acls, ACLEntry{Ref: ref, ACL: jute.DecodeACLs(r)})
	}
	for {
		p := r.String()
		if p == "/" || r.Err() != nil {
			break
		}
		v := NodeView{Path: p, Data: r.BufferCopy(), ACLRef: r.Long()}
		v.Stat.Decode(r)
		s.nodes = append(s.nodes, v)
	}
	r.Long() // seal #1, then "/"
	_ = r.String()
	if r.Remaining() > 0 {
		s.digest = &ZxidDigest{Zxid: r.Long(), Version: r.Int(), Digest: r.Long()}
	}
	if err := r.Err(); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return s
}

// load builds a tree from a decoded snapshot with the Loader.
func (s *snapFile) load(tb testing.TB) *Tree {
	tb.Helper()
	l := NewLoader()
	for _, ss := range s.sessions {
		l.AddSession(ss.ID, ss.Timeout)
	}
	for _, e := range s.acls {
		l.AddACL(e.Ref, e.ACL)
	}
	for _, n := range s.nodes {
		if err := l.AddNode(n.Path, n.Data, n.ACLRef, n.Stat); err != nil {
			tb.Fatal(err)
		}
	}
	tree, err := l.Finish(s.zxid, s.digest)
	if err != nil {
		tb.Fatal(err)
	}
	return tree
}

func readFormatter(tb testing.TB, path string) *zkref.Snapshot {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := zkref.ParseSnapshot(b)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return d
}

// diffFormatter compares a tree with a SnapshotFormatter dump and returns
// the differences (nil when they agree).
func diffFormatter(tree *Tree, d *zkref.Snapshot, quorum bool) []string {
	var diffs []string
	add := func(f string, args ...any) { diffs = append(diffs, fmt.Sprintf(f, args...)) }
	if got := tree.NodeCount() + 1; got != d.Count {
		add("count: got %d, dump %d", got, d.Count)
	}
	seen := 0
	tree.Walk(func(v NodeView) error {
		p := watchPath(v.Path)
		fn, ok := d.Nodes[p]
		if !ok {
			add("node %s not in dump", p)
			return nil
		}
		seen++
		// In quorum mode /zookeeper/config holds the dynamic config that
		// each peer writes locally, never through a txn.
		if quorum && p == ConfigPath {
			return nil
		}
		if want := zkref.NodeFor(v.Stat, v.Data); fn != want {
			add("%s: dump %+v, tree %+v", p, fn, want)
		}
		return nil
	})
	if seen != len(d.Nodes) {
		add("walked %d of the dump's %d nodes", seen, len(d.Nodes))
	}
	sessions := tree.Sessions()
	if len(sessions) != len(d.Sessions) {
		add("sessions: tree %v, dump %v", sessions, d.Sessions)
	}
	for _, s := range sessions {
		got := zkref.Session{ID: s.ID, Timeout: s.Timeout, Ephemerals: len(tree.Ephemerals(s.ID))}
		if !slices.Contains(d.Sessions, got) {
			add("session %+v not in the dump's %v", got, d.Sessions)
		}
	}
	return diffs
}

// diffSnap compares a tree with a decoded snapshot file: every node's
// path, data, ACL reference and persisted stat, the ACL cache and the
// session table.
func diffSnap(tree *Tree, s *snapFile, quorum bool) []string {
	var diffs []string
	add := func(f string, args ...any) { diffs = append(diffs, fmt.Sprintf(f, args...)) }
	want := make(map[string]NodeView, len(s.nodes))
	for _, n := range s.nodes {
		want[n.Path] = n
	}
	got := walkAll(tree)
	if len(got) != len(want) {
		add("node count: tree %d, snapshot %d", len(got), len(want))
	}
	for _, g := range got {
		w, ok := want[g.Path]
		switch {
		case !ok:
			add("node %q not in snapshot", g.Path)
		case quorum && g.Path == ConfigPath:
		case g.Stat != w.Stat || g.ACLRef != w.ACLRef || !bytes.Equal(g.Data, w.Data) || (g.Data == nil) != (w.Data == nil):
			add("node %q: tree %+v acl %d, snapshot %+v acl %d", g.Path, g.Stat, g.ACLRef, w.Stat, w.ACLRef)
		}
	}
	acls := tree.ACLs()
	wantACLs := slices.Clone(s.acls)
	slices.SortFunc(wantACLs, func(a, b ACLEntry) int { return int(a.Ref - b.Ref) })
	if fmt.Sprint(acls) != fmt.Sprint(wantACLs) {
		add("ACL cache: tree %v, snapshot %v", acls, wantACLs)
	}
	ss := slices.Clone(s.sessions)
	slices.SortFunc(ss, func(a, b Session) int { return int(a.ID - b.ID) })
	if fmt.Sprint(tree.Sessions()) != fmt.Sprint(ss) {
		add("sessions: tree %v, snapshot %v", tree.Sessions(), ss)
	}
	return diffs
}

func walkAll(tree *Tree) []NodeView {
	var out []NodeView
	tree.Walk(func(v NodeView) error {
		out = append(out, v)
		return nil
	})
	return out
}
