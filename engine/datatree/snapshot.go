package datatree

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"zkbench/engine/jute"
)

// NodeView is one node as a snapshot writes it.
type NodeView struct {
	Path   string // "" for the root
	Data   []byte // shared and never modified; nil for a null buffer
	ACLRef int64
	Stat   jute.StatPersisted
}

// Walk visits every node reachable from the root, parents before children
// (depth-first pre-order, children in sorted order so that snapshots of the
// same tree are byte-identical), the way DataTree.serializeNode does. It
// holds no lock across the walk: each node is copied under its shard's read
// lock, so Apply keeps running and the result is fuzzy exactly like
// ZooKeeper's snapshots (replaying the log from the snapshot's zxid repairs
// it). A node deleted after its parent was copied is skipped. Walk stops at
// the first error fn returns and returns it.
func (t *Tree) Walk(fn func(n NodeView) error) error {
	stack := []string{""}
	for len(stack) > 0 {
		key := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		s := t.shardOf(key)
		s.mu.RLock()
		n := s.nodes[key]
		if n == nil {
			s.mu.RUnlock()
			continue
		}
		v := NodeView{Path: key, Data: n.bytes(), ACLRef: n.acl, Stat: n.persisted()}
		at := len(stack)
		for c := range n.children {
			stack = append(stack, c)
		}
		s.mu.RUnlock()
		// Reverse order on the stack pops the smallest child first.
		slices.SortFunc(stack[at:], func(a, b string) int { return strings.Compare(b, a) })
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// ErrInvalidTree is wrapped by Loader errors for a snapshot whose nodes do
// not form a tree ("Invalid Datatree" in ZooKeeper).
var ErrInvalidTree = errors.New("datatree: Invalid Datatree")

// Loader builds a Tree from a snapshot's contents (DataTree.deserialize plus
// the session table): sessions, ACL cache entries and nodes in file order,
// then Finish. Parents must come before their children, the root (path "")
// first. Children lists, the ephemeral index (from ephemeralOwner), the
// container and TTL sets, ACL use counts and the digest are rebuilt.
type Loader struct {
	t     *Tree
	usage map[int64]int64
	root  bool
	done  bool
	// replaced: a node was listed twice. Until then a node new to its
	// parent's children is new to the tree, and its insert skips the
	// lookup of a node it would replace (a miss in a big map, an eighth
	// of a million-znode load's CPU time).
	replaced bool
}

// NewLoader returns a Loader for an empty tree.
func NewLoader() *Loader {
	t := newEmpty()
	// The tree ZooKeeper deserializes into was built by the DataTree
	// constructor, whose /zookeeper/config already took ACL reference 1;
	// clearing the cache for the load does not reset the counter.
	t.acls.index = 1
	return &Loader{t: t, usage: make(map[int64]int64)}
}

// AddSession adds an entry of the session table.
func (l *Loader) AddSession(id int64, timeout int32) {
	l.t.sessions[id] = timeout
}

// AddACL adds an ACL cache entry. The Loader keeps acl.
func (l *Loader) AddACL(ref int64, acl []jute.ACL) {
	l.t.acls.put(ref, acl)
}

// AddNode adds a node; its parent must already be there. The Loader keeps
// data. A second node with the same path replaces the first, as in
// ZooKeeper.
func (l *Loader) AddNode(path string, data []byte, aclRef int64, stat jute.StatPersisted) error {
	if l.done {
		return errors.New("datatree: AddNode after Finish")
	}
	n := &node{acl: aclRef}
	n.setData(data)
	n.setPersisted(&stat)
	if path == "" {
		l.root = true
	} else {
		parent, ok := split(path)
		if !ok {
			return fmt.Errorf("%w: path %q is not absolute", ErrInvalidTree, path)
		}
		p := l.t.node(parent)
		if p == nil {
			return fmt.Errorf("%w, unable to find parent %s of path %s", ErrInvalidTree, parent, path)
		}
		if !p.addChild(path) {
			l.replaced = true
		}
		l.t.index(path, n.owner)
	}
	if aclRef != OpenACLRef {
		l.usage[aclRef]++
	}
	if path == "" || l.replaced {
		l.t.insert(path, n)
	} else {
		l.t.insertNew(path, n)
	}
	return nil
}

// Finish completes the load and returns the tree. snapZxid is the zxid in
// the snapshot's file name, which becomes LastProcessedZxid. digest is the
// snapshot's digest block, nil when it has none (pre-3.6). When its zxid is
// past 0 and not older than snapZxid the tree stays "fuzzy" until Apply
// reaches that zxid: digests are then compared with it, and neither
// recorded nor compared with txn digests before, as ZooKeeper does.
//
// ACL entries no node uses are purged and the reference counter continues
// from the highest reference in the snapshot (at least 1).
func (l *Loader) Finish(snapZxid int64, digest *ZxidDigest) (*Tree, error) {
	if l.done {
		return nil, errors.New("datatree: Finish called twice")
	}
	l.done = true
	if !l.root {
		return nil, fmt.Errorf("%w: no root node", ErrInvalidTree)
	}
	t := l.t
	t.acls.setUsage(l.usage)
	t.lastZxid.Store(snapZxid)
	if digest != nil && digest.Zxid > 0 && digest.Zxid >= snapZxid {
		d := *digest
		t.fuzzy = &d
	}
	// The root alias "/" is one more entry in ZooKeeper's map.
	if root := t.node(""); root != nil {
		t.dataSize.Add(1 + root.size())
	}
	return t, nil
}
