package faultfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"zkbench/engine/disk"
)

// gone is the content tests expect of a file that must not exist.
const gone = "\x00gone"

func newFS(t *testing.T, opts Options) *FS {
	t.Helper()
	fsys := New(opts)
	if err := fsys.MkdirAll("d"); err != nil {
		t.Fatal(err)
	}
	return fsys
}

func create(t *testing.T, fsys disk.FS, name string) disk.File {
	t.Helper()
	f, err := fsys.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func write(t *testing.T, f disk.File, s string) {
	t.Helper()
	if _, err := f.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func writeAt(t *testing.T, f disk.File, s string, off int64) {
	t.Helper()
	if _, err := f.WriteAt([]byte(s), off); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// content reads name through a fresh handle, or returns gone.
func content(t *testing.T, fsys disk.FS, name string) string {
	t.Helper()
	b, err := disk.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return gone
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func pattern(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return string(b)
}

func TestCrash(t *testing.T) {
	tests := []struct {
		name string
		ops  func(t *testing.T, fsys *FS)
		want map[string]string
	}{
		{"unsynced write is lost", func(t *testing.T, fsys *FS) {
			write(t, create(t, fsys, "d/f"), "hello")
		}, map[string]string{"d/f": ""}},
		{"datasync keeps", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			write(t, f, "hello")
			must(t, f.Datasync())
			write(t, f, " world")
		}, map[string]string{"d/f": "hello"}},
		{"sync keeps", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			write(t, f, "hello")
			must(t, f.Sync())
			write(t, f, " world")
			must(t, f.Close())
		}, map[string]string{"d/f": "hello"}},
		{"sync through another handle keeps the file", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			write(t, f, "hello")
			g, err := fsys.Open("d/f")
			must(t, err)
			must(t, g.Datasync())
		}, map[string]string{"d/f": "hello"}},
		{"overwrite after sync is lost", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			write(t, f, "hello")
			must(t, f.Datasync())
			writeAt(t, f, "J", 0)
		}, map[string]string{"d/f": "hello"}},
		{"write across chunks, then partial overwrite", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			write(t, f, pattern(3*chunkSize+7))
			must(t, f.Datasync())
			writeAt(t, f, strings.Repeat("Z", chunkSize), chunkSize/2)
			write(t, f, "tail")
		}, map[string]string{"d/f": pattern(3*chunkSize + 7)}},
		{"gap is zero filled", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			writeAt(t, f, "x", 2*chunkSize+1)
			must(t, f.Datasync())
		}, map[string]string{"d/f": strings.Repeat("\x00", 2*chunkSize+1) + "x"}},
		{"truncate down is durable", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			write(t, f, "hello world")
			must(t, f.Datasync())
			must(t, f.Truncate(5))
		}, map[string]string{"d/f": "hello"}},
		{"truncate up is durable, unsynced data is not", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			write(t, f, "ab")
			must(t, f.Datasync())
			write(t, f, "cd")
			must(t, f.Truncate(6))
		}, map[string]string{"d/f": "ab\x00\x00\x00\x00"}},
		{"allocate is lost without sync", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			write(t, f, "ab")
			must(t, f.Datasync())
			must(t, f.Allocate(2, 100))
		}, map[string]string{"d/f": "ab"}},
		{"allocate is kept with sync", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			write(t, f, "ab")
			must(t, f.Allocate(2, 8))
			must(t, f.Datasync())
		}, map[string]string{"d/f": "ab" + strings.Repeat("\x00", 8)}},
		{"open sync writes are kept", func(t *testing.T, fsys *FS) {
			f, err := fsys.OpenSync("d/f")
			must(t, err)
			write(t, f, "one")
			write(t, f, "two")
		}, map[string]string{"d/f": "onetwo"}},
		{"directory entries are durable", func(t *testing.T, fsys *FS) {
			create(t, fsys, "d/created")
			f := create(t, fsys, "d/removed")
			write(t, f, "x")
			must(t, f.Sync())
			must(t, fsys.Remove("d/removed"))
			must(t, disk.WriteFileAtomic(fsys, "d/epoch", []byte("7")))
		}, map[string]string{"d/created": "", "d/removed": gone, "d/epoch": "7", "d/epoch.tmp": gone}},
		{"write to a removed file is not resurrected", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			must(t, fsys.Remove("d/f"))
			write(t, f, "x")
			must(t, f.Sync())
		}, map[string]string{"d/f": gone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := newFS(t, Options{})
			tt.ops(t, fsys)
			fsys.Crash(false)
			for name, want := range tt.want {
				if got := content(t, fsys, name); got != want {
					t.Errorf("%s = %.40q (%d bytes), want %.40q (%d bytes)", name, got, len(got), want, len(want))
				}
			}
		})
	}
}

