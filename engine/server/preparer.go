package server

import (
	"errors"
	"sync"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// Request is a client request as the pipeline sees it once decoded: what
// ZooKeeper's Request object carries into PrepRequestProcessor and
// FinalRequestProcessor.
//
// Record is the decoded body, by Type:
//
//	create, create2, createContainer   *jute.CreateRequest
//	createTTL                          *jute.CreateTTLRequest
//	delete, deleteContainer            *jute.DeleteRequest (deleteContainer ignores Version)
//	setData                            *jute.SetDataRequest
//	setACL                             *jute.SetACLRequest
//	check                              *jute.CheckVersionRequest
//	multi, multiRead                   *jute.MultiRequest
//	createSession                      *jute.ConnectRequest (TimeOut is the requested timeout)
//	closeSession, ping                 nil
//	exists, getData, getChildren, ...  the matching *jute.…Request
//
// A write whose body could not be decoded is passed with a nil Record: it
// becomes an error txn with MarshallingError, as ZooKeeper logs it.
type Request struct {
	SessionID int64
	Cxid      int32
	Type      int32
	Record    jute.Record
	// Auth holds the session's authenticated ids (ServerCnxn.authInfo), e.g.
	// ip:127.0.0.1 and the DigestAuth of each "digest" AuthPacket, in the
	// order they were added.
	Auth []jute.ID
}

// Config holds the server settings the prepare stage depends on.
type Config struct {
	// TickTime is ZooKeeper's tickTime in ms; 0 means 3000.
	TickTime int32
	// MinSessionTimeout and MaxSessionTimeout bound the negotiated session
	// timeout (ms); 0 means 2 and 20 ticks, ZooKeeper's defaults.
	MinSessionTimeout int32
	MaxSessionTimeout int32
	// DisableExtendedTypes turns zookeeper.extendedTypesEnabled off: TTL
	// creates then fail with Unimplemented and a TTL-encoded ephemeralOwner
	// counts as a session id. ZooKeeper's own default is off; zkbench's is
	// on, the setting the 3.8.0 fixtures were made with.
	DisableExtendedTypes bool
	// CheckSession, when set, is asked where PrepRequestProcessor asks its
	// session tracker (before create, delete, setData, setACL and check): it
	// returns datatree.Ok, or the code the write fails with, as
	// SessionTrackerImpl.checkSession does: UnknownSession for a session it
	// does not track, SessionExpired for one whose closeSession has been
	// prepared, SessionMoved for one owned by another server. An ephemeral
	// create turns UnknownSession into SessionExpired (checkGlobalSession).
	// Nil accepts every session.
	CheckSession func(session int64) datatree.Code
	// Reconfig, when set, is reconfigEnabled on a leader: it returns the
	// ensemble a reconfig is checked against. Nil refuses every reconfig
	// with ReconfigDisabled (3.8's default).
	Reconfig func() Ensemble
}

func (c Config) tick() int32 {
	if c.TickTime > 0 {
		return c.TickTime
	}
	return 3000
}

// NegotiateTimeout clamps a client's requested session timeout (ms) into
// [MinSessionTimeout, MaxSessionTimeout], as ZooKeeperServer's
// processConnectRequest does before it submits createSession.
func (c Config) NegotiateTimeout(requested int32) int32 {
	lo, hi := c.MinSessionTimeout, c.MaxSessionTimeout
	if lo <= 0 {
		lo = 2 * c.tick()
	}
	if hi <= 0 {
		hi = 20 * c.tick()
	}
	return max(min(requested, hi), lo)
}

// change is ZooKeeper's ChangeRecord: the state of one node as the txns
// prepared so far leave it, before they are applied to the tree.
type change struct {
	zxid       int64 // -1 for a record read from the tree
	path       string
	deleted    bool // the node is gone (ChangeRecord.stat == null)
	stat       jute.StatPersisted
	childCount int32
	acl        []jute.ACL
	data       []byte
	nodeDigest int64 // NodeDigest of the node in this state
	treeDigest int64 // the tree digest once this change is applied
}

func (c *change) dup(zxid int64) *change {
	d := *c
	d.zxid = zxid
	return &d
}

// errMarshal aborts a request the way a non-KeeperException does in
// ZooKeeper (a body of the wrong type, a read op in a write multi): the
// whole request becomes an error txn with MarshallingError.
var errMarshal = errors.New("server: marshalling error")

// Preparer is the leader's PrepRequestProcessor: it turns a client write into
// the txn ZooKeeper 3.8 would log for it, validating against the tree plus
// the effect of every txn prepared but not yet applied (outstandingChanges),
// so that pipelined writes see each other, and precomputing the tree digest
// the txn carries.
//
// The tree must be the one the txns are applied to, and only ever ahead of
// the Preparer through txns it prepared. Prepare calls must come from one
// goroutine at a time (the pipeline's prepare stage); Apply and Applied may
// run on another. Preparer.Apply applies a txn and forgets its records
// atomically, as ZooKeeperServer.processTxn does under the outstandingChanges
// lock; a caller that applies through the tree itself must call Applied
// right after and must not let Prepare run while Tree.Apply does.
type Preparer struct {
	tree *datatree.Tree
	cfg  Config

	mu      sync.Mutex
	changes []*change          // outstandingChanges, oldest first
	byPath  map[string]*change // outstandingChangesForPath
}

// NewPreparer returns a Preparer for tree.
func NewPreparer(tree *datatree.Tree, cfg Config) *Preparer {
	return &Preparer{tree: tree, cfg: cfg, byPath: make(map[string]*change)}
}

// Apply applies txn (prepared by p, or by the leader of a new epoch before
// Reset) to the tree and drops the change records it made obsolete, in one
// step, and returns what the tree reports.
func (p *Preparer) Apply(txn *jute.Txn) datatree.Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.tree.Apply(txn)
	p.applied(txn.Header.Zxid)
	return r
}

