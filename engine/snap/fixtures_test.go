package snap

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"zkbench/engine/disk"
	"zkbench/internal/zkfixtures"
	"zkbench/internal/zkref"
)

// fixtureRoot is the tree of files real ZooKeeper 3.8.0 wrote.
var fixtureRoot = zkfixtures.Dir()

// fixtureSnapshots lists every non-corrupt fixture snapshot with the
// SnapshotFormatter dumps next to it (in ../dumps).
func fixtureSnapshots(t testing.TB) []string {
	t.Helper()
	var out []string
	root := fixtureRoot
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "corrupt" {
			return filepath.SkipDir
		}
		if !d.IsDir() && filepath.Base(filepath.Dir(path)) == "version-2" && strings.HasPrefix(d.Name(), "snapshot.") {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no fixture snapshots under %s", root)
	}
	sort.Strings(out)
	return out
}

func dumpPath(snapshot, suffix string) string {
	return filepath.Join(filepath.Dir(filepath.Dir(snapshot)), "dumps", filepath.Base(snapshot)+".SnapshotFormatter"+suffix+".txt")
}

// parseDump reads a SnapshotFormatter dump (with or without -d).
func parseDump(t *testing.T, path string) *zkref.Snapshot {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := zkref.ParseSnapshot(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// contents is a whole decoded snapshot, in file order.
type contents struct {
	info     Info
	sessions []Session
	acls     []ACLEntry
	nodes    []Node
}

func collect(c *contents) Handler {
	return Handler{
		Session: func(s Session) error { c.sessions = append(c.sessions, s); return nil },
		ACL:     func(a ACLEntry) error { c.acls = append(c.acls, a); return nil },
		Node:    func(n Node) error { c.nodes = append(c.nodes, n); return nil },
	}
}

func readAll(t testing.TB, path string) *contents {
	t.Helper()
	c := &contents{}
	info, err := ReadFile(disk.OS, path, collect(c))
	if err != nil {
		t.Fatalf("ReadFile(%s): %v", path, err)
	}
	c.info = info
	return c
}

func TestFixturesMatchSnapshotFormatter(t *testing.T) {
	for _, path := range fixtureSnapshots(t) {
		name := strings.TrimPrefix(path, fixtureRoot+"/")
		t.Run(name, func(t *testing.T) {
			c := readAll(t, path)
			nameZxid, _, ok := ParseName(filepath.Base(path))
			if !ok {
				t.Fatalf("name does not parse")
			}
			if c.info.Nodes != len(c.nodes) || c.info.Sessions != len(c.sessions) || c.info.ACLs != len(c.acls) {
				t.Errorf("info counts %+v disagree with callbacks", c.info)
			}
			for _, suffix := range []string{"", "-d"} {
				dp := dumpPath(path, suffix)
				compareDump(t, dp, parseDump(t, dp), c, nameZxid)
			}
		})
	}
}

func compareDump(t *testing.T, dp string, d *zkref.Snapshot, c *contents, nameZxid int64) {
	t.Helper()
	// The formatter's count is the node table's size, which maps both ""
	// and "/" to the root.
	if d.Count != len(c.nodes)+1 {
		t.Errorf("%s: count=%d, file has %d nodes (+1 for the root alias)", dp, d.Count, len(c.nodes))
	}
	if len(d.Nodes) != len(c.nodes) {
		t.Errorf("%s: %d node blocks, file has %d nodes", dp, len(d.Nodes), len(c.nodes))
	}
	// "Last zxid" is max(file-name zxid, highest mzxid/pzxid in the tree).
	last := nameZxid
	eph := map[int64]int{}
	for _, n := range c.nodes {
		last = max(last, n.Stat.Mzxid, n.Stat.Pzxid)
		eph[n.Stat.EphemeralOwner]++
		p := n.Path
		if p == "" {
			p = "/" // the formatter prints the root as "/"; on disk it is ""
		}
		dn, ok := d.Nodes[p]
		if !ok {
			t.Errorf("%s: node %q not in dump", dp, n.Path)
			continue
		}
		want := zkref.NodeFor(n.Stat, n.Data)
		if d.Detail {
			want.Data = string(n.Data)
		}
		if dn != want {
			t.Errorf("%s: %q: file has %+v, dump says %+v", dp, n.Path, want, dn)
		}
		if n.Data == nil {
			t.Errorf("%s: %q: null data; ZooKeeper 3.8 writes empty data as length 0", dp, n.Path)
		}
	}
	if d.LastZxid != last {
		t.Errorf("%s: Last zxid 0x%x, expected max(name, mzxid, pzxid) = 0x%x", dp, d.LastZxid, last)
	}
	if len(d.Sessions) != len(c.sessions) {
		t.Fatalf("%s: %d sessions in dump, %d in file", dp, len(d.Sessions), len(c.sessions))
	}
	byID := map[int64]Session{}
	for _, s := range c.sessions {
		byID[s.ID] = s
	}
	for _, ds := range d.Sessions {
		s, ok := byID[ds.ID]
		if !ok {
			t.Errorf("%s: session 0x%x not in file", dp, ds.ID)
			continue
		}
		if s.Timeout != ds.Timeout {
			t.Errorf("%s: session 0x%x timeout %d, dump says %d", dp, ds.ID, s.Timeout, ds.Timeout)
		}
		if eph[ds.ID] != ds.Ephemerals {
			t.Errorf("%s: session 0x%x owns %d nodes, dump says %d", dp, ds.ID, eph[ds.ID], ds.Ephemerals)
		}
	}
}

// Re-encoding what was read must give the file back byte for byte: this is
// what proves the Writer (header, counts, ACL vectors, empty-vs-null data,
// both seals, the digest block, big data bypassing the buffer).
func TestFixturesReencodeByteExact(t *testing.T) {
	for _, path := range fixtureSnapshots(t) {
		name := strings.TrimPrefix(path, fixtureRoot+"/")
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c := readAll(t, path)
			if c.info.Trailing != 0 || c.info.Size != int64(len(want)) {
				t.Errorf("Size %d Trailing %d, file is %d bytes", c.info.Size, c.info.Trailing, len(want))
			}
			got := encode(t, c)
			if !bytes.Equal(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Fatalf("re-encoded %d bytes, file has %d; first difference at offset %d", len(got), len(want), i)
			}
		})
	}
}

