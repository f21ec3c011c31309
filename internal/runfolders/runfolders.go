// Package runfolders keeps the record of the folders a run or probe
// creates (member data folders, the missing parents of a --data-dir, a
// temporary data folder, its --out folder) so that exactly those are
// removed when it ends, and so that what a process killed with SIGKILL
// left behind can be named and removed later, and never anything else.
//
// Two records, because either alone is not enough. Each folder gets a
// marker file naming its owner: a folder found without one is never
// removed, whatever a record says. Each process keeps a lease, a file in
// a per-user state folder listing its folders: it is how a later
// process finds the folders of one that was killed, wherever they are.
// A lease whose process is gone is stale.
package runfolders

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Marker is the file in each folder a run created, naming the run.
const Marker = ".zkbench-run"

// Folder is one folder of a run and what of it is the run's.
type Folder struct {
	Path string `json:"path"`
	// Created: the run made the folder itself, so it is removed once
	// empty. Contents: everything in it is the run's (the folder was new
	// or empty when the run took it), so its content is removed too.
	Created  bool `json:"created"`
	Contents bool `json:"contents"`
}

// Owner identifies the process a folder or lease belongs to.
type Owner struct {
	ID      string    `json:"id"`
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	// What is what the process was doing: "run", "probe".
	What string `json:"what"`
	// startTicks tells the process apart from a later one given the same
	// pid (/proc/PID/stat's starttime).
	StartTicks uint64 `json:"start_ticks"`
}

// Lease is a process's record of its folders.
type Lease struct {
	Owner
	Folders []Folder `json:"folders"`
	file    string   // where it is kept
}

// Set is the folders of one run while it runs. Its methods are not safe
// for concurrent use.
type Set struct {
	lease Lease
	path  string // the lease file
}

var seq atomic.Int64

// Begin starts the record of a run's folders; what is "run" or "probe".
func Begin(what string) (*Set, error) {
	var dir string
	var err error
	for _, dir = range stateDirs() {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("run record: %w", err)
	}
	host, _ := os.Hostname()
	pid := os.Getpid()
	ticks, _ := startTicks(pid)
	id := fmt.Sprintf("%d-%d-%d", pid, ticks, seq.Add(1))
	s := &Set{path: filepath.Join(dir, id+".json"), lease: Lease{Owner: Owner{
		ID: id, PID: pid, Host: host, Started: time.Now().UTC(), What: what, StartTicks: ticks}}}
	return s, s.save()
}

// stateDirs hold the leases: the user's cache folder, which survives a
// reboot that may leave member folders on a data disk, or else (no home,
// a read-only one) a folder of the user's in the temporary folder.
func stateDirs() []string {
	tmp := filepath.Join(os.TempDir(), "zkbench-runs-"+strconv.Itoa(os.Getuid()))
	if base, err := os.UserCacheDir(); err == nil {
		return []string{filepath.Join(base, "zkbench", "runs"), tmp}
	}
	return []string{tmp}
}

// save writes the lease in full: a reader sees the old or the new one.
func (s *Set) save() error {
	b, err := json.MarshalIndent(s.lease, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("run record: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("run record: %w", err)
	}
	return nil
}

// add records f in the lease before its marker is written, so that a
// kill between the two leaves a lease entry (harmless without a marker)
// rather than a marked folder no lease names.
func (s *Set) add(f Folder) error {
	s.lease.Folders = append(s.lease.Folders, f)
	if err := s.save(); err != nil {
		return err
	}
	return writeMarker(f.Path, s.lease.Owner)
}

func writeMarker(dir string, o Owner) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, Marker), append(b, '\n'), 0o644)
}

// Mkdir creates dir, whose parent exists and which must not; all of it
// is the run's. An existing dir is an error wrapping fs.ErrExist.
func (s *Set) Mkdir(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	return s.add(Folder{Path: dir, Created: true, Contents: true})
}

