package txnlog

import (
	"errors"
	"fmt"
	"io"

	"zkbench/engine/disk"
)

// Iterator reads the txns of a log directory from a zxid on, across files,
// with the start-up semantics of ZooKeeper's FileTxnIterator: files are
// chosen by SelectFiles, records below the start zxid are skipped, each
// file is read to its end marker, and any error (ErrChecksum, ErrBadMagic,
// ErrLength, ErrUnknownOp, I/O) stops the iteration for good.
//
// One deliberate difference: a file that ends inside its 16-byte header
// (a crash right after the file was created, before anything in it was
// durable) is read as an empty file with a torn tail. ZooKeeper 3.8.0
// fails to start on such a file (ZOOKEEPER-2332, fixed later upstream).
type Iterator struct {
	fsys    disk.FS
	files   []LogFile
	from    int64
	next    int     // index in files of the next file to open
	r       *Reader // current file
	started bool    // a record >= from was returned
	torn    []TornTail
	err     error
}

// TornTail is where a file ended inside a record (or inside its header).
type TornTail struct {
	File   string
	Offset int64 // start of the dropped partial record
}

// NewIterator returns an Iterator over the txns of dir with zxid >= from.
func NewIterator(fsys disk.FS, dir string, from int64) (*Iterator, error) {
	files, err := ListFiles(fsys, dir)
	if err != nil {
		return nil, err
	}
	return newIterator(fsys, SelectFiles(files, from), from), nil
}

// NewFileIterator returns an Iterator over the txns of files (in the order
// ListFiles gives) with zxid >= from. With from below every zxid it reads
// the files from their start, as ZooKeeper's FileTxnIterator does when it
// is not fast-forwarded (a learner sync from the log needs the txns
// before the learner's zxid too).
func NewFileIterator(fsys disk.FS, files []LogFile, from int64) *Iterator {
	return newIterator(fsys, files, from)
}

func newIterator(fsys disk.FS, files []LogFile, from int64) *Iterator {
	return &Iterator{fsys: fsys, files: files, from: from}
}

// Files returns the files the Iterator reads, in order.
func (it *Iterator) Files() []LogFile { return it.files }

// TornTails returns the torn tails met so far; ZooKeeper drops them
// quietly ("Last transaction was partial.").
func (it *Iterator) TornTails() []TornTail { return it.torn }

// Next returns the next record, or io.EOF after the last file. The
// Record's Entry is only valid until the next call.
func (it *Iterator) Next() (Record, error) {
	for it.err == nil {
		if it.r == nil {
			if it.next >= len(it.files) {
				return Record{}, io.EOF
			}
			f := it.files[it.next]
			it.next++
			r, err := OpenReader(it.fsys, f.Path)
			if errors.Is(err, ErrShortHeader) {
				it.torn = append(it.torn, TornTail{File: f.Path})
				continue
			}
			if err != nil {
				it.err = err
				break
			}
			it.r = r
		}
		rec, err := it.r.Next()
		if err == io.EOF {
			if it.r.Torn() {
				it.torn = append(it.torn, TornTail{File: it.r.Name(), Offset: it.r.Offset()})
			}
			it.closeFile()
			continue
		}
		if err != nil {
			it.err = err
			it.closeFile()
			break
		}
		if !it.started && rec.Txn.Header.Zxid < it.from {
			continue
		}
		it.started = true
		return rec, nil
	}
	return Record{}, it.err
}

func (it *Iterator) closeFile() {
	if it.r != nil {
		it.r.Close()
		it.r = nil
	}
}

// Close releases the open file.
func (it *Iterator) Close() error {
	it.closeFile()
	return nil
}

// LastZxid returns the zxid of the last complete record in dir, or -1 when
// there is none. It scans the newest file to its end and, when that file
// holds no record (a crash before its first txn became durable), the next
// older one, and so on. (ZooKeeper's getLastLoggedZxid would report such an
// empty file's name zxid, a txn that is not in the log.)
func LastZxid(fsys disk.FS, dir string) (int64, error) {
	files, err := ListFiles(fsys, dir)
	if err != nil {
		return -1, err
	}
	for i := len(files) - 1; i >= 0; i-- {
		last, err := lastInFile(fsys, files[i].Path)
		if err != nil || last >= 0 {
			return last, err
		}
	}
	return -1, nil
}

