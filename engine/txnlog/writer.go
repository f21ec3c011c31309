package txnlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"io/fs"
	"path/filepath"
	"sync/atomic"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
)

const (
	// DefaultPreAllocSize is ZooKeeper's default zookeeper.preAllocSize
	// (65536 KiB).
	DefaultPreAllocSize = 64 << 20
	// DefaultWarnThreshold is ZooKeeper's fsync.warningthresholdms.
	DefaultWarnThreshold = time.Second

	// padMargin is how close to the preallocated end ZooKeeper lets the
	// file position get before it extends again (FilePadding).
	padMargin = 4096
	// flushThreshold bounds the batch buffer: once this many bytes are
	// pending they go to the file (without a sync), as ZooKeeper's
	// BufferedOutputStream does every 8 KiB. Batches smaller than this are
	// written with a single write call at Commit.
	flushThreshold = 1 << 20
)

// Options configure a Writer. The zero value is ZooKeeper's default
// configuration: 64 MiB preallocation by writing one zero byte, fdatasync.
type Options struct {
	// PreAllocSize is the preallocation step in bytes (ZooKeeper's
	// zookeeper.preAllocSize × 1024). 0 means DefaultPreAllocSize; a
	// negative value disables preallocation, as does PreallocNone.
	PreAllocSize int64
	// PreallocMode is how the file is extended (disk.Extend).
	PreallocMode disk.PreallocMode
	// SyncMethod is how a commit is made durable; disk.SyncNone is
	// ZooKeeper's forceSync=no.
	SyncMethod disk.SyncMethod
	// Sink hears about every sync and extension; nil means disk.Discard.
	// It runs on the write path and must not block.
	Sink disk.Sink
	// WarnThreshold: syncs slower than this are counted in
	// Stats.SlowSyncs (ZooKeeper's fsync.warningthresholdms). 0 means
	// DefaultWarnThreshold.
	WarnThreshold time.Duration
	// SizeLimit is zookeeper.txnLogSizeLimitInKb × 1024: after a commit,
	// the file is rolled when its length including preallocation exceeds
	// it. <= 0 disables the limit.
	SizeLimit int64
	// OnRoll, when set, is called (on the writing goroutine) each time a
	// log file is rolled, i.e. closed so that the next Append starts a new
	// one. It is not called by Close.
	OnRoll func(RollEvent)
}

// RollReason says why a log file was rolled.
type RollReason int

const (
	RollRequested RollReason = iota // Roll was called (snapshot trigger)
	RollSizeLimit                   // Options.SizeLimit was exceeded
)

func (r RollReason) String() string {
	if r == RollSizeLimit {
		return "size-limit"
	}
	return "requested"
}

// RollEvent describes a log file that was just closed by a roll.
type RollEvent struct {
	Path      string
	Reason    RollReason
	Size      int64 // length including preallocation (what SizeLimit checks)
	Txns      int64 // records in the file
	FirstZxid int64
	LastZxid  int64
}

// Stats are a Writer's running totals.
type Stats struct {
	Syncs      int64  // sync calls (none with disk.SyncNone)
	SlowSyncs  int64  // syncs slower than Options.WarnThreshold
	Commits    int64  // group commits that made at least one txn durable
	Txns       int64  // txns committed
	Bytes      int64  // bytes committed: records plus file headers, no padding
	Extends    int64  // preallocation steps
	Files      int64  // log files created
	Rolls      int64  // log files rolled (RollEvents)
	File       string // current log file, "" between a roll and the next Append
	LastZxid   int64  // last zxid appended, -1 before the first
	SyncedZxid int64  // last zxid made durable by a commit, -1 before the first
}

