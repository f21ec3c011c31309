package snap

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
	"path/filepath"
	"strconv"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
)

// Handler receives a snapshot's contents in file order: every session,
// every ACL cache entry, then every node (parents before children). A nil
// field skips that kind. A callback error stops Read, which returns it
// wrapped in an *Error carrying the item's offset.
//
// The seals are at the end of the file, so everything is delivered before
// it has been checked: when Read fails, whatever the callbacks built must be
// thrown away, as ZooKeeper throws away a tree that failed to load.
//
// Node.Path and Node.Data are freshly allocated for each node (Data is nil
// for a null buffer, non-nil for an empty one); the callee may keep them.
// ACLEntry.ACL likewise. With Values set, Node.Data comes from that pool
// instead and may be shared with other nodes and other reads.
type Handler struct {
	Session func(Session) error
	ACL     func(ACLEntry) error
	Node    func(Node) error
	Values  *Values
}

// ReadFile reads the snapshot at path through fsys, choosing the decoder by
// the file name the way ZooKeeper does: ".gz" is gzip, ".snappy" is refused
// with ErrUnsupported, anything else is plain.
func ReadFile(fsys disk.FS, path string, h Handler) (Info, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return Info{}, fmt.Errorf("snap: %w", err)
	}
	defer f.Close()
	switch compressionOfName(filepath.Base(path)) {
	case Snappy:
		return Info{}, fmt.Errorf("snap: %s: %w (snappy-java stream)", path, ErrUnsupported)
	case Gzip:
		zr, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
		if err != nil {
			kind := ErrCorrupt
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				kind = ErrTruncated
			}
			return Info{}, &Error{File: path, Err: fmt.Errorf("%w: gzip header: %v", kind, err)}
		}
		return read(zr, path, h, 256<<10)
	}
	size, err := f.Size()
	if err != nil {
		return Info{}, fmt.Errorf("snap: %s: %w", path, err)
	}
	return read(f, path, h, bufSize(size))
}

// Read parses one uncompressed snapshot stream from r; name is used in
// errors. It checks the magic, every length (jute.MaxLength, as ZooKeeper's
// "Unreasonable length" check), seal #1 and, when the stream goes on after
// it, the digest block and seal #2. Like ZooKeeper it accepts a stream that
// ends anywhere inside the digest block as a pre-3.6 snapshot, and it never
// reads meaning into bytes after seal #2 (they are counted in
// Info.Trailing).
func Read(r io.Reader, name string, h Handler) (Info, error) {
	size := int64(1 << 20)
	if l, ok := r.(interface{ Len() int }); ok {
		size = int64(l.Len())
	}
	return read(r, name, h, bufSize(size))
}

// bufSize sizes the read buffer: a whole small file in one read, at most
// 1 MiB at a time for big ones (large enough that read calls are cheap,
// small enough to stay in cache). Longer fields grow it on demand.
func bufSize(size int64) int {
	switch {
	case size < 4<<10:
		return 4 << 10
	case size > 1<<20:
		return 1 << 20
	}
	return int(size) + 1 // +1 so the read that sees EOF needs no second buffer
}

func read(r io.Reader, name string, h Handler, bufsize int) (Info, error) {
	p := parser{
		name: name,
		src:  source{r: r, buf: make([]byte, bufsize), sum: adler32.New()},
	}
	err := p.run(h)
	return p.info, err
}

type parser struct {
	name string
	src  source
	info Info
}

func (p *parser) errAt(off int64, err error) error {
	return &Error{File: p.name, Offset: off, Err: err}
}

// readErr turns a source failure while reading what at off into an *Error.
func (p *parser) readErr(off int64, what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return p.errAt(off, fmt.Errorf("%w: reading %s, the stream ends at offset %d", ErrTruncated, what, p.src.size()))
	}
	var le *lengthError
	if errors.As(err, &le) {
		return p.errAt(le.off, fmt.Errorf("%w %d in %s", jute.ErrLength, le.n, what))
	}
	return p.errAt(off, fmt.Errorf("reading %s: %w", what, err))
}