func lastInFile(fsys disk.FS, path string) (int64, error) {
	r, err := OpenReader(fsys, path)
	if errors.Is(err, ErrShortHeader) {
		return -1, nil
	}
	if err != nil {
		return -1, err
	}
	defer r.Close()
	last := int64(-1)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return last, nil
		}
		if err != nil {
			return -1, err
		}
		last = rec.Txn.Header.Zxid
	}
}

// Truncate is ZooKeeper's FileTxnLog.truncate (§6), run when a learner gets
// TRUNC: position an iterator at zxid, cut that record's file right after
// its 'B' marker (dropping the preallocated zeros and everything after),
// and delete every later log file. It fails with ErrNoLog when no record
// at or after zxid exists.
//
// Like ZooKeeper, the iterator stops at the first record whose zxid is >=
// zxid: if zxid itself is missing from the log, that later record is kept.
// The Writer of dir must be closed (or rolled) first; the next Append then
// starts a new file. Unlike ZooKeeper the cut and the deletions are synced.
func Truncate(fsys disk.FS, dir string, zxid int64) error {
	files, err := ListFiles(fsys, dir)
	if err != nil {
		return err
	}
	it := newIterator(fsys, SelectFiles(files, zxid), zxid)
	rec, err := it.Next()
	fileIdx := it.next - 1
	it.Close()
	if err == io.EOF {
		return fmt.Errorf("truncate %s to zxid 0x%x: %w", dir, zxid, ErrNoLog)
	}
	if err != nil {
		return fmt.Errorf("truncate %s to zxid 0x%x: %w", dir, zxid, err)
	}
	f, err := fsys.OpenAppend(rec.File)
	if err != nil {
		return fmt.Errorf("truncate: %w", err)
	}
	if err := f.Truncate(rec.End()); err != nil {
		f.Close()
		return fmt.Errorf("truncate log %s at offset %d: %w", rec.File, rec.End(), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("truncate log %s: sync: %w", rec.File, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("truncate log %s: %w", rec.File, err)
	}
	for _, later := range it.files[fileIdx+1:] {
		if err := fsys.Remove(later.Path); err != nil {
			return fmt.Errorf("truncate: remove %s: %w", later.Path, err)
		}
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("truncate: sync %s: %w", dir, err)
	}
	return nil
}

// VerifyResult summarizes one log file.
type VerifyResult struct {
	Records   int   // records framed, including ones with errors
	FirstZxid int64 // -1 when no record decoded
	LastZxid  int64 // -1 when no record decoded
	End       int64 // offset where the readable log ends
	Torn      bool  // the file ended inside a record (dropped quietly)
}

// Verify reads the log file at path to its end, checking every checksum
// and decoding every record. It returns the summary and the first problem
// found, a *CorruptError carrying the byte offset. Like TxnLogToolkit it
// reads on past records with a checksum or decoding error, so Records
// counts them too; it stops at a problem that breaks the framing.
func Verify(fsys disk.FS, path string) (VerifyResult, error) {
	res := VerifyResult{FirstZxid: -1, LastZxid: -1}
	r, err := OpenReader(fsys, path)
	if err != nil {
		return res, err
	}
	defer r.Close()
	var first error
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil && first == nil {
			first = err
		}
		if rec.Size == 0 { // framing error: nothing more to read
			break
		}
		if rec.Txn != nil {
			if res.FirstZxid < 0 {
				res.FirstZxid = rec.Txn.Header.Zxid
			}
			res.LastZxid = rec.Txn.Header.Zxid
		}
	}
	res.Records, res.End, res.Torn = r.Count(), r.Offset(), r.Torn()
	return res, first
}
