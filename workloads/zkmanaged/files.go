package zkmanaged

import (
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
)

// FileKind is what a change in a version-2 folder means.
type FileKind int

// The changes a Watch reports.
const (
	// SnapshotStart: a snapshot file appeared; Time is its birth.
	SnapshotStart FileKind = iota + 1
	// SnapshotEnd: the file stopped growing; Time is its birth,
	// Duration up to its last write, Bytes its size.
	SnapshotEnd
	// LogRoll: a new transaction log file; Time is its birth.
	LogRoll
	// PreallocExtend: a log file grew by a preallocation step; Bytes is
	// its new length.
	PreallocExtend
)

// FileEvent is one change a Watch saw.
type FileEvent struct {
	Member   int
	Kind     FileKind
	Time     time.Time
	Duration time.Duration
	Path     string
	Bytes    int64
	Zxid     int64 // from the file's name
}

// Watch tells, from the files in the members' version-2 folders, what
// ZooKeeper does not report itself: when each snapshot was written and
// how long it took, log rolls, and preallocation steps (a log file is
// always a whole number of preAllocSize steps long). It sees what a
// listing every few milliseconds sees: a snapshot's window runs from
// the file's birth time (statx; its first sighting where the file
// system has none) to its last modification. A snapshot is written
// once its server has closed the file (Open), or where that cannot be
// told, once the file has not changed for settle.
type Watch struct {
	members  []Member
	prealloc int64
	settle   time.Duration
	files    map[string]*fileState
	started  bool
	// Open, when set, returns the files member id's server holds open,
	// false when it cannot tell.
	Open func(member int) (map[string]bool, bool)
	open map[int]map[string]bool // this scan's answers, asked when needed
}

type fileState struct {
	real   string // the path with symbolic links resolved, as /proc shows open files
	member int
	born   time.Time
	size   int64
	mtime  time.Time
	steps  int64
	ended  bool // snapshot: its end was reported
}

// NewWatch watches members' folders. preAllocSize is the log's step (0:
// no steps to count); settle is how long a snapshot file must be
// unchanged to count as written (a few scan intervals).
func NewWatch(members []Member, preAllocSize int64, settle time.Duration) *Watch {
	return &Watch{members: members, prealloc: preAllocSize, settle: settle, files: map[string]*fileState{}}
}

// Scan lists the folders at now and returns the changes since the last
// scan, oldest first. The first scan only takes stock: what is there
// already is no event.
func (w *Watch) Scan(now time.Time) []FileEvent {
	var out []FileEvent
	w.open = map[int]map[string]bool{}
	for _, m := range w.members {
		for _, dir := range versionDirs(m) {
			entries, _ := os.ReadDir(dir)
			for _, de := range entries {
				out = append(out, w.file(m.ID, filepath.Join(dir, de.Name()), de.Name(), now)...)
			}
		}
	}
	w.started = true
	slices.SortStableFunc(out, func(a, b FileEvent) int { return a.Time.Compare(b.Time) })
	return out
}

// Finish reports the ends of snapshots still being written at now.
func (w *Watch) Finish(now time.Time) []FileEvent {
	var out []FileEvent
	for path, f := range w.files {
		if kind, zxid, ok := parseName(filepath.Base(path)); ok && kind == SnapshotStart && !f.ended {
			f.ended = true
			out = append(out, FileEvent{Member: f.member, Kind: SnapshotEnd, Time: f.born, Duration: f.mtime.Sub(f.born),
				Path: path, Bytes: f.size, Zxid: zxid})
		}
	}
	return out
}

func versionDirs(m Member) []string {
	dirs := []string{filepath.Join(m.DataDir, "version-2")}
	if m.LogDir != "" && m.LogDir != m.DataDir {
		dirs = append(dirs, filepath.Join(m.LogDir, "version-2"))
	}
	return dirs
}

// parseName tells a snapshot (SnapshotStart) or a log (LogRoll) by its
// name, with the zxid the name carries, as ZooKeeper's own file listings
// read names.
func parseName(name string) (FileKind, int64, bool) {
	if z, _, ok := snap.ParseName(name); ok {
		return SnapshotStart, z, true
	}
	if z, ok := txnlog.ParseName(name); ok {
		return LogRoll, z, true
	}
	return 0, 0, false
}

func (w *Watch) file(member int, path, name string, now time.Time) []FileEvent {
	kind, zxid, ok := parseName(name)
	if !ok {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil // gone between listing and stat (purged)
	}
	f, seen := w.files[path]
	if !seen {
		f = &fileState{member: member, born: birth(path, now), real: path}
		if real, err := filepath.EvalSymlinks(path); err == nil {
			f.real = real
		}
		w.files[path] = f
	}
	grew := st.Size() != f.size || !st.ModTime().Equal(f.mtime)
	f.size, f.mtime = st.Size(), st.ModTime()
	if !w.started {
		f.ended = true
		f.steps = w.steps(f.size)
		return nil
	}
	ev := FileEvent{Member: member, Time: f.born, Path: path, Zxid: zxid}
	var out []FileEvent
	switch kind {
	case SnapshotStart:
		if !seen {
			ev.Kind = SnapshotStart
			out = append(out, ev)
		}
		if !f.ended && w.written(member, f.real, grew, now.Sub(f.mtime)) {
			f.ended = true
			ev.Kind, ev.Duration, ev.Bytes = SnapshotEnd, max(0, f.mtime.Sub(f.born)), f.size
			out = append(out, ev)
		}
	case LogRoll:
		if !seen {
			ev.Kind = LogRoll
			out = append(out, ev)
		}
		for s := w.steps(f.size); f.steps < s; {
			f.steps++
			out = append(out, FileEvent{Member: member, Kind: PreallocExtend, Time: f.mtime, Path: path,
				Bytes: f.steps * w.prealloc, Zxid: zxid})
		}
	}
	return out
}

// written tells whether a snapshot file is complete: its server closed
// it, or, where open files cannot be listed, it has been still for
// settle.
func (w *Watch) written(member int, path string, grew bool, still time.Duration) bool {
	if w.Open != nil {
		open, asked := w.open[member]
		if !asked {
			var ok bool
			if open, ok = w.Open(member); !ok {
				open = nil
			}
			w.open[member] = open
		}
		if open != nil {
			return !open[path]
		}
	}
	return !grew && still >= w.settle
}

// steps is how many preallocation steps a log file of size holds:
// ZooKeeper extends a log from its current length (the 16-byte header
// at first) by preAllocSize, so a file of n steps is n × preAllocSize +
// 16 bytes long.
func (w *Watch) steps(size int64) int64 {
	if w.prealloc <= 0 {
		return 0
	}
	return size / w.prealloc
}

// birth is when path was created, from statx where the file system
// keeps it, else now.
func birth(path string, now time.Time) time.Time {
	var sx unix.Statx_t
	if unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_BTIME, &sx) == nil && sx.Mask&unix.STATX_BTIME != 0 {
		return time.Unix(sx.Btime.Sec, int64(sx.Btime.Nsec))
	}
	return now
}