// tornRun writes a durable prefix, two unsynced writes with a gap before
// the last, and crashes with tear.
func tornRun(t *testing.T, seed int64) string {
	t.Helper()
	fsys := newFS(t, Options{Seed: seed})
	f := create(t, fsys, "d/log")
	write(t, f, "durable")
	must(t, f.Datasync())
	write(t, f, "lost1")
	write(t, f, "the-last-write")
	// A second file, so that the draws for several files are exercised.
	g := create(t, fsys, "d/other")
	write(t, g, "other-last-write")
	fsys.Crash(true)
	return content(t, fsys, "d/log") + "|" + content(t, fsys, "d/other")
}

func TestCrashTear(t *testing.T) {
	const last = "the-last-write"
	lengths := map[int]bool{}
	for seed := range int64(64) {
		got := tornRun(t, seed)
		if again := tornRun(t, seed); again != got {
			t.Fatalf("seed %d: not deterministic: %q then %q", seed, got, again)
		}
		log, other, _ := strings.Cut(got, "|")
		if !strings.HasPrefix("other-last-write", other) {
			t.Errorf("seed %d: other = %q, want a prefix of its only write", seed, other)
		}
		if log == "durable" {
			lengths[0] = true
			continue
		}
		// The earlier unsynced write is lost; its range reads as zeros.
		head := "durable\x00\x00\x00\x00\x00"
		torn, ok := strings.CutPrefix(log, head)
		if !ok || torn == "" || !strings.HasPrefix(last, torn) {
			t.Errorf("seed %d: log = %q, want %q + a prefix of %q", seed, log, head, last)
			continue
		}
		lengths[len(torn)] = true
	}
	if len(lengths) < 4 {
		t.Errorf("64 seeds tore to only %d distinct lengths: %v", len(lengths), lengths)
	}
}

func TestCrashTearOnlyUnsynced(t *testing.T) {
	tests := []struct {
		name string
		ops  func(t *testing.T, fsys *FS)
		want string
	}{
		{"last write synced", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			write(t, f, "abc")
			must(t, f.Datasync())
		}, "abc"},
		{"open sync", func(t *testing.T, fsys *FS) {
			f, err := fsys.OpenSync("d/f")
			must(t, err)
			write(t, f, "abc")
		}, "abc"},
		{"last write truncated away", func(t *testing.T, fsys *FS) {
			f := create(t, fsys, "d/f")
			write(t, f, "abc")
			must(t, f.Datasync())
			write(t, f, "defgh")
			must(t, f.Truncate(3))
		}, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range int64(16) {
				fsys := newFS(t, Options{Seed: seed})
				tt.ops(t, fsys)
				fsys.Crash(true)
				if got := content(t, fsys, "d/f"); got != tt.want {
					t.Fatalf("seed %d: %q, want %q", seed, got, tt.want)
				}
			}
		})
	}
}

