package server

import (
	"strings"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// The single ops of pRequest2Txn, each validating in ZooKeeper's order (the
// order decides which error a request that breaks several rules gets) and
// recording its change records and digest.

// parentOf is the parent path ZooKeeper derives with lastIndexOf('/'),
// rejecting paths without a slash or with a NUL.
func parentOf(path string) (string, bool) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 || strings.IndexByte(path, 0) >= 0 {
		return "", false
	}
	return path[:i], true
}

// parentForDelete is getParentPathAndValidate: the system nodes cannot be
// deleted.
func parentForDelete(path string) (string, error) {
	parent, ok := parentOf(path)
	if !ok {
		return "", datatree.BadArguments
	}
	switch path {
	case "/", datatree.ZookeeperPath, datatree.QuotaPath, datatree.ConfigPath:
		return "", datatree.BadArguments
	}
	return parent, nil
}

// ephemeralType is EphemeralType.get under the configured
// extendedTypesEnabled.
func (p *Preparer) ephemeralType(owner int64) datatree.EphemeralType {
	t := datatree.EphemeralTypeOf(owner)
	if t == datatree.EphemeralTTL && p.cfg.DisableExtendedTypes {
		return datatree.EphemeralNormal
	}
	return t
}

// checkAndIncVersion: -1 matches any version; the new version is the old
// one plus one (3.8.0 does not skip -1 on wrap-around, later releases do).
func checkAndIncVersion(current, expected int32) (int32, error) {
	if expected != -1 && expected != current {
		return 0, datatree.BadVersion
	}
	return current + 1, nil
}

// createMode is CreateMode.
type createMode int32

func (m createMode) ephemeral() bool {
	return m == createMode(jute.FlagEphemeral) || m == createMode(jute.FlagEphemeralSequential)
}

func (m createMode) sequential() bool {
	switch int32(m) {
	case jute.FlagPersistentSequential, jute.FlagEphemeralSequential, jute.FlagPersistentSequentialWithTTL:
		return true
	}
	return false
}

func (m createMode) container() bool { return m == createMode(jute.FlagContainer) }

func (m createMode) ttl() bool {
	return m == createMode(jute.FlagPersistentWithTTL) || m == createMode(jute.FlagPersistentSequentialWithTTL)
}

func validMode(flags int32) bool {
	return flags >= jute.FlagPersistent && flags <= jute.FlagPersistentSequentialWithTTL
}

// create is pRequest2TxnCreate, for all four create op codes. The txn type
// follows the op code, the new node's owner follows the flags, as in
// ZooKeeper (a client that sends createContainer without the container flag
// gets what ZooKeeper would give it).
func (o *prep) create(typ int32, rec jute.Record) error {
	var (
		path  string
		data  []byte
		acl   []jute.ACL
		flags int32
		ttl   int64 = -1
	)
	if typ == jute.OpCreateTTL {
		r, ok := rec.(*jute.CreateTTLRequest)
		if !ok {
			return errMarshal
		}
		path, data, acl, flags, ttl = r.Path, r.Data, r.ACL, r.Flags, r.TTL
	} else {
		r, ok := rec.(*jute.CreateRequest)
		if !ok {
			return errMarshal
		}
		path, data, acl, flags = r.Path, r.Data, r.ACL, r.Flags
	}
	p := o.p
	if !validMode(flags) {
		return datatree.BadArguments
	}
	mode := createMode(flags)
	// validateCreateRequest
	if mode.ttl() && p.cfg.DisableExtendedTypes {
		return datatree.Unimplemented
	}
	if mode.ttl() {
		if ttl <= 0 || ttl > datatree.MaxTTL {
			return datatree.BadArguments
		}
	} else if ttl >= 0 {
		return datatree.BadArguments
	}
	if err := o.checkSession(); err != nil {
		// An ephemeral needs a global session (checkGlobalSession), and a
		// session the tracker does not know counts as expired there.
		if err == datatree.UnknownSession && mode.ephemeral() {
			err = datatree.SessionExpired
		}
		return err
	}
	parentPath, ok := parentOf(path)
	if !ok {
		return datatree.BadArguments
	}
	listACL, code := fixupACL(acl, o.req.Auth)
	if code != datatree.Ok {
		return code
	}
	parent, ok := p.record(parentPath)
	if !ok {
		return datatree.NoNode
	}
	if !checkACL(parent.acl, jute.PermCreate, o.req.Auth) {
		return datatree.NoAuth
	}
	if mode.sequential() {
		path = datatree.SequentialName(path, parent.stat.Cversion)
	}
	if datatree.ValidatePath(path) != nil {
		return datatree.BadArguments
	}
	if _, exists := p.record(path); exists {
		return datatree.NodeExists
	}
	if p.ephemeralType(parent.stat.EphemeralOwner) == datatree.EphemeralNormal {
		return datatree.NoChildrenForEphemerals
	}
	newCversion := parent.stat.Cversion + 1
	switch typ {
	case jute.OpCreateContainer:
		o.txn.Body = &jute.CreateContainerTxn{Path: path, Data: data, ACL: listACL, ParentCVersion: newCversion}
	case jute.OpCreateTTL:
		o.txn.Body = &jute.CreateTTLTxn{Path: path, Data: data, ACL: listACL, ParentCVersion: newCversion, TTL: ttl}
	default:
		o.txn.Body = &jute.CreateTxn{Path: path, Data: data, ACL: listACL, Ephemeral: mode.ephemeral(), ParentCVersion: newCversion}
	}
	var owner int64
	switch {
	case mode.container():
		owner = datatree.ContainerOwner
	case mode.ttl():
		owner, _ = datatree.TTLOwner(ttl) // validated above
	case mode.ephemeral():
		owner = o.req.SessionID
	}
	zxid, now := o.zxid(), o.txn.Header.Time
	pc := parent.dup(zxid)
	pc.childCount++
	pc.stat.Cversion = newCversion
	pc.stat.Pzxid = zxid
	p.digestUpdate(pc)
	p.add(pc)
	nc := &change{
		zxid: zxid,
		path: path,
		stat: jute.StatPersisted{
			Czxid: zxid, Mzxid: zxid, Pzxid: zxid,
			Ctime: now, Mtime: now,
			EphemeralOwner: owner,
		},
		acl:  listACL,
		data: data,
	}
	p.digestAdd(nc)
	o.setDigest(nc.treeDigest)
	p.add(nc)
	return nil
}

