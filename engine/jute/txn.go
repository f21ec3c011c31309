package jute

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Op codes (ZooDefs.OpCode): TxnHeader.Type, Op.Type inside a multi, and
// RequestHeader.Type on the client wire. Only the write codes ever reach a
// log; the read and session-management codes travel between client and
// server (and, wrapped in a LearnerRequest, from a learner to the leader).
const (
	OpNotification         int32 = 0
	OpCreate               int32 = 1
	OpDelete               int32 = 2
	OpExists               int32 = 3
	OpGetData              int32 = 4
	OpSetData              int32 = 5
	OpGetACL               int32 = 6
	OpSetACL               int32 = 7
	OpGetChildren          int32 = 8
	OpSync                 int32 = 9
	OpPing                 int32 = 11
	OpGetChildren2         int32 = 12
	OpCheck                int32 = 13
	OpMulti                int32 = 14
	OpCreate2              int32 = 15
	OpReconfig             int32 = 16
	OpCheckWatches         int32 = 17
	OpRemoveWatches        int32 = 18
	OpCreateContainer      int32 = 19
	OpDeleteContainer      int32 = 20
	OpCreateTTL            int32 = 21
	OpMultiRead            int32 = 22
	OpAuth                 int32 = 100
	OpSetWatches           int32 = 101
	OpSASL                 int32 = 102
	OpGetEphemerals        int32 = 103
	OpGetAllChildrenNumber int32 = 104
	OpSetWatches2          int32 = 105
	OpAddWatch             int32 = 106
	OpWhoAmI               int32 = 107
	OpCreateSession        int32 = -10
	OpCloseSession         int32 = -11
	OpError                int32 = -1
)

// OpName returns the name ZooKeeper gives an op code (Request.op2String,
// which TxnLogToolkit prints).
func OpName(op int32) string {
	switch op {
	case OpNotification:
		return "notification"
	case OpCreate:
		return "create"
	case OpDelete:
		return "delete"
	case OpExists:
		return "exists"
	case OpGetData:
		return "getData"
	case OpSetData:
		return "setData"
	case OpGetACL:
		return "getACL"
	case OpSetACL:
		return "setACL"
	case OpGetChildren:
		return "getChildren"
	case OpSync:
		return "sync"
	case OpPing:
		return "ping"
	case OpGetChildren2:
		return "getChildren2"
	case OpCheck:
		return "check"
	case OpMulti:
		return "multi"
	case OpCreate2:
		return "create2"
	case OpReconfig:
		return "reconfig"
	case OpCreateContainer:
		return "createContainer"
	case OpDeleteContainer:
		return "deleteContainer"
	case OpCreateTTL:
		return "createTtl"
	case OpMultiRead:
		return "multiRead"
	case OpAuth:
		return "auth"
	case OpSetWatches:
		return "setWatches"
	case OpCheckWatches:
		return "checkWatches"
	case OpRemoveWatches:
		return "removeWatches"
	case OpSASL:
		return "sasl"
	case OpGetEphemerals:
		return "getEphemerals"
	case OpGetAllChildrenNumber:
		return "getAllChildrenNumber"
	case OpSetWatches2:
		return "setWatches2"
	case OpAddWatch:
		return "addWatch"
	case OpWhoAmI:
		return "whoAmI"
	case OpCreateSession:
		return "createSession"
	case OpCloseSession:
		return "closeSession"
	case OpError:
		return "error"
	}
	return "unknown " + strconv.Itoa(int(op))
}

// ErrUnknownOp means a txn carried an op code that ZooKeeper 3.8 never logs.
var ErrUnknownOp = errors.New("jute: unsupported txn type")

// newBody returns an empty body record for op, or nil for ops without one.
func newBody(op int32) (Record, error) {
	switch op {
	case OpCreateSession:
		return &CreateSessionTxn{}, nil
	case OpCloseSession:
		return &CloseSessionTxn{}, nil
	case OpError:
		return &ErrorTxn{}, nil
	case OpCreate, OpCreate2:
		return &CreateTxn{}, nil
	case OpDelete, OpDeleteContainer:
		return &DeleteTxn{}, nil
	case OpSetData, OpReconfig:
		return &SetDataTxn{}, nil
	case OpSetACL:
		return &SetACLTxn{}, nil
	case OpCheck:
		return &CheckVersionTxn{}, nil
	case OpMulti:
		return &MultiTxn{}, nil
	case OpCreateContainer:
		return &CreateContainerTxn{}, nil
	case OpCreateTTL:
		return &CreateTTLTxn{}, nil
	}
	return nil, fmt.Errorf("%w %d", ErrUnknownOp, op)
}

// CreateTxn is the body of create and create2. ParentCVersion is the
// parent's cversion after the create; -1 (V0 records) means "current + 1".
type CreateTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	Ephemeral      bool
	ParentCVersion int32
}

