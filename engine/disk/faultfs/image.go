package faultfs

import (
	"bytes"
	"sync"
	"time"
)

// A file's content is a list of fixed-size chunks; a nil chunk reads as
// zeros, so holes and preallocated ranges cost no memory.
//
// Durability is copy-on-write at chunk granularity: the durable image is a
// second list of chunk pointers that shares every chunk that has not been
// written since the last sync. A write to a shared chunk copies it first and
// records its index as dirty; a sync points the durable image at the dirty
// chunks and forgets them. A sync so costs O(chunks written since the last
// sync), never a copy of the whole file, and the durable image is exact.
const chunkSize = 4096

type chunk [chunkSize]byte

var zeros chunk

// extent is a byte range [off, off+n).
type extent struct{ off, n int64 }

// node is one file's content. Every field is guarded by mu.
//
// Invariants: len(data) == chunksFor(size); durableSize <= size; bytes past
// size in data and past durableSize in durable are zero; a chunk pointer is
// shared between data and durable only where the two images agree, and
// dirty lists (at least) every index where they differ.
type node struct {
	mu sync.Mutex

	// linked is whether the node has a name in the FS; only then does its
	// size count against the space limit.
	linked bool
	// dead is set by Crash on the node it replaced; every handle to it fails.
	dead bool

	data []*chunk
	size int64

	durable     []*chunk // may be shorter than chunksFor(durableSize): missing chunks are zeros
	durableSize int64
	dirty       []int

	// unsynced is the last write if it has not been made durable since
	// (n == 0: none). It is the write that Crash may tear.
	unsynced extent

	modTime time.Time
}

func chunksFor(size int64) int { return int((size + chunkSize - 1) / chunkSize) }

// resizeChunks returns s with length n, new entries nil.
func resizeChunks(s []*chunk, n int) []*chunk {
	if n <= len(s) {
		clear(s[n:]) // let the garbage collector have them
		return s[:n]
	}
	if n <= cap(s) {
		old := len(s)
		s = s[:n]
		clear(s[old:])
		return s
	}
	return append(s, make([]*chunk, n-len(s))...)
}

func (n *node) durableAt(i int) *chunk {
	if i < len(n.durable) {
		return n.durable[i]
	}
	return nil
}

// writable returns chunk i ready to be modified in place, copying it first
// when the durable image shares it.
func (n *node) writable(i int) *chunk {
	c, d := n.data[i], n.durableAt(i)
	if c != nil && c != d {
		return c
	}
	nc := new(chunk)
	if c != nil {
		*nc = *c
	}
	if c == d {
		n.dirty = append(n.dirty, i)
	}
	n.data[i] = nc
	return nc
}

// writeAt writes p at off, growing the file and zero-filling any gap. Space
// accounting is the caller's.
func (n *node) writeAt(p []byte, off int64) {
	if len(p) == 0 {
		return
	}
	if end := off + int64(len(p)); end > n.size {
		n.data = resizeChunks(n.data, chunksFor(end))
		n.size = end
	}
	for len(p) > 0 {
		i, o := int(off/chunkSize), int(off%chunkSize)
		k := min(len(p), chunkSize-o)
		// Zeros into a hole change nothing; skipping them keeps
		// zero-filling preallocation from costing memory.
		if n.data[i] != nil || !bytes.Equal(p[:k], zeros[:k]) {
			copy(n.writable(i)[o:], p[:k])
		}
		p = p[k:]
		off += int64(k)
	}
}

// readAt copies from off into p and returns how many bytes there were.
func (n *node) readAt(p []byte, off int64) int {
	if off >= n.size {
		return 0
	}
	p = p[:min(int64(len(p)), n.size-off)]
	for done := 0; done < len(p); {
		i, o := int(off/chunkSize), int(off%chunkSize)
		k := copyChunk(p[done:], n.data[i], o)
		done += k
		off += int64(k)
	}
	return len(p)
}

// copyChunk copies from chunk c (nil: zeros) at o into p.
func copyChunk(p []byte, c *chunk, o int) int {
	if c == nil {
		return copy(p, zeros[o:])
	}
	return copy(p, c[o:])
}

// allocate extends the file with zeros to end if it is shorter. Like a write,
// the new length is durable only after a sync.
func (n *node) allocate(end int64) {
	if end > n.size {
		n.data = resizeChunks(n.data, chunksFor(end))
		n.size = end
	}
}

// truncate sets the length of both images: a truncate is durable at once.
func (n *node) truncate(size int64) {
	if size < n.size {
		// Zero the tail of the boundary chunk in both images. Where they
		// share the chunk one clear does for both, which is right because
		// both are cut at the same length.
		if r := int(size % chunkSize); r != 0 {
			i := int(size / chunkSize)
			if c := n.data[i]; c != nil {
				clear(c[r:])
			}
			if d := n.durableAt(i); d != nil && d != n.data[i] {
				clear(d[r:])
			}
		}
		k := chunksFor(size)
		n.data = resizeChunks(n.data, k)
		if len(n.durable) > k {
			n.durable = resizeChunks(n.durable, k)
		}
		kept := n.dirty[:0]
		for _, i := range n.dirty {
			if i < k {
				kept = append(kept, i)
			}
		}
		n.dirty = kept
	} else {
		n.data = resizeChunks(n.data, chunksFor(size))
	}
	// Growing is durable too: the durable bytes past the old durableSize
	// are zeros, which is what a grown file reads.
	n.size, n.durableSize = size, size
	if u := &n.unsynced; u.n > 0 {
		if u.off >= size {
			*u = extent{}
		} else {
			u.n = min(u.n, size-u.off)
		}
	}
}

// sync makes the current content durable.
func (n *node) sync() {
	n.durable = resizeChunks(n.durable, len(n.data))
	for _, i := range n.dirty {
		if i < len(n.data) {
			n.durable[i] = n.data[i]
		}
	}
	n.dirty = n.dirty[:0]
	n.durableSize = n.size
	n.unsynced = extent{}
}

// afterCrash returns a node holding what survives a power loss: the durable
// image plus the first tear bytes of the last unsynced write.
func (n *node) afterCrash(tear int64) *node {
	durable := append([]*chunk(nil), n.durable...)
	c := &node{
		data:        resizeChunks(append([]*chunk(nil), durable...), chunksFor(n.durableSize)),
		size:        n.durableSize,
		durable:     durable,
		durableSize: n.durableSize,
		modTime:     n.modTime,
	}
	if tear > 0 {
		buf := make([]byte, tear)
		n.readAt(buf, n.unsynced.off)
		c.writeAt(buf, n.unsynced.off)
		c.sync()
	}
	return c
}