func TestHandlesDeadAfterCrash(t *testing.T) {
	fsys := newFS(t, Options{})
	f := create(t, fsys, "d/f")
	write(t, f, "data")
	must(t, f.Sync())
	s, err := fsys.OpenSync("d/s")
	must(t, err)
	a, err := fsys.OpenAppend("d/f")
	must(t, err)
	r, err := fsys.Open("d/f")
	must(t, err)
	u := create(t, fsys, "d/unlinked")
	must(t, fsys.Remove("d/unlinked"))

	fsys.Crash(false)

	methods := []struct {
		name string
		call func(f disk.File) error
	}{
		{"Read", func(f disk.File) error { _, err := f.Read(make([]byte, 1)); return err }},
		{"ReadAt", func(f disk.File) error { _, err := f.ReadAt(make([]byte, 1), 0); return err }},
		{"Write", func(f disk.File) error { _, err := f.Write([]byte("x")); return err }},
		{"WriteAt", func(f disk.File) error { _, err := f.WriteAt([]byte("x"), 0); return err }},
		{"Size", func(f disk.File) error { _, err := f.Size(); return err }},
		{"Truncate", func(f disk.File) error { return f.Truncate(0) }},
		{"Allocate", func(f disk.File) error { return f.Allocate(0, 10) }},
		{"Datasync", func(f disk.File) error { return f.Datasync() }},
		{"Sync", func(f disk.File) error { return f.Sync() }},
		{"Close", func(f disk.File) error { return f.Close() }},
	}
	for _, h := range []disk.File{f, s, a, r, u} {
		for _, m := range methods {
			if err := m.call(h); !errors.Is(err, os.ErrClosed) {
				t.Errorf("%s.%s after crash = %v, want os.ErrClosed", h.Name(), m.name, err)
			}
		}
	}
	if got := content(t, fsys, "d/f"); got != "data" {
		t.Errorf("reopened content = %q, want %q", got, "data")
	}
	g, err := fsys.OpenAppend("d/f")
	must(t, err)
	write(t, g, "more")
	if got := content(t, fsys, "d/f"); got != "datamore" {
		t.Errorf("after crash and append = %q", got)
	}
}

func TestSyncLatencyCalls(t *testing.T) {
	tests := []struct {
		name string
		op   func(t *testing.T, fsys *FS)
		want int
	}{
		{"write", func(t *testing.T, fsys *FS) { write(t, create(t, fsys, "d/f"), "x") }, 0},
		{"datasync", func(t *testing.T, fsys *FS) { must(t, create(t, fsys, "d/f").Datasync()) }, 1},
		{"sync", func(t *testing.T, fsys *FS) { must(t, create(t, fsys, "d/f").Sync()) }, 1},
		{"open sync writes", func(t *testing.T, fsys *FS) {
			f, err := fsys.OpenSync("d/f")
			must(t, err)
			write(t, f, "x")
			writeAt(t, f, "y", 5)
		}, 2},
		{"sync dir", func(t *testing.T, fsys *FS) { must(t, fsys.SyncDir("d")) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			fsys := newFS(t, Options{SyncLatency: func() time.Duration { calls++; return 0 }})
			tt.op(t, fsys)
			if calls != tt.want {
				t.Errorf("latency drawn %d times, want %d", calls, tt.want)
			}
		})
	}
}

func TestSyncLatencySleeps(t *testing.T) {
	const d = 10 * time.Millisecond
	fsys := newFS(t, Options{SyncLatency: Fixed(d)})
	f := create(t, fsys, "d/f")
	s, err := fsys.OpenSync("d/s")
	must(t, err)
	ops := []struct {
		name string
		call func() error
	}{
		{"Datasync", f.Datasync},
		{"Sync", f.Sync},
		{"OpenSync Write", func() error { _, err := s.Write([]byte("x")); return err }},
	}
	for _, op := range ops {
		start := time.Now()
		must(t, op.call())
		if took := time.Since(start); took < d {
			t.Errorf("%s took %v, want at least %v", op.name, took, d)
		}
	}
}

func TestSamples(t *testing.T) {
	set := []time.Duration{time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 50 * time.Millisecond}
	draw := func(seed int64) []time.Duration {
		next := Samples(seed, set...)
		out := make([]time.Duration, 1000)
		for i := range out {
			out[i] = next()
		}
		return out
	}
	a := draw(1)
	seen := map[time.Duration]int{}
	for _, d := range a {
		if !slices.Contains(set, d) {
			t.Fatalf("drew %v, not one of %v", d, set)
		}
		seen[d]++
	}
	for _, d := range set {
		// Uniform over 4: each expected 250 times; 150 is many sigmas off.
		if seen[d] < 150 {
			t.Errorf("%v drawn %d times in 1000", d, seen[d])
		}
	}
	if !slices.Equal(a, draw(1)) {
		t.Error("same seed drew a different sequence")
	}
	if slices.Equal(a, draw(2)) {
		t.Error("different seeds drew the same sequence")
	}
	if Fixed(3*time.Millisecond)() != 3*time.Millisecond {
		t.Error("Fixed does not return its duration")
	}
	defer func() {
		if recover() == nil {
			t.Error("Samples without samples did not panic")
		}
	}()
	Samples(1)
}

