package zkref

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"zkbench/engine/jute"
	"zkbench/internal/zkfixtures"
)

func TestParseTxnLog(t *testing.T) {
	const head = "ZooKeeper Transactional Log File with dbid 0 txnlog format version 2\n"
	tests := []struct {
		name    string
		out     string
		want    []Txn
		wantErr string
	}{
		{"a body over two lines", head +
			"11/25/26, 4:00:38 AM UTC session 0x100000a46010003 cxid 0x1 zxid 0x9e create2 /bench/create2,via-create2,[31,s{'world,'anyone}\n" +
			"],false,17\n" +
			"11/25/26, 4:00:38 AM UTC session 0x100000a46010003 cxid 0x2 zxid 0x9f closeSession v{}\n" +
			"EOF reached after 2 txns.\n",
			[]Txn{{Session: 0x100000a46010003, Cxid: 1, Zxid: 0x9e, Op: "create2"}, {Session: 0x100000a46010003, Cxid: 2, Zxid: 0x9f, Op: "closeSession"}}, ""},
		{"a bad checksum is printed twice and counted once", head +
			"CRC ERROR - 11/25/26, 4:00:48 AM UTC session 0x1 cxid 0x2e zxid 0xd0 setData /a,x,40\n" +
			"11/25/26, 4:00:48 AM UTC session 0x1 cxid 0x2e zxid 0xd0 setData /a,x,40\n" +
			"11/25/26, 4:00:48 AM UTC session 0x1 cxid 0x2f zxid 0xd1 setData /a,y,41\n" +
			"EOF reached after 2 txns.\n",
			[]Txn{{Session: 1, Cxid: 0x2e, Zxid: 0xd0, Op: "setData", CRCError: true}, {Session: 1, Cxid: 0x2f, Zxid: 0xd1, Op: "setData"}}, ""},
		{"a negative cxid is printed as its 32 bits", head +
			"1/1/70, 12:00:00 AM UTC session 0x0 cxid 0xfffffffe zxid 0x5 deleteContainer /c\n" +
			"EOF reached after 1 txns.\n",
			[]Txn{{Cxid: -2, Zxid: 5, Op: "deleteContainer"}}, ""},
		{"empty log", head + "EOF reached after 0 txns.\n", nil, ""},
		{"no summary", head + "11/25/26, 4:00:38 AM UTC session 0x1 cxid 0x1 zxid 0x9e create /a\n", nil, "no 'EOF reached"},
		{"lines and summary disagree", head + "EOF reached after 1 txns.\n", nil, "0 txn lines, but TxnLogToolkit counted 1"},
		{"a cxid past 32 bits", head + "1/1/70, 12:00:00 AM UTC session 0x1 cxid 0x1ffffffff zxid 0x5 create /a\nEOF reached after 1 txns.\n", nil, "bad txn line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTxnLog([]byte(tt.out))
			if !matchErr(t, err, tt.wantErr) {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// A node block as SnapshotFormatter prints it; last is the final line
// ("  dataLength = N" or "  data = <base64>").
func block(path, last string) string {
	return "----\n" + path + "\n" +
		"  cZxid = 0x00000000000005\n" +
		"  ctime = Wed Nov 25 04:00:35 UTC 2026\n" +
		"  mZxid = 0x00000000000013\n" +
		"  mtime = Wed Nov 25 04:00:36 UTC 2026\n" +
		"  pZxid = 0x00000000000006\n" +
		"  cversion = 2\n" +
		"  dataVersion = 1\n" +
		"  aclVersion = -1\n" +
		"  ephemeralOwner = 0x100000a46010001\n" +
		last + "\n"
}

const tail = "----\nSession Details (sid, timeout, ephemeralCount):\n0x100000a46010001, 4000, 3\n----\nLast zxid: 0x9f\n"

func TestParseSnapshot(t *testing.T) {
	node := Node{Czxid: 5, Mzxid: 0x13, Pzxid: 6, Ctime: 1795579235, Mtime: 1795579236,
		Cversion: 2, Version: 1, Aversion: -1, EphemeralOwner: 0x100000a46010001}
	withData := func(d string) Node { n := node; n.Data, n.DataLength = d, len(d); return n }
	withLen := func(l int) Node { n := node; n.DataLength = l; return n }
	sessions := []Session{{ID: 0x100000a46010001, Timeout: 4000, Ephemerals: 3}}
	tests := []struct {
		name    string
		out     string
		want    *Snapshot
		wantErr string
	}{
		{"lengths", "ZNode Details (count=3):\n" + block("/", "  dataLength = 0") + block("/a", "  dataLength = 12") + tail,
			&Snapshot{Count: 3, Nodes: map[string]Node{"/": withLen(0), "/a": withLen(12)}, Sessions: sessions, LastZxid: 0x9f}, ""},
		{"data, the empty one with and without its trailing space",
			"ZNode Details (count=4):\n" + block("/", "  data = ") + block("/e", "  data =") + block("/a", "  data = YWJj") + tail,
			&Snapshot{Count: 4, Nodes: map[string]Node{"/": withData(""), "/e": withData(""), "/a": withData("abc")}, Sessions: sessions, LastZxid: 0x9f, Detail: true}, ""},
		{"no sessions", "ZNode Details (count=2):\n" + block("/", "  dataLength = 0") + "----\nSession Details (sid, timeout, ephemeralCount):\n----\nLast zxid: 0x0\n",
			&Snapshot{Count: 2, Nodes: map[string]Node{"/": withLen(0)}, LastZxid: 0}, ""},
		{"cut off", "ZNode Details (count=2):\n" + block("/", "  dataLength = 0"), nil, "incomplete"},
		{"a field missing", "ZNode Details (count=2):\n" + strings.Replace(block("/", "  dataLength = 0"), "  cversion = 2\n", "", 1) + tail, nil, "want field cversion"},
		{"no length", "ZNode Details (count=2):\n" + strings.TrimSuffix(block("/", "  dataLength = 0"), "  dataLength = 0\n") + tail, nil, "9 of 10 fields"},
		{"data and lengths mixed", "ZNode Details (count=3):\n" + block("/", "  data = ") + block("/a", "  dataLength = 0") + tail, nil, "data and dataLength"},
		{"a node twice", "ZNode Details (count=3):\n" + block("/a", "  dataLength = 0") + block("/a", "  dataLength = 0") + tail, nil, "printed twice"},
		{"unknown field", "ZNode Details (count=2):\n" + block("/", "  size = 0") + tail, nil, "unknown field"},
		{"bad base64", "ZNode Details (count=2):\n" + block("/", "  data = !!") + tail, nil, "data = !!"},
		{"bad session", "ZNode Details (count=2):\n" + block("/", "  dataLength = 0") + strings.Replace(tail, "4000", "forever", 1), nil, "bad session line"},
		{"stray line", "ZNode Details (count=2):\nhello\n" + block("/", "  dataLength = 0") + tail, nil, "unexpected line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSnapshot([]byte(tt.out))
			if !matchErr(t, err, tt.wantErr) {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// NodeFor predicts the block SnapshotFormatter prints for a stat: dates cut
// (not rounded) to the second, the data's length.
func TestNodeForMatchesPrintedBlock(t *testing.T) {
	printed, err := ParseSnapshot([]byte("ZNode Details (count=2):\n" + block("/a", "  dataLength = 3") + tail))
	if err != nil {
		t.Fatal(err)
	}
	st := jute.StatPersisted{Czxid: 5, Mzxid: 0x13, Pzxid: 6, Ctime: 1795579235999, Mtime: 1795579236000,
		Cversion: 2, Version: 1, Aversion: -1, EphemeralOwner: 0x100000a46010001}
	if got := NodeFor(st, []byte("abc")); got != printed.Nodes["/a"] {
		t.Errorf("NodeFor = %+v, printed %+v", got, printed.Nodes["/a"])
	}
}

func TestParseDirTxns(t *testing.T) {
	const two = "zxid 0x1 type createSession session 0x100000a46010000 cxid 0 digest v2:1371985504\n" +
		"zxid 0x2 type error session 0x100000a46010000 cxid -1 digest none\n"
	want := []DirTxn{
		{Zxid: 1, Op: "createSession", Session: 0x100000a46010000, Cxid: 0, Digest: "v2:1371985504"},
		{Zxid: 2, Op: "error", Session: 0x100000a46010000, Cxid: -1, Digest: "none"},
	}
	tests := []struct {
		name        string
		out         string
		want        []DirTxn
		wantFailure string
		wantErr     string
	}{
		{"to the end", two + "iterated 2 txns without error\n", want, "", ""},
		{"stopped", two + "iteration stopped after 2 txns: java.io.IOException: CRC check failed\n", want, "java.io.IOException: CRC check failed", ""},
		{"no end line", two, nil, "", "no final"},
		{"count disagrees", two + "iterated 3 txns without error\n", nil, "", "2 txn lines, but ZkDirCheck counted 3"},
		{"stray line", "restore OK\n" + two + "iterated 2 txns without error\n", nil, "", "unexpected line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, failure, err := ParseDirTxns([]byte(tt.out))
			if !matchErr(t, err, tt.wantErr) {
				return
			}
			if !reflect.DeepEqual(got, tt.want) || failure != tt.wantFailure {
				t.Errorf("got %+v, %q; want %+v, %q", got, failure, tt.want, tt.wantFailure)
			}
		})
	}
}

// matchErr checks err against wantErr ("" for none) and reports whether
// the result is worth comparing.
func matchErr(t *testing.T, err error, wantErr string) bool {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("error %v", err)
	case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
		t.Fatalf("error %v, want one containing %q", err, wantErr)
	}
	return wantErr == ""
}

// Every dump ZooKeeper printed for the fixtures parses, and what the
// parsers cross-check (counts against summary lines, complete node
// blocks) holds. The two dumps of damaged snapshots in corrupt/ are
// SnapshotFormatter giving up half way, and are not parsed.
func TestFixtureDumpsParse(t *testing.T) {
	parsers := []struct {
		kind  string
		match func(name string) bool
		parse func(name string, b []byte) error
		files int // in the fixture tree
	}{
		{"TxnLogToolkit", func(n string) bool { return strings.HasSuffix(n, "TxnLogToolkit.txt") },
			func(_ string, b []byte) error { _, err := ParseTxnLog(b); return err }, 29},
		{"ZkDirCheck --txns", func(n string) bool { return strings.HasPrefix(n, "ZkDirCheck-txns") },
			func(_ string, b []byte) error { _, _, err := ParseDirTxns(b); return err }, 9},
		{"SnapshotFormatter", func(n string) bool {
			return strings.Contains(n, ".SnapshotFormatter") && !strings.HasSuffix(n, "-json.txt")
		},
			func(name string, b []byte) error {
				s, err := ParseSnapshot(b)
				switch {
				case err != nil:
					return err
				case s.Count != len(s.Nodes)+1:
					return fmt.Errorf("count=%d for %d nodes", s.Count, len(s.Nodes))
				case s.Detail != strings.HasSuffix(name, "-d.txt"):
					return fmt.Errorf("Detail = %v", s.Detail)
				}
				return nil
			}, 50},
	}
	root := zkfixtures.Dir()
	seen := make([]int, len(parsers))
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for i, p := range parsers {
			if !p.match(d.Name()) {
				continue
			}
			seen[i]++
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if err := p.parse(d.Name(), b); err != nil {
				t.Errorf("%s: %v", strings.TrimPrefix(path, root), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range parsers {
		if seen[i] != p.files {
			t.Errorf("%s: parsed %d files, the fixtures hold %d", p.kind, seen[i], p.files)
		}
	}
}
