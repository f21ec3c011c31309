package datatree

import (
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"zkbench/engine/jute"
)

// shardCount spreads the node map over independently locked shards so that
// reads from many goroutines do not all hit one RWMutex's reader counter.
const shardCount = 64

type shard struct {
	mu    sync.RWMutex
	nodes map[string]*node
	_     [32]byte // pad to a cache line: the mutexes are hot
}

// Tree is ZooKeeper's DataTree: the znodes, the ACL cache, the sessions and
// their ephemerals, container and TTL sets, the tree digest and the watches.
//
// Concurrency: Apply (and the loader) must be called from one goroutine at a
// time. Everything else may be called from any goroutine, concurrently with
// Apply: each node is read and written under the lock of its shard, so a
// reader sees every node either before or after a change, never torn, but
// may see a txn that touches several nodes half applied — as ZooKeeper's
// readers and fuzzy snapshots may.
type Tree struct {
	seed   maphash.Seed
	shards [shardCount]shard

	nodeCount atomic.Int64
	dataSize  atomic.Int64
	digest    atomic.Int64 // wrapping sum of node digests
	lastZxid  atomic.Int64

	acls *aclCache

	meta       sync.Mutex
	sessions   map[int64]int32               // session id -> timeout (ms)
	ephemerals map[int64]map[string]struct{} // session id -> its ephemeral paths
	containers map[string]struct{}
	ttls       map[string]struct{}

	// dmu guards the digest history; fuzzy and dig belong to Apply.
	dmu        sync.Mutex
	lastDigest ZxidDigest
	digestLog  []ZxidDigest
	fuzzy      *ZxidDigest
	mismatches atomic.Int64
	dig        digester

	dataWatches  WatchManager
	childWatches WatchManager
}

// Paths of the system nodes every tree has.
const (
	ZookeeperPath = "/zookeeper"
	QuotaPath     = "/zookeeper/quota"
	ConfigPath    = "/zookeeper/config"
)

func newEmpty() *Tree {
	t := &Tree{
		seed:       maphash.MakeSeed(),
		acls:       newACLCache(),
		sessions:   make(map[int64]int32),
		ephemerals: make(map[int64]map[string]struct{}),
		containers: make(map[string]struct{}),
		ttls:       make(map[string]struct{}),
	}
	for i := range t.shards {
		t.shards[i].nodes = make(map[string]*node)
	}
	return t
}

// New returns the tree a fresh server starts with: the root, /zookeeper,
// /zookeeper/quota and /zookeeper/config, all with zero stats and empty
// data; the config node is world:anyone READ (ACL ref 1) with aversion -1,
// as DataTree's constructor leaves it after its setACL(..., -1).
func New() *Tree {
	t := newEmpty()
	for _, p := range []string{"", ZookeeperPath, QuotaPath, ConfigPath} {
		n := &node{acl: OpenACLRef}
		n.setData([]byte{})
		if p == ConfigPath {
			n.acl = t.acls.convert(slices.Clone(jute.ReadACL))
			n.aversion = -1
		}
		if parent, ok := split(p); ok {
			t.addChildLocked(parent, p)
		}
		t.insert(p, n)
	}
	// The root alias "/" is one more entry in ZooKeeper's map.
	t.dataSize.Add(1)
	return t
}

func (t *Tree) shardOf(key string) *shard {
	return &t.shards[maphash.String(t.seed, key)&(shardCount-1)]
}

// node returns the node at key without locking; for construction only.
func (t *Tree) node(key string) *node { return t.shardOf(key).nodes[key] }

// addChildLocked links a child into its parent during construction and load,
// when nothing runs concurrently.
func (t *Tree) addChildLocked(parentKey, child string) bool {
	p := t.node(parentKey)
	if p == nil {
		return false
	}
	p.addChild(child)
	return true
}

// addChild links child's path into n's children and says whether it
// was new there.
func (n *node) addChild(child string) bool {
	if n.children == nil {
		n.children = make(map[string]struct{})
	}
	had := len(n.children)
	n.children[child] = struct{}{}
	return len(n.children) > had
}

// insert puts n at key (replacing an older node there, whose digest is
// subtracted, as NodeHashMapImpl.put does) and accounts for it.
func (t *Tree) insert(key string, n *node) {
	n.digest = t.dig.sum(key, n.bytes(), n)
	s := t.shardOf(key)
	s.mu.Lock()
	old := s.nodes[key]
	s.nodes[key] = n
	s.mu.Unlock()
	delta := int64(n.digest)
	size := javaLen(key) + n.size()
	if old != nil {
		delta -= int64(old.digest)
		size -= javaLen(key) + old.size()
	} else {
		t.nodeCount.Add(1)
	}
	t.digest.Add(delta)
	t.dataSize.Add(size)
}