// MkdirTemp creates a new folder in the system's temporary folder, all
// of it the run's.
func (s *Set) MkdirTemp(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", err
	}
	return dir, s.add(Folder{Path: dir, Created: true, Contents: true})
}

// MkdirAll creates dir and its missing parents and returns the folders it
// created, outermost first. They are removed at the end once empty:
// whatever else is put into them meanwhile stays, and so do they.
func (s *Set) MkdirAll(dir string) ([]string, error) {
	dir = filepath.Clean(dir)
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	slices.Reverse(missing)
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, err
		}
		if err := s.add(Folder{Path: d, Created: true}); err != nil {
			return nil, err
		}
	}
	return missing, nil
}

// Adopt takes dir, an existing empty folder, as the run's: its content
// is removed at the end but the folder stays.
func (s *Set) Adopt(dir string) error {
	return s.add(Folder{Path: dir, Contents: true})
}

// Keep gives up the run's claim on dir, which stays: a run's kept data
// or its finished --out folder. Its marker goes.
func (s *Set) Keep(dir string) error {
	i := slices.IndexFunc(s.lease.Folders, func(f Folder) bool { return f.Path == dir })
	if i < 0 {
		return nil
	}
	s.lease.Folders = slices.Delete(s.lease.Folders, i, i+1)
	if err := os.Remove(filepath.Join(dir, Marker)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return s.save()
}

// Folders lists the run's folders in the order they were taken.
func (s *Set) Folders() []Folder { return slices.Clone(s.lease.Folders) }

// Leftover is something a clean-up could not remove, and why.
type Leftover struct {
	Path string
	Err  error
}

func (l Leftover) String() string { return fmt.Sprintf("%s: %v", l.Path, l.Err) }

// End removes every folder the run still holds, newest first, and then
// its lease. What could not be removed is returned, and the lease keeps
// naming it so that a later clean-up may try again.
func (s *Set) End() []Leftover {
	_, left, rest := clean(s.lease, s.lease.ID)
	s.lease.Folders = rest
	if len(rest) > 0 {
		s.save()
		return left
	}
	os.Remove(s.path)
	return left
}

// clean removes l's folders, newest first, each only if its marker names
// id. It returns the paths it removed, those it left and why, and the
// rest of the lease: what is left.
func clean(l Lease, id string) (removed []string, left []Leftover, rest []Folder) {
	for i := len(l.Folders) - 1; i >= 0; i-- {
		f := l.Folders[i]
		err := removeFolder(f, id)
		switch {
		case err == nil:
			removed = append(removed, f.Path)
		case errors.Is(err, fs.ErrNotExist):
			// gone already: nothing to remove or to name
		case errors.Is(err, errNotOurs):
			// Named once, then forgotten: nothing here may remove it.
			left = append(left, Leftover{Path: f.Path, Err: err})
		default:
			left = append(left, Leftover{Path: f.Path, Err: err})
			rest = append([]Folder{f}, rest...)
		}
	}
	return removed, left, rest
}

// errNotOurs means a folder's marker is missing or names someone else.
var errNotOurs = errors.New("no marker of the run in it, so not the run's to remove")

func removeFolder(f Folder, id string) error {
	owner, err := readMarker(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Lstat(f.Path); errors.Is(serr, fs.ErrNotExist) {
			return serr
		}
		return errNotOurs
	}
	if err != nil || owner.ID != id {
		return errNotOurs
	}
	if f.Contents {
		if err := removeContents(f.Path); err != nil {
			return err
		}
	}
	if err := os.Remove(filepath.Join(f.Path, Marker)); err != nil {
		return err
	}
	if f.Created {
		if err := os.Remove(f.Path); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			// Put the marker back: the folder is still the run's.
			writeMarker(f.Path, owner)
			return fmt.Errorf("%w: others' files in it", err)
		}
	}
	return nil
}

