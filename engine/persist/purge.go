package persist

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
)

// MinRetain is the fewest snapshots purge may keep
// (autopurge.snapRetainCount's lower bound).
const MinRetain = 3

// ErrRetain means purge was asked to keep fewer than MinRetain snapshots.
var ErrRetain = fmt.Errorf("purge must keep at least %d snapshots", MinRetain)

// ErrIncomplete means a purge removed what it could but left some of the
// files it should have removed; Purged.Left names them.
var ErrIncomplete = errors.New("purge left files it should have removed")

// Purged lists the files a purge removed and those it could not.
type Purged struct {
	Snapshots []string
	Logs      []string
	// Left are the old logs and snapshots that could not be removed (a
	// non-empty folder named like one, a file in a read-only folder),
	// each with the OS's reason.
	Left []Leftover
	// Oldest is the zxid of the oldest snapshot kept; -1 when there was
	// no valid snapshot and nothing was removed.
	Oldest int64
}

// Leftover is an entry purge should have removed and could not.
type Leftover struct {
	Path string
	Err  error
}

// String is "PATH: REASON", the OS's reason without the path again.
func (l Leftover) String() string {
	var pe *fs.PathError
	if errors.As(l.Err, &pe) {
		return l.Path + ": " + pe.Err.Error()
	}
	return fmt.Sprintf("%s: %v", l.Path, l.Err)
}

// Purge keeps the newest keep (>= 3) valid snapshots and the logs needed to
// replay from the oldest of them, and removes older snapshots and logs, as
// ZooKeeper's PurgeTxnLog does (docs/zk-disk-format.md §8). Files that are not
// named like logs or snapshots, and the epoch files, are never touched.
//
// Like PurgeTxnLog, an entry that cannot be removed (a non-empty folder
// named like an old snapshot) does not stop the purge: it is noted in
// Left and the rest are removed; the error then wraps ErrIncomplete.
func Purge(fsys disk.FS, dirs Dirs, keep int) (Purged, error) {
	p := Purged{Oldest: -1}
	if keep < MinRetain {
		return p, fmt.Errorf("%w, not %d", ErrRetain, keep)
	}
	snaps, err := snap.List(fsys, dirs.Snap)
	if err != nil {
		return p, fmt.Errorf("purge %s: %w", dirs.Snap, err)
	}
	var valid []snap.Entry
	for _, e := range snaps {
		if len(valid) == keep {
			break
		}
		if snap.Valid(fsys, e.Path) == nil {
			valid = append(valid, e)
		}
	}
	if len(valid) == 0 {
		return p, nil
	}
	p.Oldest = valid[len(valid)-1].Zxid
	logs, err := txnlog.ListFiles(fsys, dirs.Log)
	if err != nil {
		return p, fmt.Errorf("purge %s: %w", dirs.Log, err)
	}
	// The log files needed from the oldest kept snapshot on: the newest
	// one starting at or before it, and every later one.
	needed := map[string]bool{}
	for _, f := range txnlog.SelectFiles(logs, p.Oldest+1) {
		needed[f.Path] = true
	}
	for _, f := range logs {
		if f.Zxid < p.Oldest && !needed[f.Path] {
			p.remove(fsys, f.Path, &p.Logs)
		}
	}
	for _, e := range snaps {
		if e.Zxid < p.Oldest {
			p.remove(fsys, e.Path, &p.Snapshots)
		}
	}
	if len(p.Left) > 0 {
		return p, fmt.Errorf("%w: %d of %d (first: %s)", ErrIncomplete, len(p.Left),
			len(p.Left)+len(p.Logs)+len(p.Snapshots), p.Left[0].Err)
	}
	return p, nil
}

// remove removes path and notes it in removed, or in p.Left when it
// cannot be removed.
func (p *Purged) remove(fsys disk.FS, path string, removed *[]string) {
	if err := fsys.Remove(path); err != nil {
		p.Left = append(p.Left, Leftover{Path: path, Err: err})
		return
	}
	*removed = append(*removed, path)
}

// RunPurger purges every interval until ctx is done, as ZooKeeper's
// autopurge task does when autopurge.purgeInterval > 0. Each round's
// outcome goes to report (which may be nil).
func RunPurger(ctx context.Context, fsys disk.FS, dirs Dirs, keep int, interval time.Duration, report func(Purged, error)) error {
	if interval <= 0 {
		return errors.New("purge interval must be positive")
	}
	if keep < MinRetain {
		return fmt.Errorf("%w, not %d", ErrRetain, keep)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			p, err := Purge(fsys, dirs, keep)
			if report != nil {
				report(p, err)
			}
		}
	}
}
