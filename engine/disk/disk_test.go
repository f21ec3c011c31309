package disk_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
)

// recorder is a Sink that keeps what it hears.
type recorder struct {
	syncs   []disk.SyncEvent
	extends []disk.ExtendEvent
}

func (r *recorder) Synced(e disk.SyncEvent)     { r.syncs = append(r.syncs, e) }
func (r *recorder) Extended(e disk.ExtendEvent) { r.extends = append(r.extends, e) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := disk.ReadFile(disk.OS, name)
	must(t, err)
	return b
}

func TestCreateRefusesExisting(t *testing.T) {
	for _, open := range []struct {
		name string
		fn   func(string) (disk.File, error)
	}{
		{"Create", disk.OS.Create},
		{"OpenSync", disk.OS.OpenSync},
	} {
		t.Run(open.name, func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "f")
			must(t, os.WriteFile(name, []byte("keep"), 0o644))
			if f, err := open.fn(name); !errors.Is(err, fs.ErrExist) {
				if f != nil {
					f.Close()
				}
				t.Fatalf("%s over an existing file = %v, want fs.ErrExist", open.name, err)
			}
			if got := readFile(t, name); string(got) != "keep" {
				t.Errorf("existing file changed to %q", got)
			}
		})
	}
}

func TestOpenAppend(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	f, err := disk.OS.Create(name)
	must(t, err)
	_, err = f.Write([]byte("hello"))
	must(t, err)
	must(t, f.Close())

	f, err = disk.OS.OpenAppend(name)
	must(t, err)
	defer f.Close()
	_, err = f.Write([]byte(", world"))
	must(t, err)
	if n, err := f.Size(); err != nil || n != 12 {
		t.Errorf("Size = %d, %v; want 12", n, err)
	}
	// It is read-write, not O_APPEND: WriteAt goes where it is told.
	_, err = f.WriteAt([]byte("J"), 0)
	must(t, err)
	if got := readFile(t, name); string(got) != "Jello, world" {
		t.Errorf("content = %q", got)
	}
	if _, err := disk.OS.OpenAppend(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenAppend of a missing file = %v, want fs.ErrNotExist", err)
	}
}

// openFor opens a new file the way a writer using m does.
func openFor(fsys disk.FS, name string, m disk.SyncMethod) (disk.File, error) {
	if m == disk.SyncODsync {
		return fsys.OpenSync(name)
	}
	return fsys.Create(name)
}

func TestSyncMethods(t *testing.T) {
	for _, m := range []disk.SyncMethod{disk.SyncFdatasync, disk.SyncFsync, disk.SyncODsync, disk.SyncNone} {
		t.Run(m.String(), func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, "log")
			f, err := openFor(disk.OS, name, m)
			must(t, err)
			for range 3 {
				_, err := f.Write([]byte("record"))
				must(t, err)
				must(t, disk.Flush(f, m))
			}
			must(t, f.Datasync())
			must(t, f.Sync())
			must(t, disk.OS.SyncDir(dir))
			must(t, f.Close())
			if got := readFile(t, name); string(got) != "recordrecordrecord" {
				t.Errorf("content = %q", got)
			}
			if err := f.Datasync(); err == nil {
				t.Error("Datasync on a closed file succeeded")
			}
		})
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "currentEpoch")
	tests := []struct {
		name  string
		setup func(t *testing.T)
		data  string
	}{
		{"new", nil, "1"},
		{"replace", nil, "2"},
		{"stale tmp from a crash", func(t *testing.T) {
			must(t, os.WriteFile(name+".tmp", []byte("garbage"), 0o644))
		}, "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			must(t, disk.WriteFileAtomic(disk.OS, name, []byte(tt.data)))
			if got := readFile(t, name); string(got) != tt.data {
				t.Errorf("content = %q, want %q", got, tt.data)
			}
			names, err := disk.OS.ReadDir(dir)
			must(t, err)
			if !slices.Equal(names, []string{"currentEpoch"}) {
				t.Errorf("dir holds %v, want only currentEpoch", names)
			}
		})
	}
}

// The new content is durable before the rename, so a crash right after
// WriteFileAtomic keeps it.
func TestWriteFileAtomicSurvivesCrash(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	must(t, fsys.MkdirAll("d"))
	must(t, disk.WriteFileAtomic(fsys, "d/acceptedEpoch", []byte("5")))
	fsys.Crash(true)
	b, err := disk.ReadFile(fsys, "d/acceptedEpoch")
	must(t, err)
	if string(b) != "5" {
		t.Errorf("after crash: %q, want 5", b)
	}
}

