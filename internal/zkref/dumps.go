// This file parses what ZooKeeper 3.8 prints about its own files, so
// that tests can hold zkbench's reading or writing of a file against
// ZooKeeper's: TxnLogToolkit -d for a log file, SnapshotFormatter (with or
// without -d) for a snapshot, and ZkDirCheck --txns (internal/zkref) for
// the logs of a data directory as the server's restore iterator reads them.
//
// The parsers are strict: a line they do not understand, a field missing
// from a node, or a count that disagrees with the tool's own summary line
// is an error, so that a test never compares against a half-read dump.
package zkref

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"zkbench/engine/jute"
)

// Txn is one txn of a TxnLogToolkit dump.
type Txn struct {
	Session int64
	Cxid    int32
	Zxid    int64
	Op      string // the name TxnLogToolkit prints ("create2", "setData", ...), as jute.OpName
	// CRCError: the record's checksum is wrong. TxnLogToolkit prints such a
	// record twice, first after "CRC ERROR - "; it is one Txn here.
	CRCError bool
}

func (t Txn) String() string {
	return fmt.Sprintf("zxid 0x%x %s session 0x%x cxid 0x%x crcErr=%v", t.Zxid, t.Op, t.Session, uint32(t.Cxid), t.CRCError)
}

// A txn line starts with the date (in the tool's time zone, UTC here). A
// body may span lines (an ACL list ends in a newline) and multi bodies are
// raw bytes, so only lines that start like this are txns.
var (
	toolkitTxn = regexp.MustCompile(`^(CRC ERROR - )?\d+/\d+/\d+, \d+:\d+:\d+ [AP]M \S+ session 0x([0-9a-f]+) cxid 0x([0-9a-f]+) zxid 0x([0-9a-f]+) (\S+)`)
	toolkitEOF = regexp.MustCompile(`^EOF reached after (\d+) txns\.$`)
)

// ParseTxnLog parses the output of `TxnLogToolkit -d` for one log file.
func ParseTxnLog(out []byte) ([]Txn, error) {
	var txns []Txn
	total, crc := -1, false
	for _, line := range bytes.Split(out, []byte("\n")) {
		if m := toolkitEOF.FindSubmatch(line); m != nil {
			total, _ = strconv.Atoi(string(m[1]))
			continue
		}
		m := toolkitTxn.FindSubmatch(line)
		if m == nil {
			continue
		}
		if len(m[1]) > 0 {
			crc = true
			continue
		}
		session, err1 := strconv.ParseUint(string(m[2]), 16, 64)
		cxid, err2 := strconv.ParseUint(string(m[3]), 16, 32)
		zxid, err3 := strconv.ParseUint(string(m[4]), 16, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("zkref: bad txn line %q", line)
		}
		txns = append(txns, Txn{Session: int64(session), Cxid: int32(cxid), Zxid: int64(zxid), Op: string(m[5]), CRCError: crc})
		crc = false
	}
	if total < 0 {
		return nil, fmt.Errorf("zkref: no 'EOF reached after N txns.' line")
	}
	if len(txns) != total {
		return nil, fmt.Errorf("zkref: %d txn lines, but TxnLogToolkit counted %d", len(txns), total)
	}
	return txns, nil
}

// Snapshot is a SnapshotFormatter dump of one snapshot file.
type Snapshot struct {
	// Count is "ZNode Details (count=N)", the size of ZooKeeper's node
	// table, which holds the root twice ("" and "/"): one more than
	// len(Nodes).
	Count int
	// Nodes by path as printed: the root is "/".
	Nodes    map[string]Node
	Sessions []Session
	// LastZxid is "Last zxid": the newer of the file name's zxid and the
	// newest mzxid or pzxid of any node.
	LastZxid int64
	// Detail is set for the output of -d, which prints each node's data
	// instead of its length.
	Detail bool
}

