package jute

import (
	"errors"
	"fmt"
)

// This file holds the client protocol of zookeeper.jute 3.8
// (org.apache.zookeeper.proto): what a client and a server exchange inside
// the length-prefixed frames of a connection. A request frame is a
// RequestHeader followed by the body NewRequest returns for its type; a
// reply frame is a ReplyHeader followed, for successful requests that have
// one, by the matching response record. The connect handshake is the
// exception: its frames carry a bare ConnectRequest / ConnectResponse.

// Create modes (CreateMode.toFlag), the flags of CreateRequest.
const (
	FlagPersistent                  int32 = 0
	FlagEphemeral                   int32 = 1
	FlagPersistentSequential        int32 = 2
	FlagEphemeralSequential         int32 = 3
	FlagContainer                   int32 = 4
	FlagPersistentWithTTL           int32 = 5
	FlagPersistentSequentialWithTTL int32 = 6
)

// Special xids of the client protocol (ClientCnxn): replies with these xids
// answer no numbered request.
const (
	XidNotification int32 = -1 // a WatcherEvent follows the ReplyHeader
	XidPing         int32 = -2
	XidAuth         int32 = -4
	XidSetWatches   int32 = -8
)

// writeStrings writes a vector<ustring>; nil is written as a null vector.
func writeStrings(w *Writer, ss []string) {
	if ss == nil {
		w.Int(-1)
		return
	}
	w.Int(int32(len(ss)))
	for _, s := range ss {
		w.String(s)
	}
}

// readStrings reads a vector<ustring>: null reads as nil, empty as a non-nil
// empty slice, so that re-encoding gives the same bytes.
func readStrings(r *Reader) []string {
	n, null := r.Count()
	if null || r.Err() != nil {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = r.String()
	}
	return ss
}

// RequestHeader opens every request frame after the handshake.
type RequestHeader struct {
	Xid  int32 // the client's request number (cxid); see the Xid* constants
	Type int32 // an Op* code
}

func (h *RequestHeader) Encode(w *Writer) { w.Int(h.Xid); w.Int(h.Type) }
func (h *RequestHeader) Decode(r *Reader) { h.Xid = r.Int(); h.Type = r.Int() }

// ReplyHeader opens every reply frame after the handshake. Zxid is the last
// zxid the answering server had applied; Err a KeeperException code.
type ReplyHeader struct {
	Xid  int32
	Zxid int64
	Err  int32
}

func (h *ReplyHeader) Encode(w *Writer) { w.Int(h.Xid); w.Long(h.Zxid); w.Int(h.Err) }
func (h *ReplyHeader) Decode(r *Reader) { h.Xid = r.Int(); h.Zxid = r.Long(); h.Err = r.Int() }

// ConnectRequest is the first frame a client sends. ReadOnly is not part of
// the jute record: clients since 3.4 append it as one extra boolean, older
// ones (and go-zookeeper) do not, so Decode accepts its absence (the server
// then logs "Connection request from old client") and Encode always writes
// it, as the Java client does.
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeOut         int32 // requested session timeout, ms
	SessionID       int64 // 0 for a new session
	Passwd          []byte
	ReadOnly        bool
}

func (c *ConnectRequest) Encode(w *Writer) {
	w.Int(c.ProtocolVersion)
	w.Long(c.LastZxidSeen)
	w.Int(c.TimeOut)
	w.Long(c.SessionID)
	w.Buffer(c.Passwd)
	w.Bool(c.ReadOnly)
}

func (c *ConnectRequest) Decode(r *Reader) {
	c.ProtocolVersion = r.Int()
	c.LastZxidSeen = r.Long()
	c.TimeOut = r.Int()
	c.SessionID = r.Long()
	c.Passwd = r.BufferCopy()
	c.ReadOnly = false
	if r.Err() == nil && r.Remaining() > 0 {
		c.ReadOnly = r.Bool()
	}
}

// ConnectResponse answers a ConnectRequest; ReadOnly follows the same
// optional-trailing-boolean rule.
type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32 // negotiated session timeout, ms; 0 = session expired
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
}

func (c *ConnectResponse) Encode(w *Writer) {
	w.Int(c.ProtocolVersion)
	w.Int(c.TimeOut)
	w.Long(c.SessionID)
	w.Buffer(c.Passwd)
	w.Bool(c.ReadOnly)
}

func (c *ConnectResponse) Decode(r *Reader) {
	c.ProtocolVersion = r.Int()
	c.TimeOut = r.Int()
	c.SessionID = r.Long()
	c.Passwd = r.BufferCopy()
	c.ReadOnly = false
	if r.Err() == nil && r.Remaining() > 0 {
		c.ReadOnly = r.Bool()
	}
}

