package snap

import (
	"fmt"
	"math/rand/v2"

	"zkbench/engine/jute"
)

// genTree builds a tree a ZooKeeper 3.8 server would load: the system nodes,
// a /bench parent with n children, every ACL ref used present in the cache,
// and the sessions owning the ephemerals. Data sizes cycle through
// 16..100 bytes, cut from one shared random pool so that building a million
// nodes allocates little. extra adds the awkward cases: non-ASCII paths,
// null and empty data, a node bigger than the encode buffer.
func genTree(seed uint64, n int, extra bool) *contents {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pool := make([]byte, 4096)
	for i := range pool {
		pool[i] = byte(rng.Uint32())
	}
	const t0 = int64(1795579235000) // Nov 2026, ms
	c := &contents{
		sessions: []Session{{ID: 0x100000a63380001, Timeout: 4000}, {ID: 0x100000a63380002, Timeout: 30000}},
		acls: []ACLEntry{
			{Ref: 1, ACL: jute.ReadACL},
			{Ref: 2, ACL: jute.OpenACL},
			{Ref: 4, ACL: []jute.ACL{
				{Perms: jute.PermAll, ID: jute.ID{Scheme: "digest", ID: "bench:Ox8LzD1xvlJOB3xKA7GsZ2iV1bM="}},
				{Perms: jute.PermRead, ID: jute.ID{Scheme: "world", ID: "anyone"}},
			}},
		},
	}
	c.info.Digest = &Digest{Zxid: int64(n) + 5, Version: jute.DigestVersion, Value: int64(rng.Uint64())}
	add := func(path string, data []byte, ref int64, st jute.StatPersisted) {
		c.nodes = append(c.nodes, Node{Path: path, Data: data, ACLRef: ref, Stat: st})
	}
	empty := []byte{}
	add("", empty, OpenACLRef, jute.StatPersisted{Cversion: 1, Pzxid: 4})
	add("/zookeeper", empty, OpenACLRef, jute.StatPersisted{})
	add("/zookeeper/config", empty, 1, jute.StatPersisted{Aversion: -1})
	add("/zookeeper/quota", empty, OpenACLRef, jute.StatPersisted{})
	add("/bench", []byte("bench-root"), 2, jute.StatPersisted{Czxid: 4, Mzxid: 4, Ctime: t0, Mtime: t0, Cversion: int32(n), Pzxid: int64(n) + 4})
	for i := range n {
		z := int64(i) + 5
		size := 16 + i*37%85
		off := (i * 131) % (len(pool) - size)
		st := jute.StatPersisted{Czxid: z, Mzxid: z, Ctime: t0 + z, Mtime: t0 + z, Pzxid: z}
		if i%1000 == 7 {
			st.EphemeralOwner = c.sessions[i%2].ID
		}
		add(fmt.Sprintf("/bench/k%07d", i), pool[off:off+size:off+size], 2, st)
	}
	if extra {
		z := int64(n) + 5
		st := jute.StatPersisted{Czxid: z, Mzxid: z, Ctime: t0, Mtime: t0, Pzxid: z}
		big := make([]byte, 3*chunk/2) // larger than the encode buffer
		for i := range big {
			big[i] = byte(i * 7)
		}
		add("/bench/null-data", nil, 2, st)
		add("/bench/big", big, 4, st)
		add("/bench/café", []byte("crème brûlée"), 2, st)
		add("/bench/café/日本語", []byte("データ"), 2, st)
		add("/bench/тест", empty, 2, jute.StatPersisted{EphemeralOwner: c.sessions[0].ID})
		add("/bench/container", empty, 2, jute.StatPersisted{EphemeralOwner: -1 << 63})
		add("/bench/ttl", empty, 2, jute.StatPersisted{EphemeralOwner: -0x00ffffffffffffff - 1 + 3600000})
	}
	return c
}

// withNonBMP adds a path outside the Basic Multilingual Plane, which jute
// writes as CESU-8 and reads back as those bytes (docs/zk-disk-format.md §1).
func withNonBMP(c *contents) {
	c.nodes = append(c.nodes, Node{Path: "/bench/emoji-😀", Data: []byte("x"), ACLRef: 2})
}

// cesu8 is what a jute round trip turns s into.
func cesu8(s string) string {
	var w jute.Writer
	w.String(s)
	return string(w.Bytes()[4:])
}