// Writer appends txns to the log files of one directory, the way
// ZooKeeper's FileTxnLog does. One Writer per member; it must be used by
// one goroutine at a time (Committer is the usual owner). Stats may be
// called from any goroutine.
//
// After a write or sync error the Writer is failed: every later call
// returns that error, since the state of the file is unknown (a failed
// fsync cannot be retried safely).
type Writer struct {
	fsys     disk.FS
	dir      string
	opts     Options
	prealloc int64 // 0 when disabled
	sink     disk.Sink

	f             disk.File
	path          string
	pos           int64 // ZooKeeper's filePosition: header + bytes written by commits
	written       int64 // bytes handed to the file so far
	fileCommitted bool  // a commit has made the header durable
	padded        int64 // FilePadding.currentSize: tracked preallocated length
	fileSize      int64 // ZooKeeper's fileSize: what SizeLimit is checked against
	fileTxns      int64
	firstZxid     int64

	batch     []byte // framed records not yet written to the file
	batchTxns int    // txns appended since the last commit
	unsynced  int64  // bytes written or buffered since the last sync
	lastZxid  int64
	lastSize  int64 // on-disk size of the last appended record
	err       error // sticky failure
	closed    bool

	st struct {
		syncs, slow, commits, txns, bytes, extends, files, rolls atomic.Int64
		lastZxid, syncedZxid                                     atomic.Int64
		file                                                     atomic.Pointer[string]
	}
}

// Open returns a Writer for the log directory dir (the version-2
// directory), creating it if needed. Like a restarted ZooKeeper server it
// never appends to an existing file: the first Append creates a new one.
func Open(fsys disk.FS, dir string, opts Options) (*Writer, error) {
	if err := fsys.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("txnlog: create %s: %w", dir, err)
	}
	w := &Writer{fsys: fsys, dir: dir, opts: opts, sink: opts.Sink, lastZxid: -1}
	switch {
	case opts.PreallocMode == disk.PreallocNone || opts.PreAllocSize < 0:
	case opts.PreAllocSize == 0:
		w.prealloc = DefaultPreAllocSize
	default:
		w.prealloc = opts.PreAllocSize
	}
	if w.sink == nil {
		w.sink = disk.Discard
	}
	if w.opts.WarnThreshold <= 0 {
		w.opts.WarnThreshold = DefaultWarnThreshold
	}
	w.st.lastZxid.Store(-1)
	w.st.syncedZxid.Store(-1)
	return w, nil
}

// Dir returns the log directory.
func (w *Writer) Dir() string { return w.dir }

// LastZxid returns the zxid of the last appended txn, or -1.
func (w *Writer) LastZxid() int64 { return w.lastZxid }

// Stats returns the Writer's totals. It is safe to call concurrently with
// the writing goroutine.
func (w *Writer) Stats() Stats {
	s := Stats{
		Syncs:      w.st.syncs.Load(),
		SlowSyncs:  w.st.slow.Load(),
		Commits:    w.st.commits.Load(),
		Txns:       w.st.txns.Load(),
		Bytes:      w.st.bytes.Load(),
		Extends:    w.st.extends.Load(),
		Files:      w.st.files.Load(),
		Rolls:      w.st.rolls.Load(),
		LastZxid:   w.st.lastZxid.Load(),
		SyncedZxid: w.st.syncedZxid.Load(),
	}
	if p := w.st.file.Load(); p != nil {
		s.File = *p
	}
	return s
}

func (w *Writer) usable() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	return nil
}

func (w *Writer) fail(err error) error {
	w.err = err
	return err
}