// Applied drops the change records of every txn up to zxid, which the tree
// has now applied.
func (p *Preparer) Applied(zxid int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.applied(zxid)
}

func (p *Preparer) applied(zxid int64) {
	i := 0
	for ; i < len(p.changes) && p.changes[i].zxid <= zxid; i++ {
		c := p.changes[i]
		if p.byPath[c.path] == c {
			delete(p.byPath, c.path)
		}
		p.changes[i] = nil
	}
	p.changes = p.changes[i:]
}

// Reset forgets every outstanding change, as a new leader starts with none:
// txns prepared under the old leadership are either in the tree or gone.
func (p *Preparer) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.changes)
	p.changes = p.changes[:0]
	clear(p.byPath)
}

// Outstanding returns the number of change records of txns prepared but not
// yet applied (ZooKeeper's outstanding_changes_queued gauge).
func (p *Preparer) Outstanding() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.changes)
}

// IsWrite reports whether requests of type op go through Prepare and
// produce a txn.
func IsWrite(op int32) bool {
	switch op {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL,
		jute.OpDelete, jute.OpDeleteContainer, jute.OpSetData, jute.OpSetACL,
		jute.OpCheck, jute.OpMulti, jute.OpReconfig,
		jute.OpCreateSession, jute.OpCloseSession:
		return true
	}
	return false
}