func TestSamplesInSync(t *testing.T) {
	set := []time.Duration{time.Microsecond, 2 * time.Microsecond}
	fsys := newFS(t, Options{SyncLatency: Samples(7, set...)})
	f := create(t, fsys, "d/f")
	for range 20 {
		must(t, f.Datasync())
	}
	if got := fsys.Stats().Datasyncs; got != 20 {
		t.Errorf("Datasyncs = %d, want 20", got)
	}
}

func TestNoSpace(t *testing.T) {
	const limit = 100
	tests := []struct {
		name  string
		setup func(t *testing.T, fsys *FS, f disk.File) // fills to 60 bytes in f
		op    func(f disk.File) error
		full  bool // op must fail with ENOSPC
	}{
		{"write within limit", nil, func(f disk.File) error { _, err := f.Write(make([]byte, 40)); return err }, false},
		{"write past limit", nil, func(f disk.File) error { _, err := f.Write(make([]byte, 41)); return err }, true},
		{"writeat past limit", nil, func(f disk.File) error { _, err := f.WriteAt([]byte("x"), 100); return err }, true},
		{"overwrite at limit", func(t *testing.T, fsys *FS, f disk.File) {
			write(t, f, strings.Repeat("y", 40))
		}, func(f disk.File) error { _, err := f.WriteAt([]byte("zz"), 98); return err }, false},
		{"allocate past limit", nil, func(f disk.File) error { return f.Allocate(60, 41) }, true},
		{"allocate inside file", nil, func(f disk.File) error { return f.Allocate(0, 60) }, false},
		{"truncate grow past limit", nil, func(f disk.File) error { return f.Truncate(101) }, true},
		{"truncate shrink", nil, func(f disk.File) error { return f.Truncate(0) }, false},
		{"other files count", func(t *testing.T, fsys *FS, f disk.File) {
			write(t, create(t, fsys, "d/g"), strings.Repeat("g", 40))
		}, func(f disk.File) error { _, err := f.Write([]byte("x")); return err }, true},
		{"remove frees", func(t *testing.T, fsys *FS, f disk.File) {
			write(t, create(t, fsys, "d/g"), strings.Repeat("g", 40))
			must(t, fsys.Remove("d/g"))
		}, func(f disk.File) error { _, err := f.Write(make([]byte, 40)); return err }, false},
		{"rename over frees", func(t *testing.T, fsys *FS, f disk.File) {
			write(t, create(t, fsys, "d/g"), strings.Repeat("g", 30))
			write(t, create(t, fsys, "d/h"), strings.Repeat("h", 10))
			must(t, fsys.Rename("d/h", "d/g"))
		}, func(f disk.File) error { _, err := f.Write(make([]byte, 30)); return err }, false},
		{"unlimited again", func(t *testing.T, fsys *FS, f disk.File) {
			fsys.SetNoSpace(0)
		}, func(f disk.File) error { _, err := f.Write(make([]byte, 1000)); return err }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := newFS(t, Options{})
			fsys.SetNoSpace(limit)
			f := create(t, fsys, "d/f")
			write(t, f, pattern(60))
			if tt.setup != nil {
				tt.setup(t, fsys, f)
			}
			before, err := f.Size()
			must(t, err)
			err = tt.op(f)
			if !tt.full {
				must(t, err)
				return
			}
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("err = %v, want ENOSPC", err)
			}
			var pe *fs.PathError
			if !errors.As(err, &pe) || pe.Path != "d/f" {
				t.Errorf("err = %#v, want a *fs.PathError naming d/f", err)
			}
			if after, _ := f.Size(); after != before {
				t.Errorf("failed op changed size %d -> %d", before, after)
			}
			if got := content(t, fsys, "d/f"); got[:60] != pattern(60) {
				t.Errorf("failed op changed content")
			}
			if fsys.Stats().NoSpace != 1 {
				t.Errorf("Stats.NoSpace = %d, want 1", fsys.Stats().NoSpace)
			}
		})
	}
}

