package runfolders

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// isolate keeps the test's leases out of the user's own.
func isolate(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func write(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// End removes the folders the run created and what it wrote in them, and
// nothing that was there before.
func TestEndRemovesExactlyWhatWasCreated(t *testing.T) {
	isolate(t)
	base := t.TempDir()
	write(t, filepath.Join(base, "theirs"))
	s, err := Begin("run")
	if err != nil {
		t.Fatal(err)
	}
	created, err := s.MkdirAll(filepath.Join(base, "a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(base, "a"), filepath.Join(base, "a", "b")}; !slices.Equal(created, want) {
		t.Errorf("created %v, want %v", created, want)
	}
	member := filepath.Join(base, "a", "b", "server1")
	if err := s.Mkdir(member); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(member, "data"))
	if err := s.Mkdir(member); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Mkdir: %v, want ErrExist", err)
	}
	if left := s.End(); len(left) != 0 {
		t.Errorf("left %v", left)
	}
	if got := entries(t, base); !slices.Equal(got, []string{"theirs"}) {
		t.Errorf("base holds %v, want only what was there", got)
	}
	if stale, _ := Stale(); len(stale) != 0 {
		t.Errorf("a finished run's lease stays: %v", stale)
	}
}

// A created parent that others put files in meanwhile stays, named.
func TestEndLeavesOthersFiles(t *testing.T) {
	isolate(t)
	base := t.TempDir()
	s, _ := Begin("run")
	if _, err := s.MkdirAll(filepath.Join(base, "p")); err != nil {
		t.Fatal(err)
	}
	s.Mkdir(filepath.Join(base, "p", "server1"))
	write(t, filepath.Join(base, "p", "theirs"))
	left := s.End()
	if len(left) != 1 || left[0].Path != filepath.Join(base, "p") {
		t.Fatalf("left %v, want the parent", left)
	}
	if got := entries(t, filepath.Join(base, "p")); !slices.Equal(got, []string{Marker, "theirs"}) {
		t.Errorf("parent holds %v", got)
	}
}

// Keep gives a folder up: it stays, without the marker.
func TestKeep(t *testing.T) {
	isolate(t)
	base := t.TempDir()
	s, _ := Begin("run")
	out := filepath.Join(base, "out")
	s.Mkdir(out)
	write(t, filepath.Join(out, "result.json"))
	if err := s.Keep(out); err != nil {
		t.Fatal(err)
	}
	s.End()
	if got := entries(t, out); !slices.Equal(got, []string{"result.json"}) {
		t.Errorf("kept folder holds %v", got)
	}
}

// deadPID is the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// A lease whose process is gone is stale; cleaning it removes its marked
// folders and never one without its marker.
func TestStaleAndClean(t *testing.T) {
	isolate(t)
	base := t.TempDir()
	s, _ := Begin("run")
	var dirs []string
	for _, n := range []string{"tmp", "out", "unmarked"} {
		d := filepath.Join(base, n)
		if err := s.Mkdir(d); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(d, "f"))
		dirs = append(dirs, d)
	}
	if stale, _ := Stale(); len(stale) != 0 {
		t.Fatalf("a live run's lease is stale: %v", stale)
	}
	os.Remove(filepath.Join(dirs[2], Marker))
	s.lease.PID, s.lease.StartTicks = deadPID(t), 1
	if err := s.save(); err != nil {
		t.Fatal(err)
	}
	stale, err := Stale()
	if err != nil || len(stale) != 1 || len(stale[0].Remaining()) != 2 {
		t.Fatalf("Stale = %v, %v; want one lease with two marked folders", stale, err)
	}
	removed, left, err := CleanStale()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{dirs[1], dirs[0]}; !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	if len(left) != 1 || left[0].Path != dirs[2] || !errors.Is(left[0].Err, errNotOurs) {
		t.Errorf("left %v, want the unmarked folder", left)
	}
	if got := entries(t, base); !slices.Equal(got, []string{"unmarked"}) {
		t.Errorf("base holds %v", got)
	}
	if stale, _ := Stale(); len(stale) != 0 {
		t.Errorf("lease stays after its clean-up: %v", stale)
	}
}

// A process killed with SIGKILL is a zombie until its parent reaps it:
// gone for this purpose, though /proc still lists it.
func TestZombieIsNotAlive(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	// Not reaped: it stays a zombie once it exits, so this ends.
	for {
		if _, err := startTicks(cmd.Process.Pid); errors.Is(err, errZombie) {
			break
		}
		time.Sleep(time.Millisecond) // a poll, not a deadline
	}
	host, _ := os.Hostname()
	if (Owner{PID: cmd.Process.Pid, Host: host}).Alive() {
		t.Error("a zombie counts as alive")
	}
	if !(Owner{PID: os.Getpid(), Host: host, StartTicks: mustTicks(t)}).Alive() {
		t.Error("this process counts as gone")
	}
}

func mustTicks(t *testing.T) uint64 {
	t.Helper()
	n, err := startTicks(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Size counts the blocks a file takes, not its length: a preallocated
// log is mostly a hole.
func TestSizeCountsBlocks(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "log.1"))
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 4096))
	f.Truncate(64 << 20)
	f.Close()
	if n := Size(dir); n < 4096 || n > 1<<20 {
		t.Errorf("Size = %d, want the 4 KiB written, not the 64 MiB length", n)
	}
}

// Without a usable cache folder the records go to the temporary folder,
// where a clean-up finds them too.
func TestRecordsWithoutCacheFolder(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	write(t, notADir)
	t.Setenv("XDG_CACHE_HOME", notADir)
	t.Setenv("TMPDIR", t.TempDir())
	s, err := Begin("run")
	if err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(t.TempDir(), "d")
	s.Mkdir(d)
	s.lease.PID, s.lease.StartTicks = deadPID(t), 1
	s.save()
	if removed, left, err := CleanStale(); err != nil || len(left) != 0 || !slices.Equal(removed, []string{d}) {
		t.Errorf("CleanStale = %v, %v, %v", removed, left, err)
	}
}
