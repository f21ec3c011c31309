package fsprobe_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
	"zkbench/fsprobe"
)

// TestConcurrentWriters: with writers 1 and 3 and a batch factor, a
// combination is three cases (one writer; three; three at the batch
// block), every writer's syncs are in its case's histogram, each writer
// extends its own log, and every scratch file is gone. The step timer
// makes every sync 1 ms however the goroutines interleave.
func TestConcurrentWriters(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	mkdir(t, fsys, "/d")
	const count, block, step = 50, 2300, 64 << 10
	res, err := fsprobe.Run(context.Background(), fsprobe.Config{
		FS: fsys, Dirs: []string{"/d"}, BlockSize: block, Count: count, PreAllocSize: step,
		Writers: []int{1, 3}, BatchFactor: 8, Timer: fsprobe.StepTimer(faultfs.Fixed(time.Millisecond)),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		name           string
		writers, block int
		batch          bool
		extends        int   // per writer
		size           int64 // of each log
	}{
		{"fdatasync/zookeeper", 1, block, false, 2, 2 * step},              // 115,000 bytes: extended at 0 and 63,400
		{"fdatasync/zookeeper ×3", 3, block, false, 2, 2 * step},           // the same, three times
		{"fdatasync/zookeeper ×3 18400B", 3, 8 * block, true, 14, 920_000}, // records overrun the padding now and then (padTo)
	} {
		if i >= len(res.Cases) {
			t.Fatalf("%d cases, want 3", len(res.Cases))
		}
		c := res.Cases[i]
		if c.Name() != want.name || c.Writers != want.writers || c.BlockSize != want.block || c.Batch != want.batch {
			t.Errorf("case %d: %q, %d writers, %d-byte blocks, batch %v; want %q, %d, %d, %v",
				i, c.Name(), c.Writers, c.BlockSize, c.Batch, want.name, want.writers, want.block, want.batch)
		}
		n := count * want.writers
		if c.Err != nil || c.Interrupted || c.Count != n || c.Latency.TotalCount() != int64(n) || c.LatencyNanos.TotalCount() != int64(n) {
			t.Errorf("%s: count %d, %d recorded, err %v, interrupted %v; want %d", c.Name(), c.Count, c.Latency.TotalCount(), c.Err, c.Interrupted, n)
		}
		var inIntervals int64
		for _, h := range c.Intervals {
			inIntervals += h.TotalCount()
		}
		if inIntervals != int64(n) {
			t.Errorf("%s: intervals hold %d, want %d", c.Name(), inIntervals, n)
		}
		if p50, mx := c.Latency.ValueAtQuantile(50), c.Latency.Max(); !c.Latency.ValuesAreEquivalent(p50, 1000) || !c.Latency.ValuesAreEquivalent(mx, 1000) {
			t.Errorf("%s: p50 %d µs, max %d µs; want 1000", c.Name(), p50, mx)
		}
		if c.Extends.Count != want.extends*want.writers || c.FileSize != want.size {
			t.Errorf("%s: %d extends, file %d bytes; want %d, %d", c.Name(), c.Extends.Count, c.FileSize, want.extends*want.writers, want.size)
		}
	}
	if len(res.Cases) != 3 {
		t.Errorf("%d cases, want 3", len(res.Cases))
	}
	assertEmpty(t, fsys, "/d")
}

// TestConcurrentInterrupt: a probe cancelled while three writers sync
// stops them all, keeps what they measured and removes every file.
func TestConcurrentInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fsys := cancelAtSync(40, cancel)
	mkdir(t, fsys, "/d")
	res, err := fsprobe.Run(ctx, fsprobe.Config{
		FS: fsys, Dirs: []string{"/d"}, BlockSize: 100, Count: 1000, PreAllocSize: 64 << 10,
		Writers: []int{3}, BatchFactor: 8, BandwidthSize: 1 << 20,
		Timer: fsprobe.StepTimer(faultfs.Fixed(time.Millisecond)),
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(res.Cases) != 1 {
		t.Fatalf("%d cases, want the one interrupted", len(res.Cases))
	}
	c := res.Cases[0]
	if !c.Interrupted || c.Err != nil || c.Count < 40 || c.Count >= 3000 || c.Latency.TotalCount() != int64(c.Count) {
		t.Errorf("interrupted: %v, err %v, count %d, recorded %d", c.Interrupted, c.Err, c.Count, c.Latency.TotalCount())
	}
	assertEmpty(t, fsys, "/d")
}

// failing is a file system whose nth Create fails, or whose nth file
// fails its writes after the first few.
type failing struct {
	disk.FS
	creates              atomic.Int64
	failCreate, failFile int64
}

func (f *failing) Create(name string) (disk.File, error) {
	n := f.creates.Add(1)
	if n == f.failCreate {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
	}
	file, err := f.FS.Create(name)
	if err != nil || n != f.failFile {
		return file, err
	}
	return &failingFile{File: file}, nil
}

type failingFile struct {
	disk.File
	writes int
}

func (f *failingFile) Write(b []byte) (int, error) {
	if f.writes++; f.writes > 5 {
		return 0, syscall.EIO
	}
	return f.File.Write(b)
}

// TestConcurrentFailure: a writer that cannot create its log, or whose
// log fails mid-case, fails the case, stops the other writers and
// leaves no file behind; the next case still runs.
func TestConcurrentFailure(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		failCreate, failFile int64
		want                 error
	}{
		// CheckDir creates (and removes) the first file.
		{"second log not created", 3, 0, syscall.ENOSPC},
		{"third log fails", 0, 4, syscall.EIO},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := faultfs.New(faultfs.Options{})
			mkdir(t, mem, "/d")
			res, err := fsprobe.Run(context.Background(), fsprobe.Config{
				FS: &failing{FS: mem, failCreate: tc.failCreate, failFile: tc.failFile}, Dirs: []string{"/d"},
				BlockSize: 100, Count: 1000, PreAllocSize: 64 << 10,
				Preallocs: []disk.PreallocMode{disk.PreallocZooKeeper, disk.PreallocNone}, Writers: []int{3},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Cases) != 2 {
				t.Fatalf("%d cases, want 2", len(res.Cases))
			}
			if c := res.Cases[0]; !errors.Is(c.Err, tc.want) || c.Interrupted || c.Count >= 3000 {
				t.Errorf("failed case: err %v, interrupted %v, count %d; want %v", c.Err, c.Interrupted, c.Count, tc.want)
			}
			if c := res.Cases[1]; c.Err != nil || c.Count != 3000 {
				t.Errorf("next case: err %v, count %d", c.Err, c.Count)
			}
			assertEmpty(t, mem, "/d")
		})
	}
}