func TestFailSyncs(t *testing.T) {
	fsys := newFS(t, Options{})
	f := create(t, fsys, "d/f")
	s, err := fsys.OpenSync("d/s")
	must(t, err)
	write(t, f, "abc")
	fsys.FailSyncs(syscall.EIO)
	for name, call := range map[string]func() error{
		"Datasync": f.Datasync,
		"Sync":     f.Sync,
		"OpenSync Write": func() error {
			_, err := s.Write([]byte("x"))
			return err
		},
	} {
		if err := call(); !errors.Is(err, syscall.EIO) {
			t.Errorf("%s = %v, want EIO", name, err)
		}
	}
	if st := fsys.Stats(); st.FailedSyncs != 3 {
		t.Errorf("FailedSyncs = %d, want 3", st.FailedSyncs)
	}
	// A failed sync made nothing durable.
	fsys.Crash(false)
	if got := content(t, fsys, "d/f"); got != "" {
		t.Errorf("after failed sync and crash: %q, want empty", got)
	}
	if got := content(t, fsys, "d/s"); got != "" {
		t.Errorf("open sync file after failed write and crash: %q, want empty", got)
	}
	// FailSyncs survives a crash; nil stops it.
	f, err = fsys.OpenAppend("d/f")
	must(t, err)
	write(t, f, "def")
	if err := f.Datasync(); !errors.Is(err, syscall.EIO) {
		t.Errorf("Datasync after crash = %v, want EIO still", err)
	}
	fsys.FailSyncs(nil)
	must(t, f.Datasync())
	fsys.Crash(false)
	if got := content(t, fsys, "d/f"); got != "def" {
		t.Errorf("after a good sync and crash: %q, want def", got)
	}
}

