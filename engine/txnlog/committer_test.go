package txnlog

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
	"zkbench/engine/jute"
)

// TestCommitterOrderAndBatching submits from many goroutines and checks
// that outcomes arrive in submission order, that everything is durable,
// and that txns shared syncs.
func TestCommitterOrderAndBatching(t *testing.T) {
	for _, maxBatch := range []int{1, 7, 0} {
		t.Run(fmt.Sprintf("max%d", maxBatch), func(t *testing.T) {
			fsys := faultfs.New(faultfs.Options{SyncLatency: faultfs.Fixed(200 * time.Microsecond)})
			w := mustOpen(t, fsys, "v2", Options{PreAllocSize: 64 << 10})
			c := NewCommitter(w, CommitterOptions{MaxBatchSize: maxBatch})

			const goroutines, each = 8, 50
			var (
				mu    sync.Mutex // orders zxid assignment and submission, like PrepRequestProcessor
				zxid  int64
				order []int64 // outcomes as delivered
				wg    sync.WaitGroup
			)
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						if g%2 == 0 && i%5 == 0 {
							// Some callers block on their txn.
							mu.Lock()
							zxid++
							z := zxid
							ch := make(chan error, 1)
							err := c.Submit(jute.EncodeTxn(setData(z, 50)), func(err error) { order = append(order, z); ch <- err })
							mu.Unlock()
							if err == nil {
								err = <-ch
							}
							if err != nil {
								t.Error(err)
							}
							continue
						}
						mu.Lock()
						zxid++
						z := zxid
						err := c.Submit(jute.EncodeTxn(setData(z, 50)), func(err error) {
							order = append(order, z) // only the committer goroutine writes
							if err != nil {
								t.Error(err)
							}
						})
						mu.Unlock()
						if err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if err := c.Submit(jute.EncodeTxn(setData(zxid+1, 1)), nil); !errors.Is(err, ErrClosed) {
				t.Errorf("Submit after Close = %v", err)
			}
			if len(order) != goroutines*each {
				t.Fatalf("%d outcomes, want %d", len(order), goroutines*each)
			}
			for i, z := range order {
				if z != int64(i+1) {
					t.Fatalf("outcome %d is for zxid %d", i, z)
				}
			}
			if n := len(readDir(t, fsys, "v2")); n != goroutines*each {
				t.Errorf("read %d txns", n)
			}
			st := c.Stats()
			if st.Txns != goroutines*each {
				t.Errorf("Stats.Txns = %d", st.Txns)
			}
			switch {
			case maxBatch == 1 && st.Commits != goroutines*each:
				t.Errorf("max batch 1: %d commits", st.Commits)
			case maxBatch != 1 && st.Commits >= goroutines*each:
				t.Errorf("no group commit: %d commits for %d txns", st.Commits, goroutines*each)
			}
			t.Logf("%d txns in %d commits", st.Txns, st.Commits)
		})
	}
}