// Prepare turns a write into the txn ZooKeeper 3.8 logs for it, at zxid and
// wall-clock time now (ms). A request that fails validation still becomes a
// txn and consumes the zxid: type error with ErrorTxn{code} and no digest
// (a multi that ZooKeeper cannot prepare at all is the exception: its
// MarshallingError keeps the digest of the ops before the one that broke
// it). Every other txn carries the digest of the tree as it will be after
// the txn; a failed multi the digest as it stands. Prepare returns nil for
// request types that produce no txn (reads, ping, sync, auth, setWatches);
// see IsWrite. The txn shares the request's data and ACL slices (and the
// tree will keep them once it applies the txn): do not modify them.
func (p *Preparer) Prepare(req Request, zxid, now int64) *jute.Txn {
	if !IsWrite(req.Type) {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	o := &prep{
		p:   p,
		req: req,
		txn: &jute.Txn{Header: jute.TxnHeader{
			ClientID: req.SessionID, Cxid: req.Cxid, Zxid: zxid, Time: now, Type: req.Type,
		}},
	}
	var err error
	if req.Type == jute.OpMulti {
		err = o.multi()
	} else {
		err = o.op(req.Type, req.Record)
	}
	if err != nil {
		code := datatree.MarshallingError
		var kc datatree.Code
		if errors.As(err, &kc) {
			code = kc
		}
		// The digest stays as it was: none for a request that failed
		// validation (ops set it last), but a multi aborted by a
		// MarshallingError keeps the one its earlier ops set, as in
		// ZooKeeper.
		o.txn.Header.Type = jute.OpError
		o.txn.Body = &jute.ErrorTxn{Err: int32(code)}
	}
	return o.txn
}

// prep is one request being prepared (ZooKeeper's Request while in
// pRequest2Txn): the txn built so far.
type prep struct {
	p   *Preparer
	req Request
	txn *jute.Txn
}

func (o *prep) zxid() int64 { return o.txn.Header.Zxid }

func (o *prep) setDigest(d int64) {
	o.txn.Digest = &jute.TxnDigest{Version: jute.DigestVersion, TreeDigest: d}
}

func (o *prep) checkSession() error {
	if f := o.p.cfg.CheckSession; f != nil {
		if c := f(o.req.SessionID); c != datatree.Ok {
			return c
		}
	}
	return nil
}

// op is pRequest2Txn for one op, top-level or inside a multi: it sets the
// txn body and digest, or fails with a datatree.Code or errMarshal.
func (o *prep) op(typ int32, rec jute.Record) error {
	if err := o.dispatch(typ, rec); err != nil {
		return err
	}
	// pRequest2Txn ends by giving a txn that changed no node (createSession,
	// check) the digest as it stands — even when it made no txn at all,
	// which is how a read op inside a multi fails: ZooKeeper then cannot
	// serialize the missing txn, and logs a MarshallingError that keeps
	// this digest.
	if o.txn.Digest == nil {
		o.setDigest(o.p.currentDigest())
	}
	if o.txn.Body == nil {
		return errMarshal
	}
	return nil
}

func (o *prep) dispatch(typ int32, rec jute.Record) error {
	switch typ {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
		return o.create(typ, rec)
	case jute.OpDeleteContainer:
		r, ok := rec.(*jute.DeleteRequest)
		if !ok {
			return errMarshal
		}
		return o.deleteContainer(r.Path)
	case jute.OpDelete:
		if err := o.checkSession(); err != nil {
			return err
		}
		r, ok := rec.(*jute.DeleteRequest)
		if !ok {
			return errMarshal
		}
		return o.delete(r)
	case jute.OpSetData:
		if err := o.checkSession(); err != nil {
			return err
		}
		r, ok := rec.(*jute.SetDataRequest)
		if !ok {
			return errMarshal
		}
		return o.setData(r)
	case jute.OpReconfig:
		r, ok := rec.(*jute.ReconfigRequest)
		if !ok {
			return errMarshal
		}
		return o.reconfig(r)
	case jute.OpSetACL:
		if err := o.checkSession(); err != nil {
			return err
		}
		r, ok := rec.(*jute.SetACLRequest)
		if !ok {
			return errMarshal
		}
		return o.setACL(r)
	case jute.OpCreateSession:
		r, ok := rec.(*jute.ConnectRequest)
		if !ok {
			return errMarshal
		}
		o.txn.Body = &jute.CreateSessionTxn{TimeOut: o.p.cfg.NegotiateTimeout(r.TimeOut)}
		return nil
	case jute.OpCloseSession:
		return o.closeSession()
	case jute.OpCheck:
		if err := o.checkSession(); err != nil {
			return err
		}
		r, ok := rec.(*jute.CheckVersionRequest)
		if !ok {
			return errMarshal
		}
		return o.check(r)
	}
	return nil // "unknown type": no txn
}

// record is getRecordForPath: the node as outstanding changes leave it, else
// as the tree has it; false when it does not exist.
//
// Records are keyed by the path exactly as the request names the node, as
// in ZooKeeper. The root has two names — "/" in a setData, setACL or check
// on it, "" as the parent of /x — so a txn on the root pipelined behind
// one that changed it under its other name reads the root from the tree,
// stale, and carries a digest the tree disagrees with once applied. That is
// what ZooKeeper 3.8 logs (its tree then reports a digest mismatch), and
// what we log too: the txn bodies are right either way, only the digest is
// affected, and only for that case.
func (p *Preparer) record(path string) (*change, bool) {
	if c, ok := p.byPath[path]; ok {
		return c, !c.deleted
	}
	m, ok := p.tree.Lookup(path)
	if !ok {
		return nil, false
	}
	return &change{
		zxid:       -1,
		path:       path,
		stat:       m.Stat,
		childCount: m.NumChildren,
		acl:        m.ACL,
		data:       m.Data,
		nodeDigest: m.Digest,
	}, true
}

func (p *Preparer) add(c *change) {
	p.changes = append(p.changes, c)
	p.byPath[c.path] = c
}

// currentDigest is getCurrentTreeDigest: the digest after the newest
// outstanding change, or the tree's when there is none.
func (p *Preparer) currentDigest() int64 {
	if n := len(p.changes); n > 0 {
		return p.changes[n-1].treeDigest
	}
	return p.tree.Digest()
}

// digestUpdate fills c's digests for a node that exists before and after
// (precalculateDigest UPDATE). c must be a dup of the node's current record,
// whose node digest is the one the change replaces; call it before adding c.
func (p *Preparer) digestUpdate(c *change) {
	prev := c.nodeDigest
	c.nodeDigest = datatree.NodeDigest(c.path, c.data, &c.stat)
	c.treeDigest = p.currentDigest() - prev + c.nodeDigest
}

// digestAdd fills c's digests for a new node (ADD).
func (p *Preparer) digestAdd(c *change) {
	c.nodeDigest = datatree.NodeDigest(c.path, c.data, &c.stat)
	c.treeDigest = p.currentDigest() + c.nodeDigest
}

// digestRemove fills c's digests for the removal of the node whose current
// record is old (REMOVE).
func (p *Preparer) digestRemove(c, old *change) {
	c.nodeDigest = 0
	c.treeDigest = p.currentDigest() - old.nodeDigest
}
