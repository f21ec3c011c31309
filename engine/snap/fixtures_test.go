package snap

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/internal/zkfixtures"
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

// dump is what ZooKeeper's SnapshotFormatter printed for a snapshot.
type dump struct {
	count    int // "ZNode Details (count=N)": the node table, which holds the root twice ("" and "/")
	nodes    map[string]*dumpNode
	order    []string
	sessions []dumpSession
	lastZxid int64
}

type dumpNode struct {
	czxid, mzxid, pzxid         int64
	ctime, mtime                int64 // seconds
	cversion, version, aversion int32
	ephemeralOwner              int64
	dataLength                  int // -1 when not printed (-d dumps)
	data                        []byte
	hasData                     bool
	fieldsSeen                  int
}

type dumpSession struct {
	id         int64
	timeout    int32
	ephemerals int
}

// parseDump reads SnapshotFormatter's text output (with or without -d).
func parseDump(t *testing.T, path string) *dump {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := &dump{nodes: map[string]*dumpNode{}, count: -1, lastZxid: -1}
	var cur *dumpNode
	inSessions := false
	hex := func(s string) int64 {
		v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
		if err != nil {
			t.Fatalf("%s: bad hex %q", path, s)
		}
		return int64(v)
	}
	dec := func(s string) int64 {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%s: bad number %q", path, s)
		}
		return v
	}
	date := func(s string) int64 {
		tm, err := time.Parse("Mon Jan 02 15:04:05 MST 2006", s)
		if err != nil {
			t.Fatalf("%s: bad date %q: %v", path, s, err)
		}
		return tm.Unix()
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "ZNode Details (count="):
			d.count = int(dec(strings.TrimSuffix(strings.TrimPrefix(line, "ZNode Details (count="), "):")))
		case line == "----":
			cur = nil
		case strings.HasPrefix(line, "Session Details"):
			inSessions = true
		case strings.HasPrefix(line, "Last zxid: "):
			d.lastZxid = hex(strings.TrimPrefix(line, "Last zxid: "))
		case inSessions:
			f := strings.Split(line, ", ")
			if len(f) != 3 {
				t.Fatalf("%s: bad session line %q", path, line)
			}
			d.sessions = append(d.sessions, dumpSession{hex(f[0]), int32(dec(f[1])), int(dec(f[2]))})
		case strings.HasPrefix(line, "  ") && cur != nil:
			k, v, ok := strings.Cut(strings.TrimPrefix(line, "  "), " = ")
			if !ok {
				// "  data = " with empty base64 loses its trailing space in some editors; be lenient.
				k, v = strings.TrimSuffix(strings.TrimSpace(line), " ="), ""
			}
			cur.fieldsSeen++
			switch k {
			case "cZxid":
				cur.czxid = hex(v)
			case "mZxid":
				cur.mzxid = hex(v)
			case "pZxid":
				cur.pzxid = hex(v)
			case "ctime":
				cur.ctime = date(v)
			case "mtime":
				cur.mtime = date(v)
			case "cversion":
				cur.cversion = int32(dec(v))
			case "dataVersion":
				cur.version = int32(dec(v))
			case "aclVersion":
				cur.aversion = int32(dec(v))
			case "ephemeralOwner":
				cur.ephemeralOwner = hex(v)
			case "dataLength":
				cur.dataLength = int(dec(v))
			case "data":
				data, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					t.Fatalf("%s: bad base64 %q", path, v)
				}
				cur.data, cur.hasData = data, true
			default:
				t.Fatalf("%s: unknown field %q", path, k)
			}
		case line != "":
			p := line
			if p == "/" {
				p = "" // the formatter prints the root as "/"; on disk it is ""
			}
			cur = &dumpNode{dataLength: -1}
			if _, dup := d.nodes[p]; dup {
				t.Fatalf("%s: node %q twice", path, line)
			}
			d.nodes[p] = cur
			d.order = append(d.order, p)
		}
	}
	if d.count < 0 || d.lastZxid < 0 {
		t.Fatalf("%s: incomplete dump", path)
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
				if _, err := os.Stat(dp); err != nil {
					t.Logf("no dump %s", dp)
					continue
				}
				d := parseDump(t, dp)
				compareDump(t, dp, d, c, nameZxid)
			}
		})
	}
}