// insertNew is insert for a key known to be absent: one map operation
// instead of two.
func (t *Tree) insertNew(key string, n *node) {
	n.digest = t.dig.sum(key, n.bytes(), n)
	s := t.shardOf(key)
	s.mu.Lock()
	s.nodes[key] = n
	s.mu.Unlock()
	t.nodeCount.Add(1)
	t.digest.Add(int64(n.digest))
	t.dataSize.Add(javaLen(key) + n.size())
}

// NodeCount returns the number of znodes. ZooKeeper's getNodeCount (and the
// "count=" of SnapshotFormatter) is one more: its map also holds the root
// under the alias "/".
func (t *Tree) NodeCount() int { return int(t.nodeCount.Load()) }

// ApproximateDataSize is ZooKeeper's approximate data size: the sum over the
// node map (root alias included) of path length in UTF-16 units plus data
// length.
func (t *Tree) ApproximateDataSize() int64 { return t.dataSize.Load() }

// LastProcessedZxid is the highest zxid Apply has processed (or the
// snapshot's zxid after a load); a snapshot is named after it.
func (t *Tree) LastProcessedZxid() int64 { return t.lastZxid.Load() }

// SetLastProcessedZxid overrides it, as a new leader does when it starts an
// epoch.
func (t *Tree) SetLastProcessedZxid(zxid int64) { t.lastZxid.Store(zxid) }

// GetData returns a node's data and Stat, and leaves a data watch for w when
// w is not nil. The data slice is shared: do not modify it. A missing node
// is NoNode.
func (t *Tree) GetData(path string, w Watcher) ([]byte, jute.Stat, error) {
	key := canon(path)
	s := t.shardOf(key)
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := s.nodes[key]
	if n == nil {
		return nil, jute.Stat{}, NoNode
	}
	if w != nil {
		t.dataWatches.Add(watchPath(key), w)
	}
	return n.bytes(), n.clientStat(), nil
}

// Exists returns a node's Stat, or NoNode. A watcher is registered either
// way: on a missing node it fires on NodeCreated.
func (t *Tree) Exists(path string, w Watcher) (jute.Stat, error) {
	key := canon(path)
	s := t.shardOf(key)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if w != nil {
		t.dataWatches.Add(watchPath(key), w)
	}
	n := s.nodes[key]
	if n == nil {
		return jute.Stat{}, NoNode
	}
	return n.clientStat(), nil
}

// GetChildren returns the names (last path component) of a node's children
// and its Stat, and leaves a child watch for w when w is not nil. The order
// is unspecified, as ZooKeeper's (hash-set order) is; sort if you need one.
func (t *Tree) GetChildren(path string, w Watcher) ([]string, jute.Stat, error) {
	key := canon(path)
	s := t.shardOf(key)
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := s.nodes[key]
	if n == nil {
		return nil, jute.Stat{}, NoNode
	}
	names := make([]string, 0, len(n.children))
	for c := range n.children {
		names = append(names, childName(c))
	}
	if w != nil {
		t.childWatches.Add(watchPath(key), w)
	}
	return names, n.clientStat(), nil
}

// ErrUnknownACL means a node refers to an ACL the cache does not hold, which
// only a damaged snapshot produces (ZooKeeper throws "Failed to fetch acls").
var ErrUnknownACL = errors.New("datatree: ACL reference not in the cache")

// GetACL returns a node's ACL list (shared: do not modify) and Stat.
func (t *Tree) GetACL(path string) ([]jute.ACL, jute.Stat, error) {
	m, ok := t.Lookup(path)
	if !ok {
		return nil, jute.Stat{}, NoNode
	}
	if m.ACL == nil {
		return nil, jute.Stat{}, fmt.Errorf("%w: ref %d of %s", ErrUnknownACL, m.ACLRef, path)
	}
	return m.ACL, m.ClientStat(), nil
}

// NodeMeta is what the request pipeline's prepare step reads about a node
// (ZooKeeper's ChangeRecord): persisted stat, child count, ACL, data and the
// node's cached digest. Sequential names come from Stat.Cversion
// (SequentialName); ephemeral checks from Stat.EphemeralOwner
// (EphemeralTypeOf).
type NodeMeta struct {
	Stat        jute.StatPersisted
	NumChildren int32
	ACLRef      int64
	ACL         []jute.ACL // shared, do not modify; nil if ACLRef is unknown
	Data        []byte     // shared, do not modify
	Digest      int64      // NodeDigest of the node as it is
}

