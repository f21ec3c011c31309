package server

import (
	"cmp"
	"slices"
	"unicode/utf16"
)

// javaSet reproduces the iteration order of java.util.HashSet<String> (a
// HashMap underneath, JDK 17), because ZooKeeper lets it leak into what it
// writes and sends: the paths2Delete of a closeSession txn are listed in the
// order of a clone of the session's ephemeral set, and getChildren returns
// a node's children in the order of its child-name set.
//
// A HashMap iterates bucket by bucket, and within a bucket in insertion
// order; a resize splits every bucket in two keeping that order. So the
// order follows from the capacity and the insertion sequence, both of which
// are modelled here: lazy allocation, growth past 0.75 of the capacity, and
// the resize a HashMap does instead of turning a crowded bucket into a tree
// while the table is smaller than 64. Only the tree bins of larger tables
// (9+ strings in one bucket of a 64+ table) are not modelled.
type javaSet struct {
	table     [][]string
	threshold int
	size      int
}

const (
	javaLoadFactor    = 0.75
	javaDefaultCap    = 16
	javaTreeifyBin    = 8  // TREEIFY_THRESHOLD
	javaMinTreeifyCap = 64 // MIN_TREEIFY_CAPACITY
)

// newJavaSet is new HashSet<>() (capacity 0) or new HashSet<>(capacity).
func newJavaSet(capacity int) *javaSet {
	s := &javaSet{}
	if capacity > 0 {
		s.threshold = tableSizeFor(capacity)
	}
	return s
}

// clone is HashSet.clone as JDK 17 does it: a fresh table sized for the
// current size (HashMap.putMapEntries), filled in the source's iteration
// order. The clone can be smaller than the source, so its order differs.
func (s *javaSet) clone() *javaSet {
	c := &javaSet{}
	if s.size > 0 {
		ft := float32(s.size)/float32(javaLoadFactor) + 1
		c.threshold = tableSizeFor(int(ft))
	}
	s.each(func(k string) { c.add(k) })
	return c
}

// tableSizeFor is HashMap.tableSizeFor: the smallest power of two >= n.
func tableSizeFor(n int) int {
	c := 1
	for c < n && c < 1<<30 {
		c <<= 1
	}
	return c
}

// javaHash is String.hashCode (over UTF-16 code units) spread the way
// HashMap.hash does it.
func javaHash(k string) uint32 {
	var h uint32
	for _, r := range k {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			h = 31*h + uint32(r1)
			h = 31*h + uint32(r2)
			continue
		}
		h = 31*h + uint32(r)
	}
	return h ^ h>>16
}

func (s *javaSet) resize() {
	oldCap, oldThr := len(s.table), s.threshold
	var newCap, newThr int
	switch {
	case oldCap > 0:
		newCap = oldCap << 1
		if oldCap >= javaDefaultCap {
			newThr = oldThr << 1
		}
	case oldThr > 0:
		newCap = oldThr
	default:
		newCap, newThr = javaDefaultCap, int(javaLoadFactor*javaDefaultCap)
	}
	if newThr == 0 {
		newThr = int(float32(newCap) * javaLoadFactor)
	}
	s.threshold = newThr
	table := make([][]string, newCap)
	for j, bucket := range s.table {
		for _, k := range bucket {
			i := j
			if javaHash(k)&uint32(oldCap) != 0 {
				i += oldCap
			}
			table[i] = append(table[i], k)
		}
	}
	s.table = table
}

func (s *javaSet) add(k string) bool {
	if len(s.table) == 0 {
		s.resize()
	}
	i := javaHash(k) & uint32(len(s.table)-1)
	bucket := s.table[i]
	for _, e := range bucket {
		if e == k {
			return false
		}
	}
	s.table[i] = append(bucket, k)
	if len(bucket) >= javaTreeifyBin && len(s.table) < javaMinTreeifyCap {
		s.resize() // treeifyBin on a small table resizes instead
	}
	s.size++
	if s.size > s.threshold {
		s.resize()
	}
	return true
}

func (s *javaSet) remove(k string) bool {
	if len(s.table) == 0 {
		return false
	}
	i := javaHash(k) & uint32(len(s.table)-1)
	for j, e := range s.table[i] {
		if e == k {
			s.table[i] = append(s.table[i][:j:j], s.table[i][j+1:]...)
			s.size--
			return true
		}
	}
	return false
}

func (s *javaSet) each(fn func(string)) {
	for _, bucket := range s.table {
		for _, k := range bucket {
			fn(k)
		}
	}
}

func (s *javaSet) list() []string {
	out := make([]string, 0, s.size)
	s.each(func(k string) { out = append(out, k) })
	return out
}

// childOrder returns names in the order ZooKeeper's getChildren lists them:
// the iteration order of DataNode's child set, a HashSet<String>(8) filled
// as children were created. names must be in creation order; within one
// bucket that order is all that decides. The set's capacity is taken from
// the current count, so a node that once had many more children (a
// HashSet never shrinks) or was restored from a snapshot (children are
// re-added in the snapshot's order) may list them differently.
func childOrder(names []string) []string {
	if len(names) < 2 {
		return names
	}
	s := newJavaSet(8)
	for _, n := range names {
		s.add(n)
	}
	return s.list()
}

// sortByCzxid sorts names into creation order, ties (nodes already gone)
// by name so that the result never depends on map order.
func sortByCzxid(names []string, czxid map[string]int64) {
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(czxid[a], czxid[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
}
