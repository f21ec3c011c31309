package txnlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
)

// benchEntry is an encoded setData with a 1 KiB payload, like a typical
// benchmark write.
func benchEntry() []byte { return jute.EncodeTxn(setData(1, 1024)) }

// setZxid renumbers an encoded txn in place (its header's zxid follows
// clientId and cxid), so that a benchmark appends one buffer many times.
func setZxid(entry []byte, z int64) { binary.BigEndian.PutUint64(entry[12:], uint64(z)) }

func reportRate(b *testing.B, txns int, start time.Time) {
	if d := time.Since(start); d > 0 {
		b.ReportMetric(float64(txns)/d.Seconds(), "txns/s")
	}
}

// BenchmarkAppendCommit measures the Writer on a real temporary directory
// with fdatasync: one op is one 1 KiB txn, committed every batch txns.
// The file is created and preallocated before the timer starts.
func BenchmarkAppendCommit(b *testing.B) {
	for _, mode := range []disk.PreallocMode{disk.PreallocZooKeeper, disk.PreallocFallocate, disk.PreallocZero, disk.PreallocNone} {
		for _, batch := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/batch%d", mode, batch), func(b *testing.B) {
				w, err := Open(disk.OS, filepath.Join(b.TempDir(), VersionDir), Options{PreallocMode: mode})
				if err != nil {
					b.Fatal(err)
				}
				entry := benchEntry()
				b.SetBytes(int64(len(entry)) + RecordOverhead)
				b.ReportAllocs()
				z := int64(1)
				setZxid(entry, z)
				if err := w.Append(entry); err == nil {
					err = w.Commit()
				}
				if errors.Is(err, syscall.EOPNOTSUPP) {
					b.Skip("fallocate not supported here")
				} else if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				start := time.Now()
				for i := range b.N {
					z++
					setZxid(entry, z)
					if err := w.Append(entry); err != nil {
						b.Fatal(err)
					}
					if (i+1)%batch == 0 {
						if err := w.Commit(); err != nil {
							b.Fatal(err)
						}
					}
				}
				if err := w.Commit(); err != nil {
					b.Fatal(err)
				}
				reportRate(b, b.N, start)
				b.StopTimer()
				st := w.Stats()
				b.ReportMetric(float64(st.Txns)/float64(max(st.Commits, 1)), "txns/commit")
				w.Close()
			})
		}
	}
}

// BenchmarkAppend is the CPU side of Append (no sync, a write every 1000
// txns): checksum and framing of an entry the caller encoded. It must not
// allocate.
func BenchmarkAppend(b *testing.B) {
	w, err := Open(disk.OS, filepath.Join(b.TempDir(), VersionDir), Options{SyncMethod: disk.SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	entry := benchEntry()
	b.SetBytes(int64(len(entry)) + RecordOverhead)
	b.ReportAllocs()
	for i := range b.N {
		setZxid(entry, int64(i+1))
		if err := w.Append(entry); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			if err := w.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	w.Close()
}

// BenchmarkCommitter drives a Committer on a real temporary directory
// (fdatasync, default preallocation) from many goroutines, each waiting for
// its txn like a client waiting for its write: the group commit turns the
// concurrency into batch size.
func BenchmarkCommitter(b *testing.B) {
	for _, par := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("submitters%d", par*2), func(b *testing.B) {
			w, err := Open(disk.OS, filepath.Join(b.TempDir(), VersionDir), Options{})
			if err != nil {
				b.Fatal(err)
			}
			c := NewCommitter(w, CommitterOptions{})
			var (
				mu   sync.Mutex // the sequencer: zxid order = submission order
				zxid int64
			)
			b.SetBytes(int64(len(benchEntry())) + RecordOverhead)
			b.ReportAllocs()
			b.SetParallelism(par)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				entry := benchEntry()
				ch := make(chan error, 1)
				done := func(err error) { ch <- err }
				for pb.Next() {
					mu.Lock()
					zxid++
					setZxid(entry, zxid)
					err := c.Submit(entry, done)
					mu.Unlock()
					if err == nil {
						err = <-ch
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportRate(b, b.N, start)
			b.StopTimer()
			st := c.Stats()
			b.ReportMetric(float64(st.Txns)/float64(max(st.Commits, 1)), "txns/commit")
			if err := c.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkCommitterGroup submits groups of 1 KiB txns from one
// goroutine that does not wait for them, as a member submits its Readys'
// appends: the committer's cost per txn on the way in, with syncs shared
// by batches that grow up to MaxBatchSize. One op is one txn.
func BenchmarkCommitterGroup(b *testing.B) {
	for _, size := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("group%d", size), func(b *testing.B) {
			w, err := Open(disk.OS, filepath.Join(b.TempDir(), VersionDir), Options{})
			if err != nil {
				b.Fatal(err)
			}
			c := NewCommitter(w, CommitterOptions{})
			tmpl := benchEntry()
			group := make([][]byte, size)
			b.SetBytes(int64(len(tmpl)) + RecordOverhead)
			b.ReportAllocs()
			start := time.Now()
			var failed atomic.Pointer[error]
			done := func(err error) {
				if err != nil {
					failed.CompareAndSwap(nil, &err)
				}
			}
			for i := 0; i < b.N; i += size {
				for j := range group {
					// Each txn its own bytes, as a member's are: the
					// committer holds them until their group is done.
					group[j] = bytes.Clone(tmpl)
					setZxid(group[j], int64(i+j+1))
				}
				if err := c.SubmitGroup(group, done); err != nil {
					b.Fatal(err)
				}
			}
			if err := c.Close(); err != nil {
				b.Fatal(err)
			}
			if p := failed.Load(); p != nil {
				b.Fatal(*p)
			}
			reportRate(b, b.N, start)
			st := c.Stats()
			b.ReportMetric(float64(st.Txns)/float64(max(st.Commits, 1)), "txns/commit")
		})
	}
}

// BenchmarkIterate reads 1 KiB txns back from a real directory of 64 MiB
// preallocated files; one op is one record decoded.
func BenchmarkIterate(b *testing.B) {
	dir := filepath.Join(b.TempDir(), VersionDir)
	w, err := Open(disk.OS, dir, Options{SyncMethod: disk.SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	const records = 20000
	entry := benchEntry()
	for z := int64(1); z <= records; z++ {
		setZxid(entry, z)
		if err := w.Append(entry); err != nil {
			b.Fatal(err)
		}
		if z%5000 == 0 {
			if err := w.Roll(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(entry)) + RecordOverhead)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var it *Iterator
	for range b.N {
		if it == nil {
			if it, err = NewIterator(disk.OS, dir, 0); err != nil {
				b.Fatal(err)
			}
		}
		_, err := it.Next()
		if err == io.EOF {
			it.Close()
			it = nil
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, b.N, start)
	if it != nil {
		it.Close()
	}
}