// Node is one znode of a SnapshotFormatter dump.
type Node struct {
	Czxid, Mzxid, Pzxid         int64
	Ctime, Mtime                int64 // seconds since the epoch: the dates have no milliseconds
	Cversion, Version, Aversion int32
	EphemeralOwner              int64
	DataLength                  int    // also set with Detail, from Data
	Data                        string // only with Detail: the bytes, decoded
}

// NodeFor is the Node SnapshotFormatter prints, without -d, for a znode with
// this stat and data: what to compare a parsed Node with.
func NodeFor(st jute.StatPersisted, data []byte) Node {
	return Node{
		Czxid: st.Czxid, Mzxid: st.Mzxid, Pzxid: st.Pzxid,
		Ctime: st.Ctime / 1000, Mtime: st.Mtime / 1000,
		Cversion: st.Cversion, Version: st.Version, Aversion: st.Aversion,
		EphemeralOwner: st.EphemeralOwner, DataLength: len(data),
	}
}

// Session is one line of a SnapshotFormatter dump's session table.
type Session struct {
	ID         int64
	Timeout    int32
	Ephemerals int
}

// nodeFields are the lines of a node block, in the order printed; the last
// is "dataLength" or, with -d, "data".
var nodeFields = []string{"cZxid", "ctime", "mZxid", "mtime", "pZxid", "cversion", "dataVersion", "aclVersion", "ephemeralOwner"}

// ParseSnapshot parses SnapshotFormatter's text output, with or without -d.
func ParseSnapshot(out []byte) (*Snapshot, error) {
	s := &Snapshot{Count: -1, LastZxid: -1, Nodes: make(map[string]Node)}
	var (
		path   string // of the node block being read
		n      Node
		fields int // lines of the block read so far
		inSess bool
		errAt  error
	)
	fail := func(line, why string) {
		if errAt == nil {
			errAt = fmt.Errorf("zkref: %s: %q", why, line)
		}
	}
	endNode := func() {
		if path == "" {
			return
		}
		if fields != len(nodeFields)+1 {
			fail(path, fmt.Sprintf("%d of %d fields", fields, len(nodeFields)+1))
		}
		if _, dup := s.Nodes[path]; dup {
			fail(path, "node printed twice")
		}
		s.Nodes[path] = n
		path, n, fields = "", Node{}, 0
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() && errAt == nil {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "ZNode Details (count="):
			if _, err := fmt.Sscanf(line, "ZNode Details (count=%d):", &s.Count); err != nil {
				fail(line, err.Error())
			}
		case line == "----":
			endNode()
		case strings.HasPrefix(line, "Session Details"):
			endNode()
			inSess = true
		case strings.HasPrefix(line, "Last zxid: "):
			v, err := strconv.ParseUint(strings.TrimPrefix(line, "Last zxid: 0x"), 16, 64)
			if err != nil {
				fail(line, "bad zxid")
			}
			s.LastZxid = int64(v)
		case inSess:
			var id uint64
			var x Session
			if _, err := fmt.Sscanf(line, "0x%x, %d, %d", &id, &x.Timeout, &x.Ephemerals); err != nil {
				fail(line, "bad session line")
			}
			x.ID = int64(id)
			s.Sessions = append(s.Sessions, x)
		case strings.HasPrefix(line, "  ") && path != "":
			// "  data = " keeps its trailing space for empty data; be
			// lenient if an editor took it.
			k, v, _ := strings.Cut(strings.TrimSuffix(line[2:], " ="), " = ")
			if fields < len(nodeFields) && k != nodeFields[fields] {
				fail(line, "want field "+nodeFields[fields])
				break
			}
			fields++
			if err := n.set(k, v, s); err != nil {
				fail(line, err.Error())
			}
		case strings.HasPrefix(line, "/") && path == "":
			path = line
		default:
			fail(line, "unexpected line")
		}
	}
	endNode()
	switch {
	case errAt != nil:
		return nil, errAt
	case sc.Err() != nil:
		return nil, fmt.Errorf("zkref: %w", sc.Err())
	case s.Count < 0 || s.LastZxid < 0:
		return nil, fmt.Errorf("zkref: no count or no Last zxid line: the dump is incomplete")
	}
	return s, nil
}