// CreateRequest is the body of create, create2 and createContainer.
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32 // a Flag* create mode
}

func (c *CreateRequest) Encode(w *Writer) {
	w.String(c.Path)
	w.Buffer(c.Data)
	EncodeACLs(w, c.ACL)
	w.Int(c.Flags)
}

func (c *CreateRequest) Decode(r *Reader) {
	c.Path = r.String()
	c.Data = r.BufferCopy()
	c.ACL = DecodeACLs(r)
	c.Flags = r.Int()
}

// CreateTTLRequest is the body of createTTL; TTL is in ms.
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
	TTL   int64
}

func (c *CreateTTLRequest) Encode(w *Writer) {
	w.String(c.Path)
	w.Buffer(c.Data)
	EncodeACLs(w, c.ACL)
	w.Int(c.Flags)
	w.Long(c.TTL)
}

func (c *CreateTTLRequest) Decode(r *Reader) {
	c.Path = r.String()
	c.Data = r.BufferCopy()
	c.ACL = DecodeACLs(r)
	c.Flags = r.Int()
	c.TTL = r.Long()
}

// CreateResponse answers create with the created path (final sequential name).
type CreateResponse struct{ Path string }

func (c *CreateResponse) Encode(w *Writer) { w.String(c.Path) }
func (c *CreateResponse) Decode(r *Reader) { c.Path = r.String() }

// Create2Response answers create2, createContainer and createTTL.
type Create2Response struct {
	Path string
	Stat Stat
}

func (c *Create2Response) Encode(w *Writer) { w.String(c.Path); c.Stat.Encode(w) }
func (c *Create2Response) Decode(r *Reader) { c.Path = r.String(); c.Stat.Decode(r) }

// DeleteRequest is the body of delete; Version -1 matches any version.
type DeleteRequest struct {
	Path    string
	Version int32
}

func (d *DeleteRequest) Encode(w *Writer) { w.String(d.Path); w.Int(d.Version) }
func (d *DeleteRequest) Decode(r *Reader) { d.Path = r.String(); d.Version = r.Int() }

// SetDataRequest is the body of setData; Version -1 matches any version.
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

func (s *SetDataRequest) Encode(w *Writer) { w.String(s.Path); w.Buffer(s.Data); w.Int(s.Version) }
func (s *SetDataRequest) Decode(r *Reader) {
	s.Path = r.String()
	s.Data = r.BufferCopy()
	s.Version = r.Int()
}

// SetDataResponse answers setData (and, in ZooKeeper, a top-level check).
type SetDataResponse struct{ Stat Stat }

func (s *SetDataResponse) Encode(w *Writer) { s.Stat.Encode(w) }
func (s *SetDataResponse) Decode(r *Reader) { s.Stat.Decode(r) }

// GetDataRequest is the body of getData; Watch leaves a data watch.
type GetDataRequest struct {
	Path  string
	Watch bool
}

func (g *GetDataRequest) Encode(w *Writer) { w.String(g.Path); w.Bool(g.Watch) }
func (g *GetDataRequest) Decode(r *Reader) { g.Path = r.String(); g.Watch = r.Bool() }

// GetDataResponse answers getData.
type GetDataResponse struct {
	Data []byte
	Stat Stat
}

func (g *GetDataResponse) Encode(w *Writer) { w.Buffer(g.Data); g.Stat.Encode(w) }
func (g *GetDataResponse) Decode(r *Reader) { g.Data = r.BufferCopy(); g.Stat.Decode(r) }

// ExistsRequest is the body of exists; Watch leaves a watch that also fires
// on creation.
type ExistsRequest struct {
	Path  string
	Watch bool
}

func (e *ExistsRequest) Encode(w *Writer) { w.String(e.Path); w.Bool(e.Watch) }
func (e *ExistsRequest) Decode(r *Reader) { e.Path = r.String(); e.Watch = r.Bool() }

// ExistsResponse answers exists for an existing node (a missing one is the
// error NoNode, with no body).
type ExistsResponse struct{ Stat Stat }

func (e *ExistsResponse) Encode(w *Writer) { e.Stat.Encode(w) }
func (e *ExistsResponse) Decode(r *Reader) { e.Stat.Decode(r) }

// GetChildrenRequest is the body of getChildren.
type GetChildrenRequest struct {
	Path  string
	Watch bool
}

func (g *GetChildrenRequest) Encode(w *Writer) { w.String(g.Path); w.Bool(g.Watch) }
func (g *GetChildrenRequest) Decode(r *Reader) { g.Path = r.String(); g.Watch = r.Bool() }