// TestCommitterAfterAppendRolls rolls every 10 txns, the way the engine
// rolls when a snapshot is triggered.
func TestCommitterAfterAppendRolls(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	var rolls []RollEvent
	w := mustOpen(t, fsys, "v2", Options{PreAllocSize: 4096, OnRoll: func(e RollEvent) { rolls = append(rolls, e) }})
	appended := 0 // zxids 1, 2, …: the count is the zxid
	c := NewCommitter(w, CommitterOptions{AfterAppend: func(int64) bool { appended++; return appended%10 == 0 }})
	for z := int64(1); z <= 35; z++ {
		must(t, c.Submit(jute.EncodeTxn(setData(z, 10)), func(err error) {
			if err != nil {
				t.Error(err)
			}
		}))
	}
	must(t, c.Close())
	want := []string{"log.1", "log.b", "log.15", "log.1f"}
	if got := fileNames(t, fsys, "v2"); !reflect.DeepEqual(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if len(rolls) != 3 || rolls[2].LastZxid != 30 {
		t.Errorf("rolls %+v", rolls)
	}
	if n := len(readDir(t, fsys, "v2")); n != 35 {
		t.Errorf("read %d", n)
	}
}

// TestCommitterGroups: a group is appended at once and shares a commit;
// its one done call reports the first failure among its entries, even
// when a roll or MaxBatchSize splits it over two commits.
func TestCommitterGroups(t *testing.T) {
	for _, tc := range []struct {
		name     string
		zxids    []int64
		maxBatch int
		rollAt   int // roll after this many appends; 0: never
		want     error
		commits  int64
	}{
		{"one commit", []int64{1, 2, 3, 4}, 0, 0, nil, 1},
		{"a rejected entry", []int64{1, 2, 2, 3}, 0, 0, ErrZxidOrder, 1},
		{"split by a roll", []int64{1, 2, 3, 4}, 0, 2, nil, 2},
		{"split by the batch size", []int64{1, 2, 3}, 2, 0, nil, 2},
		{"rejected before the split", []int64{1, 1, 2, 3}, 2, 0, ErrZxidOrder, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := faultfs.New(faultfs.Options{})
			w := mustOpen(t, fsys, "v2", Options{})
			appended := 0
			c := NewCommitter(w, CommitterOptions{MaxBatchSize: tc.maxBatch, AfterAppend: func(int64) bool {
				appended++
				return appended == tc.rollAt
			}})
			var entries [][]byte
			for _, z := range tc.zxids {
				entries = append(entries, jute.EncodeTxn(setData(z, 10)))
			}
			done := make(chan error, 2)
			must(t, c.SubmitGroup(entries, func(err error) { done <- err }))
			clear(entries) // the slice is the caller's again
			must(t, c.Close())
			if err := <-done; !errors.Is(err, tc.want) {
				t.Errorf("done(%v), want %v", err, tc.want)
			}
			if len(done) != 0 {
				t.Errorf("done called more than once")
			}
			if got := c.Stats().Commits; got != tc.commits {
				t.Errorf("%d commits, want %d", got, tc.commits)
			}
		})
	}
}

// TestCommitterErrors: a txn the Writer rejects gets its own error without
// disturbing the others; a failed sync fails its batch and every later txn.
func TestCommitterErrors(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	w := mustOpen(t, fsys, "v2", Options{})
	c := NewCommitter(w, CommitterOptions{})
	must(t, c.SubmitWait(jute.EncodeTxn(setData(5, 10))))
	if err := c.SubmitWait(jute.EncodeTxn(setData(5, 10))); !errors.Is(err, ErrZxidOrder) {
		t.Errorf("duplicate zxid: %v", err)
	}
	must(t, c.SubmitWait(jute.EncodeTxn(setData(6, 10))))
	errIO := errors.New("injected EIO")
	fsys.FailSyncs(errIO)
	if err := c.SubmitWait(jute.EncodeTxn(setData(7, 10))); !errors.Is(err, errIO) {
		t.Errorf("failed sync: %v", err)
	}
	fsys.FailSyncs(nil)
	if err := c.SubmitWait(jute.EncodeTxn(setData(8, 10))); !errors.Is(err, errIO) {
		t.Errorf("after a failed sync: %v", err)
	}
	if err := c.Close(); !errors.Is(err, errIO) {
		t.Errorf("Close = %v", err)
	}
	// 7 was written before its sync failed, so it may be in the file (it
	// is not durable: see TestCrash); 8 never reached the Writer's file.
	got := readDir(t, fsys, "v2")
	if len(got) < 2 || len(got) > 3 || got[0].Header.Zxid != 5 || got[1].Header.Zxid != 6 {
		t.Errorf("read %d txns", len(got))
	}
}