func (t *CreateTxn) Encode(w *Writer) {
	w.String(t.Path)
	w.Buffer(t.Data)
	EncodeACLs(w, t.ACL)
	w.Bool(t.Ephemeral)
	w.Int(t.ParentCVersion)
}

// Decode reads a CreateTxn, falling back to the pre-3.3 CreateTxnV0 layout
// (no parentCVersion) when the record ends after the ephemeral flag.
func (t *CreateTxn) Decode(r *Reader) {
	t.Path = r.String()
	t.Data = r.BufferCopy()
	t.ACL = DecodeACLs(r)
	t.Ephemeral = r.Bool()
	if r.Err() == nil && r.Remaining() == 0 {
		t.ParentCVersion = -1
		return
	}
	t.ParentCVersion = r.Int()
}

// CreateContainerTxn is the body of createContainer.
type CreateContainerTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
}

func (t *CreateContainerTxn) Encode(w *Writer) {
	w.String(t.Path)
	w.Buffer(t.Data)
	EncodeACLs(w, t.ACL)
	w.Int(t.ParentCVersion)
}

func (t *CreateContainerTxn) Decode(r *Reader) {
	t.Path = r.String()
	t.Data = r.BufferCopy()
	t.ACL = DecodeACLs(r)
	t.ParentCVersion = r.Int()
}

// CreateTTLTxn is the body of createTTL; TTL is in milliseconds.
type CreateTTLTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
	TTL            int64
}

func (t *CreateTTLTxn) Encode(w *Writer) {
	w.String(t.Path)
	w.Buffer(t.Data)
	EncodeACLs(w, t.ACL)
	w.Int(t.ParentCVersion)
	w.Long(t.TTL)
}

func (t *CreateTTLTxn) Decode(r *Reader) {
	t.Path = r.String()
	t.Data = r.BufferCopy()
	t.ACL = DecodeACLs(r)
	t.ParentCVersion = r.Int()
	t.TTL = r.Long()
}

// DeleteTxn is the body of delete and deleteContainer.
type DeleteTxn struct{ Path string }

func (t *DeleteTxn) Encode(w *Writer) { w.String(t.Path) }
func (t *DeleteTxn) Decode(r *Reader) { t.Path = r.String() }

// SetDataTxn is the body of setData; Version is the data version after it.
type SetDataTxn struct {
	Path    string
	Data    []byte
	Version int32
}

func (t *SetDataTxn) Encode(w *Writer) { w.String(t.Path); w.Buffer(t.Data); w.Int(t.Version) }
func (t *SetDataTxn) Decode(r *Reader) {
	t.Path = r.String()
	t.Data = r.BufferCopy()
	t.Version = r.Int()
}

// SetACLTxn is the body of setACL; Version is the ACL version after it.
type SetACLTxn struct {
	Path    string
	ACL     []ACL
	Version int32
}

func (t *SetACLTxn) Encode(w *Writer) { w.String(t.Path); EncodeACLs(w, t.ACL); w.Int(t.Version) }
func (t *SetACLTxn) Decode(r *Reader) {
	t.Path = r.String()
	t.ACL = DecodeACLs(r)
	t.Version = r.Int()
}

// CheckVersionTxn is a check inside a multi.
type CheckVersionTxn struct {
	Path    string
	Version int32
}

func (t *CheckVersionTxn) Encode(w *Writer) { w.String(t.Path); w.Int(t.Version) }
func (t *CheckVersionTxn) Decode(r *Reader) { t.Path = r.String(); t.Version = r.Int() }

// CreateSessionTxn carries the negotiated session timeout in ms.
type CreateSessionTxn struct{ TimeOut int32 }

func (t *CreateSessionTxn) Encode(w *Writer) { w.Int(t.TimeOut) }
func (t *CreateSessionTxn) Decode(r *Reader) { t.TimeOut = r.Int() }

// CloseSessionTxn lists the ephemerals removed with the session. Old logs
// have no body at all; Decode treats an empty record as an empty list.
type CloseSessionTxn struct{ Paths2Delete []string }

func (t *CloseSessionTxn) Encode(w *Writer) {
	if t.Paths2Delete == nil {
		w.Int(-1)
		return
	}
	w.Int(int32(len(t.Paths2Delete)))
	for _, p := range t.Paths2Delete {
		w.String(p)
	}
}

func (t *CloseSessionTxn) Decode(r *Reader) {
	if r.Remaining() == 0 {
		return
	}
	n, null := r.Count()
	if null || r.Err() != nil {
		return
	}
	t.Paths2Delete = make([]string, n)
	for i := range t.Paths2Delete {
		t.Paths2Delete[i] = r.String()
	}
}

// ErrorTxn records a write that failed validation; Err is a KeeperException
// code such as -101 (NoNode).
type ErrorTxn struct{ Err int32 }

func (t *ErrorTxn) Encode(w *Writer) { w.Int(t.Err) }
func (t *ErrorTxn) Decode(r *Reader) { t.Err = r.Int() }

// Op is one sub-operation of a multi: Type is its op code and Record its
// decoded body (sub-records never carry a digest).
type Op struct {
	Type   int32
	Record Record
}