func compareDump(t *testing.T, dp string, d *dump, c *contents, nameZxid int64) {
	t.Helper()
	// The formatter's count is the node table's size, which maps both ""
	// and "/" to the root.
	if d.count != len(c.nodes)+1 {
		t.Errorf("%s: count=%d, file has %d nodes (+1 for the root alias)", dp, d.count, len(c.nodes))
	}
	if len(d.nodes) != len(c.nodes) {
		t.Errorf("%s: %d node blocks, file has %d nodes", dp, len(d.nodes), len(c.nodes))
	}
	// "Last zxid" is max(file-name zxid, highest mzxid/pzxid in the tree).
	last := nameZxid
	eph := map[int64]int{}
	for _, n := range c.nodes {
		last = max(last, n.Stat.Mzxid, n.Stat.Pzxid)
		eph[n.Stat.EphemeralOwner]++
		dn, ok := d.nodes[n.Path]
		if !ok {
			t.Errorf("%s: node %q not in dump", dp, n.Path)
			continue
		}
		if dn.fieldsSeen != 10 || (!dn.hasData && dn.dataLength < 0) {
			t.Errorf("%s: %q: %d fields in dump", dp, n.Path, dn.fieldsSeen)
		}
		s := n.Stat
		got := []int64{s.Czxid, s.Mzxid, s.Pzxid, s.Ctime / 1000, s.Mtime / 1000, int64(s.Cversion), int64(s.Version), int64(s.Aversion), s.EphemeralOwner}
		want := []int64{dn.czxid, dn.mzxid, dn.pzxid, dn.ctime, dn.mtime, int64(dn.cversion), int64(dn.version), int64(dn.aversion), dn.ephemeralOwner}
		names := []string{"czxid", "mzxid", "pzxid", "ctime", "mtime", "cversion", "dataVersion", "aclVersion", "ephemeralOwner"}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: %q: %s = %d (0x%x), dump says %d (0x%x)", dp, n.Path, names[i], got[i], got[i], want[i], want[i])
			}
		}
		if dn.dataLength >= 0 && dn.dataLength != len(n.Data) {
			t.Errorf("%s: %q: dataLength %d, dump says %d", dp, n.Path, len(n.Data), dn.dataLength)
		}
		if dn.hasData && !bytes.Equal(dn.data, n.Data) {
			t.Errorf("%s: %q: data %q, dump says %q", dp, n.Path, n.Data, dn.data)
		}
		if n.Data == nil {
			t.Errorf("%s: %q: null data; ZooKeeper 3.8 writes empty data as length 0", dp, n.Path)
		}
	}
	if d.lastZxid != last {
		t.Errorf("%s: Last zxid 0x%x, expected max(name, mzxid, pzxid) = 0x%x", dp, d.lastZxid, last)
	}
	if len(d.sessions) != len(c.sessions) {
		t.Fatalf("%s: %d sessions in dump, %d in file", dp, len(d.sessions), len(c.sessions))
	}
	byID := map[int64]Session{}
	for _, s := range c.sessions {
		byID[s.ID] = s
	}
	for _, ds := range d.sessions {
		s, ok := byID[ds.id]
		if !ok {
			t.Errorf("%s: session 0x%x not in file", dp, ds.id)
			continue
		}
		if s.Timeout != ds.timeout {
			t.Errorf("%s: session 0x%x timeout %d, dump says %d", dp, ds.id, s.Timeout, ds.timeout)
		}
		if eph[ds.id] != ds.ephemerals {
			t.Errorf("%s: session 0x%x owns %d nodes, dump says %d", dp, ds.id, eph[ds.id], ds.ephemerals)
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