// Append adds an encoded txn (header ‖ body ‖ digest, as jute.Txn.Encode
// writes it) to the current batch, framed as uint64(adler32(entry)),
// int32 length, entry, 'B'. The caller encoded it once, for its peers as
// much as for the log; Append copies it and reads only the zxid from its
// header. It is not durable, and usually not even written, until Commit.
//
// The first Append after Open or a roll creates the file log.<zxid>; its
// 16-byte header (ZKLG, version 2, dbid 0) is written with the first
// batch. Before each append the file is preallocated as ZooKeeper does
// (§2.6), from the position of the last commit. Zxids must be strictly
// increasing (ErrZxidOrder); an entry longer than jute.MaxLength, which no
// reader would accept, fails with ErrLength, one too short to hold a txn
// header with jute.ErrShort. None of those errors fails the Writer.
func (w *Writer) Append(entry []byte) error {
	if err := w.usable(); err != nil {
		return err
	}
	z, err := jute.EntryZxid(entry)
	if err != nil {
		return fmt.Errorf("txnlog: append: %w", err)
	}
	if z < 0 {
		return fmt.Errorf("%w: negative zxid 0x%x", ErrZxidOrder, uint64(z))
	}
	if w.lastZxid >= 0 && z <= w.lastZxid {
		return fmt.Errorf("%w: 0x%x after 0x%x", ErrZxidOrder, z, w.lastZxid)
	}
	if len(entry) > jute.MaxLength {
		return fmt.Errorf("txnlog: append zxid 0x%x: %w: entry of %d bytes (max %d)", z, ErrLength, len(entry), jute.MaxLength)
	}
	if w.f == nil {
		if err := w.create(z); err != nil {
			return w.fail(err)
		}
	}
	if err := w.pad(); err != nil {
		return w.fail(err)
	}
	w.batch = binary.BigEndian.AppendUint64(w.batch, uint64(adler32.Checksum(entry)))
	w.batch = binary.BigEndian.AppendUint32(w.batch, uint32(len(entry)))
	w.batch = append(w.batch, entry...)
	w.batch = append(w.batch, recordTrailer)
	w.lastSize = int64(len(entry)) + RecordOverhead
	w.unsynced += w.lastSize
	w.batchTxns++
	w.fileTxns++
	w.lastZxid = z
	w.st.lastZxid.Store(z)
	// Until the first commit the header is in the buffer and must reach
	// the file in the same write as the first records (see create).
	if len(w.batch) >= flushThreshold && w.fileCommitted {
		return w.write()
	}
	return nil
}

// write hands the batch buffer to the file.
func (w *Writer) write() error {
	if len(w.batch) == 0 {
		return nil
	}
	n, err := w.f.Write(w.batch)
	w.written += int64(n)
	if err != nil {
		return w.fail(fmt.Errorf("log %s at offset %d: write: %w", w.path, w.written, err))
	}
	w.batch = w.batch[:0]
	return nil
}

// create starts the file log.<zxid>. Its header goes at the front of the
// batch buffer, so that it reaches the file in the same write as the first
// records: a crash before the first commit then leaves a file that ends
// inside its header or inside a record, both of which readers treat as a
// torn tail, and never records behind a header that was lost. (ZooKeeper
// writes the header on its own first; the bytes and the syncs are the same.)
func (w *Writer) create(zxid int64) error {
	path := filepath.Join(w.dir, FileName(zxid))
	f, err := w.openNew(path)
	if errors.Is(err, fs.ErrExist) {
		// ZooKeeper's FileOutputStream would overwrite it. A file of that
		// name is normally a leftover from a crash before its first txn
		// became durable; refuse to destroy one that holds txns.
		if err := w.checkReplaceable(path); err != nil {
			return err
		}
		if err := w.fsys.Remove(path); err != nil {
			return fmt.Errorf("txnlog: replace %s: %w", path, err)
		}
		f, err = w.openNew(path)
	}
	if err != nil {
		return fmt.Errorf("txnlog: create %s: %w", path, err)
	}
	w.batch = binary.BigEndian.AppendUint32(w.batch, uint32(jute.LogMagic))
	w.batch = binary.BigEndian.AppendUint32(w.batch, uint32(jute.FileVersion))
	w.batch = binary.BigEndian.AppendUint64(w.batch, 0) // dbid, always 0
	w.f, w.path = f, path
	// As in ZooKeeper, the position starts after the header.
	w.pos, w.padded, w.fileSize = jute.FileHeaderSize, jute.FileHeaderSize, jute.FileHeaderSize
	w.written, w.fileCommitted = 0, false
	w.fileTxns, w.firstZxid = 0, zxid
	w.unsynced += jute.FileHeaderSize
	w.st.files.Add(1)
	w.st.file.Store(&path)
	return nil
}

func (w *Writer) openNew(path string) (disk.File, error) {
	if w.opts.SyncMethod == disk.SyncODsync {
		return w.fsys.OpenSync(path)
	}
	return w.fsys.Create(path)
}

func (w *Writer) checkReplaceable(path string) error {
	r, err := OpenReader(w.fsys, path)
	if err != nil {
		if errors.Is(err, ErrShortHeader) {
			return nil
		}
		return fmt.Errorf("txnlog: %s exists and is not replaceable: %w", path, err)
	}
	defer r.Close()
	if _, err := r.Next(); err != io.EOF {
		return fmt.Errorf("txnlog: %s exists and holds txns: %w", path, fs.ErrExist)
	}
	return nil
}

