package fsprobe_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
	"zkbench/fsprobe"
	"zkbench/results/device"
)

var (
	allSyncs    = []disk.SyncMethod{disk.SyncFdatasync, disk.SyncFsync, disk.SyncODsync, disk.SyncNone}
	allPrealloc = []disk.PreallocMode{disk.PreallocZooKeeper, disk.PreallocFallocate, disk.PreallocZero, disk.PreallocNone}
)

// assertEmpty fails unless dir holds exactly the names in keep.
func assertEmpty(t *testing.T, fsys disk.FS, dir string, keep ...string) {
	t.Helper()
	names, err := fsys.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	slices.Sort(keep)
	if !slices.Equal(names, keep) {
		t.Errorf("%s holds %q after the probe, want %q", dir, names, keep)
	}
}

func mkdir(t *testing.T, fsys *faultfs.FS, dir string) {
	t.Helper()
	if err := fsys.MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
}

// TestEveryMethodOnRealDir runs every sync method and preallocation mode on
// the machine's temporary directory: counts, extensions, file length, and
// nothing left behind but what was there before.
func TestEveryMethodOnRealDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/keep", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	const count, block, step = 40, 2300, 64 << 10
	res, err := fsprobe.Run(context.Background(), fsprobe.Config{
		Dirs: []string{dir}, BlockSize: block, Count: count,
		Syncs: allSyncs, Preallocs: allPrealloc, PreAllocSize: step,
		BandwidthSize: 3 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) != len(allSyncs)*len(allPrealloc) {
		t.Fatalf("%d cases, want %d", len(res.Cases), len(allSyncs)*len(allPrealloc))
	}
	for _, c := range res.Cases {
		t.Run(c.Name(), func(t *testing.T) {
			if c.Err != nil {
				if c.Prealloc == disk.PreallocFallocate && errors.Is(c.Err, syscall.EOPNOTSUPP) {
					t.Skipf("file system without fallocate: %v", c.Err)
				}
				t.Fatal(c.Err)
			}
			if c.Count != count || c.Latency.TotalCount() != count || c.Interrupted {
				t.Errorf("count %d, %d recorded, interrupted %v; want %d", c.Count, c.Latency.TotalCount(), c.Interrupted, count)
			}
			// 40 blocks of 2300 bytes: extended before blocks 0 and 27.
			wantExtends, wantSize := 2, int64(2*step)
			if c.Prealloc == disk.PreallocNone {
				wantExtends, wantSize = 0, count*block
			}
			if c.Extends.Count != wantExtends || c.FileSize != wantSize {
				t.Errorf("%d extends to %d bytes, want %d to %d", c.Extends.Count, c.FileSize, wantExtends, wantSize)
			}
			if c.IOPS() <= 0 || len(c.Intervals) == 0 {
				t.Errorf("IOPS %v, %d intervals", c.IOPS(), len(c.Intervals))
			}
			var n int64
			for _, h := range c.Intervals {
				n += h.TotalCount()
			}
			if n != count {
				t.Errorf("intervals hold %d values, want %d", n, count)
			}
		})
	}
	if len(res.Bandwidth) != 1 || res.Bandwidth[0].Err != nil || res.Bandwidth[0].Bytes != 3<<20 || res.Bandwidth[0].BytesPerSecond() <= 0 {
		t.Errorf("bandwidth = %+v", res.Bandwidth)
	}
	assertEmpty(t, disk.OS, dir, "keep")
}