// MultiTxn is the body of multi.
type MultiTxn struct{ Ops []Op }

// Failed reports whether the multi was rejected: ZooKeeper then logs every
// sub-op from the failing one on as an error, and replay applies nothing.
func (t *MultiTxn) Failed() bool {
	for _, op := range t.Ops {
		if op.Type == OpError {
			return true
		}
	}
	return false
}

func (t *MultiTxn) Encode(w *Writer) {
	w.Int(int32(len(t.Ops)))
	for _, op := range t.Ops {
		w.Int(op.Type)
		// Each sub-record is a length-prefixed buffer: write a placeholder
		// length, encode in place, then patch the length.
		at := w.Len()
		w.Int(0)
		op.Record.Encode(w)
		n := w.Len() - at - 4
		b := w.Bytes()
		b[at], b[at+1], b[at+2], b[at+3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	}
}

func (t *MultiTxn) Decode(r *Reader) {
	n, null := r.Count()
	if null || r.Err() != nil {
		return
	}
	t.Ops = make([]Op, 0, n)
	for i := 0; i < n; i++ {
		typ := r.Int()
		data := r.Buffer()
		if r.Err() != nil {
			return
		}
		rec, err := newBody(typ)
		if err != nil {
			r.fail(err)
			return
		}
		sub := NewReader(data)
		rec.Decode(sub)
		if err := sub.Err(); err != nil {
			r.fail(fmt.Errorf("multi op %d (%s): %w", i, OpName(typ), err))
			return
		}
		t.Ops = append(t.Ops, Op{Type: typ, Record: rec})
	}
}

// Txn is one logged transaction: header, body and, since ZooKeeper 3.6, the
// tree digest after it (nil when absent, as on error txns).
type Txn struct {
	Header TxnHeader
	Body   Record
	Digest *TxnDigest
}

// Path returns the path a txn acts on, or "" when it has none.
func (t *Txn) Path() string { return BodyPath(t.Body) }

// BodyPath returns the path of a txn body, or "" when it has none.
func BodyPath(r Record) string {
	switch b := r.(type) {
	case *CreateTxn:
		return b.Path
	case *CreateContainerTxn:
		return b.Path
	case *CreateTTLTxn:
		return b.Path
	case *DeleteTxn:
		return b.Path
	case *SetDataTxn:
		return b.Path
	case *SetACLTxn:
		return b.Path
	case *CheckVersionTxn:
		return b.Path
	}
	return ""
}

// Encode writes header, body and digest: the "entry" of a log record.
func (t *Txn) Encode(w *Writer) {
	t.Header.Encode(w)
	if t.Body != nil {
		t.Body.Encode(w)
	}
	if t.Digest != nil {
		t.Digest.Encode(w)
	}
}

// EncodeTxn returns t's log entry in a buffer of its own.
func EncodeTxn(t *Txn) []byte {
	w := NewWriter(nil)
	t.Encode(w)
	return w.Bytes()
}

// EntryZxid reads the zxid from the header an encoded log entry starts
// with, without decoding the rest: all a log needs to order its records
// and name its files.
func EntryZxid(entry []byte) (int64, error) {
	if len(entry) < TxnHeaderSize {
		return 0, fmt.Errorf("txn header of %d bytes: %w", len(entry), ErrShort)
	}
	return int64(binary.BigEndian.Uint64(entry[12:])), nil // after clientId, cxid
}

type decodedTxn struct {
	t Txn
	d TxnDigest
	r Reader
}

// DecodeTxn parses one log entry. The digest is present exactly when
// TxnDigestSize bytes remain after the body, which is why the body must be
// parsed precisely.
func DecodeTxn(entry []byte) (*Txn, error) {
	// One allocation for the txn, its digest and the reader (which the
	// body's Decode, an interface call, would move to the heap anyway):
	// a learner decodes every txn it applies.
	x := &decodedTxn{r: Reader{buf: entry}}
	defer func() { x.r = Reader{} }() // the txn must not keep entry alive
	r, t := &x.r, &x.t
	t.Header.Decode(r)
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("txn header: %w", err)
	}
	body, err := newBody(t.Header.Type)
	if err != nil {
		return nil, fmt.Errorf("txn zxid 0x%x: %w", t.Header.Zxid, err)
	}
	// A body-less record cannot hold a digest either, so a 12-byte tail
	// after the header is a body (e.g. a CreateTxn is never that short).
	body.Decode(r)
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("txn zxid 0x%x %s body: %w", t.Header.Zxid, OpName(t.Header.Type), err)
	}
	t.Body = body
	switch r.Remaining() {
	case 0:
	case TxnDigestSize:
		t.Digest = &x.d
		t.Digest.Decode(r)
	default:
		return nil, fmt.Errorf("txn zxid 0x%x %s: %d unexpected bytes after body", t.Header.Zxid, OpName(t.Header.Type), r.Remaining())
	}
	return t, nil
}
