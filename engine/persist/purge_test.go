package persist

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/internal/zkref"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestPurgeFixture(t *testing.T) {
	tests := []struct {
		keep int
		want []string
	}{
		// The 3 newest snapshots are b9, 9f, 9c; log.80 is the newest log
		// starting at or before 0x9c, so it and everything after stay.
		{3, []string{"log.80", "log.9e", "log.a0", "log.bb", "snapshot.9c", "snapshot.9f", "snapshot.b9"}},
		{5, []string{"log.33", "log.52", "log.80", "log.9e", "log.a0", "log.bb", "snapshot.50", "snapshot.7e", "snapshot.9c", "snapshot.9f", "snapshot.b9"}},
		{100, []string{"log.1", "log.33", "log.52", "log.80", "log.9e", "log.a0", "log.bb",
			"snapshot.0", "snapshot.31", "snapshot.50", "snapshot.7e", "snapshot.9c", "snapshot.9f", "snapshot.b9"}},
	}
	for _, tt := range tests {
		data := copyDir(t, filepath.Join(fixtures, "standalone/version-2"), nil)
		os.WriteFile(filepath.Join(data, "version-2", "unrelated.txt"), []byte("x"), 0o644)
		dirs := NewDirs(data, "")
		if _, err := Purge(disk.OS, dirs, tt.keep); err != nil {
			t.Fatal(err)
		}
		want := append(slices.Clone(tt.want), "unrelated.txt")
		if got := names(t, dirs.Snap); !slices.Equal(got, want) {
			t.Errorf("keep %d left %v\nwant %v", tt.keep, got, want)
		}
	}
}

// addFolders puts folders named like old logs and snapshots into a copy
// of the standalone fixture (oldest snapshot kept at 3: 0x9c): two hold a
// file and cannot be removed, one is empty and can.
func addFolders(t *testing.T, data string) {
	t.Helper()
	v2 := filepath.Join(data, "version-2")
	for _, d := range []string{"snapshot.1.d", "log.3.d", "snapshot.2"} {
		if err := os.Mkdir(filepath.Join(v2, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"snapshot.1.d/f", "log.3.d/f"} {
		if err := os.WriteFile(filepath.Join(v2, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// An entry that cannot be removed does not stop the purge: everything
// else old is removed, and what was left is named with its reason.
func TestPurgeCarriesOnPastWhatStays(t *testing.T) {
	data := copyDir(t, filepath.Join(fixtures, "standalone/version-2"), nil)
	addFolders(t, data)
	dirs := NewDirs(data, "")
	p, err := Purge(disk.OS, dirs, 3)
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err = %v, want ErrIncomplete", err)
	}
	var left []string
	for _, l := range p.Left {
		if l.Err == nil {
			t.Errorf("%s left without a reason", l.Path)
		}
		left = append(left, filepath.Base(l.Path))
	}
	if want := []string{"log.3.d", "snapshot.1.d"}; !slices.Equal(left, want) {
		t.Errorf("Left = %v, want %v", left, want)
	}
	if len(p.Logs) != 3 || len(p.Snapshots) != 5 {
		t.Errorf("removed logs %v and snapshots %v; want 3 logs and 5 snapshots (snapshot.2, an empty folder, among them)", p.Logs, p.Snapshots)
	}
	want := []string{"log.3.d", "log.80", "log.9e", "log.a0", "log.bb", "snapshot.1.d", "snapshot.9c", "snapshot.9f", "snapshot.b9"}
	if got := names(t, dirs.Snap); !slices.Equal(got, want) {
		t.Errorf("left %v\nwant %v", got, want)
	}
}

// Purge leaves exactly what ZooKeeper's own PurgeTxnLog leaves, also with
// the log in a separate directory, a corrupt newest snapshot, and folders
// named like old snapshots and logs (PurgeTxnLog removes the empty one,
// reports the others and carries on).
func TestPurgeMatchesPurgeTxnLog(t *testing.T) {
	zkref.Need(t)
	tests := []struct {
		fixture string
		keep    int
		folders bool
	}{
		{"standalone", 3, false},
		{"standalone", 4, false},
		{"standalone", 3, true},
		{"quorum1", 3, false},
		{"ensemble3/server1", 3, false},
	}
	for _, tt := range tests {
		src := filepath.Join(fixtures, tt.fixture, "version-2")
		ours, theirs := copyDir(t, src, nil), copyDir(t, src, nil)
		if tt.folders {
			addFolders(t, ours)
			addFolders(t, theirs)
		}
		p, err := Purge(disk.OS, NewDirs(ours, ""), tt.keep)
		if err != nil && !(tt.folders && errors.Is(err, ErrIncomplete)) {
			t.Fatal(err)
		}
		if len(p.Snapshots) == 0 {
			t.Errorf("%s keep %d: nothing purged, the case proves nothing", tt.fixture, tt.keep)
		}
		if _, _, err := zkref.Run("org.apache.zookeeper.server.PurgeTxnLog", theirs, theirs, "-n", strconv.Itoa(tt.keep)); err != nil {
			t.Fatal(err)
		}
		got, want := names(t, filepath.Join(ours, "version-2")), names(t, filepath.Join(theirs, "version-2"))
		if !slices.Equal(got, want) {
			t.Errorf("%s keep %d: we left %v\nZooKeeper left %v", tt.fixture, tt.keep, got, want)
		}
	}
}

func TestPurgeRefusesTooFew(t *testing.T) {
	if _, err := Purge(disk.OS, NewDirs(t.TempDir(), ""), 2); !errors.Is(err, ErrRetain) {
		t.Fatalf("err = %v", err)
	}
}

func TestPurgeSeparateLogDir(t *testing.T) {
	src := copyDir(t, filepath.Join(fixtures, "standalone/version-2"), nil)
	dirs := NewDirs(t.TempDir(), t.TempDir())
	os.MkdirAll(dirs.Snap, 0o755)
	os.MkdirAll(dirs.Log, 0o755)
	for _, n := range names(t, filepath.Join(src, "version-2")) {
		to := dirs.Snap
		if n[:4] == "log." {
			to = dirs.Log
		}
		os.Rename(filepath.Join(src, "version-2", n), filepath.Join(to, n))
	}
	p, err := Purge(disk.OS, dirs, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Logs) != 3 || len(p.Snapshots) != 4 || p.Oldest != 0x9c {
		t.Errorf("purged %+v", p)
	}
	if got := names(t, dirs.Log); !slices.Equal(got, []string{"log.80", "log.9e", "log.a0", "log.bb"}) {
		t.Errorf("log dir left %v", got)
	}
}

func TestRunPurger(t *testing.T) {
	data := copyDir(t, filepath.Join(fixtures, "standalone/version-2"), nil)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var rounds []Purged
	done := make(chan error)
	go func() {
		done <- RunPurger(ctx, disk.OS, NewDirs(data, ""), 3, time.Millisecond, func(p Purged, err error) {
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			rounds = append(rounds, p)
			n := len(rounds)
			mu.Unlock()
			if n == 2 {
				cancel()
			}
		})
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The first round removes the old files; the second finds nothing.
	if len(rounds[0].Logs)+len(rounds[0].Snapshots) != 7 || len(rounds[1].Logs)+len(rounds[1].Snapshots) != 0 {
		t.Errorf("rounds = %+v", rounds)
	}
	if err := RunPurger(context.Background(), disk.OS, NewDirs(data, ""), 3, 0, nil); err == nil {
		t.Error("a zero interval was accepted")
	}
}
