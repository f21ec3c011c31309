package datatree

import (
	"slices"
	"strings"

	"zkbench/engine/jute"
)

// Result is the outcome of applying one txn (ZooKeeper's ProcessTxnResult).
type Result struct {
	// Type is the op code applied. Inside a failed multi every sub-op that
	// was not already an error is reported as jute.OpError.
	Type int32
	Zxid int64
	// Err is Ok, the code of an error txn, or the code the tree met while
	// applying (NodeExists, NoNode, ...). Applying never fails: when
	// replaying over a fuzzy snapshot ZooKeeper expects exactly these codes
	// and ignores them. For a multi it is the first non-Ok sub-result.
	Err Code
	// Path is the node the txn acted on (the final name for sequential
	// creates); empty for session txns, errors and multi.
	Path string
	// Stat is the node's client-visible Stat after the change, for the
	// create flavours, setData, reconfig and setACL when Err is Ok.
	Stat jute.Stat
	// Data is the configuration a reconfig wrote (the data of its
	// SetDataTxn), which ZooKeeper returns to the client.
	Data []byte
	// Multi holds the per-op results of a multi, in order.
	Multi []Result
	// DigestMismatch reports that the tree digest after this txn differs
	// from the digest the txn carries (or, at the first txn past a loaded
	// fuzzy snapshot's digest zxid, from the snapshot's digest). ZooKeeper
	// logs this and counts it; it does not stop.
	DigestMismatch bool
}

// Apply applies one logged txn exactly as ZooKeeper 3.8's
// DataTree.processTxn (plus the session-table bookkeeping its restore path
// and server do), then records the tree digest for the txn's zxid and
// compares it with the txn's TxnDigest.
//
// Apply keeps the txn body's byte slices and ACL lists: callers must not
// modify them afterwards. Apply must not be called concurrently with itself
// or with a Loader building this tree.
func (t *Tree) Apply(txn *jute.Txn) Result {
	h := &txn.Header
	r := t.process(h, h.Type, txn.Body)
	// Only after the whole txn (all of a multi) is applied does the zxid
	// move, so a snapshot named after it never misses part of a multi.
	if h.Zxid > t.lastZxid.Load() {
		t.lastZxid.Store(h.Zxid)
	}
	r.DigestMismatch = t.checkDigests(h.Zxid, txn.Digest)
	return r
}

// as asserts a txn body's type; a mismatch is a MarshallingError.
func as[T jute.Record](body jute.Record, r *Result) (T, bool) {
	b, ok := body.(T)
	if !ok {
		r.Err = MarshallingError
	}
	return b, ok
}

func (t *Tree) process(h *jute.TxnHeader, typ int32, body jute.Record) Result {
	r := Result{Type: typ, Zxid: h.Zxid}
	switch typ {
	case jute.OpCreate, jute.OpCreate2:
		b, ok := as[*jute.CreateTxn](body, &r)
		if !ok {
			break
		}
		r.Path = b.Path
		owner := int64(0)
		if b.Ephemeral {
			owner = h.ClientID
		}
		r.Err, r.Stat = t.create(b.Path, b.Data, b.ACL, owner, b.ParentCVersion, h)
		// A create replayed over a fuzzy snapshot can meet its node
		// already there, re-created by another session after the parent
		// was serialized; the parent still needs the txn's cversion and
		// pzxid. ZooKeeper does this for opcode create only.
		if typ == jute.OpCreate && r.Err == NodeExists {
			if parent, ok := split(b.Path); ok && !t.setCversionPzxid(parent, b.ParentCVersion, h.Zxid) {
				r.Err = NoNode
			}
		}
	case jute.OpCreateContainer:
		b, ok := as[*jute.CreateContainerTxn](body, &r)
		if !ok {
			break
		}
		r.Path = b.Path
		r.Err, r.Stat = t.create(b.Path, b.Data, b.ACL, ContainerOwner, b.ParentCVersion, h)
	case jute.OpCreateTTL:
		b, ok := as[*jute.CreateTTLTxn](body, &r)
		if !ok {
			break
		}
		r.Path = b.Path
		owner, err := TTLOwner(b.TTL)
		if err != nil {
			r.Err = BadArguments
			break
		}
		r.Err, r.Stat = t.create(b.Path, b.Data, b.ACL, owner, b.ParentCVersion, h)
	case jute.OpDelete, jute.OpDeleteContainer:
		b, ok := as[*jute.DeleteTxn](body, &r)
		if !ok {
			break
		}
		r.Path = b.Path
		r.Err = t.delete(b.Path, h.Zxid)
	case jute.OpSetData, jute.OpReconfig:
		b, ok := as[*jute.SetDataTxn](body, &r)
		if !ok {
			break
		}
		r.Path = b.Path
		r.Err, r.Stat = t.setData(b.Path, b.Data, b.Version, h)
		if h.Type == jute.OpReconfig {
			r.Data = b.Data
		}
	case jute.OpSetACL:
		b, ok := as[*jute.SetACLTxn](body, &r)
		if !ok {
			break
		}
		r.Path = b.Path
		r.Err, r.Stat = t.setACL(b.Path, b.ACL, b.Version)
	case jute.OpCreateSession:
		b, ok := as[*jute.CreateSessionTxn](body, &r)
		if !ok {
			break
		}
		t.meta.Lock()
		t.sessions[h.ClientID] = b.TimeOut
		t.meta.Unlock()
	case jute.OpCloseSession:
		// A body-less close (old logs) deletes what the index holds.
		var paths []string
		if b, ok := body.(*jute.CloseSessionTxn); ok {
			paths = b.Paths2Delete
		}
		t.killSession(h.ClientID, h.Zxid, paths)
	case jute.OpError:
		if b, ok := as[*jute.ErrorTxn](body, &r); ok {
			r.Err = Code(b.Err)
		}
	case jute.OpCheck:
		if b, ok := as[*jute.CheckVersionTxn](body, &r); ok {
			r.Path = b.Path
		}
	case jute.OpMulti:
		if b, ok := as[*jute.MultiTxn](body, &r); ok {
			r.Err, r.Multi = t.multi(h, b)
		}
	}
	return r
}