func encode(t testing.TB, c *contents) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteSessions(c.sessions); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteACLs(c.acls); err != nil {
		t.Fatal(err)
	}
	for i := range c.nodes {
		if err := w.WriteNode(&c.nodes[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(c.info.Digest); err != nil {
		t.Fatal(err)
	}
	if w.Size() != int64(buf.Len()) {
		t.Errorf("Size() = %d, wrote %d", w.Size(), buf.Len())
	}
	return buf.Bytes()
}

// docs/zk-disk-format.md §3.8, field by field.
func TestFreshSnapshotZero(t *testing.T) {
	path := filepath.Join(fixtureRoot, "standalone", "version-2", "snapshot.0")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 457 {
		t.Fatalf("snapshot.0 is %d bytes, want 457", len(b))
	}
	c := readAll(t, path)
	wantPaths := []string{"", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"}
	wantRefs := []int64{-1, -1, 1, -1}
	if len(c.nodes) != len(wantPaths) {
		t.Fatalf("%d nodes", len(c.nodes))
	}
	for i, n := range c.nodes {
		if n.Path != wantPaths[i] || n.ACLRef != wantRefs[i] || n.Data == nil || len(n.Data) != 0 {
			t.Errorf("node %d = %+v", i, n)
		}
	}
	if c.nodes[2].Stat.Aversion != -1 {
		t.Errorf("/zookeeper/config aversion %d", c.nodes[2].Stat.Aversion)
	}
	if len(c.acls) != 1 || c.acls[0].Ref != 1 || len(c.acls[0].ACL) != 1 || c.acls[0].ACL[0].Perms != 1 ||
		c.acls[0].ACL[0].ID.Scheme != "world" || c.acls[0].ACL[0].ID.ID != "anyone" {
		t.Errorf("acls = %+v", c.acls)
	}
	if d := c.info.Digest; d == nil || *d != (Digest{Zxid: 0, Version: 2, Value: 0}) {
		t.Errorf("digest = %+v", d)
	}
	// The seals as the notes give them.
	if got := be64(b[0x19b:]); got != 0xb8a23b49 {
		t.Errorf("seal #1 = 0x%x", got)
	}
	if got := be64(b[0x1bc:]); got != 0x95b93d59 {
		t.Errorf("seal #2 = 0x%x", got)
	}
	if c.info.Header.Magic != 0x5A4B534E || c.info.Header.Version != 2 || c.info.Header.DBID != -1 {
		t.Errorf("header = %+v", c.info.Header)
	}
}

func be64(b []byte) uint64 {
	var v uint64
	for _, x := range b[:8] {
		v = v<<8 | uint64(x)
	}
	return v
}

func TestFixturesVerify(t *testing.T) {
	for _, path := range fixtureSnapshots(t) {
		info, err := Verify(disk.OS, path)
		if err != nil {
			t.Errorf("Verify(%s): %v", path, err)
			continue
		}
		if info.Digest == nil {
			t.Errorf("%s: 3.8 snapshot without a digest block", path)
		}
		if err := Valid(disk.OS, path); err != nil {
			t.Errorf("Valid(%s): %v", path, err)
		}
	}
	// The fuzzy one: the digest is taken when serialization ends.
	p := filepath.Join(fixtureRoot, "quorum1", "version-2", "snapshot.20000002f")
	info, err := Verify(disk.OS, p)
	if err != nil {
		t.Fatal(err)
	}
	if info.Digest.Zxid != 0x200000030 || info.Digest.Version != 2 {
		t.Errorf("digest = %+v, want zxid 0x200000030 version 2", *info.Digest)
	}
}

func TestCorruptFixtures(t *testing.T) {
	root := filepath.Join(fixtureRoot, "corrupt")
	badCRC := filepath.Join(root, "snapshot-bad-crc", "version-2", "snapshot.b9")
	truncated := filepath.Join(root, "snapshot-truncated", "version-2", "snapshot.b9")

	// A byte inside a znode's data changed: the file still parses (the
	// formatter printed it) but seal #1 no longer matches. Seal #1 sits at
	// 1923 - 5 ("/") - 8 (seal #2) - 20 (digest) - 5 ("/") - 8 = 1877.
	for _, read := range []struct {
		name string
		fn   func(string) error
	}{
		{"ReadFile", func(p string) error { _, err := ReadFile(disk.OS, p, Handler{}); return err }},
		{"Verify", func(p string) error { _, err := Verify(disk.OS, p); return err }},
	} {
		err := read.fn(badCRC)
		if !errors.Is(err, ErrCRC) {
			t.Fatalf("%s(bad-crc) = %v, want ErrCRC", read.name, err)
		}
		var fe *Error
		if !errors.As(err, &fe) || fe.File != badCRC || fe.Offset != 1877 {
			t.Errorf("%s(bad-crc) = %#v, want file %s offset 1877", read.name, fe, badCRC)
		}
		if msg := err.Error(); !strings.Contains(msg, "snapshot.b9") || !strings.Contains(msg, "offset 1877") || !strings.Contains(msg, "CRC corruption") {
			t.Errorf("message %q", msg)
		}
	}
	if err := Valid(disk.OS, badCRC); err != nil {
		t.Errorf("Valid(bad-crc) = %v; the cheap test cannot see a bad CRC", err)
	}

	// Cut by 3 bytes: fails the cheap test, and the full parse hits EOF in
	// the last seal's marker.
	if err := Valid(disk.OS, truncated); !errors.Is(err, ErrInvalid) {
		t.Errorf("Valid(truncated) = %v, want ErrInvalid", err)
	}
	_, err := ReadFile(disk.OS, truncated, Handler{})
	if !errors.Is(err, ErrTruncated) {
		t.Errorf("ReadFile(truncated) = %v, want ErrTruncated", err)
	}
}