// removeNode records the deletion of path under parent (delete,
// deleteContainer): the parent loses a child and moves its pzxid.
func (o *prep) removeNode(path string, node, parent *change) {
	p, zxid := o.p, o.zxid()
	o.txn.Body = &jute.DeleteTxn{Path: path}
	pc := parent.dup(zxid)
	pc.childCount--
	pc.stat.Pzxid = zxid
	p.digestUpdate(pc)
	p.add(pc)
	nc := &change{zxid: zxid, path: path, deleted: true, childCount: -1}
	p.digestRemove(nc, node)
	o.setDigest(nc.treeDigest)
	p.add(nc)
}

func (o *prep) delete(r *jute.DeleteRequest) error {
	p := o.p
	parentPath, err := parentForDelete(r.Path)
	if err != nil {
		return err
	}
	parent, ok := p.record(parentPath)
	if !ok {
		return datatree.NoNode
	}
	if !checkACL(parent.acl, jute.PermDelete, o.req.Auth) {
		return datatree.NoAuth
	}
	node, ok := p.record(r.Path)
	if !ok {
		return datatree.NoNode
	}
	if _, err := checkAndIncVersion(node.stat.Version, r.Version); err != nil {
		return err
	}
	if node.childCount > 0 {
		return datatree.NotEmpty
	}
	o.removeNode(r.Path, node, parent)
	return nil
}

// deleteContainer is the reaper's delete: no session, no ACL, and it
// refuses what became a plain ephemeral node (BadVersion, ZooKeeper's way of
// saying "not a container any more").
func (o *prep) deleteContainer(path string) error {
	p := o.p
	parentPath, err := parentForDelete(path)
	if err != nil {
		return err
	}
	node, ok := p.record(path)
	if !ok {
		return datatree.NoNode
	}
	if node.childCount > 0 {
		return datatree.NotEmpty
	}
	if p.ephemeralType(node.stat.EphemeralOwner) == datatree.EphemeralNormal {
		return datatree.BadVersion
	}
	parent, ok := p.record(parentPath)
	if !ok {
		return datatree.NoNode
	}
	o.removeNode(path, node, parent)
	return nil
}