// TestExtendsMidRun: a file that outgrows its preallocation is extended
// step by step, each extension counted and timed.
func TestExtendsMidRun(t *testing.T) {
	for _, tc := range []struct {
		count       int
		step        int64
		wantExtends int
		wantSize    int64
	}{
		{1, 64 << 10, 1, 64 << 10},
		{100, 64 << 10, 4, 256 << 10},
		{100, 1 << 20, 1, 1 << 20},
		{10, 1000, 10, 23_000}, // step below the block: past the end each time
		{100, 0, 0, 230_000},   // 0 switches preallocation off
	} {
		for _, mode := range []disk.PreallocMode{disk.PreallocZooKeeper, disk.PreallocFallocate, disk.PreallocZero} {
			fsys := faultfs.New(faultfs.Options{})
			mkdir(t, fsys, "/d")
			res, err := fsprobe.Run(context.Background(), fsprobe.Config{
				FS: fsys, Dirs: []string{"/d"}, BlockSize: 2300, Count: tc.count,
				Preallocs: []disk.PreallocMode{mode}, PreAllocSize: tc.step,
			})
			if err != nil {
				t.Fatal(err)
			}
			c := res.Cases[0]
			if c.Err != nil || c.Extends.Count != tc.wantExtends || c.FileSize != tc.wantSize {
				t.Errorf("%s, %d blocks, step %d: %d extends to %d bytes (err %v); want %d to %d",
					mode, tc.count, tc.step, c.Extends.Count, c.FileSize, c.Err, tc.wantExtends, tc.wantSize)
			}
			// Extensions are timed by the clock: only their sum is certain.
			if c.Extends.Count > 0 && c.Extends.Total < c.Extends.Max {
				t.Errorf("%s: extension times total %v max %v", mode, c.Extends.Total, c.Extends.Max)
			}
			assertEmpty(t, fsys, "/d")
		}
	}
}

// TestPercentiles times syncs with a known distribution and finds it in
// the histogram: 99 in 100 syncs take 1 ms, one takes 50 ms. The timer
// hands out the durations instead of reading a clock, so the figures are
// exact however busy the machine is.
func TestPercentiles(t *testing.T) {
	samples := slices.Repeat([]time.Duration{time.Millisecond}, 99)
	samples = append(samples, 50*time.Millisecond)
	const seed, count = 7, 300
	// The same seed draws the same sequence: count the slow ones.
	draw := faultfs.Samples(seed, samples...)
	slow := 0
	for range count {
		if draw() == 50*time.Millisecond {
			slow++
		}
	}
	if slow == 0 {
		t.Fatal("the seed draws no slow sync; pick another")
	}

	for _, tc := range []struct {
		sync     disk.SyncMethod
		prealloc disk.PreallocMode // odsync: writes are timed, so no extensions
	}{
		{disk.SyncFdatasync, disk.PreallocZooKeeper},
		{disk.SyncFsync, disk.PreallocFallocate},
		{disk.SyncODsync, disk.PreallocNone},
	} {
		t.Run(tc.sync.String(), func(t *testing.T) {
			t.Parallel()
			fsys := faultfs.New(faultfs.Options{})
			mkdir(t, fsys, "/log")
			res, err := fsprobe.Run(context.Background(), fsprobe.Config{
				FS: fsys, Dirs: []string{"/log"}, BlockSize: 2300, Count: count,
				Syncs: []disk.SyncMethod{tc.sync}, Preallocs: []disk.PreallocMode{tc.prealloc},
				PreAllocSize: 64 << 20, Timer: fsprobe.StepTimer(faultfs.Samples(seed, samples...)),
			})
			if err != nil {
				t.Fatal(err)
			}
			c := res.Cases[0]
			h := c.Latency
			if p50 := h.ValueAtQuantile(50); !h.ValuesAreEquivalent(p50, 1000) {
				t.Errorf("p50 = %d µs, want 1000", p50)
			}
			if max := h.Max(); !h.ValuesAreEquivalent(max, 50_000) {
				t.Errorf("max = %d µs, want 50000", max)
			}
			if ns := c.LatencyNanos.ValueAtQuantile(50); !c.LatencyNanos.ValuesAreEquivalent(ns, 1_000_000) {
				t.Errorf("p50 = %d ns, want 1000000", ns)
			}
			var over int64
			for _, b := range h.Distribution() {
				if b.From >= 40_000 {
					over += b.Count
				}
			}
			if over != int64(slow) {
				t.Errorf("%d syncs of 40 ms or more, want the %d slow ones", over, slow)
			}
			var n int64
			for _, iv := range c.Intervals {
				n += iv.TotalCount()
			}
			if h.TotalCount() != count || n != count {
				t.Errorf("%d recorded, %d in the intervals, want %d", h.TotalCount(), n, count)
			}
			assertEmpty(t, fsys, "/log")
		})
	}
}