func (p *parser) run(h Handler) error {
	s := &p.src

	// Header.
	if err := s.need(jute.FileHeaderSize); err != nil {
		return p.readErr(0, "file header", err)
	}
	hd := &p.info.Header
	hd.Magic = s.int32()
	hd.Version = s.int32()
	hd.DBID = s.int64()
	if hd.Magic != jute.SnapshotMagic {
		return p.errAt(0, fmt.Errorf("%w: magic 0x%08x, want 0x%08x (ZKSN)", ErrBadMagic, uint32(hd.Magic), uint32(jute.SnapshotMagic)))
	}

	// Sessions.
	at := s.off()
	count, err := s.count()
	if err != nil {
		return p.readErr(at, "session count", err)
	}
	if count < 0 {
		return p.errAt(at, fmt.Errorf("%w: session count %d", ErrCorrupt, count))
	}
	for range count {
		at := s.off()
		if err := s.need(12); err != nil {
			return p.readErr(at, "session", err)
		}
		ss := Session{ID: s.int64(), Timeout: s.int32()}
		p.info.Sessions++
		if h.Session != nil {
			if err := h.Session(ss); err != nil {
				return p.errAt(at, err)
			}
		}
	}

	// ACL cache.
	at = s.off()
	count, err = s.count()
	if err != nil {
		return p.readErr(at, "ACL cache count", err)
	}
	if count < 0 {
		return p.errAt(at, fmt.Errorf("%w: ACL cache count %d", ErrCorrupt, count))
	}
	for range count {
		at := s.off()
		e, err := p.aclEntry()
		if err != nil {
			return err
		}
		p.info.ACLs++
		if h.ACL != nil {
			if err := h.ACL(e); err != nil {
				return p.errAt(at, err)
			}
		}
	}

	// Nodes, up to the "/" marker.
	for {
		at := s.off()
		path, null, err := s.field()
		if err != nil {
			return p.readErr(at, "node path", err)
		}
		if null {
			return p.errAt(at, fmt.Errorf("%w: null node path", ErrCorrupt))
		}
		if len(path) == 1 && path[0] == '/' {
			break
		}
		n := Node{Path: string(path)}
		data, null, err := s.field()
		if err != nil {
			return p.readErr(at, "node "+strconv.Quote(n.Path), err)
		}
		switch {
		case null:
		case h.Values != nil:
			n.Data = h.Values.get(data)
		default:
			n.Data = append(make([]byte, 0, len(data)), data...)
		}
		if err := s.need(8 + jute.StatPersistedSize); err != nil {
			return p.readErr(at, "node "+strconv.Quote(n.Path), err)
		}
		n.ACLRef = s.int64()
		st := &n.Stat
		st.Czxid = s.int64()
		st.Mzxid = s.int64()
		st.Ctime = s.int64()
		st.Mtime = s.int64()
		st.Version = s.int32()
		st.Cversion = s.int32()
		st.Aversion = s.int32()
		st.EphemeralOwner = s.int64()
		st.Pzxid = s.int64()
		p.info.Nodes++
		if h.Node != nil {
			if err := h.Node(n); err != nil {
				return p.errAt(at, err)
			}
		}
	}

	// Seal #1 covers everything so far.
	if err := p.seal(1); err != nil {
		return err
	}
	p.info.Size = s.off()

	// Digest block (3.6+). ZooKeeper reads it field by field and takes an
	// EOF anywhere inside as "older snapshot, no digest" (and then does not
	// look for seal #2), so a stream cut inside the block still loads.
	end := s.off()
	d, err := p.digest()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			p.info.Trailing = s.drain() - end
			return nil
		}
		return p.readErr(end, "digest block", err)
	}
	p.info.Digest = d

	// Seal #2 covers everything before it, seal #1 included.
	if err := p.seal(2); err != nil {
		return err
	}
	p.info.Size = s.off()
	p.info.Trailing = s.drain() - p.info.Size
	return nil
}

func (p *parser) aclEntry() (ACLEntry, error) {
	s := &p.src
	at := s.off()
	if err := s.need(12); err != nil {
		return ACLEntry{}, p.readErr(at, "ACL cache entry", err)
	}
	e := ACLEntry{Ref: s.int64()}
	n := s.int32()
	if n < 0 {
		// ZooKeeper: "Incorrent format of InputArchive when deserialize
		// DataTree - missing acls".
		return e, p.errAt(at, fmt.Errorf("%w: ACL cache entry %d has list length %d", ErrCorrupt, e.Ref, n))
	}
	// Grow as elements arrive: a forged count must not allocate up front.
	e.ACL = make([]jute.ACL, 0, min(int(n), 4))
	for range n {
		var a jute.ACL
		at := s.off()
		if err := s.need(4); err != nil {
			return e, p.readErr(at, "ACL", err)
		}
		a.Perms = s.int32()
		scheme, _, err := s.field()
		if err != nil {
			return e, p.readErr(at, "ACL scheme", err)
		}
		a.ID.Scheme = string(scheme)
		id, _, err := s.field()
		if err != nil {
			return e, p.readErr(at, "ACL id", err)
		}
		a.ID.ID = string(id)
		e.ACL = append(e.ACL, a)
	}
	return e, nil
}

func (p *parser) digest() (*Digest, error) {
	s := &p.src
	if err := s.need(12); err != nil {
		return nil, err
	}
	d := &Digest{Zxid: s.int64(), Version: s.int32()}
	if d.Version < jute.DigestVersion {
		// Before version 2 the value was a hex string (never written by 3.8).
		str, null, err := s.field()
		if err != nil {
			return nil, err
		}
		if !null {
			v, err := parseJavaHexLong(string(str))
			if err != nil {
				return nil, fmt.Errorf("%w: digest %q: %v", ErrCorrupt, str, err)
			}
			d.Value = v
		}
		return d, nil
	}
	if err := s.need(8); err != nil {
		return nil, err
	}
	d.Value = s.int64()
	return d, nil
}

