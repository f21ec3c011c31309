package txnlog

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
)

// readBufferSize bounds how much of a file's zero padding is read before
// the end marker is seen: a 64 MiB preallocated log costs one 64 KiB read.
const readBufferSize = 64 << 10

// Reader reads the records of one log file in order. It is what the dump
// tool uses: unlike Iterator it lets the caller continue past a checksum
// mismatch, the way ZooKeeper's TxnLogToolkit prints "CRC ERROR" and goes on.
type Reader struct {
	name   string
	closer io.Closer
	br     *bufio.Reader
	hdr    jute.FileHeader
	off    int64 // offset of the next record
	entry  []byte
	n      int // records framed so far
	torn   bool
	done   bool
	err    error // sticky: no further records can be framed
}

// OpenReader opens path and reads its header. A file that does not start
// with the log magic fails with ErrBadMagic; one that ends inside the header
// with ErrShortHeader. Both are wrapped in a *CorruptError naming the file.
func OpenReader(fsys disk.FS, path string) (*Reader, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads a log from rd; name is used in errors and records.
func NewReader(rd io.Reader, name string) (*Reader, error) {
	r := &Reader{name: name, br: bufio.NewReaderSize(rd, readBufferSize)}
	var b [jute.FileHeaderSize]byte
	n, err := io.ReadFull(r.br, b[:])
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, &CorruptError{File: name, Offset: int64(n), Err: ErrShortHeader}
	case err != nil:
		return nil, fmt.Errorf("log %s: read header: %w", name, err)
	}
	if b == [jute.FileHeaderSize]byte{} {
		// The file was extended (preallocated) but its header never reached
		// the disk: a crash right after the file was created. Like a file
		// cut inside its header, it holds no txns.
		return nil, &CorruptError{File: name, Offset: 0, Err: fmt.Errorf("%w: all zeros", ErrShortHeader)}
	}
	jr := jute.NewReader(b[:])
	r.hdr.Decode(jr)
	// Like ZooKeeper, only the magic is checked; version and dbid are not.
	if r.hdr.Magic != jute.LogMagic {
		return nil, &CorruptError{File: name, Offset: 0, Err: fmt.Errorf("%w (0x%08x)", ErrBadMagic, uint32(r.hdr.Magic))}
	}
	r.off = jute.FileHeaderSize
	return r, nil
}

// Header returns the file header.
func (r *Reader) Header() jute.FileHeader { return r.hdr }

// Name returns the name the Reader was opened with.
func (r *Reader) Name() string { return r.name }

// Offset returns the offset of the next record; after Next has returned
// io.EOF it is where the readable log ends (the start of the padding or of
// the torn record).
func (r *Reader) Offset() int64 { return r.off }

// Count returns the number of records framed so far, including records
// returned with a checksum or decoding error.
func (r *Reader) Count() int { return r.n }

// Torn reports whether the file ended inside a record: a partial
// checksum/length/entry, or an entry not followed by the 'B' marker
// ("Last transaction was partial."). ZooKeeper drops such a record quietly.
func (r *Reader) Torn() bool { return r.torn }

// Close closes the file opened by OpenReader.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// Next returns the next record, or io.EOF at the end of the file. The
// end is, as in ZooKeeper's FileTxnIterator: end of file, a length of 0
// (the zero padding) or -1, or a torn last record (see Torn).
//
// Errors are *CorruptError values. A checksum mismatch (ErrChecksum) and an
// undecodable entry (e.g. ErrUnknownOp) come with the framed Record, whose
// Txn is decoded when possible, and the Reader stays positioned after that
// record so the caller may go on; a bad length (ErrLength) or an I/O error
// ends the file for good and Next keeps returning it.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	if r.done {
		return Record{}, io.EOF
	}
	start := r.off
	var h [recordHeaderSize]byte
	if n, err := io.ReadFull(r.br, h[:]); err != nil {
		// Zeros up to the end of the file are padding, however few: the
		// writer pads from its last commit, so a batch may end a few bytes
		// short of the preallocated end. Only non-zero bytes are a torn
		// record.
		if errors.Is(err, io.ErrUnexpectedEOF) && allZero(h[:n]) {
			r.done = true
			return Record{}, io.EOF
		}
		return Record{}, r.end(err, start, false)
	}
	sum := binary.BigEndian.Uint64(h[:8])
	n := int32(binary.BigEndian.Uint32(h[8:]))
	switch {
	case n == 0 || n == -1:
		// Zero padding (or a null buffer): the regular end of a log.
		r.done = true
		return Record{}, io.EOF
	case n < -1 || n > jute.MaxLength:
		r.err = &CorruptError{File: r.name, Offset: start, Err: fmt.Errorf("%w %d", ErrLength, n)}
		return Record{}, r.err
	}
	if cap(r.entry) < int(n) {
		r.entry = make([]byte, n)
	}
	entry := r.entry[:n]
	if _, err := io.ReadFull(r.br, entry); err != nil {
		return Record{}, r.end(err, start, true)
	}
	// The marker is checked before the checksum, as ZooKeeper does, so a
	// torn tail never surfaces as a checksum error.
	b, err := r.br.ReadByte()
	if err != nil {
		return Record{}, r.end(err, start, true)
	}
	if b != recordTrailer {
		r.torn, r.done = true, true
		return Record{}, io.EOF
	}
	r.off = start + int64(recordHeaderSize) + int64(n) + 1
	r.n++
	rec := Record{File: r.name, Offset: start, Size: r.off - start, Checksum: sum, Entry: entry}
	var crcErr error
	if got := adler32.Checksum(entry); uint64(got) != sum {
		crcErr = &CorruptError{File: r.name, Offset: start,
			Err: fmt.Errorf("%w: stored 0x%x, computed 0x%08x", ErrChecksum, sum, got)}
	}
	t, err := jute.DecodeTxn(entry)
	if err != nil {
		if crcErr != nil {
			return rec, crcErr
		}
		return rec, &CorruptError{File: r.name, Offset: start, Err: err}
	}
	rec.Txn = t
	return rec, crcErr
}

// end classifies a read error in the record starting at start; partial
// says that some of its bytes were already read.
func (r *Reader) end(err error, start int64, partial bool) error {
	switch {
	case err == io.EOF && !partial:
		// The file ends exactly after a record (no padding).
		r.done = true
		return io.EOF
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		r.done, r.torn = true, true
		return io.EOF
	}
	r.err = &CorruptError{File: r.name, Offset: start, Err: err}
	return r.err
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