// GetChildrenResponse answers getChildren with the children's names.
type GetChildrenResponse struct{ Children []string }

func (g *GetChildrenResponse) Encode(w *Writer) { writeStrings(w, g.Children) }
func (g *GetChildrenResponse) Decode(r *Reader) { g.Children = readStrings(r) }

// GetChildren2Request is the body of getChildren2.
type GetChildren2Request struct {
	Path  string
	Watch bool
}

func (g *GetChildren2Request) Encode(w *Writer) { w.String(g.Path); w.Bool(g.Watch) }
func (g *GetChildren2Request) Decode(r *Reader) { g.Path = r.String(); g.Watch = r.Bool() }

// GetChildren2Response answers getChildren2: the names and the parent's Stat.
type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

func (g *GetChildren2Response) Encode(w *Writer) { writeStrings(w, g.Children); g.Stat.Encode(w) }
func (g *GetChildren2Response) Decode(r *Reader) { g.Children = readStrings(r); g.Stat.Decode(r) }

// CheckVersionRequest is a check inside a multi.
type CheckVersionRequest struct {
	Path    string
	Version int32
}

func (c *CheckVersionRequest) Encode(w *Writer) { w.String(c.Path); w.Int(c.Version) }
func (c *CheckVersionRequest) Decode(r *Reader) { c.Path = r.String(); c.Version = r.Int() }

// SetACLRequest is the body of setACL; Version is the expected aversion.
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

func (s *SetACLRequest) Encode(w *Writer) { w.String(s.Path); EncodeACLs(w, s.ACL); w.Int(s.Version) }
func (s *SetACLRequest) Decode(r *Reader) {
	s.Path = r.String()
	s.ACL = DecodeACLs(r)
	s.Version = r.Int()
}

// SetACLResponse answers setACL.
type SetACLResponse struct{ Stat Stat }

func (s *SetACLResponse) Encode(w *Writer) { s.Stat.Encode(w) }
func (s *SetACLResponse) Decode(r *Reader) { s.Stat.Decode(r) }

// GetACLRequest is the body of getACL.
type GetACLRequest struct{ Path string }

func (g *GetACLRequest) Encode(w *Writer) { w.String(g.Path) }
func (g *GetACLRequest) Decode(r *Reader) { g.Path = r.String() }

// GetACLResponse answers getACL.
type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

func (g *GetACLResponse) Encode(w *Writer) { EncodeACLs(w, g.ACL); g.Stat.Encode(w) }
func (g *GetACLResponse) Decode(r *Reader) { g.ACL = DecodeACLs(r); g.Stat.Decode(r) }

// SyncRequest is the body of sync.
type SyncRequest struct{ Path string }

func (s *SyncRequest) Encode(w *Writer) { w.String(s.Path) }
func (s *SyncRequest) Decode(r *Reader) { s.Path = r.String() }

// SyncResponse answers sync.
type SyncResponse struct{ Path string }

func (s *SyncResponse) Encode(w *Writer) { w.String(s.Path) }
func (s *SyncResponse) Decode(r *Reader) { s.Path = r.String() }

// ErrorResponse carries a KeeperException code. It is also the body of an
// error result inside a MultiResponse (ZooKeeper's OpResult.ErrorResult).
type ErrorResponse struct{ Err int32 }

func (e *ErrorResponse) Encode(w *Writer) { w.Int(e.Err) }
func (e *ErrorResponse) Decode(r *Reader) { e.Err = r.Int() }

// WatcherEvent is a watch notification, sent after a ReplyHeader with xid
// XidNotification.
type WatcherEvent struct {
	Type  int32 // EventType: 1 created, 2 deleted, 3 data changed, 4 children changed
	State int32 // KeeperState, 3 = SyncConnected
	Path  string
}

func (e *WatcherEvent) Encode(w *Writer) { w.Int(e.Type); w.Int(e.State); w.String(e.Path) }
func (e *WatcherEvent) Decode(r *Reader) { e.Type = r.Int(); e.State = r.Int(); e.Path = r.String() }

// SetWatches is the body of setWatches: a reconnecting client re-registers
// its watches relative to the last zxid it saw.
type SetWatches struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

func (s *SetWatches) Encode(w *Writer) {
	w.Long(s.RelativeZxid)
	writeStrings(w, s.DataWatches)
	writeStrings(w, s.ExistWatches)
	writeStrings(w, s.ChildWatches)
}