// pad is ZooKeeper's FilePadding.padFile with the position of the last
// commit: when less than 4 KiB of preallocated space is left, grow by one
// step; when the file already runs past the preallocated end (a large
// record), grow to the next multiple of the step above the position.
func (w *Writer) pad() error {
	if w.prealloc > 0 && w.pos+padMargin >= w.padded {
		var size int64
		if w.pos > w.padded {
			size = w.pos + w.prealloc
			size -= size % w.prealloc
		} else {
			size = w.padded + w.prealloc
		}
		// Never extend over bytes already written: PreallocZero would
		// zero them.
		from := max(w.padded, w.written)
		if err := disk.Extend(w.f, w.opts.PreallocMode, from, size, (*writerSink)(w)); err != nil {
			return fmt.Errorf("log %s: %w", w.path, err)
		}
		w.padded = size
	}
	// ZooKeeper sets fileSize to padFile's result before every append.
	w.fileSize = w.padded
	return nil
}

// Commit writes the batch to the file and makes it durable with one sync
// (disk.TimedFlush, reported to the Sink with the batch's bytes and txns):
// one group commit. Afterwards the file is rolled if it exceeds
// Options.SizeLimit. Commit without appended txns does nothing.
func (w *Writer) Commit() error {
	if err := w.usable(); err != nil {
		return err
	}
	if w.batchTxns == 0 {
		return nil
	}
	if err := w.write(); err != nil {
		return err
	}
	w.pos = w.written
	w.fileCommitted = true
	w.fileSize = max(w.fileSize, w.pos)
	if err := disk.TimedFlush(w.f, w.opts.SyncMethod, (*writerSink)(w), w.unsynced, w.batchTxns); err != nil {
		return w.fail(fmt.Errorf("log %s: sync: %w", w.path, err))
	}
	w.st.commits.Add(1)
	w.st.txns.Add(int64(w.batchTxns))
	w.st.bytes.Add(w.unsynced)
	w.st.syncedZxid.Store(w.lastZxid)
	w.unsynced, w.batchTxns = 0, 0
	if w.opts.SizeLimit > 0 && w.fileSize > w.opts.SizeLimit {
		return w.closeFile(RollSizeLimit)
	}
	return nil
}

// Roll commits the batch and closes the current file, so that the next
// Append starts a new one (ZooKeeper rolls when a snapshot is triggered).
// Without an open file it does nothing.
func (w *Writer) Roll() error {
	if err := w.Commit(); err != nil {
		return err
	}
	if w.f == nil {
		return nil
	}
	return w.closeFile(RollRequested)
}

func (w *Writer) closeFile(reason RollReason) error {
	ev := RollEvent{Path: w.path, Reason: reason, Size: w.fileSize, Txns: w.fileTxns, FirstZxid: w.firstZxid, LastZxid: w.lastZxid}
	err := w.f.Close()
	w.f, w.path = nil, ""
	w.st.file.Store(nil)
	if err != nil {
		return w.fail(fmt.Errorf("log %s: close: %w", ev.Path, err))
	}
	w.st.rolls.Add(1)
	if w.opts.OnRoll != nil {
		w.opts.OnRoll(ev)
	}
	return nil
}

// Close commits the batch and closes the file. It is idempotent.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	err := w.Commit()
	w.closed = true
	if w.f != nil {
		if cerr := w.f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("log %s: close: %w", w.path, cerr)
		}
		w.f = nil
		w.st.file.Store(nil)
	}
	return err
}

// writerSink counts syncs and extensions before passing them on. It is
// the Writer itself, so handing it to disk as a Sink does not allocate.
type writerSink Writer

func (s *writerSink) Synced(e disk.SyncEvent) {
	s.st.syncs.Add(1)
	if e.Duration > s.opts.WarnThreshold {
		s.st.slow.Add(1)
	}
	s.sink.Synced(e)
}

func (s *writerSink) Extended(e disk.ExtendEvent) {
	s.st.extends.Add(1)
	s.sink.Extended(e)
}
