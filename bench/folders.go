package bench

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"zkbench/internal/fserr"
	"zkbench/internal/runfolders"
	"zkbench/internal/size"
)

// A run's folders: every folder it creates is recorded (runfolders), so
// that it removes exactly those at the end, and so that what a run
// killed with SIGKILL left can be named by the next run and removed by
// `zkbench purge --stale`.

// StaleHint is how a message tells the user to clean what a killed run left.
const StaleHint = "zkbench purge --stale removes it"

// checkOut refuses an output folder that exists and is not empty, saying
// whose it is when a run marked it.
func checkOut(out string) error {
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) == 0 {
		return nil
	}
	if o, ok := runfolders.MarkedBy(out); ok {
		if o.Alive() {
			return fmt.Errorf("--out %s: in use by %s", out, o.Describe())
		}
		return fmt.Errorf("--out %s: left by a %s that did not finish; %s", out, o.Describe(), StaleHint)
	}
	return fmt.Errorf("--out %s: folder exists and is not empty", out)
}

// PrepareOut creates the output folder of a command that holds runs
// (a sweep, a capacity search), by default DefaultOut(name), and
// returns its path. An existing non-empty folder is refused, so that
// nothing is ever overwritten.
func PrepareOut(out, name string) (string, error) { return prepareOut(out, name) }

// prepareOut creates a sweep's output folder, by default
// DefaultOut(name), and returns its path. An existing non-empty folder
// is refused, so that nothing is ever overwritten.
func prepareOut(out, name string) (string, error) {
	if out == "" {
		out = DefaultOut(name)
	}
	if err := checkOut(out); err != nil {
		return out, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return out, fmt.Errorf("--out %s: %w", out, fserr.Reason(err))
	}
	return out, nil
}

// prepareOut creates the run's output folder, or takes an empty one,
// and marks it as the run's until the run ends. Its parents (the results
// root) are not the run's: they stay.
func (r *runner) prepareOut() error {
	out := r.plan.Out
	if out == "" {
		out = DefaultOut(r.plan.profile)
	}
	r.plan.Out = out
	if err := checkOut(out); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", out, fserr.Reason(err))
	}
	err := r.folders.Mkdir(out)
	if errors.Is(err, fs.ErrExist) {
		err = r.folders.Adopt(out) // empty, as checkOut saw
	}
	if err != nil {
		return fmt.Errorf("--out %s: %w", out, fserr.Reason(err))
	}
	return nil
}

// prepareData creates the data parents if missing, checks them and
// their free space for what the run will write, and creates the member
// folders. A member folder that exists already holds files this run did
// not create, so the run is refused.
func (r *runner) prepareData(need spaceEstimate) error {
	p := r.plan
	if p.dataDir == "" {
		tmp, err := r.folders.MkdirTemp("zkbench-data-")
		if err != nil {
			return fmt.Errorf("temporary data folder: %v", err)
		}
		p.dataDir = tmp
	}
	p.engine.DataDir, p.engine.DataLogDir = p.dataDir, p.logDir
	parents := []struct{ flag, dir string }{{"--data-dir", p.dataDir}, {"--data-log-dir", p.logDir}}
	if p.logDir == "" {
		parents = parents[:1]
	}
	for _, parent := range parents {
		if _, err := r.folders.MkdirAll(parent.dir); err != nil {
			return fmt.Errorf("%s %s: %v", parent.flag, parent.dir, fserr.Reason(err))
		}
		if err := checkParent(parent.flag, parent.dir); err != nil {
			return err
		}
	}
	if err := checkSpace(p.dataDir, p.logDir, need); err != nil {
		return err
	}
	for _, parent := range parents {
		for i := 1; i <= p.engine.Servers+p.engine.Observers+p.engine.SpareMembers; i++ {
			d := filepath.Join(parent.dir, "server"+strconv.Itoa(i))
			if err := r.folders.Mkdir(d); err != nil {
				return memberDirError(parent.flag, parent.dir, d, err)
			}
			r.memberDirs = append(r.memberDirs, d)
		}
	}
	return nil
}

// nameData tells where the member folders are before the run starts: a
// run killed before its end cannot say it afterwards.
func (r *runner) nameData() {
	when := "removed after the run; --keep-data keeps them"
	if r.plan.keepData {
		when = "kept after the run"
	}
	r.sink.Notice(fmt.Sprintf("data folders: %s (%s)", strings.Join(r.memberDirs, " "), when))
}

