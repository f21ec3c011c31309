package snap

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
)

// chunk is how many encoded bytes the Writer gathers before it folds them
// into the checksum and hands them on. The encode buffer is the write
// buffer: a separate bufio.Writer would only add a copy. 256 KiB makes the
// per-call costs of the hash and the write vanish and gives the file large
// sequential writes.
const chunk = 256 << 10

// bigData is the data length above which a node's data skips the encode
// buffer and goes straight to the hash and the output, so a 1 MiB znode
// costs no copy and no buffer growth.
const bigData = 64 << 10

// errOrder reports a Writer used out of sequence, a programming error.
var errOrder = errors.New("snap: Writer calls out of order (want WriteSessions, WriteACLs, WriteNode..., Finish)")

type step int

const (
	stepSessions step = iota
	stepACLs
	stepNodes
	stepDone
)

// Writer encodes one snapshot stream. Call WriteSessions, WriteACLs, then
// WriteNode for every node (parents before children, root first with path
// ""), then Finish. Errors are sticky: after the first one every call
// returns it. A Writer is not safe for concurrent use.
type Writer struct {
	out    io.Writer
	enc    jute.Writer
	hashed int // enc.Bytes()[:hashed] has been folded into sum
	sum    hash.Hash32
	n      int64 // bytes handed to out

	step                  step
	sessions, acls, nodes int
	err                   error
}

// NewWriter returns a Writer that writes the snapshot stream to w. The
// header is encoded at once; nothing reaches w before the buffer fills or
// Finish runs.
func NewWriter(w io.Writer) *Writer {
	sw := &Writer{out: w, sum: adler32.New(), enc: *jute.NewWriter(make([]byte, 0, chunk+chunk/4))}
	h := jute.FileHeader{Magic: jute.SnapshotMagic, Version: jute.FileVersion, DBID: -1}
	h.Encode(&sw.enc)
	return sw
}

// WriteSessions writes the session table (ZooKeeper writes it in hash-map
// order; any order is accepted).
func (w *Writer) WriteSessions(s []Session) error {
	if w.err != nil {
		return w.err
	}
	if w.step != stepSessions {
		return w.fail(errOrder)
	}
	w.enc.Int(int32(len(s)))
	for i := range s {
		w.enc.Long(s[i].ID)
		w.enc.Int(s[i].Timeout)
		if w.enc.Len() >= chunk {
			w.flush()
		}
	}
	w.sessions = len(s)
	w.step = stepACLs
	return w.err
}

// WriteACLs writes the ACL cache. A nil list is written as an empty one:
// ZooKeeper's reader refuses a null ACL vector in the cache.
func (w *Writer) WriteACLs(a []ACLEntry) error {
	if w.err != nil {
		return w.err
	}
	if w.step != stepACLs {
		return w.fail(errOrder)
	}
	w.enc.Int(int32(len(a)))
	for i := range a {
		w.enc.Long(a[i].Ref)
		if a[i].ACL == nil {
			w.enc.Int(0)
		} else {
			jute.EncodeACLs(&w.enc, a[i].ACL)
		}
		if w.enc.Len() >= chunk {
			w.flush()
		}
	}
	w.acls = len(a)
	w.step = stepNodes
	return w.err
}

// WriteNode writes one node. Nil data is written as an empty buffer, the
// way ZooKeeper stores nodes created without data. The Writer does not keep
// n or anything it points to.
func (w *Writer) WriteNode(n *Node) error {
	if w.err != nil {
		return w.err
	}
	if w.step != stepNodes {
		return w.fail(errOrder)
	}
	if n.Path == "/" {
		// The root is "" on disk; "/" would end the node list early.
		return w.fail(errors.New(`snap: node path "/" is the end marker; the root's path is ""`))
	}
	w.enc.String(n.Path)
	switch {
	case n.Data == nil:
		w.enc.Int(0) // jute would write null (-1)
	case len(n.Data) > bigData:
		w.enc.Int(int32(len(n.Data)))
		w.flush()
		w.emit(n.Data)
	default:
		w.enc.Buffer(n.Data)
	}
	w.enc.Long(n.ACLRef)
	n.Stat.Encode(&w.enc)
	w.nodes++
	if w.enc.Len() >= chunk {
		w.flush()
	}
	return w.err
}

// Finish writes the end-of-nodes marker and seal #1, then, when d is not
// nil, the digest block and seal #2, and hands every remaining byte to the
// underlying writer. A nil d gives a pre-3.6 style file, which 3.8 accepts.
func (w *Writer) Finish(d *Digest) error {
	if w.err != nil {
		return w.err
	}
	if w.step != stepNodes {
		return w.fail(errOrder)
	}
	w.enc.String("/")
	w.seal()
	if d != nil {
		w.enc.Long(d.Zxid)
		w.enc.Int(d.Version)
		if d.Version < jute.DigestVersion {
			// Digest versions before 2 stored the value as a hex string.
			w.enc.String(strconv.FormatUint(uint64(d.Value), 16))
		} else {
			w.enc.Long(d.Value)
		}
		w.seal()
	}
	w.flush()
	w.step = stepDone
	return w.err
}