func (s *SetWatches) Decode(r *Reader) {
	s.RelativeZxid = r.Long()
	s.DataWatches = readStrings(r)
	s.ExistWatches = readStrings(r)
	s.ChildWatches = readStrings(r)
}

// AuthPacket is the body of auth (xid XidAuth): credentials for a scheme,
// such as "digest" with "user:password".
type AuthPacket struct {
	Type   int32 // always 0 in practice
	Scheme string
	Auth   []byte
}

func (a *AuthPacket) Encode(w *Writer) { w.Int(a.Type); w.String(a.Scheme); w.Buffer(a.Auth) }
func (a *AuthPacket) Decode(r *Reader) {
	a.Type = r.Int()
	a.Scheme = r.String()
	a.Auth = r.BufferCopy()
}

// MultiHeader frames each operation and each result of a multi.
type MultiHeader struct {
	Type int32
	Done bool
	Err  int32
}

func (h *MultiHeader) Encode(w *Writer) { w.Int(h.Type); w.Bool(h.Done); w.Int(h.Err) }
func (h *MultiHeader) Decode(r *Reader) { h.Type = r.Int(); h.Done = r.Bool(); h.Err = r.Int() }

// ErrMultiOp means a multi held an op type its framing does not allow, or
// mixed read and write ops (MultiOperationRecord's "Invalid type of op" and
// "Mixing different kind of ops").
var ErrMultiOp = errors.New("jute: invalid multi op")

// multiEnd is the header that terminates a multi request and response.
var multiEnd = MultiHeader{Type: -1, Done: true, Err: -1}

// newMultiOp returns the request record a multi op of type op carries, and
// whether it is a read (multiRead) op. The mapping is MultiOperationRecord's:
// createContainer and create2 travel as a CreateRequest like create.
func newMultiOp(op int32) (rec Record, read bool, err error) {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}, false, nil
	case OpCreateTTL:
		return &CreateTTLRequest{}, false, nil
	case OpDelete:
		return &DeleteRequest{}, false, nil
	case OpSetData:
		return &SetDataRequest{}, false, nil
	case OpCheck:
		return &CheckVersionRequest{}, false, nil
	case OpGetChildren:
		return &GetChildrenRequest{}, true, nil
	case OpGetData:
		return &GetDataRequest{}, true, nil
	}
	return nil, false, fmt.Errorf("%w: type %d", ErrMultiOp, op)
}

// MultiRequest is the body of multi and multiRead. Each op travels as
// MultiHeader{type, false, -1} and its request record; a MultiHeader{-1,
// true, -1} ends the list. Op.Type is the type in the op's header, as the
// client wrote it: ZooKeeper re-derives a create's type from its flags
// (Op.create), which is the server's business, not the codec's.
type MultiRequest struct{ Ops []Op }

func (m *MultiRequest) Encode(w *Writer) {
	for _, op := range m.Ops {
		h := MultiHeader{Type: op.Type, Err: -1}
		h.Encode(w)
		if op.Record != nil {
			op.Record.Encode(w)
		}
	}
	multiEnd.Encode(w)
}

func (m *MultiRequest) Decode(r *Reader) {
	m.Ops = nil
	reads, writes := false, false
	for r.Err() == nil {
		var h MultiHeader
		h.Decode(r)
		if r.Err() != nil || h.Done {
			return
		}
		rec, read, err := newMultiOp(h.Type)
		if err != nil {
			r.fail(fmt.Errorf("multi op %d: %w", len(m.Ops), err))
			return
		}
		reads, writes = reads || read, writes || !read
		if reads && writes {
			r.fail(fmt.Errorf("%w: mixing read and write ops", ErrMultiOp))
			return
		}
		rec.Decode(r)
		m.Ops = append(m.Ops, Op{Type: h.Type, Record: rec})
	}
}

// newMultiResult returns the record a multi result of type op carries, nil
// for the bodiless delete and check results.
func newMultiResult(op int32) (Record, error) {
	switch op {
	case OpCreate:
		return &CreateResponse{}, nil
	case OpCreate2, OpCreateTTL, OpCreateContainer:
		return &Create2Response{}, nil
	case OpDelete, OpCheck:
		return nil, nil
	case OpSetData:
		return &SetDataResponse{}, nil
	case OpGetData:
		return &GetDataResponse{}, nil
	case OpGetChildren:
		return &GetChildrenResponse{}, nil
	case OpError:
		return &ErrorResponse{}, nil
	}
	return nil, fmt.Errorf("%w: result type %d", ErrMultiOp, op)
}