// TestCommitterCloseCommitsQueued: Close returns only once everything
// submitted before it is durable and reported.
func TestCommitterCloseCommitsQueued(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{SyncLatency: faultfs.Fixed(time.Millisecond)})
	c := NewCommitter(mustOpen(t, fsys, "v2", Options{}), CommitterOptions{MaxBatchSize: 3})
	var done atomic.Int64
	for z := int64(1); z <= 100; z++ {
		must(t, c.Submit(jute.EncodeTxn(setData(z, 10)), func(err error) {
			if err == nil {
				done.Add(1)
			}
		}))
	}
	must(t, c.Close())
	must(t, c.Close()) // idempotent
	if done.Load() != 100 {
		t.Errorf("%d of 100 reported durable", done.Load())
	}
	if n := len(readDir(t, fsys, "v2")); n != 100 {
		t.Errorf("read %d", n)
	}
}

// TestCrash runs a write load through a Committer on a fault-injecting
// disk and pulls the plug at a random sync, several times per directory
// (each restart opens a new Writer after LastZxid, as a server would).
// After each crash: every txn whose commit was acknowledged is in the log,
// the log reads without error (a torn tail ends its file quietly), zxids
// are contiguous, every record holds exactly what was submitted for its
// zxid, and nothing follows a tear in its file.
//
// ZKBENCH_LONG=1 runs 5000 directories instead of 50.
func TestCrash(t *testing.T) {
	iterations := 50
	if os.Getenv("ZKBENCH_LONG") == "1" {
		iterations = 5000
	} else if testing.Short() {
		iterations = 10
	}
	var st crashStats
	for i := range iterations {
		crashRun(t, uint64(i), &st)
		if t.Failed() {
			t.Fatalf("seed %d failed", i)
		}
	}
	t.Logf("%d crashes: after %d the log had a torn tail, %d lost unacknowledged txns, %d kept unacknowledged txns; %d txns acknowledged",
		st.crashes, st.torn, st.lost, st.keptUnacked, st.acked)
	if iterations >= 50 && (st.torn == 0 || st.lost == 0) {
		t.Errorf("the crash points never tore a record or lost a txn: the test is not testing much")
	}
}

type crashStats struct{ crashes, torn, lost, keptUnacked, acked int }