// Size returns the number of stream bytes encoded so far (after Finish: the
// length of the whole uncompressed snapshot).
func (w *Writer) Size() int64 { return w.n + int64(w.enc.Len()) }

// Nodes returns the number of nodes written so far.
func (w *Writer) Nodes() int { return w.nodes }

// seal appends the Adler-32 of everything before it, never reset, and the
// "/" ZooKeeper's SnapStream.sealStream writes after it.
func (w *Writer) seal() {
	w.fold()
	w.enc.Long(int64(w.sum.Sum32()))
	w.enc.String("/")
}

func (w *Writer) fold() {
	b := w.enc.Bytes()
	w.sum.Write(b[w.hashed:])
	w.hashed = len(b)
}

func (w *Writer) flush() {
	w.fold()
	b := w.enc.Bytes()
	if w.err == nil && len(b) > 0 {
		if _, err := w.out.Write(b); err != nil {
			w.err = fmt.Errorf("snap: write: %w", err)
		}
		w.n += int64(len(b))
	}
	w.enc.Reset()
	w.hashed = 0
}

// emit hashes and writes b directly; the encode buffer must be empty.
func (w *Writer) emit(b []byte) {
	w.sum.Write(b)
	if w.err == nil {
		if _, err := w.out.Write(b); err != nil {
			w.err = fmt.Errorf("snap: write: %w", err)
		}
		w.n += int64(len(b))
	}
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// Options control WriteFile.
type Options struct {
	// Compression None or Gzip; Snappy is refused with ErrUnsupported.
	Compression Compression
	// Atomic writes <name>.tmp, syncs it and renames it into place, as
	// ZooKeeper does for snapshots taken with "sync" semantics. Without it
	// the file is written under its final name, as the background snapshot
	// thread does; a torn file then fails the validity test and is skipped.
	// Atomic implies Fsync.
	Atomic bool
	// Fsync syncs the file before closing it. ZooKeeper 3.8's background
	// snapshot does not (it leaves the bytes to the kernel's writeback, which
	// is part of the I/O pattern being measured); set it to make the
	// snapshot durable the moment WriteFile returns.
	Fsync bool
}

// Result describes a snapshot file WriteFile wrote.
type Result struct {
	Path     string
	Zxid     int64
	Bytes    int64 // file length on disk
	Raw      int64 // uncompressed stream length (= Bytes when uncompressed)
	Sessions int
	ACLs     int
	Nodes    int
	Digest   *Digest
	Sync     time.Duration // time spent in fsync (0 without Options.Fsync)
}

// WriteFile creates dir/snapshot.<hex zxid>[.gz] (dir is the version-2
// directory and must exist), never overwriting an existing file, and calls
// fill to write the sessions, ACL cache and nodes. fill returns the digest
// block (nil for none), which is taken when the walk ends, as ZooKeeper
// does. The file is then finished, fsynced when Options ask for it, and
// closed. On any error the partial file is removed (best effort) and
// nothing is left under the name.
func WriteFile(fsys disk.FS, dir string, zxid int64, opt Options, fill func(*Writer) (*Digest, error)) (Result, error) {
	res := Result{Zxid: zxid}
	if zxid < 0 {
		return res, fmt.Errorf("snap: negative zxid %d", zxid)
	}
	switch opt.Compression {
	case None, Gzip:
	default:
		return res, fmt.Errorf("snap: write %s: %w", opt.Compression, ErrUnsupported)
	}
	res.Path = filepath.Join(dir, FileName(zxid, opt.Compression))
	target := res.Path
	if opt.Atomic {
		if _, err := fsys.Stat(res.Path); err == nil {
			return res, fmt.Errorf("snap: create %s: %w", res.Path, fs.ErrExist)
		}
		target = res.Path + ".tmp"
		if err := fsys.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("snap: remove stale %s: %w", target, err)
		}
	}
	f, err := fsys.Create(target)
	if err != nil {
		return res, fmt.Errorf("snap: create %s: %w", target, err)
	}
	fail := func(err error) (Result, error) {
		if f != nil {
			f.Close()
		}
		fsys.Remove(target)
		return res, fmt.Errorf("snap: write %s: %w", target, err)
	}

	cw := &countingWriter{w: f}
	var out io.Writer = cw
	var bw *bufio.Writer
	var zw *gzip.Writer
	if opt.Compression == Gzip {
		// flate emits many small writes; batch them for the file.
		bw = bufio.NewWriterSize(cw, chunk)
		zw = gzip.NewWriter(bw)
		out = zw
	}
	w := NewWriter(out)
	d, err := fill(w)
	if err != nil {
		return fail(err)
	}
	if err := w.Finish(d); err != nil {
		return fail(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return fail(err)
		}
		if err := bw.Flush(); err != nil {
			return fail(err)
		}
	}
	if opt.Fsync || opt.Atomic {
		start := time.Now()
		if err := f.Sync(); err != nil {
			return fail(err)
		}
		res.Sync = time.Since(start)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return fail(err)
	}
	if opt.Atomic {
		if err := fsys.Rename(target, res.Path); err != nil {
			return fail(err)
		}
	}
	res.Bytes = cw.n
	res.Raw = w.Size()
	res.Sessions, res.ACLs, res.Nodes = w.sessions, w.acls, w.nodes
	res.Digest = d
	return res, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