// parseJavaHexLong accepts what Long.parseLong(s, 16) accepts and, for the
// values Long.toHexString writes for negative numbers, their unsigned form.
func parseJavaHexLong(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 16, 64); err == nil {
		return v, nil
	}
	v, err := strconv.ParseUint(s, 16, 64)
	return int64(v), err
}

// seal checks seal number i: a long that must equal the Adler-32 of every
// byte before it, then a string ("/") that ZooKeeper reads and ignores.
func (p *parser) seal(i int) error {
	s := &p.src
	at := s.off()
	computed := s.checksum()
	if err := s.need(8); err != nil {
		return p.readErr(at, fmt.Sprintf("seal #%d", i), err)
	}
	stored := s.int64()
	if stored != int64(computed) {
		return p.errAt(at, fmt.Errorf("%w: seal #%d is 0x%08x, the %d bytes before it sum to 0x%08x", ErrCRC, i, uint64(stored), at, computed))
	}
	strAt := s.off()
	if _, _, err := s.field(); err != nil {
		return p.readErr(strAt, fmt.Sprintf("seal #%d marker", i), err)
	}
	return nil
}

// source is a buffered reader over the snapshot stream that keeps a running
// Adler-32 of the bytes consumed, hashed lazily in large runs when the
// buffer slides or a seal needs the value.
type source struct {
	r      io.Reader
	buf    []byte
	pos    int   // next unread byte
	end    int   // end of buffered data
	hashed int   // buf[hashed:pos] is consumed but not yet in sum
	base   int64 // stream offset of buf[0]
	sum    hash.Hash32
	rerr   error // sticky error from r
}

func (s *source) off() int64 { return s.base + int64(s.pos) }

// size is the number of stream bytes read from r so far.
func (s *source) size() int64 { return s.base + int64(s.end) }

func (s *source) checksum() uint32 {
	s.sum.Write(s.buf[s.hashed:s.pos])
	s.hashed = s.pos
	return s.sum.Sum32()
}

// need makes n bytes available at buf[pos:]. At the end of the stream it
// returns io.EOF if none of them exist and io.ErrUnexpectedEOF otherwise.
func (s *source) need(n int) error {
	if s.end-s.pos >= n {
		return nil
	}
	return s.fill(n)
}

func (s *source) fill(n int) error {
	s.sum.Write(s.buf[s.hashed:s.pos])
	if n > len(s.buf) {
		nb := make([]byte, max(n, 2*len(s.buf)))
		copy(nb, s.buf[s.pos:s.end])
		s.buf = nb
	} else {
		copy(s.buf, s.buf[s.pos:s.end])
	}
	s.base += int64(s.pos)
	s.end -= s.pos
	s.pos, s.hashed = 0, 0
	empty := 0
	for s.end < n {
		if s.rerr != nil {
			if s.rerr == io.EOF {
				if s.end == 0 {
					return io.EOF
				}
				return io.ErrUnexpectedEOF
			}
			return s.rerr
		}
		m, err := s.r.Read(s.buf[s.end:])
		s.end += m
		switch {
		case err != nil:
			s.rerr = err
		case m == 0:
			if empty++; empty > 100 {
				s.rerr = io.ErrNoProgress
			}
		}
	}
	return nil
}

// drain consumes the rest of the stream, ignoring read errors (ZooKeeper
// never reads past its last seal), and returns the stream's total length.
func (s *source) drain() int64 {
	total := s.size()
	for s.rerr == nil {
		m, err := s.r.Read(s.buf)
		total += int64(m)
		if err != nil || m == 0 {
			break
		}
	}
	return total
}

// The accessors below assume need succeeded.

func (s *source) int32() int32 {
	v := int32(binary.BigEndian.Uint32(s.buf[s.pos:]))
	s.pos += 4
	return v
}

func (s *source) int64() int64 {
	v := int64(binary.BigEndian.Uint64(s.buf[s.pos:]))
	s.pos += 8
	return v
}

func (s *source) count() (int32, error) {
	if err := s.need(4); err != nil {
		return 0, err
	}
	return s.int32(), nil
}

type lengthError struct {
	off int64
	n   int32
}

func (e *lengthError) Error() string { return fmt.Sprintf("unreasonable length %d", e.n) }

// field reads a jute buffer or ustring. The bytes alias the read buffer and
// are valid until the next read.
func (s *source) field() (b []byte, null bool, err error) {
	at := s.off()
	n, err := s.count()
	if err != nil {
		return nil, false, err
	}
	if n == -1 {
		return nil, true, nil
	}
	if n < 0 || n > jute.MaxLength {
		return nil, false, &lengthError{off: at, n: n}
	}
	if err := s.need(int(n)); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, false, err
	}
	b = s.buf[s.pos : s.pos+int(n) : s.pos+int(n)]
	s.pos += int(n)
	return b, false, nil
}