func crashRun(t *testing.T, seed uint64, st *crashStats) {
	rng := rand.New(rand.NewPCG(seed, 0x637261736874))
	const dir = "/data/version-2"
	var (
		crashAt   atomic.Int64 // crash during the n-th sync from now (0: never)
		syncCount atomic.Int64
		fsys      *faultfs.FS
		tear      = rng.IntN(4) != 0
		crashed   = make(chan struct{}, 1)
	)
	fsys = faultfs.New(faultfs.Options{
		Seed: int64(seed),
		SyncLatency: func() time.Duration {
			// Called before the sync makes anything durable: crashing
			// here loses the batch being synced and may tear it.
			if n := syncCount.Add(1); n == crashAt.Load() {
				fsys.Crash(tear)
				crashed <- struct{}{}
			}
			return 0
		},
	})
	expect := map[int64]*jute.Txn{} // the last txn submitted for each zxid
	modes := []disk.PreallocMode{disk.PreallocZooKeeper, disk.PreallocZero, disk.PreallocFallocate, disk.PreallocNone}

	for cycle := range 3 {
		last, err := LastZxid(fsys, dir)
		if err != nil {
			t.Fatalf("cycle %d: LastZxid: %v", cycle, err)
		}
		opts := Options{
			PreAllocSize: int64(1+rng.IntN(8)) * 2048,
			PreallocMode: modes[rng.IntN(len(modes))],
		}
		if rng.IntN(3) == 0 {
			opts.SizeLimit = int64(2000 + rng.IntN(20000))
		}
		w := mustOpen(t, fsys, dir, opts)
		rollEvery, appended := 5+rng.IntN(60), 0
		c := NewCommitter(w, CommitterOptions{
			MaxBatchSize: 1 + rng.IntN(20),
			AfterAppend:  func(int64) bool { appended++; return appended%rollEvery == 0 },
		})
		syncCount.Store(0)
		crashAt.Store(int64(1 + rng.IntN(25)))

		var (
			mu      sync.Mutex
			zxid    = max(last, 0)
			acked   atomic.Int64
			stop    atomic.Bool
			wg      sync.WaitGroup
			payload = rng.IntN(3000)
		)
		acked.Store(-1)
		for g := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; !stop.Load(); n++ {
					mu.Lock()
					zxid++
					z := zxid
					txn := setData(z, (payload+g*37+n)%3000)
					txn.Header.Cxid = int32(cycle)
					expect[z] = txn
					err := c.Submit(jute.EncodeTxn(txn), func(err error) {
						if err == nil {
							if prev := acked.Swap(z); prev >= z {
								t.Errorf("acknowledged zxid %d after %d", z, prev)
							}
						}
					})
					mu.Unlock()
					if err != nil {
						return
					}
					if n%4 == 0 {
						time.Sleep(time.Duration(rng2(seed, n)) * time.Microsecond) // let batches vary
					}
				}
			}()
		}
		select {
		case <-crashed:
		case <-time.After(10 * time.Second):
			t.Fatal("no crash")
		}
		stop.Store(true)
		wg.Wait()
		c.Close() // fails: every handle died with the crash
		crashAt.Store(0)

		// The log after the crash.
		it, err := NewIterator(fsys, dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		var (
			got      int64
			lastFile string
			torn     = map[string]bool{}
		)
		for {
			rec, err := it.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("seed %d cycle %d: reading after the crash: %v", seed, cycle, err)
			}
			for _, tt := range it.TornTails() {
				torn[tt.File] = true
			}
			if torn[rec.File] {
				t.Fatalf("seed %d: zxid 0x%x read from %s after its torn tail", seed, rec.Txn.Header.Zxid, rec.File)
			}
			z := rec.Txn.Header.Zxid
			if z != got+1 {
				t.Fatalf("seed %d cycle %d: zxid %d follows %d (file %s)", seed, cycle, z, got, rec.File)
			}
			if !reflect.DeepEqual(rec.Txn, expect[z]) {
				t.Fatalf("seed %d cycle %d: zxid %d does not hold what was submitted", seed, cycle, z)
			}
			got, lastFile = z, rec.File
		}
		it.Close()
		a := acked.Load()
		if a > got {
			t.Fatalf("seed %d cycle %d: zxid %d was acknowledged, the log ends at %d (%s)", seed, cycle, a, got, lastFile)
		}
		st.crashes++
		if len(torn) > 0 {
			st.torn++
		}
		if got < zxid {
			st.lost++
		}
		if got > max(a, last) {
			st.keptUnacked++
		}
		st.acked += int(max(a-max(last, 0), 0))
		if lz, err := LastZxid(fsys, dir); err != nil || max(lz, 0) != got {
			t.Fatalf("seed %d cycle %d: LastZxid = %d, %v; the log ends at %d", seed, cycle, lz, err, got)
		}
		files, _ := ListFiles(fsys, dir)
		for _, f := range files {
			if _, err := Verify(fsys, f.Path); err != nil && !errors.Is(err, ErrShortHeader) {
				t.Fatalf("seed %d: Verify: %v", seed, err)
			}
		}
		// What was lost is gone for good: the zxids after got are
		// reassigned by the next cycle.
		for z := range expect {
			if z > got {
				delete(expect, z)
			}
		}
	}
}

// rng2 is a cheap deterministic jitter in [0, 50) for submitter pauses.
func rng2(seed uint64, n int) uint64 { return (seed*2654435761 + uint64(n)*40503) % 50 }

func TestCommitterNilDone(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	c := NewCommitter(mustOpen(t, fsys, "v2", Options{}), CommitterOptions{})
	must(t, c.Submit(jute.EncodeTxn(setData(1, 10)), nil))
	must(t, c.SubmitWait(jute.EncodeTxn(setData(2, 10))))
	must(t, c.Close())
	if n := len(readDir(t, fsys, "v2")); n != 2 {
		t.Errorf("read %d", n)
	}
}
