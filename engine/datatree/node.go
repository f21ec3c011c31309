package datatree

import (
	"strings"
	"unsafe"

	"zkbench/engine/jute"
)

// node is one znode. It is kept small because the ensemble must hold a
// million of them: the path lives only as the key of the shard map (and the
// same string, not a copy, as the key in the parent's children set), the
// children set exists only while there are children, dataLength and
// numChildren are derived, and the data is a pointer and an int32 length
// rather than a slice (a slice's capacity word would push the struct from
// the 96-byte size class into the 112-byte one: 16 MB per million nodes).
//
// Every field is guarded by the lock of the shard that holds the node's path.
// Data is never modified in place, only replaced, so a reader may keep the
// slice after unlocking.
type node struct {
	dataPtr  *byte               // first data byte; see bytes
	children map[string]struct{} // full paths of the children; nil when none
	acl      int64               // reference into the ACL cache

	czxid, mzxid, pzxid int64
	ctime, mtime        int64
	owner               int64 // ephemeralOwner
	version             int32
	cversion            int32
	aversion            int32
	digest              uint32 // cached CRC of this node, see NodeDigest
	dataLen             int32  // -1 for null data (a null jute buffer)
}

// emptyData is what empty, non-null data points at, so that an empty slice
// does not keep a larger array alive.
var emptyData byte

// setData stores b without copying it. ZooKeeper distinguishes null data
// (written as length -1 in snapshots) from empty data, and so do we. Data
// comes from jute buffers, whose length is an int32.
func (n *node) setData(b []byte) {
	switch {
	case b == nil:
		n.dataPtr, n.dataLen = nil, -1
	case len(b) == 0:
		n.dataPtr, n.dataLen = &emptyData, 0
	default:
		n.dataPtr, n.dataLen = unsafe.SliceData(b), int32(len(b))
	}
}

// bytes returns the data; its capacity equals its length, so an append by a
// caller copies instead of writing into the node's array.
func (n *node) bytes() []byte {
	if n.dataLen < 0 {
		return nil
	}
	return unsafe.Slice(n.dataPtr, n.dataLen)
}

// size is the data length, 0 for null data.
func (n *node) size() int64 { return int64(max(n.dataLen, 0)) }

func (n *node) persisted() jute.StatPersisted {
	return jute.StatPersisted{
		Czxid:          n.czxid,
		Mzxid:          n.mzxid,
		Ctime:          n.ctime,
		Mtime:          n.mtime,
		Version:        n.version,
		Cversion:       n.cversion,
		Aversion:       n.aversion,
		EphemeralOwner: n.owner,
		Pzxid:          n.pzxid,
	}
}

func (n *node) setPersisted(s *jute.StatPersisted) {
	n.czxid, n.mzxid, n.pzxid = s.Czxid, s.Mzxid, s.Pzxid
	n.ctime, n.mtime = s.Ctime, s.Mtime
	n.version, n.cversion, n.aversion = s.Version, s.Cversion, s.Aversion
	n.owner = s.EphemeralOwner
}

// clientStat is the Stat a client sees (DataNode.copyStat): cversion is
// translated from "number of creates" to "number of changes" as
// cversion*2 - numChildren, and containers and TTL nodes report owner 0.
func (n *node) clientStat() jute.Stat {
	nc := int32(len(n.children))
	owner := n.owner
	if EphemeralTypeOf(owner) != EphemeralNormal {
		owner = 0
	}
	return jute.Stat{
		Czxid:          n.czxid,
		Mzxid:          n.mzxid,
		Ctime:          n.ctime,
		Mtime:          n.mtime,
		Version:        n.version,
		Cversion:       n.cversion*2 - nc,
		Aversion:       n.aversion,
		EphemeralOwner: owner,
		DataLength:     int32(n.size()),
		NumChildren:    nc,
		Pzxid:          n.pzxid,
	}
}

// canon maps the root alias "/" to the root's real key "".
func canon(path string) string {
	if path == "/" {
		return ""
	}
	return path
}

// watchPath is the path watches are registered and fired on: clients name
// the root "/".
func watchPath(key string) string {
	if key == "" {
		return "/"
	}
	return key
}

// split returns the parent key and whether path has one (it contains '/').
func split(path string) (parent string, ok bool) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", false
	}
	return path[:i], true
}

// childName is the last component of a child's full path.
func childName(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

// javaLen is String.length() of path: UTF-16 code units, which is what
// ZooKeeper's approximate data size counts.
func javaLen(s string) int64 {
	n := int64(0)
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			for _, r := range s {
				n++
				if r > 0xffff {
					n++
				}
			}
			return n
		}
	}
	return int64(len(s))
}
