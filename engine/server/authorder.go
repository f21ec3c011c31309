package server

import (
	"slices"

	"zkbench/engine/jute"
)

// AddAuth adds id to a connection's ids unless it is there, and returns
// them in the order ZooKeeper 3.8 lists them. ServerCnxn keeps its
// authInfo in a set over a ConcurrentHashMap, so whoAmI, the "auth" ACL
// scheme and the ids a follower forwards see them in that map's
// iteration order: by bin (the spread hash of Id.hashCode modulo the
// table size, 16 until the 12th id), then in the order they were added.
// (Past 12 ids the table grows, and ZooKeeper's transfer may reorder a
// bin; a connection with that many identities is not modelled.)
func AddAuth(ids []jute.ID, id jute.ID) []jute.ID {
	if slices.Contains(ids, id) {
		return ids
	}
	ids = append(ids, id)
	table := uint32(16)
	for uint32(len(ids)) >= table*3/4 {
		table *= 2
	}
	bin := func(id jute.ID) uint32 {
		return idHash(id) & 0x7fffffff & (table - 1)
	}
	slices.SortStableFunc(ids, func(a, b jute.ID) int { return int(bin(a)) - int(bin(b)) })
	return ids
}

// idHash is the jute-generated Id.hashCode, spread as ConcurrentHashMap
// spreads it (javaHash spreads a String's hash as HashMap does, the same
// h ^ h>>>16, so it is undone first).
func idHash(id jute.ID) uint32 {
	r := uint32(17)
	r = 37*r + stringHash(id.Scheme)
	r = 37*r + stringHash(id.ID)
	return r ^ r>>16
}

// stringHash is String.hashCode.
func stringHash(s string) uint32 {
	h := javaHash(s)
	return h ^ h>>16 // x ^ x>>>16 is its own inverse
}