// memberDirError words a member folder that could not be created: one
// that exists is someone else's, or a killed run's.
func memberDirError(flag, parent, d string, err error) error {
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s %s: %v", flag, parent, fserr.Reason(err))
	}
	if o, ok := runfolders.MarkedBy(d); ok && !o.Alive() {
		return fmt.Errorf("%s %s: %s was left by a %s that did not finish; %s", flag, parent, d, o.Describe(), StaleHint)
	}
	return fmt.Errorf("%s %s: %s exists already; zkbench only writes into member folders it creates", flag, parent, d)
}

// checkParent refuses a data parent that is not a writable folder.
func checkParent(flag, dir string) error {
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("%s %s: %v", flag, dir, fserr.Reason(err))
	case !st.IsDir():
		return fmt.Errorf("%s %s: not a directory", flag, dir)
	case unix.Access(dir, unix.W_OK) != nil:
		return fmt.Errorf("%s %s: not writable", flag, dir)
	}
	return nil
}

// checkSpace refuses a run whose estimated writes do not fit in the free
// space of its data parents; snapshots go to the dataDirs, logs to the
// dataLogDirs when apart, and two parents on one file system share it.
func checkSpace(dataDir, logDir string, e spaceEstimate) error {
	m := int64(e.members)
	need, flag, dir := m*(e.snapshotBytes()+e.logSpace()), "--data-dir", dataDir
	if logDir != "" {
		logNeed := m * e.logSpace()
		if !sameFileSystem(dataDir, logDir) {
			if err := fits("--data-log-dir", logDir, logNeed, e); err != nil {
				return err
			}
			need -= logNeed
		}
	}
	return fits(flag, dir, need, e)
}

// freeSpace is the bytes an unprivileged writer may still use on dir's
// file system; a test replaces it to play a small disk.
var freeSpace = func(dir string) (int64, bool) {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return 0, false
	}
	return int64(st.Bavail) * st.Bsize, true
}

func fits(flag, dir string, need int64, e spaceEstimate) error {
	free, ok := freeSpace(dir)
	if !ok {
		return nil // nothing to tell by: the run will say if the disk fills
	}
	if free < need {
		return fmt.Errorf("%s %s: %s free, this run needs about %s: %v", flag, dir, size.Human(free), size.Human(need), e)
	}
	return nil
}

func sameFileSystem(a, b string) bool {
	var sa, sb unix.Stat_t
	return unix.Stat(a, &sa) == nil && unix.Stat(b, &sb) == nil && sa.Dev == sb.Dev
}

// cleanup stops the ensemble and removes what the run created but keeps:
// the output folder once something was written into it, and the data
// folders with --keep-data. What cannot be removed is named.
func (r *runner) cleanup() {
	if r.ens != nil {
		r.ens.Stop()
	}
	if r.managed != nil {
		if r.stopScan != nil {
			r.stopScan(time.Now())
		}
		r.managed.Stop()
	}
	if r.plan.keepData && (r.ens != nil || r.managed != nil) {
		for _, f := range r.folders.Folders() {
			if f.Path != r.plan.Out {
				r.folders.Keep(f.Path)
			}
		}
		kept := r.plan.dataDir
		if r.plan.logDir != "" {
			kept += " and " + r.plan.logDir
		}
		r.sink.Notice("data kept in " + kept)
	}
	if entries, err := os.ReadDir(r.plan.Out); err == nil && len(entries) > 1 {
		r.folders.Keep(r.plan.Out) // results, or what was written of them
	}
	for _, l := range r.folders.End() {
		r.sink.Notice(fmt.Sprintf("not removed: %v", l))
	}
}

// nameStale tells about folders that runs killed earlier left behind:
// the data of a killed run can fill a disk a later run needs.
func nameStale(sink Sink) {
	stale, err := runfolders.Stale()
	if err != nil {
		return
	}
	for _, l := range stale {
		var paths []string
		var total int64
		for _, f := range l.Remaining() {
			if len(paths) > 0 && strings.HasPrefix(f.Path, paths[len(paths)-1]+string(filepath.Separator)) {
				continue // counted with its parent
			}
			paths = append(paths, f.Path)
			total += runfolders.Size(f.Path)
		}
		if len(paths) > 0 {
			sink.Notice(fmt.Sprintf("a %s that did not finish left %s (%s); zkbench purge --stale removes them",
				l.Describe(), strings.Join(paths, " "), size.Human(total)))
		}
	}
}
