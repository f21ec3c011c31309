// Package txnlog reads and writes ZooKeeper 3.8 transaction log files
// (docs/zk-disk-format.md §2, §5, §6): append with ZooKeeper's preallocation,
// group commit, roll, iterate across files, truncate and verify.
//
// Every function that takes a dir expects the "version-2" directory itself
// (<dataLogDir>/version-2), which holds files named log.<hex zxid of the
// first txn in the file>.
//
// The reader follows the exact end-of-file rules of ZooKeeper's
// FileTxnIterator: a torn or zero-padded tail ends a file quietly, while a
// checksum mismatch inside a complete record is an error (ZooKeeper refuses
// to start), reported here with the file and the record's byte offset.
package txnlog

import (
	"errors"
	"fmt"

	"zkbench/engine/jute"
)

// VersionDir is the sub-directory of dataLogDir that holds the log files.
const VersionDir = "version-2"

// On-disk framing of one record: checksum (8), length (4), entry, 'B' (1).
const (
	recordHeaderSize = 12
	recordTrailer    = 'B'
	// RecordOverhead is the number of bytes a record adds to its entry.
	RecordOverhead = recordHeaderSize + 1
)

var (
	// ErrChecksum means a complete record's stored Adler-32 does not match
	// its entry. ZooKeeper reports "CRC check failed" and refuses to start.
	ErrChecksum = errors.New("txnlog: checksum mismatch")
	// ErrBadMagic means a file does not start with "ZKLG".
	ErrBadMagic = errors.New("txnlog: bad magic, not a ZooKeeper transaction log")
	// ErrShortHeader means a file ended inside its 16-byte header, as left
	// by a crash right after the file was created.
	ErrShortHeader = errors.New("txnlog: incomplete file header")
	// ErrLength means a record length was < -1 or > jute.MaxLength
	// ("Unreasonable length"), or an entry to append is too long to be read
	// back. It is jute.ErrLength, so field-level length errors match too.
	ErrLength = jute.ErrLength
	// ErrUnknownOp means a record carried an op code ZooKeeper never logs.
	ErrUnknownOp = jute.ErrUnknownOp
	// ErrZxidOrder means an appended zxid was not above the previous one.
	ErrZxidOrder = errors.New("txnlog: zxid not strictly increasing")
	// ErrNoLog means no log file holds the requested zxid (ZooKeeper: "No
	// log files found to truncate!").
	ErrNoLog = errors.New("txnlog: no log file covers zxid")
	// ErrClosed is returned by a closed Writer or Committer.
	ErrClosed = errors.New("txnlog: closed")
)

// CorruptError locates a problem in a log file. It wraps one of the
// sentinel errors (or a jute decoding error).
type CorruptError struct {
	File   string
	Offset int64 // byte offset of the record (or header) at fault
	Err    error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("log %s at offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Record is one transaction read from a log.
type Record struct {
	Txn    *jute.Txn // nil only when a record with a checksum error did not decode
	File   string    // path of the log file
	Offset int64     // byte offset of the record's checksum field
	Size   int64     // on-disk size: RecordOverhead + len(Entry)
	// Checksum is the stored checksum field (Adler-32 zero-extended).
	Checksum uint64
	// Entry is the raw entry (TxnHeader ‖ body ‖ digest). It aliases the
	// reader's buffer and is only valid until the next call to Next.
	Entry []byte
}

// End returns the offset just past the record's 'B' marker.
func (r *Record) End() int64 { return r.Offset + r.Size }

// Zxid returns the record's zxid, or -1 when it did not decode.
func (r *Record) Zxid() int64 {
	if r.Txn == nil {
		return -1
	}
	return r.Txn.Header.Zxid
}