func (o *prep) setData(r *jute.SetDataRequest) error {
	p := o.p
	if datatree.ValidatePath(r.Path) != nil {
		return datatree.BadArguments
	}
	node, ok := p.record(r.Path)
	if !ok {
		return datatree.NoNode
	}
	if !checkACL(node.acl, jute.PermWrite, o.req.Auth) {
		return datatree.NoAuth
	}
	version, err := checkAndIncVersion(node.stat.Version, r.Version)
	if err != nil {
		return err
	}
	o.txn.Body = &jute.SetDataTxn{Path: r.Path, Data: r.Data, Version: version}
	nc := node.dup(o.zxid())
	nc.stat.Version = version
	nc.stat.Mtime = o.txn.Header.Time
	nc.stat.Mzxid = o.zxid()
	nc.data = r.Data
	p.digestUpdate(nc)
	o.setDigest(nc.treeDigest)
	p.add(nc)
	return nil
}

// setACL keeps the node record's old ACL, as 3.8.0 does: writes pipelined
// behind a setACL are authorized against the ACL it replaces (later
// releases publish the new ACL on the record).
func (o *prep) setACL(r *jute.SetACLRequest) error {
	p := o.p
	if datatree.ValidatePath(r.Path) != nil {
		return datatree.BadArguments
	}
	listACL, code := fixupACL(r.ACL, o.req.Auth)
	if code != datatree.Ok {
		return code
	}
	node, ok := p.record(r.Path)
	if !ok {
		return datatree.NoNode
	}
	if !checkACL(node.acl, jute.PermAdmin, o.req.Auth) {
		return datatree.NoAuth
	}
	version, err := checkAndIncVersion(node.stat.Aversion, r.Version)
	if err != nil {
		return err
	}
	o.txn.Body = &jute.SetACLTxn{Path: r.Path, ACL: listACL, Version: version}
	nc := node.dup(o.zxid())
	nc.stat.Aversion = version
	p.digestUpdate(nc)
	o.setDigest(nc.treeDigest)
	p.add(nc)
	return nil
}

// check logs the version the node would have after a write (current + 1),
// exactly as checkAndIncVersion returns it; it changes nothing.
func (o *prep) check(r *jute.CheckVersionRequest) error {
	if datatree.ValidatePath(r.Path) != nil {
		return datatree.BadArguments
	}
	node, ok := o.p.record(r.Path)
	if !ok {
		return datatree.NoNode
	}
	if !checkACL(node.acl, jute.PermRead, o.req.Auth) {
		return datatree.NoAuth
	}
	version, err := checkAndIncVersion(node.stat.Version, r.Version)
	if err != nil {
		return err
	}
	o.txn.Body = &jute.CheckVersionTxn{Path: r.Path, Version: version}
	return nil
}

// closeSession lists the session's ephemerals — the tree's, adjusted by
// the outstanding changes — in the iteration order of ZooKeeper's cloned
// HashSet, and records their removal and their parents' new pzxid.
func (o *prep) closeSession() error {
	p, session, zxid := o.p, o.req.SessionID, o.zxid()
	es := p.ephemeralSet(session)
	for _, c := range p.changes {
		switch {
		case c.deleted:
			es.remove(c.path)
		case c.stat.EphemeralOwner == session:
			es.add(c.path)
		}
	}
	paths := es.list()
	for _, path := range paths {
		parentPath, err := parentForDelete(path)
		if err != nil {
			return err
		}
		parent, ok := p.record(parentPath)
		if !ok {
			return datatree.NoNode
		}
		pc := parent.dup(zxid)
		pc.stat.Pzxid = zxid
		p.digestUpdate(pc)
		p.add(pc)
		node, ok := p.record(path)
		if !ok {
			return datatree.NoNode
		}
		nc := &change{zxid: zxid, path: path, deleted: true}
		p.digestRemove(nc, node)
		p.add(nc)
	}
	o.txn.Body = &jute.CloseSessionTxn{Paths2Delete: paths}
	return nil
}

// ephemeralSet is DataTree.getEphemerals: a clone of the session's
// HashSet. The set is rebuilt the way the tree filled it, one add per
// ephemeral in creation (czxid) order; its capacity follows from the
// current count, so a session that once held more than 12 ephemerals at a
// time may list them in another order than ZooKeeper would.
func (p *Preparer) ephemeralSet(session int64) *javaSet { return ephemeralSet(p.tree, session) }

func ephemeralSet(t *datatree.Tree, session int64) *javaSet {
	paths := t.Ephemerals(session)
	czxid := make(map[string]int64, len(paths))
	for _, path := range paths {
		m, _ := t.Lookup(path)
		czxid[path] = m.Stat.Czxid
	}
	sortByCzxid(paths, czxid)
	orig := newJavaSet(0)
	for _, path := range paths {
		orig.add(path)
	}
	return orig.clone()
}