// removeContents removes everything in dir but its marker.
func removeContents(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Name() == Marker {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func readMarker(dir string) (Owner, error) {
	var o Owner
	b, err := os.ReadFile(filepath.Join(dir, Marker))
	if err != nil {
		return o, err
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return o, fmt.Errorf("%s: %w", filepath.Join(dir, Marker), err)
	}
	return o, nil
}

// MarkedBy reports the owner named by dir's marker, if it has one.
func MarkedBy(dir string) (Owner, bool) {
	o, err := readMarker(dir)
	return o, err == nil
}

// Alive reports whether o's process still runs. A process on another
// host is taken as alive: nothing here can tell.
func (o Owner) Alive() bool {
	if host, _ := os.Hostname(); host != o.Host {
		return true
	}
	if _, err := startTicks(os.Getpid()); err != nil {
		return true // no /proc to look at: assume the worst
	}
	ticks, err := startTicks(o.PID)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errZombie) {
		return false
	}
	return err != nil || ticks == o.StartTicks
}

// Describe is how a message names the owner: "run (pid 4242, started
// 2026-12-07 16:40:01 UTC)".
func (o Owner) Describe() string {
	return fmt.Sprintf("%s (pid %d, started %s)", o.What, o.PID, o.Started.Format("2006-01-02 15:04:05 MST"))
}

// Stale returns the leases of this host's processes that are gone, with
// the folders they still name, oldest first.
func Stale() ([]Lease, error) {
	var stale []Lease
	for _, dir := range stateDirs() {
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue // never used
		}
		if err != nil {
			return nil, fmt.Errorf("run records: %w", err)
		}
		for _, e := range ents {
			if filepath.Ext(e.Name()) != ".json" {
				continue
			}
			l := Lease{file: filepath.Join(dir, e.Name())}
			b, err := os.ReadFile(l.file)
			if err != nil || json.Unmarshal(b, &l) != nil || l.Alive() {
				continue
			}
			stale = append(stale, l)
		}
	}
	slices.SortFunc(stale, func(a, b Lease) int { return a.Started.Compare(b.Started) })
	return stale, nil
}

// Remaining lists l's folders that are still there with l's marker:
// what a clean-up of l would remove (or empty).
func (l Lease) Remaining() []Folder {
	var out []Folder
	for _, f := range l.Folders {
		if o, ok := MarkedBy(f.Path); ok && o.ID == l.ID {
			out = append(out, f)
		}
	}
	return out
}

// Clean removes what stale lease l still names (only folders whose
// marker names l) and, once nothing is left, the lease itself.
func Clean(l Lease) (removed []string, left []Leftover) {
	removed, left, rest := clean(l, l.ID)
	if len(rest) == 0 {
		os.Remove(l.file)
		return removed, left
	}
	l.Folders = rest
	s := &Set{lease: l, path: l.file}
	s.save()
	return removed, left
}

// CleanStale cleans every stale lease (Clean) and returns what was
// removed and what was left, over all of them.
func CleanStale() (removed []string, left []Leftover, err error) {
	stale, err := Stale()
	if err != nil {
		return nil, nil, err
	}
	for _, l := range stale {
		r, lt := Clean(l)
		removed, left = append(removed, r...), append(left, lt...)
	}
	return removed, left, nil
}

// Size is the disk space the files under dir take (0 if it is gone):
// their blocks, since preallocated logs are mostly holes.
func Size(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				n += st.Blocks * 512
			} else {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// errZombie means a process has exited and waits for its parent to reap
// it: a process killed with SIGKILL is one for a moment.
var errZombie = errors.New("exited")

// startTicks is /proc/PID/stat's starttime, the clock ticks after boot
// at which pid started.
func startTicks(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces and parentheses: fields count
	// from the last ')'.
	i := len(b) - 1
	for i >= 0 && b[i] != ')' {
		i--
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields after the name", pid, len(fields))
	}
	if fields[0] == "Z" || fields[0] == "X" {
		return 0, errZombie
	}
	return strconv.ParseUint(fields[19], 10, 64)
}
