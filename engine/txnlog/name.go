package txnlog

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"zkbench/engine/disk"
)

// FileName returns the name of the log file whose first txn is zxid:
// "log." + lower-case hex, no padding (log.1, log.9e, log.100000001).
func FileName(zxid int64) string {
	return "log." + strconv.FormatUint(uint64(zxid), 16)
}

// ParseName returns the zxid in a log file name the way ZooKeeper's
// Util.getZxidFromName does: split on '.', the first part must be "log" and
// the second must parse as hex. Note that "log.1.txt" is taken for zxid 1,
// exactly as ZooKeeper would. Names that do not parse (ZooKeeper: zxid -1)
// and negative zxids report ok == false; ZooKeeper ignores both.
func ParseName(name string) (zxid int64, ok bool) {
	prefix, rest, found := strings.Cut(name, ".")
	if !found || prefix != "log" {
		return 0, false
	}
	part, _, _ := strings.Cut(rest, ".")
	// Java's Long.parseLong(s, 16) accepts a leading sign, as ParseInt does.
	z, err := strconv.ParseInt(part, 16, 64)
	if err != nil || z < 0 {
		return 0, false
	}
	return z, true
}

// LogFile is one log file of a directory.
type LogFile struct {
	Path string
	Zxid int64 // zxid in the name: the first txn written to the file
}

// ListFiles returns the log files of dir sorted by their name zxid
// (numerically, not by name). Entries whose names do not parse are ignored.
// A directory that does not exist holds no files.
func ListFiles(fsys disk.FS, dir string) ([]LogFile, error) {
	names, err := fsys.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list logs in %s: %w", dir, err)
	}
	var files []LogFile
	for _, name := range names {
		if z, ok := ParseName(name); ok {
			files = append(files, LogFile{Path: filepath.Join(dir, name), Zxid: z})
		}
	}
	slices.SortFunc(files, func(a, b LogFile) int {
		if a.Zxid != b.Zxid {
			if a.Zxid < b.Zxid {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Path, b.Path)
	})
	return files, nil
}

// SelectFiles applies ZooKeeper's rule for reading from zxid (§5.4,
// FileTxnIterator.init): every file whose name zxid is >= zxid, plus the
// single newest file that starts below zxid, since it may hold zxid and
// later txns. Older files are left out. files must be sorted as ListFiles
// returns them; the result is in the same order and shares its backing array.
func SelectFiles(files []LogFile, zxid int64) []LogFile {
	for i := len(files) - 1; i >= 0; i-- {
		if files[i].Zxid < zxid {
			return files[i:]
		}
	}
	return files
}