// multi applies the sub-ops in order. When any sub-op is an error the
// leader rejected the multi: every other sub-op is turned into an error
// (Ok before the first failure, RuntimeInconsistency after it) so nothing
// changes. Otherwise each sub-op is applied even if an earlier one met an
// error, as ZooKeeper does when replaying.
func (t *Tree) multi(h *jute.TxnHeader, m *jute.MultiTxn) (Code, []Result) {
	failed := m.Failed()
	postFailed := false
	err := Ok
	results := make([]Result, 0, len(m.Ops))
	for _, op := range m.Ops {
		typ, rec := op.Type, op.Record
		switch typ {
		case jute.OpCreate, jute.OpCreateTTL, jute.OpCreateContainer,
			jute.OpDelete, jute.OpDeleteContainer, jute.OpSetData, jute.OpCheck:
		case jute.OpError:
			postFailed = true
		default:
			// ZooKeeper throws "Invalid type of op", which ends the multi
			// with the sub-ops before this one applied.
			return err, results
		}
		if failed && typ != jute.OpError {
			ec := Ok
			if postFailed {
				ec = RuntimeInconsistency
			}
			typ, rec = jute.OpError, &jute.ErrorTxn{Err: int32(ec)}
		}
		sub := t.process(h, typ, rec)
		results = append(results, sub)
		if sub.Err != Ok && err == Ok {
			err = sub.Err
		}
	}
	return err, results
}

// rehash recomputes a node's digest after a change and moves the tree
// digest by the difference (NodeHashMap preChange/postChange). The caller
// holds the node's shard lock.
func (t *Tree) rehash(key string, n *node) {
	d := t.dig.sum(key, n.bytes(), n)
	t.digest.Add(int64(d) - int64(n.digest))
	n.digest = d
}

// create is DataTree.createNode.
func (t *Tree) create(path string, data []byte, acl []jute.ACL, owner int64, parentCVersion int32, h *jute.TxnHeader) (Code, jute.Stat) {
	parentKey, ok := split(path)
	if !ok || path == "/" {
		return BadArguments, jute.Stat{}
	}
	parentKey = canon(parentKey)
	ps := t.shardOf(parentKey)
	ps.mu.Lock()
	parent := ps.nodes[parentKey]
	if parent == nil {
		ps.mu.Unlock()
		return NoNode, jute.Stat{}
	}
	// The ACL is counted before the existence check, as in ZooKeeper, so a
	// create tolerated during replay leaves one extra use behind; the purge
	// after the next snapshot load cleans it up.
	ref := t.acls.convert(acl)
	if _, dup := parent.children[path]; dup {
		ps.mu.Unlock()
		return NodeExists, jute.Stat{}
	}
	if parentCVersion == -1 {
		parentCVersion = parent.cversion + 1
	}
	// Replaying a create over a fuzzy snapshot must not move the parent
	// back: cversion and pzxid only go forward.
	if parentCVersion > parent.cversion {
		parent.cversion = parentCVersion
		parent.pzxid = h.Zxid
		t.rehash(parentKey, parent)
	}
	if parent.children == nil {
		parent.children = make(map[string]struct{})
	}
	parent.children[path] = struct{}{}
	ps.mu.Unlock()

	n := &node{
		acl:   ref,
		czxid: h.Zxid, mzxid: h.Zxid, pzxid: h.Zxid,
		ctime: h.Time, mtime: h.Time,
		owner: owner,
	}
	n.setData(data)
	st := n.clientStat()
	t.insert(path, n)
	t.index(path, owner)
	t.dataWatches.Trigger(path, EventNodeCreated, h.Zxid, nil)
	t.childWatches.Trigger(watchPath(parentKey), EventNodeChildrenChanged, h.Zxid, nil)
	return Ok, st
}