func TestParseWriters(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{"1", []int{1}, ""},
		{"1,3", []int{1, 3}, ""},
		{" 3 , 1,3", []int{3, 1}, ""},
		{"64", []int{64}, ""},
		{"0", nil, `"0" is not a writer count from 1 to 64`},
		{"-1", nil, `"-1" is not`},
		{"65", nil, `"65" is not`},
		{"abc", nil, `"abc" is not`},
		{"1,", nil, `"" is not`},
		{"", nil, `"" is not`},
	} {
		got, err := fsprobe.ParseWriters(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseWriters(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !equalInts(got, tc.want) {
			t.Errorf("ParseWriters(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzParseWriters: whatever the input, a list parsed is non-empty, in
// range and without repeats, and a valid config's Writers.
func FuzzParseWriters(f *testing.F) {
	for _, s := range []string{"1,3", "0", "64,1", " 2 ", "abc", "1,,2", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws, err := fsprobe.ParseWriters(s)
		if err != nil {
			return
		}
		seen := map[int]bool{}
		for _, w := range ws {
			if w < 1 || w > fsprobe.MaxWriters || seen[w] {
				t.Fatalf("ParseWriters(%q) = %v", s, ws)
			}
			seen[w] = true
		}
		if len(ws) == 0 {
			t.Fatalf("ParseWriters(%q): empty list without an error", s)
		}
	})
}
