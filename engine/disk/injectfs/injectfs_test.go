package injectfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/disk/faultfs"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, f disk.File, s string) {
	t.Helper()
	if _, err := f.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func content(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	must(t, err)
	return string(b)
}

// A power loss over the real disk keeps what each file had at its last
// sync: appends after it are cut off, rewrites inside it zeroed, a file
// never synced is empty; renames and files opened only to read are kept.
func TestCrashLosesUnsynced(t *testing.T) {
	dir := t.TempDir()
	fsys := New(disk.OS)
	log := filepath.Join(dir, "log")
	f, err := fsys.Create(log)
	must(t, err)
	write(t, f, "synced")
	must(t, f.Datasync())
	write(t, f, "-lost")
	if _, err := f.WriteAt([]byte("XY"), 1); err != nil {
		t.Fatal(err)
	}

	snap := filepath.Join(dir, "snap")
	g, err := fsys.Create(snap)
	must(t, err)
	write(t, g, "never synced")

	epoch := filepath.Join(dir, "epoch")
	must(t, disk.WriteFileAtomic(fsys, epoch, []byte("7")))

	old := filepath.Join(dir, "old")
	must(t, os.WriteFile(old, []byte("before"), 0o644))
	h, err := fsys.OpenAppend(old)
	must(t, err)
	write(t, h, "+after")

	fsys.Crash(true)

	for name, want := range map[string]string{log: "s\x00\x00ced", snap: "", epoch: "7", old: "before"} {
		if got := content(t, name); got != want {
			t.Errorf("%s after the crash: %q, want %q", filepath.Base(name), got, want)
		}
	}
	for _, op := range []func() error{
		func() error { _, err := f.Write([]byte("x")); return err },
		f.Datasync,
		func() error { _, err := g.ReadAt(make([]byte, 1), 0); return err },
	} {
		if err := op(); !errors.Is(err, os.ErrClosed) {
			t.Errorf("a handle from before the crash: %v, want os.ErrClosed", err)
		}
	}
	// The file system itself works on, like a rebooted machine.
	n, err := fsys.OpenAppend(log)
	must(t, err)
	write(t, n, "!")
	must(t, n.Datasync())
	fsys.Crash(false)
	if got := content(t, log); got != "s\x00\x00ced!" {
		t.Errorf("after the second crash: %q", got)
	}
}

// A kill ends the handles but keeps everything written.
func TestKillKeepsWritten(t *testing.T) {
	dir := t.TempDir()
	fsys := New(disk.OS)
	fsys.SetKill(true)
	name := filepath.Join(dir, "log")
	f, err := fsys.Create(name)
	must(t, err)
	write(t, f, "written, not synced")
	fsys.Crash(true)
	if got := content(t, name); got != "written, not synced" {
		t.Errorf("after a kill: %q", got)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("write after a kill: %v", err)
	}
}

// Over faultfs, the power loss is faultfs's own.
func TestCrashOverFaultFS(t *testing.T) {
	mem := faultfs.New(faultfs.Options{})
	fsys := New(mem)
	f, err := fsys.Create("log")
	must(t, err)
	write(t, f, "abc")
	must(t, f.Datasync())
	write(t, f, "def")
	fsys.Crash(false)
	b, err := disk.ReadFile(mem, "log")
	must(t, err)
	if string(b) != "abc" || mem.Stats().Crashes != 1 {
		t.Errorf("after the crash %q, %d crashes of faultfs", b, mem.Stats().Crashes)
	}
}

func TestFull(t *testing.T) {
	dir := t.TempDir()
	fsys := New(disk.OS)
	f, err := fsys.Create(filepath.Join(dir, "f"))
	must(t, err)
	fsys.SetFull(true)
	for op, call := range map[string]func() error{
		"write":    func() error { _, err := f.Write([]byte("x")); return err },
		"writeAt":  func() error { _, err := f.WriteAt([]byte("x"), 9); return err },
		"allocate": func() error { return f.Allocate(0, 4096) },
		"grow":     func() error { return f.Truncate(100) },
	} {
		var pe *os.PathError
		if err := call(); !errors.Is(err, syscall.ENOSPC) || !errors.As(err, &pe) {
			t.Errorf("%s on a full disk: %v, want a PathError of ENOSPC", op, err)
		}
	}
	must(t, f.Truncate(0)) // shrinking needs no space
	fsys.SetFull(false)
	write(t, f, "room again")
}

// The injected delay is added to every sync: it lasts at least that long.
func TestSyncDelay(t *testing.T) {
	fsys := New(faultfs.New(faultfs.Options{}))
	f, err := fsys.Create("f")
	must(t, err)
	const d = 20 * time.Millisecond
	fsys.SetSyncDelay(d)
	start := time.Now()
	must(t, f.Datasync())
	if took := time.Since(start); took < d {
		t.Errorf("a sync with %v injected took %v", d, took)
	}
}

func TestSpans(t *testing.T) {
	var s []span
	s = appendSpan(s, span{0, 4})
	s = appendSpan(s, span{4, 8})
	s = appendSpan(s, span{20, 20})
	s = appendSpan(s, span{10, 12})
	if len(s) != 2 || s[0] != (span{0, 8}) || s[1] != (span{10, 12}) {
		t.Fatalf("spans %v", s)
	}
	if c := clip(s, 6); len(c) != 1 || c[0] != (span{0, 6}) {
		t.Errorf("clipped %v", c)
	}
}