func TestFileSemantics(t *testing.T) {
	fsys := New(Options{})
	var pe *fs.PathError
	if _, err := fsys.Create("x/f"); !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
		t.Errorf("Create without dir = %v, want *fs.PathError with ErrNotExist", err)
	}
	must(t, fsys.MkdirAll("x/y/z"))
	must(t, fsys.MkdirAll("x/y")) // exists already: fine
	f := create(t, fsys, "x//y/../f")
	if _, err := fsys.Create("x/f"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create existing = %v, want ErrExist", err)
	}
	if _, err := fsys.OpenSync("x/y"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("OpenSync over a directory = %v, want ErrExist", err)
	}
	if _, err := fsys.Create("x/f/g"); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("Create under a file = %v, want ENOTDIR", err)
	}
	if err := fsys.MkdirAll("x/f/g"); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("MkdirAll under a file = %v, want ENOTDIR", err)
	}
	if got := f.Name(); got != "x//y/../f" {
		t.Errorf("Name = %q, want the name as given", got)
	}

	// Write advances, WriteAt past the end zero-fills, Read and ReadAt
	// end with io.EOF like an *os.File.
	write(t, f, "hello")
	writeAt(t, f, "!", 7)
	write(t, f, "__")
	if got := content(t, fsys, "x/f"); got != "hello__!" {
		t.Errorf("content = %q", got)
	}
	writeAt(t, f, "W", 20)
	if got := content(t, fsys, "x/f"); got != "hello__!"+strings.Repeat("\x00", 12)+"W" {
		t.Errorf("content = %q", got)
	}
	buf := make([]byte, 4)
	if n, err := f.ReadAt(buf, 19); n != 2 || err != io.EOF || string(buf[:n]) != "\x00W" {
		t.Errorf("ReadAt at the end = %d, %v, %q", n, err, buf[:n])
	}
	if n, err := f.ReadAt(buf, 21); n != 0 || err != io.EOF {
		t.Errorf("ReadAt past the end = %d, %v", n, err)
	}
	if _, err := f.ReadAt(buf, -1); err == nil {
		t.Error("ReadAt at a negative offset succeeded")
	}
	r, err := fsys.Open("x/f")
	must(t, err)
	all, err := io.ReadAll(r)
	if err != nil || len(all) != 21 {
		t.Errorf("ReadAll = %d bytes, %v", len(all), err)
	}
	if n, err := r.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("Read at EOF = %d, %v", n, err)
	}
	if _, err := r.Write([]byte("x")); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Write on read-only handle = %v, want EBADF", err)
	}
	if err := r.Truncate(0); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Truncate on read-only handle = %v, want EBADF", err)
	}

	// OpenAppend starts at the end.
	a, err := fsys.OpenAppend("x/f")
	must(t, err)
	write(t, a, "+")
	if got := content(t, fsys, "x/f"); !strings.HasSuffix(got, "W+") {
		t.Errorf("after OpenAppend write: %q", got)
	}
	if _, err := fsys.OpenAppend("x/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenAppend missing = %v", err)
	}

	// Truncate down and up again reads zeros, also inside a chunk.
	must(t, a.Truncate(3))
	must(t, a.Truncate(6))
	if got := content(t, fsys, "x/f"); got != "hel\x00\x00\x00" {
		t.Errorf("after truncate down and up: %q", got)
	}
	must(t, a.Allocate(0, 4)) // inside: no change
	must(t, a.Allocate(4, 6))
	if n, _ := a.Size(); n != 10 {
		t.Errorf("size after Allocate = %d, want 10", n)
	}
	if err := a.Allocate(0, 0); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Allocate of nothing = %v, want EINVAL", err)
	}

	// Stat.
	fi, err := fsys.Stat("x/f")
	must(t, err)
	if fi.Name() != "f" || fi.Size() != 10 || fi.IsDir() || fi.ModTime().IsZero() || time.Since(fi.ModTime()) > time.Minute {
		t.Errorf("Stat = %s %d %v %v", fi.Name(), fi.Size(), fi.IsDir(), fi.ModTime())
	}
	di, err := fsys.Stat("x/y/")
	must(t, err)
	if di.Name() != "y" || !di.IsDir() || di.ModTime().IsZero() {
		t.Errorf("Stat dir = %s %v %v", di.Name(), di.IsDir(), di.ModTime())
	}
	if _, err := fsys.Stat("x/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat missing = %v", err)
	}

	// ReadDir lists direct children only.
	create(t, fsys, "x/y/z/deep")
	create(t, fsys, "x/y/g")
	names, err := fsys.ReadDir("x")
	must(t, err)
	if !slices.Equal(names, []string{"f", "y"}) {
		t.Errorf("ReadDir(x) = %v", names)
	}
	names, err = fsys.ReadDir("x/y")
	must(t, err)
	if !slices.Equal(names, []string{"g", "z"}) {
		t.Errorf("ReadDir(x/y) = %v", names)
	}
	if _, err := fsys.ReadDir("x/f"); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("ReadDir of a file = %v", err)
	}
	if _, err := fsys.ReadDir("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDir missing = %v", err)
	}
	must(t, fsys.SyncDir("x/y"))
	if err := fsys.SyncDir("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SyncDir missing = %v", err)
	}

	// Rename replaces the destination; a handle to the replaced file still
	// reads it, as on POSIX.
	old, err := fsys.Open("x/y/g")
	must(t, err)
	must(t, fsys.Rename("x/f", "x/y/g"))
	if _, err := fsys.Stat("x/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("old name after rename: %v", err)
	}
	if got := content(t, fsys, "x/y/g"); got[:3] != "hel" {
		t.Errorf("renamed content = %q", got)
	}
	if n, err := old.Size(); err != nil || n != 0 {
		t.Errorf("replaced file through old handle: %d, %v", n, err)
	}
	if err := fsys.Rename("x/nope", "x/z"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Rename missing = %v", err)
	}
	if err := fsys.Rename("x/y/g", "x/y/z"); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("Rename onto a directory = %v", err)
	}
	if err := fsys.Rename("x/y/g", "nope/g"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Rename into a missing directory = %v", err)
	}
	must(t, fsys.Rename("x/y/g", "x/y/./g"))

	// Remove.
	if err := fsys.Remove("x/y/z"); !errors.Is(err, syscall.ENOTEMPTY) {
		t.Errorf("Remove non-empty dir = %v", err)
	}
	must(t, fsys.Remove("x/y/z/deep"))
	must(t, fsys.Remove("x/y/z"))
	if err := fsys.Remove("x/y/z"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove twice = %v", err)
	}

	// Close twice.
	must(t, f.Close())
	if err := f.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
}

