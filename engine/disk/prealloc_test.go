package disk_test

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
)

func TestParsePreallocMode(t *testing.T) {
	tests := []struct {
		in      string
		want    disk.PreallocMode
		wantErr bool
	}{
		{"zookeeper", disk.PreallocZooKeeper, false},
		{"fallocate", disk.PreallocFallocate, false},
		{"zero", disk.PreallocZero, false},
		{"none", disk.PreallocNone, false},
		{"", 0, true},
		{"ZooKeeper", 0, true},
		{"zeros", 0, true},
		{"64m", 0, true},
	}
	for _, tt := range tests {
		got, err := disk.ParsePreallocMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParsePreallocMode(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("%q does not round-trip: %q", tt.in, got.String())
		}
	}
	for _, m := range []disk.PreallocMode{4, -1} {
		if s, want := m.String(), fmt.Sprintf("PreallocMode(%d)", int(m)); s != want {
			t.Errorf("String of an unknown mode = %q, want %q", s, want)
		}
	}
}

// skipUnsupported skips a fallocate test on a file system without it.
func skipUnsupported(t testing.TB, mode disk.PreallocMode, err error) {
	t.Helper()
	if mode == disk.PreallocFallocate && errors.Is(err, syscall.EOPNOTSUPP) {
		t.Skipf("fallocate not supported here: %v", err)
	}
}

func TestExtend(t *testing.T) {
	const head = 1000 // bytes written before extending
	tests := []struct {
		mode     disk.PreallocMode
		from, to int64
		wantSize int64
		event    bool
	}{
		{disk.PreallocZooKeeper, head, head + 64<<10, head + 64<<10, true},
		{disk.PreallocFallocate, head, head + 64<<10, head + 64<<10, true},
		// Larger than PreallocZero's 1 MiB buffer, and not a multiple.
		{disk.PreallocZero, head, head + 2<<20 + 17, head + 2<<20 + 17, true},
		{disk.PreallocNone, head, head + 64<<10, head, false},
		// Never shrinks, and an empty range is no extension.
		{disk.PreallocZooKeeper, head, head, head, false},
		{disk.PreallocZero, head, 10, head, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d-%d", tt.mode, tt.from, tt.to), func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "log")
			f, err := disk.OS.Create(name)
			must(t, err)
			defer f.Close()
			_, err = f.Write(bytes.Repeat([]byte{0xEE}, head))
			must(t, err)

			var r recorder
			err = disk.Extend(f, tt.mode, tt.from, tt.to, &r)
			skipUnsupported(t, tt.mode, err)
			must(t, err)

			if n, err := f.Size(); err != nil || n != tt.wantSize {
				t.Errorf("size = %d, %v; want %d", n, err, tt.wantSize)
			}
			got := readFile(t, name)
			if !bytes.Equal(got[:head], bytes.Repeat([]byte{0xEE}, head)) {
				t.Error("Extend changed the bytes before from")
			}
			if len(got) > head && !bytes.Equal(got[head:], make([]byte, len(got)-head)) {
				t.Error("extension does not read as zeros")
			}
			if !tt.event {
				if len(r.extends) != 0 {
					t.Errorf("got events %+v, want none", r.extends)
				}
				return
			}
			if len(r.extends) != 1 {
				t.Fatalf("got %d events, want 1", len(r.extends))
			}
			e := r.extends[0]
			if e.Path != name || e.Mode != tt.mode || e.From != tt.from || e.To != tt.to || e.Duration < 0 {
				t.Errorf("event = %+v", e)
			}
			if len(r.syncs) != 0 {
				t.Errorf("Extend reported syncs: %+v", r.syncs)
			}
		})
	}
}

// A full disk fails Extend with ENOSPC, named, and reports no extension.
func TestExtendNoSpace(t *testing.T) {
	for _, mode := range []disk.PreallocMode{disk.PreallocZooKeeper, disk.PreallocFallocate, disk.PreallocZero} {
		t.Run(mode.String(), func(t *testing.T) {
			fsys := faultfs.New(faultfs.Options{})
			fsys.SetNoSpace(32 << 10)
			f, err := fsys.Create("log")
			must(t, err)
			var r recorder
			err = disk.Extend(f, mode, 0, 64<<10, &r)
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("err = %v, want ENOSPC", err)
			}
			if len(r.extends) != 0 {
				t.Errorf("failed Extend reported %+v", r.extends)
			}
			// PreallocZero may have written some of its chunks; it
			// never goes past the limit.
			if n, _ := f.Size(); n > 32<<10 {
				t.Errorf("size = %d past the limit", n)
			}
		})
	}
}

// BenchmarkExtend extends a file in 64 KiB steps with each mode. The file
// is replaced every 64 MiB, outside the timer.
func BenchmarkExtend(b *testing.B) {
	const step, roll = 64 << 10, 64 << 20
	for _, mode := range []disk.PreallocMode{disk.PreallocZooKeeper, disk.PreallocFallocate, disk.PreallocZero, disk.PreallocNone} {
		b.Run(mode.String(), func(b *testing.B) {
			dir := b.TempDir()
			var f disk.File
			var size int64
			open := func() {
				if f != nil {
					must(b, f.Close())
					must(b, disk.OS.Remove(f.Name()))
				}
				var err error
				f, err = disk.OS.Create(filepath.Join(dir, "log"))
				must(b, err)
				size = 0
			}
			open()
			defer func() { f.Close() }()
			if mode != disk.PreallocNone { // which extends nothing: no bandwidth to speak of
				b.SetBytes(step)
			}
			for b.Loop() {
				if size >= roll {
					b.StopTimer()
					open()
					b.StartTimer()
				}
				err := disk.Extend(f, mode, size, size+step, disk.Discard)
				skipUnsupported(b, mode, err)
				if err != nil {
					b.Fatal(err)
				}
				size += step
			}
		})
	}
}