func TestWriteFileAtomicSyncError(t *testing.T) {
	fsys := faultfs.New(faultfs.Options{})
	must(t, fsys.MkdirAll("d"))
	must(t, disk.WriteFileAtomic(fsys, "d/epoch", []byte("1")))
	fsys.FailSyncs(syscall.EIO)
	if err := disk.WriteFileAtomic(fsys, "d/epoch", []byte("2")); !errors.Is(err, syscall.EIO) {
		t.Fatalf("err = %v, want EIO", err)
	}
	if b, _ := disk.ReadFile(fsys, "d/epoch"); string(b) != "1" {
		t.Errorf("a failed WriteFileAtomic replaced the file: %q", b)
	}
}

func TestParseSyncMethod(t *testing.T) {
	tests := []struct {
		in      string
		want    disk.SyncMethod
		wantErr bool
	}{
		{"fdatasync", disk.SyncFdatasync, false},
		{"fsync", disk.SyncFsync, false},
		{"odsync", disk.SyncODsync, false},
		{"none", disk.SyncNone, false},
		{"", 0, true},
		{"FSYNC", 0, true},
		{" fsync", 0, true},
		{"o_dsync", 0, true},
	}
	for _, tt := range tests {
		got, err := disk.ParseSyncMethod(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSyncMethod(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("%q does not round-trip: %q", tt.in, got.String())
		}
	}
	for _, m := range []disk.SyncMethod{9, -1} {
		if s, want := m.String(), fmt.Sprintf("SyncMethod(%d)", int(m)); s != want {
			t.Errorf("String of an unknown method = %q, want %q", s, want)
		}
	}
}

func TestTimedFlush(t *testing.T) {
	for _, m := range []disk.SyncMethod{disk.SyncFdatasync, disk.SyncFsync, disk.SyncODsync, disk.SyncNone} {
		t.Run(m.String(), func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "log")
			f, err := openFor(disk.OS, name, m)
			must(t, err)
			defer f.Close()
			_, err = f.Write(make([]byte, 2300))
			must(t, err)
			var r recorder
			before := time.Now()
			must(t, disk.TimedFlush(f, m, &r, 2300, 7))
			if m == disk.SyncNone {
				if len(r.syncs) != 0 {
					t.Errorf("SyncNone reported %+v", r.syncs)
				}
				return
			}
			if len(r.syncs) != 1 {
				t.Fatalf("got %d events, want 1", len(r.syncs))
			}
			e := r.syncs[0]
			if e.Path != name || e.Bytes != 2300 || e.Txns != 7 || e.Start.Before(before) || e.Duration < 0 {
				t.Errorf("event = %+v", e)
			}
		})
	}
}

// TimedFlush measures the sync: with a slow device the event's duration is
// at least the device's latency, and a failed sync is still reported.
func TestTimedFlushFaults(t *testing.T) {
	const latency = 5 * time.Millisecond
	fsys := faultfs.New(faultfs.Options{SyncLatency: faultfs.Fixed(latency)})
	f, err := fsys.Create("log")
	must(t, err)
	var r recorder
	must(t, disk.TimedFlush(f, disk.SyncFdatasync, &r, 1, 1))
	if len(r.syncs) != 1 || r.syncs[0].Duration < latency {
		t.Errorf("events = %+v, want one of at least %v", r.syncs, latency)
	}
	fsys.FailSyncs(syscall.EIO)
	if err := disk.TimedFlush(f, disk.SyncFsync, &r, 1, 1); !errors.Is(err, syscall.EIO) {
		t.Errorf("err = %v, want EIO", err)
	}
	if len(r.syncs) != 2 {
		t.Errorf("failed sync not reported: %d events", len(r.syncs))
	}
	if st := fsys.Stats(); st.Datasyncs != 1 || st.Syncs != 1 {
		t.Errorf("stats = %+v", st)
	}
}

// BenchmarkFlush appends a 2300-byte block, about a group-commit batch of
// small ZooKeeper txns, and makes it durable with each method. The file is
// replaced every 64 MiB so that a long run does not fill the disk.
func BenchmarkFlush(b *testing.B) {
	const block, roll = 2300, 64 << 20
	data := bytes.Repeat([]byte{0xA5}, block)
	for _, m := range []disk.SyncMethod{disk.SyncFdatasync, disk.SyncFsync, disk.SyncODsync, disk.SyncNone} {
		b.Run(m.String(), func(b *testing.B) {
			dir := b.TempDir()
			var f disk.File
			var written int64
			open := func() {
				if f != nil {
					must(b, f.Close())
					must(b, disk.OS.Remove(f.Name()))
				}
				var err error
				f, err = openFor(disk.OS, filepath.Join(dir, "log"), m)
				must(b, err)
				written = 0
			}
			open()
			defer func() { f.Close() }()
			b.SetBytes(block)
			for b.Loop() {
				if written >= roll {
					b.StopTimer()
					open()
					b.StartTimer()
				}
				if _, err := f.Write(data); err != nil {
					b.Fatal(err)
				}
				if err := disk.Flush(f, m); err != nil {
					b.Fatal(err)
				}
				written += block
			}
		})
	}
}