func TestStats(t *testing.T) {
	fsys := newFS(t, Options{})
	f := create(t, fsys, "d/f")
	write(t, f, "abc")
	writeAt(t, f, "de", 3)
	must(t, f.Datasync())
	must(t, f.Sync())
	s, err := fsys.OpenSync("d/s")
	must(t, err)
	write(t, s, "x")
	must(t, fsys.SyncDir("d"))
	must(t, fsys.Rename("d/s", "d/t"))
	must(t, fsys.Remove("d/t"))
	fsys.Crash(true)
	want := Stats{Creates: 2, Removes: 1, Renames: 1, Writes: 3, BytesWritten: 6,
		Syncs: 1, Datasyncs: 1, SyncWrites: 1, SyncDirs: 1, Crashes: 1}
	if got := fsys.Stats(); got != want {
		t.Errorf("Stats = %+v\nwant    %+v", got, want)
	}
}

// TestConcurrent runs one goroutine per file, and one writer with readers
// on a shared file; -race does the checking.
func TestConcurrent(t *testing.T) {
	fsys := New(Options{SyncLatency: Samples(1, 0, time.Microsecond)})
	const own, rounds = 8, 200
	var wg sync.WaitGroup
	for g := range own {
		wg.Go(func() {
			dir := fmt.Sprintf("g%d", g)
			name := dir + "/f"
			if err := fsys.MkdirAll(dir); err != nil {
				t.Error(err)
				return
			}
			f, err := fsys.Create(name)
			if err != nil {
				t.Error(err)
				return
			}
			want := pattern(rounds * 3)
			for i := range rounds {
				if _, err := f.Write([]byte(want[3*i : 3*i+3])); err != nil {
					t.Error(err)
					return
				}
				if i%10 == 0 {
					if err := f.Datasync(); err != nil {
						t.Error(err)
					}
				}
				if _, err := fsys.ReadDir(dir); err != nil {
					t.Error(err)
				}
			}
			if got, err := disk.ReadFile(fsys, name); err != nil || string(got) != want {
				t.Errorf("%s: %d bytes, %v", name, len(got), err)
			}
		})
	}

	shared := create(t, fsys, "shared")
	const total = 64 << 10
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		p := pattern(total)
		for off := 0; off < total; off += 1000 {
			if _, err := shared.Write([]byte(p[off:min(off+1000, total)])); err != nil {
				t.Error(err)
				return
			}
			if off%8000 == 0 {
				if err := shared.Sync(); err != nil {
					t.Error(err)
				}
			}
		}
	})
	for r := range 4 {
		wg.Go(func() {
			h, err := fsys.Open("shared")
			if err != nil {
				t.Error(err)
				return
			}
			defer h.Close()
			rng := rand.New(rand.NewPCG(uint64(r), 0))
			buf := make([]byte, 700)
			for {
				select {
				case <-done:
					return
				default:
				}
				size, err := h.Size()
				if err != nil || size == 0 {
					continue
				}
				off := rng.Int64N(size)
				n, _ := h.ReadAt(buf, off)
				if want := pattern(int(off) + n)[off:]; string(buf[:n]) != want {
					t.Errorf("reader %d at %d: torn read", r, off)
					return
				}
				if _, err := fsys.Stat("shared"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

// TestConcurrentCrash crashes while writers append: every writer must stop
// with os.ErrClosed, and every file must hold what it synced plus at most a
// torn last write.
func TestConcurrentCrash(t *testing.T) {
	fsys := New(Options{Seed: 3})
	const writers = 8
	p := pattern(1_000_000)
	var wg sync.WaitGroup
	started := make(chan struct{}, writers)
	for g := range writers {
		wg.Go(func() {
			name := fmt.Sprintf("f%d", g)
			f, err := fsys.Create(name)
			if err != nil {
				t.Error(err)
				return
			}
			started <- struct{}{}
			for off := 0; off < len(p); off += 100 {
				if _, err := f.Write([]byte(p[off : off+100])); err != nil {
					if !errors.Is(err, os.ErrClosed) {
						t.Errorf("%s: %v", name, err)
					}
					return
				}
				if off%1000 == 0 {
					if err := f.Datasync(); err != nil {
						if !errors.Is(err, os.ErrClosed) {
							t.Errorf("%s: %v", name, err)
						}
						return
					}
				}
			}
		})
	}
	for range writers {
		<-started
	}
	time.Sleep(time.Millisecond)
	fsys.Crash(true)
	wg.Wait()
	for g := range writers {
		name := fmt.Sprintf("f%d", g)
		got := content(t, fsys, name)
		// What was synced, then zeros where unsynced writes were lost,
		// then possibly a torn piece of the last write.
		synced := strings.IndexByte(got, 0)
		if synced < 0 {
			synced = len(got)
		}
		torn := synced + len(got[synced:]) - len(strings.TrimLeft(got[synced:], "\x00"))
		if len(got) > len(p) || got[:synced] != p[:synced] || got[torn:] != p[torn:len(got)] || torn-synced >= 1000 {
			t.Errorf("%s after crash: %d bytes synced, zeros to %d, %d bytes in all: not what was written", name, synced, torn, len(got))
		}
	}
}

// TestModel checks files against a plain byte-slice model through random
// writes, syncs, truncates, allocations and crashes crossing chunk
// boundaries.
func TestModel(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			fsys := New(Options{Seed: int64(seed)})
			f := create(t, fsys, "f")
			var cur, dur []byte
			var last extent
			torn := 0
			resize := func(b []byte, n int64) []byte {
				if int64(len(b)) >= n {
					return b[:n]
				}
				return append(b, make([]byte, n-int64(len(b)))...)
			}
			const span = 4*chunkSize + 100
			for step := range 3000 {
				var what string
				switch op := rng.IntN(20); {
				case op < 10:
					off := rng.Int64N(span)
					p := make([]byte, rng.IntN(2*chunkSize))
					if rng.IntN(4) > 0 { // else zeros
						for i := range p {
							p[i] = byte(1 + (step+i)%255)
						}
					}
					what = fmt.Sprintf("WriteAt(%d bytes, %d)", len(p), off)
					writeAt(t, f, string(p), off)
					if len(p) > 0 {
						cur = resize(cur, max(int64(len(cur)), off+int64(len(p))))
						copy(cur[off:], p)
						last = extent{off, int64(len(p))}
					}
				case op < 13:
					what = "Datasync"
					must(t, f.Datasync())
					dur = slices.Clone(cur)
					last = extent{}
				case op < 15:
					n := rng.Int64N(span)
					what = fmt.Sprintf("Truncate(%d)", n)
					must(t, f.Truncate(n))
					cur = resize(cur, n)
					dur = resize(slices.Clone(dur), n)
					if last.off >= n {
						last = extent{}
					} else {
						last.n = min(last.n, n-last.off)
					}
				case op < 17:
					off, n := rng.Int64N(span), 1+rng.Int64N(chunkSize)
					what = fmt.Sprintf("Allocate(%d, %d)", off, n)
					must(t, f.Allocate(off, n))
					cur = resize(cur, max(int64(len(cur)), off+n))
				default:
					tear := rng.IntN(2) == 0
					what = fmt.Sprintf("Crash(%v)", tear)
					fsys.Crash(tear)
					got := []byte(content(t, fsys, "f"))
					want := slices.Clone(dur)
					if tear && last.n > 0 {
						// The shortest prefix of the last write that
						// explains got: it must reach got's end if that
						// is past dur's, and got's last byte that
						// differs from dur.
						var k int64
						if len(got) > len(dur) {
							k = int64(len(got)) - last.off
						}
						for i := min(len(got), len(dur)) - 1; i >= 0; i-- {
							if got[i] != dur[i] {
								k = max(k, int64(i)+1-last.off)
								break
							}
						}
						k = min(max(k, 0), last.n)
						if k > 0 {
							torn++
						}
						want = resize(want, max(int64(len(dur)), last.off+k))
						copy(want[last.off:], cur[last.off:last.off+k])
					}
					cur, dur, last = want, slices.Clone(want), extent{}
					var err error
					f, err = fsys.OpenAppend("f")
					must(t, err)
				}
				got := make([]byte, len(cur)+1)
				n, _ := f.ReadAt(got, 0)
				if size, _ := f.Size(); size != int64(len(cur)) || !bytes.Equal(got[:n], cur) {
					t.Fatalf("step %d %s: size %d, want %d; content differs from model", step, what, size, len(cur))
				}
			}
			if torn == 0 {
				t.Error("no crash tore a write")
			}
		})
	}
}
