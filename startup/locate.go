// Package startup times what a ZooKeeper server does with its dataDir
// before it can serve: the restore (snapshot pick with fallback over
// corrupt files, snapshot load, log replay) and the epoch check, step by
// step, for one member's folders or every member's under a parent. It
// reads through a read-only view of the files and changes nothing in them.
package startup

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"zkbench/engine/disk"
	"zkbench/engine/persist"
	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
)

// ErrNoData means a path holds no ZooKeeper data in any layout Locate
// knows.
var ErrNoData = errors.New("no version-2 folder, nor server<id> folders holding one")

// Member is one server's folders.
type Member struct {
	// Name is the folder that names the member: server<id> under a
	// parent, else the dataDir's own name.
	Name string
	Dirs persist.Dirs
}

// Locate finds the members' version-2 folders under dataDir and the
// optional dataLogDir. Each path may be a dataDir (holding version-2), a
// bare version-2 folder (holding snapshot and log files, whatever its
// name), or a parent of server<id> folders each holding a dataDir, as
// zkbench run --keep-data leaves them. A parent of dataLogDirs pairs with
// a parent of dataDirs by server<id>.
func Locate(fsys disk.FS, dataDir, dataLogDir string) ([]Member, error) {
	snaps, err := layout(fsys, dataDir)
	if err != nil {
		return nil, err
	}
	if dataLogDir == "" {
		out := make([]Member, len(snaps))
		for i, s := range snaps {
			out[i] = Member{Name: s.name, Dirs: persist.Dirs{Snap: s.dir, Log: s.dir}}
		}
		return out, nil
	}
	logs, err := layout(fsys, dataLogDir)
	if err != nil {
		return nil, err
	}
	return pair(snaps, logs, dataDir, dataLogDir)
}

// found is a version-2 folder and the member it belongs to.
type found struct{ name, dir string }

func layout(fsys disk.FS, path string) ([]found, error) {
	fi, err := fsys.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a folder", path)
	}
	v2 := filepath.Join(path, txnlog.VersionDir)
	if isDir(fsys, v2) {
		return []found{{filepath.Base(path), v2}}, nil
	}
	names, err := fsys.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var servers []found
	for _, n := range names {
		if strings.HasPrefix(n, snap.Prefix+".") || strings.HasPrefix(n, "log.") {
			name := filepath.Base(path)
			if name == txnlog.VersionDir {
				name = filepath.Base(filepath.Dir(path))
			}
			return []found{{name, path}}, nil
		}
		id, err := strconv.ParseUint(strings.TrimPrefix(n, "server"), 10, 64)
		if err == nil && strings.HasPrefix(n, "server") && isDir(fsys, filepath.Join(path, n, txnlog.VersionDir)) {
			servers = append(servers, found{"server" + strconv.FormatUint(id, 10), filepath.Join(path, n, txnlog.VersionDir)})
		}
	}
	if len(servers) == 0 {
		return nil, fmt.Errorf("%s: %w", path, ErrNoData)
	}
	sort.Slice(servers, func(i, j int) bool { return serverID(servers[i].name) < serverID(servers[j].name) })
	return servers, nil
}

func serverID(name string) uint64 {
	id, _ := strconv.ParseUint(strings.TrimPrefix(name, "server"), 10, 64)
	return id
}

func isDir(fsys disk.FS, path string) bool {
	fi, err := fsys.Stat(path)
	return err == nil && fi.IsDir()
}

// pair gives each member its log folder: one dataDir takes the one
// dataLogDir, members under parents pair by name.
func pair(snaps, logs []found, dataDir, dataLogDir string) ([]Member, error) {
	if len(snaps) == 1 && len(logs) == 1 {
		return []Member{{Name: snaps[0].name, Dirs: persist.Dirs{Snap: snaps[0].dir, Log: logs[0].dir}}}, nil
	}
	byName := make(map[string]string, len(logs))
	for _, l := range logs {
		byName[l.name] = l.dir
	}
	out := make([]Member, 0, len(snaps))
	for _, s := range snaps {
		l, ok := byName[s.name]
		if !ok {
			return nil, fmt.Errorf("%s: %w: no %s/version-2 for %s", dataLogDir, fs.ErrNotExist, s.name, filepath.Join(dataDir, s.name))
		}
		out = append(out, Member{Name: s.name, Dirs: persist.Dirs{Snap: s.dir, Log: l}})
	}
	return out, nil
}
