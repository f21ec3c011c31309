package jute

// Record is a jute record: it encodes itself field by field and decodes
// from a Reader whose sticky error the caller checks once.
type Record interface {
	Encode(w *Writer)
	Decode(r *Reader)
}

// Magic numbers at the start of ZooKeeper's files.
const (
	LogMagic      int32 = 0x5A4B4C47 // "ZKLG"
	SnapshotMagic int32 = 0x5A4B534E // "ZKSN"
	FileVersion   int32 = 2
)

// FileHeader opens every transaction log and snapshot file.
type FileHeader struct {
	Magic   int32
	Version int32
	DBID    int64
}

func (h *FileHeader) Encode(w *Writer) { w.Int(h.Magic); w.Int(h.Version); w.Long(h.DBID) }
func (h *FileHeader) Decode(r *Reader) { h.Magic = r.Int(); h.Version = r.Int(); h.DBID = r.Long() }

// FileHeaderSize is the encoded size of a FileHeader.
const FileHeaderSize = 16

// TxnHeader precedes every transaction body.
type TxnHeader struct {
	ClientID int64 // session id
	Cxid     int32
	Zxid     int64
	Time     int64 // leader wall clock, ms since the epoch
	Type     int32 // an Op* code
}

func (h *TxnHeader) Encode(w *Writer) {
	w.Long(h.ClientID)
	w.Int(h.Cxid)
	w.Long(h.Zxid)
	w.Long(h.Time)
	w.Int(h.Type)
}

func (h *TxnHeader) Decode(r *Reader) {
	h.ClientID = r.Long()
	h.Cxid = r.Int()
	h.Zxid = r.Long()
	h.Time = r.Long()
	h.Type = r.Int()
}

// TxnHeaderSize is the encoded size of a TxnHeader.
const TxnHeaderSize = 32

// DigestVersion is the only tree digest version ZooKeeper 3.8 writes.
const DigestVersion = 2

// TxnDigest is the tree digest after a txn, appended inside the log entry.
type TxnDigest struct {
	Version    int32
	TreeDigest int64
}

func (d *TxnDigest) Encode(w *Writer) { w.Int(d.Version); w.Long(d.TreeDigest) }
func (d *TxnDigest) Decode(r *Reader) { d.Version = r.Int(); d.TreeDigest = r.Long() }

// TxnDigestSize is the encoded size of a TxnDigest.
const TxnDigestSize = 12

// ID names an authenticated identity, such as world:anyone.
type ID struct {
	Scheme string
	ID     string
}

// ACL permission bits.
const (
	PermRead   int32 = 1
	PermWrite  int32 = 2
	PermCreate int32 = 4
	PermDelete int32 = 8
	PermAdmin  int32 = 16
	PermAll    int32 = 31
)

// ACL grants Perms to ID.
type ACL struct {
	Perms int32
	ID    ID
}

// OpenACL is world:anyone with every permission.
var OpenACL = []ACL{{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyone"}}}

// ReadACL is world:anyone READ, the ACL of /zookeeper/config.
var ReadACL = []ACL{{Perms: PermRead, ID: ID{Scheme: "world", ID: "anyone"}}}

func (a *ACL) Encode(w *Writer) { w.Int(a.Perms); w.String(a.ID.Scheme); w.String(a.ID.ID) }
func (a *ACL) Decode(r *Reader) { a.Perms = r.Int(); a.ID.Scheme = r.String(); a.ID.ID = r.String() }

// EncodeACLs writes a vector<ACL>; nil is written as a null vector.
func EncodeACLs(w *Writer, acls []ACL) {
	if acls == nil {
		w.Int(-1)
		return
	}
	w.Int(int32(len(acls)))
	for i := range acls {
		acls[i].Encode(w)
	}
}

// DecodeACLs reads a vector<ACL>; a null vector reads as nil, an empty one as
// a non-nil empty slice, so that re-encoding gives the same bytes.
func DecodeACLs(r *Reader) []ACL {
	n, null := r.Count()
	if null || r.Err() != nil {
		return nil
	}
	acls := make([]ACL, n)
	for i := range acls {
		acls[i].Decode(r)
	}
	return acls
}

// StatPersisted is a znode's metadata as stored in snapshots. It differs
// from the client-visible Stat: no dataLength/numChildren, pzxid last.
type StatPersisted struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	Pzxid          int64
}

// StatPersistedSize is the encoded size of a StatPersisted.
const StatPersistedSize = 60

func (s *StatPersisted) Encode(w *Writer) {
	w.Long(s.Czxid)
	w.Long(s.Mzxid)
	w.Long(s.Ctime)
	w.Long(s.Mtime)
	w.Int(s.Version)
	w.Int(s.Cversion)
	w.Int(s.Aversion)
	w.Long(s.EphemeralOwner)
	w.Long(s.Pzxid)
}

func (s *StatPersisted) Decode(r *Reader) {
	s.Czxid = r.Long()
	s.Mzxid = r.Long()
	s.Ctime = r.Long()
	s.Mtime = r.Long()
	s.Version = r.Int()
	s.Cversion = r.Int()
	s.Aversion = r.Int()
	s.EphemeralOwner = r.Long()
	s.Pzxid = r.Long()
}

// Stat is the client-visible znode metadata, as returned by getData,
// exists, setData and friends.
type Stat struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	DataLength     int32
	NumChildren    int32
	Pzxid          int64
}

func (s *Stat) Encode(w *Writer) {
	w.Long(s.Czxid)
	w.Long(s.Mzxid)
	w.Long(s.Ctime)
	w.Long(s.Mtime)
	w.Int(s.Version)
	w.Int(s.Cversion)
	w.Int(s.Aversion)
	w.Long(s.EphemeralOwner)
	w.Int(s.DataLength)
	w.Int(s.NumChildren)
	w.Long(s.Pzxid)
}

func (s *Stat) Decode(r *Reader) {
	s.Czxid = r.Long()
	s.Mzxid = r.Long()
	s.Ctime = r.Long()
	s.Mtime = r.Long()
	s.Version = r.Int()
	s.Cversion = r.Int()
	s.Aversion = r.Int()
	s.EphemeralOwner = r.Long()
	s.DataLength = r.Int()
	s.NumChildren = r.Int()
	s.Pzxid = r.Long()
}
