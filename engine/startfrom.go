package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"zkbench/engine/disk"
	"zkbench/engine/persist"
	"zkbench/engine/snap"
)

// Errors of a snapshot that is to become the starting database.
var (
	// ErrNotSnapshotName refuses a file not named snapshot.<hex zxid>:
	// the name is the zxid the members restore to, as in ZooKeeper.
	ErrNotSnapshotName = errors.New("not named snapshot.<hex zxid>[.gz], as ZooKeeper names a snapshot (its zxid)")
	// ErrReservedPath refuses a snapshot whose tree holds a path the
	// workload creates: its nodes would be overwritten or deleted.
	ErrReservedPath = errors.New("holds the workload's root")
)

// StartingSnapshot is a snapshot file read through and found whole, to
// be every member's starting database (InitializeFrom).
type StartingSnapshot struct {
	Path string
	// Initial is what the snapshot holds: its nodes besides ZooKeeper's
	// own (/, /zookeeper and below) and the reserved path's ancestors
	// (which the workload lists as its own), their data, the zxid in its name, the
	// digest in its digest block (0 without one) and its size.
	Initial
	Sessions int // sessions in its session list, with their ephemerals
}

// ReadStartingSnapshot reads the snapshot at path through, checking its
// seals as a restore does, and refuses it when its tree holds reserved
// (a workload's root: the path or anything below it) or an ephemeral
// above it, under which nothing can be created. Problems in the file
// come as a *snap.Error naming the byte offset.
func ReadStartingSnapshot(path, reserved string) (StartingSnapshot, error) {
	s := StartingSnapshot{Path: path}
	zxid, _, ok := snap.ParseName(filepath.Base(path))
	var found string
	info, err := snap.ReadFile(disk.OS, path, snap.Handler{Node: func(n snap.Node) error {
		if found == "" && blocks(n, reserved) {
			found = n.Path
		}
		// The root's ancestors are the workload's folders too: counted
		// there, once.
		if n.Path == "" || n.Path == "/zookeeper" || strings.HasPrefix(n.Path, "/zookeeper/") ||
			strings.HasPrefix(reserved, n.Path+"/") {
			return nil
		}
		s.Znodes++
		s.Bytes += int64(len(n.Data))
		return nil
	}})
	switch {
	case err != nil:
		return s, err
	case !ok:
		return s, fmt.Errorf("%s: %w", path, ErrNotSnapshotName)
	case found != "":
		return s, fmt.Errorf("%s: %w %s at %s", path, ErrReservedPath, reserved, found)
	}
	s.Zxid, s.Sessions = zxid, info.Sessions
	if info.Digest != nil {
		s.Digest = info.Digest.Value
	}
	fi, err := disk.OS.Stat(path)
	if err != nil {
		return s, fmt.Errorf("engine: %w", err)
	}
	s.SnapshotBytes = fi.Size()
	return s, nil
}

// blocks reports whether n is reserved, lies below it, or is an
// ephemeral above it.
func blocks(n snap.Node, reserved string) bool {
	return n.Path == reserved || strings.HasPrefix(n.Path, reserved+"/") ||
		n.Stat.EphemeralOwner != 0 && strings.HasPrefix(reserved, n.Path+"/")
}

// InitializeFrom gives every member of cfg s as its starting database:
// the file's bytes under its own name, so that the members restore its
// zxid, digest and sessions as ZooKeeper would, with epoch files of the
// epoch of its zxid, and myid. Like Initialize, it never overwrites a
// file.
func InitializeFrom(cfg Config, s StartingSnapshot) (Initial, error) {
	if err := cfg.validate(); err != nil {
		return s.Initial, err
	}
	first := &snapshotFile{fsys: disk.OS, path: s.Path, size: s.SnapshotBytes}
	_, err := initMembers(&cfg, nil, first, persist.EpochOf(s.Zxid))
	return s.Initial, err
}