// MultiResponse answers multi and multiRead with one result per op, in
// order. Result types and records: create → *CreateResponse; create2 (also
// used for createContainer and createTTL) → *Create2Response; delete and
// check → nil; setData → *SetDataResponse; getData → *GetDataResponse;
// getChildren → *GetChildrenResponse; error → *ErrorResponse. Each result
// travels as MultiHeader{type, false, err} (err is the error code for error
// results, else 0) and its record; MultiHeader{-1, true, -1} ends the list.
type MultiResponse struct{ Results []Op }

func (m *MultiResponse) Encode(w *Writer) {
	for _, res := range m.Results {
		h := MultiHeader{Type: res.Type}
		if e, ok := res.Record.(*ErrorResponse); ok && res.Type == OpError {
			h.Err = e.Err
		}
		h.Encode(w)
		if res.Record != nil {
			res.Record.Encode(w)
		}
	}
	multiEnd.Encode(w)
}

func (m *MultiResponse) Decode(r *Reader) {
	m.Results = nil
	for r.Err() == nil {
		var h MultiHeader
		h.Decode(r)
		if r.Err() != nil || h.Done {
			return
		}
		rec, err := newMultiResult(h.Type)
		if err != nil {
			r.fail(fmt.Errorf("multi result %d: %w", len(m.Results), err))
			return
		}
		if rec != nil {
			rec.Decode(r)
		}
		m.Results = append(m.Results, Op{Type: h.Type, Record: rec})
	}
}

// NewRequest returns an empty record for the body of a client request of
// type op, to decode what follows its RequestHeader; nil (and no error) for
// requests without a body (ping, closeSession, whoAmI). createSession has no
// RequestHeader (its frame is a ConnectRequest) and deleteContainer is
// issued by the server itself, so neither is accepted here.
func NewRequest(op int32) (Record, error) {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}, nil
	case OpCreateTTL:
		return &CreateTTLRequest{}, nil
	case OpDelete:
		return &DeleteRequest{}, nil
	case OpExists:
		return &ExistsRequest{}, nil
	case OpGetData:
		return &GetDataRequest{}, nil
	case OpSetData:
		return &SetDataRequest{}, nil
	case OpGetACL:
		return &GetACLRequest{}, nil
	case OpSetACL:
		return &SetACLRequest{}, nil
	case OpGetChildren:
		return &GetChildrenRequest{}, nil
	case OpGetChildren2:
		return &GetChildren2Request{}, nil
	case OpSync:
		return &SyncRequest{}, nil
	case OpCheck:
		return &CheckVersionRequest{}, nil
	case OpMulti, OpMultiRead:
		return &MultiRequest{}, nil
	case OpAuth:
		return &AuthPacket{}, nil
	case OpSetWatches:
		return &SetWatches{}, nil
	case OpSetWatches2:
		return &SetWatches2{}, nil
	case OpAddWatch:
		return &AddWatchRequest{}, nil
	case OpCheckWatches:
		return &CheckWatchesRequest{}, nil
	case OpRemoveWatches:
		return &RemoveWatchesRequest{}, nil
	case OpGetEphemerals:
		return &GetEphemeralsRequest{}, nil
	case OpGetAllChildrenNumber:
		return &GetAllChildrenNumberRequest{}, nil
	case OpSASL:
		return &GetSASLRequest{}, nil
	case OpReconfig:
		return &ReconfigRequest{}, nil
	case OpPing, OpCloseSession, OpWhoAmI:
		return nil, nil
	}
	return nil, fmt.Errorf("%w %d (%s) in a client request", ErrUnknownOp, op, OpName(op))
}

// DecodeRequest decodes a client request's body rec from b, reading the
// fields rec knows and ignoring any bytes after them, as ZooKeeper does
// (ByteBufferInputStream.byteBuffer2Record reads a record from the
// request's buffer and never looks at what is left). A newer client may
// append fields an older server does not know, such as the two extra
// watch lists some clients send with setWatches; refusing them would drop
// the connection. It returns how many bytes rec took. On-disk records
// keep DecodeRecord's strictness, where bytes left over mean corruption.
func DecodeRequest(b []byte, rec Record) (int, error) {
	r := NewReader(b)
	rec.Decode(r)
	if err := r.Err(); err != nil {
		return 0, err
	}
	return r.Offset(), nil
}

// DecodeRecord decodes rec from b and requires that it use every byte, as a
// frame holds exactly one record.
func DecodeRecord(b []byte, rec Record) error {
	r := NewReader(b)
	rec.Decode(r)
	if err := r.Err(); err != nil {
		return err
	}
	if n := r.Remaining(); n != 0 {
		return fmt.Errorf("jute: %d unexpected bytes after %T", n, rec)
	}
	return nil
}
