package snap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"zkbench/engine/disk"
)

// MaxCandidates is how many snapshots passing the validity test ZooKeeper
// tries at start-up before it gives up.
const MaxCandidates = 100

// tail is how every uncompressed snapshot ends: the ustring "/" after the
// last seal.
var tail = []byte{0, 0, 0, 1, '/'}

// snappyMagic opens a snappy-java (xerial) stream.
var snappyMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

// Valid is ZooKeeper's cheap validity test (SnapStream.isValidSnapshot),
// run on every candidate before any parsing: the name must parse; a plain
// file must be at least 10 bytes long and end with 00 00 00 01 2F; a .gz
// file must start with the gzip magic, a .snappy file with snappy-java's.
// It returns nil for a valid file, an error wrapping ErrInvalid for an
// invalid one, and other errors for I/O failures (which ZooKeeper also
// treats as "skip this file").
func Valid(fsys disk.FS, path string) error {
	_, c, ok := ParseName(filepath.Base(path))
	if !ok {
		return fmt.Errorf("snap: %s: %w: name is not snapshot.<hex zxid>[.ext]", path, ErrInvalid)
	}
	return validContent(fsys, path, c)
}

// validContent is Valid without the name check.
func validContent(fsys disk.FS, path string, c Compression) error {
	fi, err := fsys.Stat(path)
	if err != nil {
		return fmt.Errorf("snap: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("snap: %s: %w: not a regular file", path, ErrInvalid)
	}
	f, err := fsys.Open(path)
	if err != nil {
		return fmt.Errorf("snap: %w", err)
	}
	defer f.Close()

	var want []byte
	var at int64
	switch c {
	case Gzip:
		want = []byte{0x1f, 0x8b}
	case Snappy:
		want = snappyMagic
	default:
		size, err := f.Size()
		if err != nil {
			return fmt.Errorf("snap: %s: %w", path, err)
		}
		if size < 10 {
			return fmt.Errorf("snap: %s: %w: %d bytes long", path, ErrInvalid, size)
		}
		want, at = tail, size-int64(len(tail))
	}
	got := make([]byte, len(want))
	n, err := f.ReadAt(got, at)
	if err != nil && !(errors.Is(err, io.EOF) && n == len(got)) {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("snap: %s: %w: only %d bytes", path, ErrInvalid, n)
		}
		return fmt.Errorf("snap: %s: %w", path, err)
	}
	if !bytes.Equal(got, want) {
		if c == None {
			return fmt.Errorf("snap: %s: %w: ends with % x, not 00 00 00 01 2f (torn or unfinished)", path, ErrInvalid, got)
		}
		return fmt.Errorf("snap: %s: %w: starts with % x, not the %s magic", path, ErrInvalid, got, c)
	}
	return nil
}

// Entry is a snapshot file found in a directory.
type Entry struct {
	Name        string
	Path        string
	Zxid        int64
	Compression Compression
}

// List returns the snapshot files in dir (a version-2 directory), newest
// (highest name-zxid) first; names that do not parse are ignored. Equal
// zxids (snapshot.1f and snapshot.1f.gz) are ordered by name.
func List(fsys disk.FS, dir string) ([]Entry, error) {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("snap: %w", err)
	}
	var out []Entry
	for _, name := range names {
		if !strings.HasPrefix(name, Prefix+".") {
			continue
		}
		zxid, c, ok := ParseName(name)
		if !ok {
			continue
		}
		out = append(out, Entry{Name: name, Path: filepath.Join(dir, name), Zxid: zxid, Compression: c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Zxid != out[j].Zxid {
			return out[i].Zxid > out[j].Zxid
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Skip is a snapshot Pick passed over, and why.
type Skip struct {
	Entry
	Err error
}

// Choice is the outcome of Pick.
type Choice struct {
	// Entry is the snapshot that loaded; zero when none did.
	Entry
	// Tried counts the candidates that passed Valid and were loaded. With
	// ErrNoSnapshot, Tried == 0 is ZooKeeper's "no snapshot at all" (an
	// empty database may be created), Tried > 0 is "Not able to find valid
	// snapshots" (start-up fails).
	Tried int
	// Skipped lists, newest first, every newer file passed over: those
	// failing Valid (ZooKeeper skips them silently) and those whose load
	// failed (ZooKeeper logs "problem reading snap file").
	Skipped []Skip
}

// Pick makes ZooKeeper's start-up choice (§5.2): the snapshots in dir,
// newest first, that pass Valid, at most MaxCandidates of them, are loaded
// one by one with load until one succeeds. load must do the full parse,
// seals included (ReadFile does); a nil load only parses and checks. When
// none loads, the error wraps ErrNoSnapshot.
func Pick(fsys disk.FS, dir string, load func(path string) error) (Choice, error) {
	if load == nil {
		load = func(path string) error {
			_, err := ReadFile(fsys, path, Handler{})
			return err
		}
	}
	list, err := List(fsys, dir)
	if err != nil {
		return Choice{}, err
	}
	var ch Choice
	for _, e := range list {
		if ch.Tried == MaxCandidates {
			break
		}
		if err := Valid(fsys, e.Path); err != nil {
			ch.Skipped = append(ch.Skipped, Skip{Entry: e, Err: err})
			continue
		}
		ch.Tried++
		if err := load(e.Path); err != nil {
			ch.Skipped = append(ch.Skipped, Skip{Entry: e, Err: err})
			continue
		}
		ch.Entry = e
		return ch, nil
	}
	if ch.Tried == 0 {
		return ch, fmt.Errorf("snap: %s: %w: none of %d snapshot files passes the validity test", dir, ErrNoSnapshot, len(list))
	}
	return ch, fmt.Errorf("snap: %s: %w: %d candidates failed to load", dir, ErrNoSnapshot, ch.Tried)
}

// Verify reads the snapshot at path without keeping anything and reports
// its counts and digest, or the first problem with its byte offset: a bad
// magic, an unreasonable length, a truncation, a seal mismatch, a node
// whose parent was not written before it (ZooKeeper's "Invalid Datatree,
// unable to find parent"), or a file that parses but fails the cheap
// validity test and would never be chosen. Trailing bytes after the last
// seal are not a problem (ZooKeeper ignores them) but are counted in
// Info.Trailing.
func Verify(fsys disk.FS, path string) (Info, error) {
	seen := make(map[string]struct{})
	h := Handler{Node: func(n Node) error {
		// The loader's rule: a path without a slash is a root, any other
		// needs its parent (the part before the last slash) loaded already.
		if i := strings.LastIndexByte(n.Path, '/'); i >= 0 {
			if _, ok := seen[n.Path[:i]]; !ok {
				return fmt.Errorf("%w: node %q comes before its parent %q", ErrCorrupt, n.Path, n.Path[:i])
			}
		}
		seen[n.Path] = struct{}{}
		return nil
	}}
	info, err := ReadFile(fsys, path, h)
	if err != nil {
		return info, err
	}
	if err := validContent(fsys, path, compressionOfName(filepath.Base(path))); err != nil {
		return info, err
	}
	return info, nil
}
