// Package zkdump prints ZooKeeper's files the way ZooKeeper's own tools
// do, for people and for scripts: a transaction log's txns as
// TxnLogToolkit lists them, a snapshot as SnapshotFormatter does, and a
// JSON object per txn or znode (docs/cli.md's txnlog and snapshot
// commands).
package zkdump

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"zkbench/engine/jute"
)

// Hex formats ids and zxids the way ZooKeeper's tools do: 0x, lower case,
// unsigned.
func Hex(v int64) string { return "0x" + strconv.FormatUint(uint64(v), 16) }

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// rfc3339ms is RFC 3339 with millisecond precision, the resolution of
// ZooKeeper's timestamps.
const rfc3339ms = "2006-01-02T15:04:05.000Z07:00"

// TxnLine renders one txn as TxnLogToolkit does (time, session, cxid, zxid,
// type, body), but always on one line and with an unambiguous time.
func TxnLine(t *jute.Txn, detail bool) string {
	h := &t.Header
	var b strings.Builder
	fmt.Fprintf(&b, "%s session %s cxid %s zxid %s %s", msTime(h.Time).Format(rfc3339ms),
		Hex(h.ClientID), Hex(int64(h.Cxid)), Hex(h.Zxid), jute.OpName(h.Type))
	if body := describeBody(t.Body, detail); body != "" {
		b.WriteByte(' ')
		b.WriteString(body)
	}
	if detail && t.Digest != nil {
		fmt.Fprintf(&b, " digest v%d:%d", t.Digest.Version, t.Digest.TreeDigest)
	}
	return b.String()
}

// describeBody prints a body's fields comma-separated in declaration order,
// as TxnLogToolkit does.
func describeBody(r jute.Record, detail bool) string {
	switch b := r.(type) {
	case *jute.CreateSessionTxn:
		return strconv.Itoa(int(b.TimeOut))
	case *jute.CloseSessionTxn:
		return "v{" + strings.Join(b.Paths2Delete, ",") + "}"
	case *jute.ErrorTxn:
		return strconv.Itoa(int(b.Err))
	case *jute.CreateTxn:
		return fmt.Sprintf("%s,%s,%s,%t,%d", b.Path, showData(b.Data, detail), showACL(b.ACL), b.Ephemeral, b.ParentCVersion)
	case *jute.CreateContainerTxn:
		return fmt.Sprintf("%s,%s,%s,%d", b.Path, showData(b.Data, detail), showACL(b.ACL), b.ParentCVersion)
	case *jute.CreateTTLTxn:
		return fmt.Sprintf("%s,%s,%s,%d,%d", b.Path, showData(b.Data, detail), showACL(b.ACL), b.ParentCVersion, b.TTL)
	case *jute.DeleteTxn:
		return b.Path
	case *jute.SetDataTxn:
		return fmt.Sprintf("%s,%s,%d", b.Path, showData(b.Data, detail), b.Version)
	case *jute.SetACLTxn:
		return fmt.Sprintf("%s,%s,%d", b.Path, showACL(b.ACL), b.Version)
	case *jute.CheckVersionTxn:
		return fmt.Sprintf("%s,%d", b.Path, b.Version)
	case *jute.MultiTxn:
		ops := make([]string, len(b.Ops))
		for i, op := range b.Ops {
			ops[i] = jute.OpName(op.Type) + ":" + describeBody(op.Record, detail)
		}
		return strings.Join(ops, ";")
	}
	return ""
}

// shortData is how much data is shown without --detail.
const shortData = 64

// showData prints node data as text when it is printable, else quoted with
// escapes; without detail, long data is cut and its length given.
func showData(d []byte, detail bool) string {
	cut := !detail && len(d) > shortData
	s := d
	if cut {
		s = d[:shortData]
	}
	out := string(s)
	if !printable(s) {
		out = strconv.Quote(string(s))
	}
	if cut {
		out += fmt.Sprintf("...(%d bytes)", len(d))
	}
	return out
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 || r == 0x7f || r == ',' {
			return false
		}
	}
	return true
}

func showACL(acls []jute.ACL) string {
	parts := make([]string, len(acls))
	for i, a := range acls {
		parts[i] = fmt.Sprintf("%d,s{'%s,'%s}", a.Perms, a.ID.Scheme, a.ID.ID)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Txn is the --json form of a txn (cli.md): zxid, time and session are
// only set at the top level; multi sub-ops carry the rest.
type Txn struct {
	Zxid      string   `json:"zxid,omitempty"`
	Time      string   `json:"time,omitempty"`
	Session   string   `json:"session,omitempty"`
	Cxid      string   `json:"cxid,omitempty"`
	Type      string   `json:"type"`
	Path      string   `json:"path,omitempty"`
	Digest    *int64   `json:"digest,omitempty"`
	DataLen   *int     `json:"dataLength,omitempty"`
	Version   *int32   `json:"version,omitempty"`
	Ephemeral *bool    `json:"ephemeral,omitempty"`
	TTL       *int64   `json:"ttl,omitempty"`
	Timeout   *int32   `json:"timeout,omitempty"`
	Err       *int32   `json:"err,omitempty"`
	Paths     []string `json:"paths,omitempty"`
	Ops       []Txn    `json:"ops,omitempty"`
}

// TxnOf is t as one JSON object: ids and zxids in hex, times RFC 3339.
func TxnOf(t *jute.Txn) Txn {
	h := &t.Header
	j := bodyJSON(h.Type, t.Body)
	j.Zxid = Hex(h.Zxid)
	j.Time = msTime(h.Time).Format(rfc3339ms)
	j.Session = Hex(h.ClientID)
	j.Cxid = Hex(int64(h.Cxid))
	if t.Digest != nil {
		d := t.Digest.TreeDigest
		j.Digest = &d
	}
	return j
}

func bodyJSON(op int32, r jute.Record) Txn {
	j := Txn{Type: jute.OpName(op), Path: jute.BodyPath(r)}
	dataLen := func(d []byte) *int { n := len(d); return &n }
	switch b := r.(type) {
	case *jute.CreateSessionTxn:
		j.Timeout = &b.TimeOut
	case *jute.CloseSessionTxn:
		j.Paths = b.Paths2Delete
	case *jute.ErrorTxn:
		j.Err = &b.Err
	case *jute.CreateTxn:
		j.DataLen, j.Ephemeral = dataLen(b.Data), &b.Ephemeral
	case *jute.CreateContainerTxn:
		j.DataLen = dataLen(b.Data)
	case *jute.CreateTTLTxn:
		j.DataLen, j.TTL = dataLen(b.Data), &b.TTL
	case *jute.SetDataTxn:
		j.DataLen, j.Version = dataLen(b.Data), &b.Version
	case *jute.SetACLTxn:
		j.Version = &b.Version
	case *jute.CheckVersionTxn:
		j.Version = &b.Version
	case *jute.MultiTxn:
		j.Ops = make([]Txn, len(b.Ops))
		for i, op := range b.Ops {
			j.Ops[i] = bodyJSON(op.Type, op.Record)
		}
	}
	return j
}
