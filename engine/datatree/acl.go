package datatree

import (
	"cmp"
	"hash/maphash"
	"slices"
	"sync"

	"zkbench/engine/jute"
)

// OpenACLRef is the ACL reference of nodes created with a null ACL list: it
// stands for world:anyone ALL and has no cache entry.
const OpenACLRef int64 = -1

// ACLEntry is one entry of the ACL cache as a snapshot stores it.
type ACLEntry struct {
	Ref int64
	ACL []jute.ACL
}

// aclCache is ZooKeeper's ReferenceCountedACLCache: each distinct ACL list is
// stored once under a reference from a counter that starts at 1 and is never
// reused; an entry is dropped when no node refers to it any more. Snapshots
// store the references, so reproducing the exact numbering is what makes our
// snapshots match ZooKeeper's.
type aclCache struct {
	mu     sync.RWMutex
	seed   maphash.Seed
	byRef  map[int64]*aclEntry
	byHash map[uint64][]int64 // content hash -> refs with that hash
	index  int64              // last reference handed out
}

type aclEntry struct {
	acl  []jute.ACL
	hash uint64
	refs int64
}

func newACLCache() *aclCache {
	return &aclCache{
		seed:   maphash.MakeSeed(),
		byRef:  make(map[int64]*aclEntry),
		byHash: make(map[uint64][]int64),
	}
}

func (c *aclCache) hash(acl []jute.ACL) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, a := range acl {
		h.Write([]byte{byte(a.Perms >> 24), byte(a.Perms >> 16), byte(a.Perms >> 8), byte(a.Perms)})
		h.WriteString(a.ID.Scheme)
		h.WriteByte(0)
		h.WriteString(a.ID.ID)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// find returns the reference of an equal list (Java List.equals: same
// elements in the same order). Callers hold c.mu.
func (c *aclCache) find(acl []jute.ACL, h uint64) (int64, bool) {
	for _, ref := range c.byHash[h] {
		if slices.Equal(c.byRef[ref].acl, acl) {
			return ref, true
		}
	}
	return 0, false
}

// convert returns the reference for acl, creating an entry when needed, and
// counts one more use of it (convertAcls). The cache keeps acl itself.
func (c *aclCache) convert(acl []jute.ACL) int64 {
	if acl == nil {
		return OpenACLRef
	}
	h := c.hash(acl)
	c.mu.Lock()
	defer c.mu.Unlock()
	ref, ok := c.find(acl, h)
	if !ok {
		c.index++
		ref = c.index
		c.byRef[ref] = &aclEntry{acl: acl, hash: h}
		c.byHash[h] = append(c.byHash[h], ref)
	}
	c.byRef[ref].refs++
	return ref
}

// put adds an entry read from a snapshot with a zero use count; the counter
// continues from the highest reference seen.
func (c *aclCache) put(ref int64, acl []jute.ACL) {
	if acl == nil {
		acl = []jute.ACL{} // a snapshot's vector is never null
	}
	h := c.hash(acl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byRef[ref]; ok {
		c.unindex(ref, old.hash)
	}
	c.byRef[ref] = &aclEntry{acl: acl, hash: h}
	// Like the Java map put, a later duplicate list wins lookups.
	c.byHash[h] = append([]int64{ref}, c.byHash[h]...)
	c.index = max(c.index, ref)
}

// release counts one use less of ref and drops the entry at zero
// (removeUsage). Unknown references are ignored, as ZooKeeper does.
func (c *aclCache) release(ref int64) {
	if ref == OpenACLRef {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byRef[ref]
	if !ok {
		return
	}
	e.refs--
	if e.refs <= 0 {
		c.drop(ref, e)
	}
}

func (c *aclCache) drop(ref int64, e *aclEntry) {
	delete(c.byRef, ref)
	c.unindex(ref, e.hash)
}

func (c *aclCache) unindex(ref int64, h uint64) {
	refs := slices.DeleteFunc(c.byHash[h], func(r int64) bool { return r == ref })
	if len(refs) == 0 {
		delete(c.byHash, h)
	} else {
		c.byHash[h] = refs
	}
}

// get resolves a reference. The returned slice is shared and must not be
// modified.
func (c *aclCache) get(ref int64) ([]jute.ACL, bool) {
	if ref == OpenACLRef {
		return jute.OpenACL, true
	}
	c.mu.RLock()
	e, ok := c.byRef[ref]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return e.acl, true
}

// setUsage installs the use counts gathered while loading a snapshot and
// purges the entries nothing uses (purgeUnused).
func (c *aclCache) setUsage(usage map[int64]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ref, e := range c.byRef {
		e.refs = usage[ref]
		if e.refs <= 0 {
			c.drop(ref, e)
		}
	}
}

func (c *aclCache) entries() []ACLEntry {
	c.mu.RLock()
	out := make([]ACLEntry, 0, len(c.byRef))
	for ref, e := range c.byRef {
		out = append(out, ACLEntry{Ref: ref, ACL: e.acl})
	}
	c.mu.RUnlock()
	slices.SortFunc(out, func(a, b ACLEntry) int { return cmp.Compare(a.Ref, b.Ref) })
	return out
}

func (c *aclCache) refCount(ref int64) int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if e, ok := c.byRef[ref]; ok {
		return e.refs
	}
	return 0
}
