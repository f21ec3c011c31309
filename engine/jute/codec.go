// Package jute implements ZooKeeper's binary record encoding ("jute") and the
// records of ZooKeeper 3.8: those it writes to its transaction logs and
// snapshots (txn.go, records.go), those a client and a server exchange
// (requests.go) and those the members of an ensemble exchange (quorum.go).
//
// The archive has no tags and no framing: fields are concatenated big-endian
// in declaration order. Buffers, strings and vectors carry an int length, with
// -1 meaning null.
package jute

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxLength is the largest buffer or string length ZooKeeper 3.8 accepts when
// reading: jute.maxbuffer (0xfffff) plus the default extra size (0xfffff).
const MaxLength = 2 * 0xfffff

var (
	// ErrShort means the input ended inside a record.
	ErrShort = errors.New("jute: unexpected end of record")
	// ErrLength means a length prefix was negative (other than -1) or larger
	// than MaxLength; ZooKeeper reports this as "Unreasonable length".
	ErrLength = errors.New("jute: unreasonable length")
)

// Writer appends jute encodings to a byte slice. The zero value is ready to
// use; Reset keeps the allocation so a hot path can reuse one Writer.
type Writer struct {
	buf []byte
}

// NewWriter returns a Writer that appends to buf[:0].
func NewWriter(buf []byte) *Writer { return &Writer{buf: buf[:0]} }

// Bytes returns everything written so far. It aliases the Writer's buffer.
func (w *Writer) Bytes() []byte { return w.buf }

// Len returns the number of bytes written.
func (w *Writer) Len() int { return len(w.buf) }

// Reset empties the Writer, keeping its buffer.
func (w *Writer) Reset() { w.buf = w.buf[:0] }

// Truncate keeps the first n bytes written.
func (w *Writer) Truncate(n int) { w.buf = w.buf[:n] }

func (w *Writer) Byte(v byte) { w.buf = append(w.buf, v) }

func (w *Writer) Bool(v bool) {
	if v {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

func (w *Writer) Int(v int32) { w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(v)) }

func (w *Writer) Long(v int64) { w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(v)) }

// Buffer writes a length-prefixed byte buffer; a nil slice is written as
// null (length -1), an empty non-nil slice as length 0.
func (w *Writer) Buffer(b []byte) {
	if b == nil {
		w.Int(-1)
		return
	}
	w.Int(int32(len(b)))
	w.buf = append(w.buf, b...)
}

// String writes a ustring the way Java's DataOutput does it per UTF-16 code
// unit: identical to UTF-8 for the Basic Multilingual Plane, but characters
// above it become two 3-byte surrogate encodings (CESU-8).
func (w *Writer) String(s string) {
	if isBMP(s) {
		w.Int(int32(len(s)))
		w.buf = append(w.buf, s...)
		return
	}
	at := len(w.buf)
	w.Int(0)
	for _, r := range s {
		if r <= 0xffff {
			w.buf = utf8.AppendRune(w.buf, r)
			continue
		}
		r -= 0x10000
		w.buf = appendSurrogate(w.buf, 0xd800+(r>>10))
		w.buf = appendSurrogate(w.buf, 0xdc00+(r&0x3ff))
	}
	binary.BigEndian.PutUint32(w.buf[at:], uint32(len(w.buf)-at-4))
}

func isBMP(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xf0 { // lead byte of a 4-byte UTF-8 sequence
			return false
		}
	}
	return true
}

func appendSurrogate(b []byte, u rune) []byte {
	return append(b, byte(0xe0|u>>12), byte(0x80|(u>>6)&0x3f), byte(0x80|u&0x3f))
}

// Reader decodes jute fields from a byte slice. Errors are sticky: after the
// first failure every read returns a zero value and Err reports the cause, so
// record decoders read all fields and check once.
type Reader struct {
	buf []byte
	off int
	err error
}

// NewReader returns a Reader over b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Err returns the first error met, wrapped with the offset where it happened.
func (r *Reader) Err() error { return r.err }

// Offset returns the number of bytes consumed.
func (r *Reader) Offset() int { return r.off }

// Remaining returns the number of bytes not yet consumed.
func (r *Reader) Remaining() int { return len(r.buf) - r.off }

func (r *Reader) fail(err error) {
	if r.err == nil {
		r.err = fmt.Errorf("at record offset %d: %w", r.off, err)
	}
}

func (r *Reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.buf)-r.off {
		r.fail(ErrShort)
		return nil
	}
	b := r.buf[r.off : r.off+n]
	r.off += n
	return b
}

func (r *Reader) Byte() byte {
	b := r.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// Bool reads a boolean; like Java, any non-zero byte is true.
func (r *Reader) Bool() bool { return r.Byte() != 0 }

func (r *Reader) Int() int32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (r *Reader) Long() int64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

func (r *Reader) length() (int, bool) {
	n := r.Int()
	if r.err != nil {
		return 0, false
	}
	if n == -1 {
		return -1, true
	}
	if n < 0 || n > MaxLength {
		r.off -= 4
		r.fail(fmt.Errorf("%w %d", ErrLength, n))
		return 0, false
	}
	return int(n), true
}

// Buffer reads a length-prefixed buffer. Null (-1) returns nil; the result
// aliases the input, so callers that keep it must copy.
func (r *Reader) Buffer() []byte {
	n, ok := r.length()
	if !ok || n < 0 {
		return nil
	}
	b := r.take(n)
	if b == nil {
		return nil
	}
	return b[:n:n]
}

// BufferCopy is Buffer with the bytes copied out of the input; an empty
// buffer stays non-nil so that it re-encodes as length 0, not null.
func (r *Reader) BufferCopy() []byte {
	b := r.Buffer()
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// String reads a ustring. Null strings read as "".
func (r *Reader) String() string {
	n, ok := r.length()
	if !ok || n < 0 {
		return ""
	}
	return string(r.take(n))
}

// Count reads a vector's element count; null (-1) reads as 0 with null set.
func (r *Reader) Count() (n int, null bool) {
	c := r.Int()
	if r.err != nil {
		return 0, false
	}
	if c == -1 {
		return 0, true
	}
	// Every element takes at least one byte, which bounds a forged count.
	if c < 0 || int(c) > r.Remaining() {
		r.off -= 4
		r.fail(fmt.Errorf("%w: vector count %d", ErrLength, c))
		return 0, false
	}
	return int(c), false
}