// ClientStat is the Stat a client would see for this node.
func (m *NodeMeta) ClientStat() jute.Stat {
	var n node
	n.setPersisted(&m.Stat)
	n.setData(m.Data)
	st := n.clientStat() // without children: fix the two derived fields
	st.Cversion = m.Stat.Cversion*2 - m.NumChildren
	st.NumChildren = m.NumChildren
	return st
}

// Lookup returns a node's metadata; ok is false when it does not exist.
func (t *Tree) Lookup(path string) (m NodeMeta, ok bool) {
	key := canon(path)
	s := t.shardOf(key)
	s.mu.RLock()
	n := s.nodes[key]
	if n == nil {
		s.mu.RUnlock()
		return NodeMeta{}, false
	}
	m = NodeMeta{
		Stat:        n.persisted(),
		NumChildren: int32(len(n.children)),
		ACLRef:      n.acl,
		Data:        n.bytes(),
		Digest:      int64(n.digest),
	}
	s.mu.RUnlock()
	m.ACL, _ = t.acls.get(m.ACLRef)
	return m, true
}

// ACL resolves an ACL reference (OpenACLRef included); the slice is shared.
func (t *Tree) ACL(ref int64) ([]jute.ACL, bool) { return t.acls.get(ref) }

// ACLs returns the ACL cache as a snapshot stores it, sorted by reference.
// A snapshot writer takes it before Walk, in file order, as ZooKeeper does.
func (t *Tree) ACLs() []ACLEntry { return t.acls.entries() }

// ACLRefCount returns how many nodes use an ACL reference (0 if unknown).
func (t *Tree) ACLRefCount(ref int64) int64 { return t.acls.refCount(ref) }

// Session is one entry of the session table.
type Session struct {
	ID      int64
	Timeout int32 // ms
}