// cancelAtSync is a file system whose n-th sync cancels the probe.
func cancelAtSync(n int64, cancel context.CancelFunc) *faultfs.FS {
	var syncs atomic.Int64
	return faultfs.New(faultfs.Options{SyncLatency: func() time.Duration {
		if syncs.Add(1) == n {
			cancel()
		}
		return 0
	}})
}

// TestInterrupt: a cancelled probe stops, keeps what it measured and removes
// its files, background writer included.
func TestInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fsys := cancelAtSync(25, cancel)
	mkdir(t, fsys, "/a")
	mkdir(t, fsys, "/b")
	res, err := fsprobe.Run(ctx, fsprobe.Config{
		FS: fsys, Dirs: []string{"/a", "/b"}, BlockSize: 100, Count: 1000,
		Syncs: allSyncs, PreAllocSize: 64 << 10, BandwidthSize: 1 << 20,
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(res.Cases) != 1 {
		t.Fatalf("%d cases, want the one interrupted", len(res.Cases))
	}
	c := res.Cases[0]
	if !c.Interrupted || c.Err != nil || c.Count == 0 || c.Count >= 1000 || c.Latency.TotalCount() != int64(c.Count) {
		t.Errorf("interrupted case: interrupted %v err %v count %d recorded %d", c.Interrupted, c.Err, c.Count, c.Latency.TotalCount())
	}
	if len(res.Bandwidth) != 0 {
		t.Errorf("bandwidth measured after the interrupt: %+v", res.Bandwidth)
	}
	assertEmpty(t, fsys, "/a")
	assertEmpty(t, fsys, "/b")
}

// TestBackground: with a background rate every combination runs twice, and
// the background writer's file is gone afterwards.
func TestBackground(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{SyncLatency: faultfs.Fixed(200 * time.Microsecond)})
	mkdir(t, fsys, "/d")
	res, err := fsprobe.Run(context.Background(), fsprobe.Config{
		FS: fsys, Dirs: []string{"/d"}, BlockSize: 2300, Count: 200,
		Preallocs: []disk.PreallocMode{disk.PreallocZooKeeper, disk.PreallocNone}, PreAllocSize: 64 << 10,
		Background: 64 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range res.Cases {
		names = append(names, c.Name())
		if c.Err != nil || c.Count != 200 {
			t.Errorf("%s: count %d, err %v", c.Name(), c.Count, c.Err)
		}
		if bg := c.Background > 0; bg != (c.BackgroundBytes > 0) {
			t.Errorf("%s: background %d, %d bytes written by it", c.Name(), c.Background, c.BackgroundBytes)
		}
	}
	want := []string{"fdatasync/zookeeper", "fdatasync/zookeeper+background", "fdatasync/none", "fdatasync/none+background"}
	if !slices.Equal(names, want) {
		t.Errorf("cases %q, want %q", names, want)
	}
	assertEmpty(t, fsys, "/d")
}

// TestBackgroundRealDir runs the background writer against a real file
// system briefly.
func TestBackgroundRealDir(t *testing.T) {
	dir := t.TempDir()
	res, err := fsprobe.Run(context.Background(), fsprobe.Config{
		Dirs: []string{dir}, BlockSize: 2300, Count: 20, PreAllocSize: 1 << 20, Background: 32 << 20,
		Syncs: []disk.SyncMethod{disk.SyncNone},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) != 2 || res.Cases[0].Err != nil || res.Cases[1].Err != nil || res.Cases[1].Background == 0 {
		t.Errorf("cases = %+v", res.Cases)
	}
	assertEmpty(t, disk.OS, dir)
}

// noFallocate is a file system whose files cannot be preallocated.
type noFallocate struct{ disk.FS }

func (f noFallocate) Create(name string) (disk.File, error) {
	file, err := f.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return noAllocFile{file}, nil
}

type noAllocFile struct{ disk.File }

func (noAllocFile) Allocate(off, n int64) error { return syscall.EOPNOTSUPP }

// TestFailedCase: a case that fails is reported and the others still run.
func TestFailedCase(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	mkdir(t, fsys, "/d")
	res, err := fsprobe.Run(context.Background(), fsprobe.Config{
		FS: noFallocate{fsys}, Dirs: []string{"/d"}, BlockSize: 2300, Count: 10,
		Preallocs: []disk.PreallocMode{disk.PreallocFallocate, disk.PreallocZooKeeper}, PreAllocSize: 64 << 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) != 2 {
		t.Fatalf("%d cases, want 2", len(res.Cases))
	}
	if c := res.Cases[0]; !errors.Is(c.Err, syscall.EOPNOTSUPP) || c.Count != 0 {
		t.Errorf("fallocate case: count %d err %v; want 0 and EOPNOTSUPP", c.Count, c.Err)
	}
	if c := res.Cases[1]; c.Err != nil || c.Count != 10 {
		t.Errorf("zookeeper case: count %d err %v", c.Count, c.Err)
	}
	assertEmpty(t, fsys, "/d")
}

// readOnly is a file system on which nothing can be created.
type readOnly struct{ disk.FS }

func (readOnly) Create(name string) (disk.File, error) {
	return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EACCES}
}

func TestCheckDir(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	mkdir(t, fsys, "/ok")
	f, err := fsys.Create("/file")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct {
		fsys disk.FS
		dir  string
		want string // "" for no error
	}{
		{fsys, "/ok", ""},
		{fsys, "/missing", "/missing: does not exist"},
		{fsys, "/file", "/file: is not a directory"},
		{readOnly{fsys}, "/ok", "/ok: is not writable: permission denied"},
	} {
		err := fsprobe.CheckDir(tc.fsys, tc.dir)
		if (err == nil) != (tc.want == "") || (err != nil && err.Error() != tc.want) {
			t.Errorf("CheckDir(%s) = %v, want %q", tc.dir, err, tc.want)
		}
		var de *fsprobe.DirError
		if err != nil && !errors.As(err, &de) {
			t.Errorf("CheckDir(%s) = %T, want a *DirError", tc.dir, err)
		}
	}
	assertEmpty(t, fsys, "/ok")
	// Run checks every directory before it writes anything.
	_, err = fsprobe.Run(context.Background(), fsprobe.Config{FS: fsys, Dirs: []string{"/ok", "/missing"}, BlockSize: 1, Count: 1})
	if err == nil || !strings.Contains(err.Error(), "/missing: does not exist") {
		t.Errorf("Run with a missing dir = %v", err)
	}
	if st := fsys.Stats(); st.Datasyncs != 0 {
		t.Errorf("%d syncs before the directory check failed", st.Datasyncs)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	for _, cfg := range []fsprobe.Config{
		{BlockSize: 1, Count: 1},
		{Dirs: []string{"/"}, BlockSize: 0, Count: 1},
		{Dirs: []string{"/"}, BlockSize: 1, Count: 0},
		{Dirs: []string{"/"}, BlockSize: 1 << 40, Count: 1 << 30},
		{Dirs: []string{"/"}, BlockSize: 1, Count: 1, PreAllocSize: -1},
		{Dirs: []string{"/"}, BlockSize: 1, Count: 1, Syncs: []disk.SyncMethod{9}},
		{Dirs: []string{"/"}, BlockSize: 1, Count: 1, Preallocs: []disk.PreallocMode{-1}},
		{Dirs: []string{"/"}, BlockSize: 1, Count: 1, Writers: []int{1, 0}},
		{Dirs: []string{"/"}, BlockSize: 1, Count: 1, Writers: []int{65}},
		{Dirs: []string{"/"}, BlockSize: 1, Count: 1, BatchFactor: -1},
		{Dirs: []string{"/"}, BlockSize: 1 << 20, Count: 1 << 40, Writers: []int{3}, BatchFactor: 8},
	} {
		cfg.FS = fsys
		if _, err := fsprobe.Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v): no error", cfg)
		}
	}
}

func TestSpaceNeeded(t *testing.T) {
	const margin, pad = 64 << 20, 4096
	for _, tc := range []struct {
		cfg  fsprobe.Config
		want int64
	}{
		{fsprobe.Config{BlockSize: 2300, Count: 100, PreAllocSize: 64 << 10}, 230_000 + 64<<10 + pad + margin},
		{fsprobe.Config{BlockSize: 2300, Count: 100, PreAllocSize: 64 << 10, Preallocs: []disk.PreallocMode{disk.PreallocNone}}, 230_000 + margin},
		{fsprobe.Config{BlockSize: 2300, Count: 100}, 230_000 + margin}, // step 0: preallocation off
		{fsprobe.Config{BlockSize: 2300, Count: 2000, PreAllocSize: 64 << 20, BandwidthSize: 256 << 20}, 4_600_000 + 64<<20 + pad + 256<<20 + margin},
		{fsprobe.Config{BlockSize: 2300, Count: 100, PreAllocSize: 64 << 10, Background: 1}, 230_000 + 64<<10 + pad + 256<<20 + margin},
		{fsprobe.Config{BlockSize: 1 << 30, Count: 1 << 20}, 1<<50 + margin}, // no loop over the writes
		// Three logs of their own, the largest case's: the batch one.
		{fsprobe.Config{BlockSize: 2300, Count: 100, PreAllocSize: 64 << 10, Writers: []int{1, 3}}, 3*(230_000+64<<10+pad) + margin},
		{fsprobe.Config{BlockSize: 2300, Count: 100, PreAllocSize: 64 << 10, Writers: []int{1, 3}, BatchFactor: 8}, 3*(1_840_000+64<<10+pad) + margin},
		{fsprobe.Config{BlockSize: 2300, Count: 100, Writers: []int{1}, BatchFactor: 8}, 230_000 + margin}, // no batch case for one writer
	} {
		if got := tc.cfg.SpaceNeeded(); got != tc.want {
			t.Errorf("SpaceNeeded(%+v) = %d, want %d", tc.cfg, got, tc.want)
		}
	}
}

// TestVerdictDurability: the verdict never calls memory a place for a
// log, and doubts syncs faster than stable storage can complete them.
func TestVerdictDurability(t *testing.T) {
	yes, no := true, false
	tmpfs := device.Facts{Device: "tmpfs", FSType: "tmpfs", Virtual: true}
	nvme := device.Facts{Device: "nvme0n1", FSType: "xfs", Rotational: &no}
	hdd := device.Facts{Device: "sda", FSType: "ext4", Rotational: &yes}
	for _, tc := range []struct {
		name       string
		facts      device.Facts
		sync       time.Duration
		want, lack string
	}{
		{"tmpfs", tmpfs, 300 * time.Nanosecond, "not durable, so no place for a ZooKeeper transaction log: tmpfs keeps its files in memory", "good for"},
		{"ssd faster than a device", nvme, 2 * time.Microsecond, "good for a ZooKeeper transaction log (p99 under 10 ms); but a median sync of 2.0 µs is faster than stable storage completes a write (10 µs at least): a cache may not be honouring flushes", "not durable"},
		{"ssd", nvme, 50 * time.Microsecond, "good for a ZooKeeper transaction log (p99 under 10 ms); max", "but"},
		{"hdd faster than it turns", hdd, 300 * time.Microsecond, "; but a median sync of 300 µs is faster than a rotating disk turns", "not durable"},
		{"hdd", hdd, 20 * time.Millisecond, "too slow for a ZooKeeper transaction log", "but"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := faultfs.New(faultfs.Options{})
			mkdir(t, fsys, "/d")
			cfg := fsprobe.Config{FS: fsys, Dirs: []string{"/d"}, BlockSize: 100, Count: 50, Timer: fsprobe.StepTimer(faultfs.Fixed(tc.sync))}
			res, err := fsprobe.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			out := fsprobe.Outcome{Config: cfg, Result: res, Facts: []device.Facts{tc.facts}}
			var b strings.Builder
			out.WriteVerdict(&b)
			if v := b.String(); !strings.Contains(v, tc.want) || strings.Contains(v, tc.lack) {
				t.Errorf("verdict %q\nwant it to say %q and not %q", v, tc.want, tc.lack)
			}
		})
	}
}