// set stores one field of a node block; data or dataLength must agree with
// the other nodes' on whether this is a -d dump.
func (n *Node) set(k, v string, s *Snapshot) error {
	var err error
	hex := func(dst *int64) {
		var u uint64
		u, err = strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 64)
		*dst = int64(u)
	}
	dec32 := func(dst *int32) {
		var i int64
		i, err = strconv.ParseInt(v, 10, 32)
		*dst = int32(i)
	}
	date := func(dst *int64) {
		var tm time.Time
		tm, err = time.Parse("Mon Jan 02 15:04:05 MST 2006", v)
		*dst = tm.Unix()
	}
	detail := func(d bool) error {
		if len(s.Nodes) > 0 && s.Detail != d {
			return fmt.Errorf("data and dataLength in one dump")
		}
		s.Detail = d
		return nil
	}
	switch k {
	case "cZxid":
		hex(&n.Czxid)
	case "mZxid":
		hex(&n.Mzxid)
	case "pZxid":
		hex(&n.Pzxid)
	case "ephemeralOwner":
		hex(&n.EphemeralOwner)
	case "ctime":
		date(&n.Ctime)
	case "mtime":
		date(&n.Mtime)
	case "cversion":
		dec32(&n.Cversion)
	case "dataVersion":
		dec32(&n.Version)
	case "aclVersion":
		dec32(&n.Aversion)
	case "dataLength":
		if err := detail(false); err != nil {
			return err
		}
		n.DataLength, err = strconv.Atoi(v)
	case "data":
		if err := detail(true); err != nil {
			return err
		}
		var b []byte
		b, err = base64.StdEncoding.DecodeString(v)
		n.Data, n.DataLength = string(b), len(b)
	default:
		return fmt.Errorf("unknown field")
	}
	return err
}

// DirTxn is one txn of ZkDirCheck --txns.
type DirTxn struct {
	Zxid    int64
	Op      string
	Session int64
	Cxid    int32
	Digest  string // "none", or "v<version>:<tree digest>" as logged with the txn
}

var (
	dirTxn = regexp.MustCompile(`^zxid 0x([0-9a-f]+) type (\S+) session 0x([0-9a-f]+) cxid (-?\d+) digest (\S+)$`)
	dirEnd = regexp.MustCompile(`^(?:iterated (\d+) txns without error|iteration stopped after (\d+) txns: (.*))$`)
)

// ParseDirTxns parses the output of ZkDirCheck --txns. failure is why the
// iteration stopped early, "" when it reached the end of the logs.
func ParseDirTxns(out []byte) (txns []DirTxn, failure string, err error) {
	total := -1
	for _, line := range strings.Split(string(out), "\n") {
		if m := dirTxn.FindStringSubmatch(line); m != nil {
			zxid, err1 := strconv.ParseUint(m[1], 16, 64)
			session, err2 := strconv.ParseUint(m[3], 16, 64)
			cxid, err3 := strconv.ParseInt(m[4], 10, 32)
			if err1 != nil || err2 != nil || err3 != nil {
				return nil, "", fmt.Errorf("zkref: bad txn line %q", line)
			}
			txns = append(txns, DirTxn{Zxid: int64(zxid), Op: m[2], Session: int64(session), Cxid: int32(cxid), Digest: m[5]})
			continue
		}
		if m := dirEnd.FindStringSubmatch(line); m != nil {
			if m[1] != "" {
				total, _ = strconv.Atoi(m[1])
			} else {
				total, _ = strconv.Atoi(m[2])
				failure = m[3]
			}
			continue
		}
		if line != "" {
			return nil, "", fmt.Errorf("zkref: unexpected line %q", line)
		}
	}
	if total < 0 {
		return nil, "", fmt.Errorf("zkref: no final 'iterated'/'iteration stopped' line")
	}
	if len(txns) != total {
		return nil, "", fmt.Errorf("zkref: %d txn lines, but ZkDirCheck counted %d", len(txns), total)
	}
	return txns, failure, nil
}