// Sessions returns the session table, sorted by id: what a snapshot stores.
func (t *Tree) Sessions() []Session {
	t.meta.Lock()
	out := make([]Session, 0, len(t.sessions))
	for id, to := range t.sessions {
		out = append(out, Session{ID: id, Timeout: to})
	}
	t.meta.Unlock()
	slices.SortFunc(out, func(a, b Session) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// SessionTimeout returns a session's timeout and whether it is in the table.
func (t *Tree) SessionTimeout(id int64) (int32, bool) {
	t.meta.Lock()
	defer t.meta.Unlock()
	to, ok := t.sessions[id]
	return to, ok
}

// Ephemerals returns the paths of the ephemeral nodes a session owns, sorted.
func (t *Tree) Ephemerals(session int64) []string {
	t.meta.Lock()
	out := keys(t.ephemerals[session])
	t.meta.Unlock()
	slices.Sort(out)
	return out
}

// EphemeralCount returns the number of ephemeral nodes of all sessions.
func (t *Tree) EphemeralCount() int {
	t.meta.Lock()
	defer t.meta.Unlock()
	n := 0
	for _, set := range t.ephemerals {
		n += len(set)
	}
	return n
}

// Containers returns the paths of all container nodes, sorted.
func (t *Tree) Containers() []string { return t.sortedMeta(t.containers) }

// TTLNodes returns the paths of all TTL nodes, sorted.
func (t *Tree) TTLNodes() []string { return t.sortedMeta(t.ttls) }

// sortedMeta copies one of the path sets guarded by t.meta, sorted.
func (t *Tree) sortedMeta(set map[string]struct{}) []string {
	t.meta.Lock()
	out := keys(set)
	t.meta.Unlock()
	slices.Sort(out)
	return out
}

func keys(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	return out
}

// ReapCandidates lists what the container/TTL reaper (ContainerManager)
// would delete at wall-clock time now (ms): containers that have had
// children (cversion > 0) and have none left, then TTL nodes without
// children whose mtime is more than their TTL ago. Each group is sorted.
// The reaper submits a deleteContainer request for each; the prepare step
// re-checks, so a stale candidate is harmless.
func (t *Tree) ReapCandidates(now int64) []string {
	var out []string
	for _, p := range t.Containers() {
		if m, ok := t.Lookup(p); ok && m.Stat.Cversion > 0 && m.NumChildren == 0 {
			out = append(out, p)
		}
	}
	for _, p := range t.TTLNodes() {
		m, ok := t.Lookup(p)
		if !ok || m.NumChildren != 0 {
			continue
		}
		if ttl := TTLOf(m.Stat.EphemeralOwner); ttl != 0 && now-m.Stat.Mtime > ttl {
			out = append(out, p)
		}
	}
	return out
}

// RemoveWatcher drops every watch of w (its connection closed).
func (t *Tree) RemoveWatcher(w Watcher) {
	t.dataWatches.RemoveWatcher(w)
	t.childWatches.RemoveWatcher(w)
}

// RemoveWatch drops w's watch of the given kind on path, whatever its
// mode (DataTree.removeWatch for removeWatches); it reports whether there
// was one.
func (t *Tree) RemoveWatch(path string, kind WatchKind, w Watcher) bool {
	removed := false
	if kind == WatchChildren || kind == WatchAny {
		removed = t.childWatches.Remove(path, w)
	}
	if kind == WatchData || kind == WatchAny {
		removed = t.dataWatches.Remove(path, w) || removed
	}
	return removed
}

// CheckWatch is DataTree.containsWatcher for checkWatches, which in
// ZooKeeper 3.8 reports whether any connection holds a watch of the kind
// on path (WatchManager.Watched).
func (t *Tree) CheckWatch(path string, kind WatchKind) bool {
	switch kind {
	case WatchChildren:
		return t.childWatches.Watched(path)
	case WatchData:
		return t.dataWatches.Watched(path)
	}
	return t.childWatches.Watched(path) || t.dataWatches.Watched(path)
}

// AddWatch registers a persistent watch of w on path, recursive or not
// (addWatch). ZooKeeper neither checks that path exists nor its ACL: the
// watch waits for the node as an exists watch does.
func (t *Tree) AddWatch(path string, w Watcher, recursive bool) {
	mode := WatchPersistent
	if recursive {
		mode = WatchPersistentRecursive
	}
	t.dataWatches.AddMode(path, w, mode)
	t.childWatches.AddMode(path, w, mode)
}

// SetConfig is ZKDatabase.initConfigInZKDatabase: /zookeeper/config gets
// data as a setData of the member's own would give it, mzxid the
// configuration's version, version -1 and mtime now (ms). It is not a
// txn: each server sets it from its own configuration, and it is outside
// the digest. Call it where Apply is called.
func (t *Tree) SetConfig(data []byte, version, now int64) {
	t.setData(ConfigPath, data, -1, &jute.TxnHeader{Zxid: version, Time: now})
}

// AllChildrenNumber is DataTree.getAllChildrenNumber: the number of nodes
// below path at any depth; below the root, every node but the root.
func (t *Tree) AllChildrenNumber(path string) int {
	if path == "/" {
		return t.NodeCount() - 1
	}
	prefix, n := path+"/", 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		for key := range s.nodes {
			if strings.HasPrefix(key, prefix) {
				n++
			}
		}
		s.mu.RUnlock()
	}
	return n
}

// WatchCount returns the number of data plus child watch registrations.
func (t *Tree) WatchCount() int { return t.dataWatches.Count() + t.childWatches.Count() }

// SetWatches re-registers a reconnecting client's watches
// (DataTree.setWatches): a standard watch whose condition already changed
// since relativeZxid fires at once instead of being registered;
// persistent and persistent recursive watches (setWatches2) are
// registered again as they are, with nothing fired for what they missed.
func (t *Tree) SetWatches(relativeZxid int64, data, exist, child, persistent, recursive []string, w Watcher) {
	fire := func(typ EventType, path string) {
		w.Process(WatchedEvent{Type: typ, State: StateSyncConnected, Path: path})
	}
	for _, p := range data {
		m, ok := t.Lookup(p)
		switch {
		case !ok:
			fire(EventNodeDeleted, p)
		case m.Stat.Mzxid > relativeZxid:
			fire(EventNodeDataChanged, p)
		default:
			t.dataWatches.Add(p, w)
		}
	}
	for _, p := range exist {
		if _, ok := t.Lookup(p); ok {
			fire(EventNodeCreated, p)
		} else {
			t.dataWatches.Add(p, w)
		}
	}
	for _, p := range child {
		m, ok := t.Lookup(p)
		switch {
		case !ok:
			fire(EventNodeDeleted, p)
		case m.Stat.Pzxid > relativeZxid:
			fire(EventNodeChildrenChanged, p)
		default:
			t.childWatches.Add(p, w)
		}
	}
	for _, p := range persistent {
		t.AddWatch(p, w, false)
	}
	for _, p := range recursive {
		t.AddWatch(p, w, true)
	}
}
