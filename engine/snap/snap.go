// Package snap reads and writes ZooKeeper 3.8 snapshot files
// (docs/zk-disk-format.md §3): the byte stream, its two Adler-32 seals and the
// digest block, the .gz variant, the file names, the cheap validity test and
// the newest-first choice the server makes at start-up.
//
// The package knows nothing about the in-memory tree. Writer takes sessions,
// ACL cache entries and nodes as plain values in the order they are to appear
// in the file, so a tree can stream its fuzzy walk into it; Read hands them
// back one at a time through a Handler, so a loader never needs the whole
// snapshot decoded in memory.
package snap

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"zkbench/engine/jute"
)

// Session is one live session: its id and negotiated timeout in ms.
type Session struct {
	ID      int64
	Timeout int32
}

// ACLEntry is one entry of the ACL cache: the reference nodes use and the
// list it stands for. Ref -1 (open ACL) never has an entry.
type ACLEntry struct {
	Ref int64
	ACL []jute.ACL
}

// OpenACLRef is the ACL reference of nodes created with a null ACL list
// (world:anyone ALL); it has no entry in the cache.
const OpenACLRef int64 = -1

// Node is one znode as stored. The root's path is "" (the path "/" is the
// end-of-nodes marker and cannot be a node).
type Node struct {
	Path   string
	Data   []byte
	ACLRef int64
	Stat   jute.StatPersisted
}

// Digest is the digest block of 3.6+ snapshots: the zxid of the last
// transaction whose tree digest was recorded, the digest version (2) and
// the digest itself. Zxid can be larger than the file-name zxid because the
// block is taken when serialization ends.
type Digest struct {
	Zxid    int64
	Version int32
	Value   int64
}

// Info describes a snapshot stream after Read.
type Info struct {
	Header   jute.FileHeader
	Sessions int
	ACLs     int
	Nodes    int
	// Digest is nil when the stream ends right after seal #1: a pre-3.6
	// snapshot, or one written with zookeeper.digest.enabled=false.
	Digest *Digest
	// Size is the length of the (uncompressed) stream up to and including
	// the last seal that was checked.
	Size int64
	// Trailing counts bytes after that point. ZooKeeper never reads them
	// (nor a digest block cut short by the end of the file), so they do not
	// make the snapshot unusable; Verify reports them.
	Trailing int64
}

// Errors. Problems inside a file come wrapped in an *Error that names the
// file and the byte offset.
var (
	// ErrCRC means a seal does not match the Adler-32 of the bytes before
	// it; ZooKeeper logs "CRC corruption" and tries an older snapshot.
	ErrCRC = errors.New("CRC corruption")
	// ErrBadMagic means the file does not start with "ZKSN".
	ErrBadMagic = errors.New("bad magic, not a snapshot")
	// ErrTruncated means the stream ended inside the snapshot.
	ErrTruncated = fmt.Errorf("truncated snapshot: %w", io.ErrUnexpectedEOF)
	// ErrCorrupt means a structure that no writer produces: a negative
	// count, a null path, a null ACL list, a node whose parent came later.
	ErrCorrupt = errors.New("corrupt snapshot")
	// ErrUnsupported means a compression this package cannot read or
	// write (snappy).
	ErrUnsupported = errors.New("unsupported compression")
	// ErrInvalid means the cheap validity test of §3.5 failed.
	ErrInvalid = errors.New("not a valid snapshot")
	// ErrNoSnapshot means no snapshot in a directory could be loaded.
	ErrNoSnapshot = errors.New("no valid snapshot")
)

// Error locates a problem in a snapshot file.
type Error struct {
	File string
	// Offset is the byte offset in the snapshot stream; for a compressed
	// file that is the offset in the uncompressed bytes.
	Offset int64
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("snap: %s: offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Compression is how a snapshot file is compressed, chosen by its name.
type Compression int

const (
	None   Compression = iota // plain ("CHECKED" in ZooKeeper)
	Gzip                      // .gz
	Snappy                    // .snappy (snappy-java stream); recognised but not supported
)

func (c Compression) String() string {
	switch c {
	case None:
		return "none"
	case Gzip:
		return "gz"
	case Snappy:
		return "snappy"
	}
	return "Compression(" + strconv.Itoa(int(c)) + ")"
}

// Ext returns the file name extension, "" for None.
func (c Compression) Ext() string {
	switch c {
	case Gzip:
		return ".gz"
	case Snappy:
		return ".snappy"
	}
	return ""
}

// Prefix is the first part of every snapshot file name.
const Prefix = "snapshot"

// FileName returns the name ZooKeeper gives the snapshot of zxid:
// "snapshot." + lower-case hex, no padding, + the compression extension.
func FileName(zxid int64, c Compression) string {
	return Prefix + "." + strconv.FormatUint(uint64(zxid), 16) + c.Ext()
}

// ParseName parses a snapshot file name the way ZooKeeper 3.8 does
// (Util.getZxidFromName and SnapStream.getStreamMode): the name is split at
// dots, the first part must be "snapshot", the second is the zxid in hex,
// and the compression comes from the last part (case-insensitive "gz" or
// "snappy"; anything else means uncompressed, so "snapshot.1f.tmp" is a
// plain snapshot with zxid 0x1f, exactly as the server sees it). Negative
// zxids, which ZooKeeper never writes, are rejected.
func ParseName(name string) (zxid int64, c Compression, ok bool) {
	parts := strings.Split(name, ".")
	// Java's String.split drops trailing empty strings.
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) < 2 || parts[0] != Prefix {
		return 0, None, false
	}
	z, err := strconv.ParseInt(parts[1], 16, 64)
	if err != nil || z < 0 {
		return 0, None, false
	}
	return z, compressionOf(parts), true
}

func compressionOf(parts []string) Compression {
	if len(parts) < 2 {
		return None
	}
	switch last := parts[len(parts)-1]; {
	case strings.EqualFold(last, "gz"):
		return Gzip
	case strings.EqualFold(last, "snappy"):
		return Snappy
	}
	return None
}

// compressionOfName picks the decoder for any file name, snapshot-named or
// not, by ZooKeeper's rule: the part after the last dot.
func compressionOfName(name string) Compression {
	parts := strings.Split(name, ".")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return compressionOf(parts)
}