// delete is DataTree.deleteNode. The parent's pzxid moves forward even when
// the child is already gone (deleted again while replaying over a fuzzy
// snapshot); its cversion is not touched.
func (t *Tree) delete(path string, zxid int64) Code {
	parentKey, ok := split(path)
	if !ok || canon(path) == "" {
		return BadArguments
	}
	parentKey = canon(parentKey)
	ps := t.shardOf(parentKey)
	ps.mu.Lock()
	parent := ps.nodes[parentKey]
	if parent == nil {
		ps.mu.Unlock()
		return NoNode
	}
	delete(parent.children, path)
	if len(parent.children) == 0 {
		parent.children = nil
	}
	if zxid > parent.pzxid {
		parent.pzxid = zxid
		t.rehash(parentKey, parent)
	}
	ps.mu.Unlock()

	s := t.shardOf(path)
	s.mu.Lock()
	n := s.nodes[path]
	if n == nil {
		s.mu.Unlock()
		return NoNode
	}
	delete(s.nodes, path)
	s.mu.Unlock()
	t.nodeCount.Add(-1)
	t.digest.Add(-int64(n.digest))
	t.dataSize.Add(-(javaLen(path) + n.size()))
	t.acls.release(n.acl)
	t.unindex(path, n.owner)

	processed := t.dataWatches.Trigger(path, EventNodeDeleted, zxid, nil)
	t.childWatches.Trigger(path, EventNodeDeleted, zxid, processed)
	t.childWatches.Trigger(watchPath(parentKey), EventNodeChildrenChanged, zxid, nil)
	return Ok
}

func (t *Tree) setData(path string, data []byte, version int32, h *jute.TxnHeader) (Code, jute.Stat) {
	key := canon(path)
	s := t.shardOf(key)
	s.mu.Lock()
	n := s.nodes[key]
	if n == nil {
		s.mu.Unlock()
		return NoNode, jute.Stat{}
	}
	old := n.size()
	n.setData(data)
	n.mtime = h.Time
	n.mzxid = h.Zxid
	n.version = version
	t.rehash(key, n)
	st := n.clientStat()
	s.mu.Unlock()
	t.dataSize.Add(int64(len(data)) - old)
	t.dataWatches.Trigger(watchPath(key), EventNodeDataChanged, h.Zxid, nil)
	return Ok, st
}

// setACL releases the old reference before converting the new list, as
// ZooKeeper does: re-setting the only user's list gets it a new reference.
func (t *Tree) setACL(path string, acl []jute.ACL, version int32) (Code, jute.Stat) {
	key := canon(path)
	s := t.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[key]
	if n == nil {
		return NoNode, jute.Stat{}
	}
	t.acls.release(n.acl)
	n.aversion = version
	n.acl = t.acls.convert(acl)
	t.rehash(key, n)
	return Ok, n.clientStat()
}

// setCversionPzxid moves a node's cversion (and pzxid with it) forward; it
// reports false when the node does not exist.
func (t *Tree) setCversionPzxid(path string, cversion int32, zxid int64) bool {
	key := canon(strings.TrimSuffix(path, "/"))
	s := t.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[key]
	if n == nil {
		return false
	}
	if cversion == -1 {
		cversion = n.cversion + 1
	}
	if cversion > n.cversion {
		n.cversion = cversion
		n.pzxid = zxid
		t.rehash(key, n)
	}
	return true
}

// killSession removes a closed session and its ephemerals: first the paths
// the txn lists, then whatever else the tree's own index holds for the
// session (ZooKeeper warns about those). Missing nodes are ignored.
func (t *Tree) killSession(session, zxid int64, txnPaths []string) {
	t.meta.Lock()
	local := t.ephemerals[session]
	delete(t.ephemerals, session)
	delete(t.sessions, session)
	t.meta.Unlock()
	for _, p := range txnPaths {
		t.delete(p, zxid)
		delete(local, p)
	}
	rest := keys(local)
	slices.Sort(rest)
	for _, p := range rest {
		t.delete(p, zxid)
	}
}

// index records a new node in the ephemeral, container or TTL set its owner
// puts it in.
func (t *Tree) index(path string, owner int64) {
	typ := EphemeralTypeOf(owner)
	if typ == EphemeralVoid {
		return
	}
	t.meta.Lock()
	switch typ {
	case EphemeralContainer:
		t.containers[path] = struct{}{}
	case EphemeralTTL:
		t.ttls[path] = struct{}{}
	case EphemeralNormal:
		set := t.ephemerals[owner]
		if set == nil {
			set = make(map[string]struct{})
			t.ephemerals[owner] = set
		}
		set[path] = struct{}{}
	}
	t.meta.Unlock()
}

func (t *Tree) unindex(path string, owner int64) {
	typ := EphemeralTypeOf(owner)
	if typ == EphemeralVoid {
		return
	}
	t.meta.Lock()
	switch typ {
	case EphemeralContainer:
		delete(t.containers, path)
	case EphemeralTTL:
		delete(t.ttls, path)
	case EphemeralNormal:
		if set := t.ephemerals[owner]; set != nil {
			delete(set, path)
			if len(set) == 0 {
				delete(t.ephemerals, owner)
			}
		}
	}
	t.meta.Unlock()
}
