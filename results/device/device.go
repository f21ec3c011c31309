// Package device describes the storage behind a directory: its mount, the
// file system and its options, the block device and what the kernel says
// about it (rotational, I/O scheduler, model), and the space left — the
// facts that explain a sync latency, recorded next to it.
//
// It reads /proc/self/mountinfo and /sys (Linux) and asks gopsutil for the
// space. Anything that cannot be found is left unknown rather than failing
// the lookup: tmpfs, overlay and network file systems have no block device,
// containers may hide /sys, and a probe is still worth running there.
package device

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	psdisk "github.com/shirou/gopsutil/v3/disk"
	"golang.org/x/sys/unix"
)

// Facts describes the storage a path lives on. Empty strings and a nil
// Rotational mean unknown.
type Facts struct {
	// Path is the directory looked up, absolute with symlinks resolved.
	Path string `json:"path"`
	// Mount is the mount point that holds Path.
	Mount string `json:"mount"`
	// Source is the mount source as the kernel shows it: /dev/vda1, tmpfs,
	// overlay, host:/export.
	Source string `json:"source"`
	// Device is the kernel name of the block device (vda, nvme0n1p2, dm-0)
	// or, for a file system without one, its Source (tmpfs, overlay).
	Device string `json:"device"`
	// Disk is the whole disk that holds Device when Device is a partition
	// (nvme0n1 for nvme0n1p2); otherwise it equals Device.
	Disk string `json:"disk,omitempty"`
	// Virtual is true when no block device is behind the file system.
	Virtual bool   `json:"virtual"`
	FSType  string `json:"fstype"`
	// MountOptions are the mount's own options followed by the file
	// system's (super block) options, where barrier/nobarrier, data=… and
	// discard show up.
	MountOptions []string `json:"mountOptions"`
	Rotational   *bool    `json:"rotational"`
	// Scheduler is the block device's active I/O scheduler (mq-deadline,
	// none, bfq…).
	Scheduler  string `json:"scheduler,omitempty"`
	Model      string `json:"model,omitempty"`
	TotalBytes uint64 `json:"totalBytes"`
	// FreeBytes is the space an unprivileged writer may still use.
	FreeBytes uint64 `json:"freeBytes"`
}

// Where Lookup reads the kernel's view; tests point them at a fake tree.
var (
	mountinfoPath = "/proc/self/mountinfo"
	sysRoot       = "/sys"
)

// Lookup describes the storage that holds dir. It fails only when dir
// itself cannot be examined.
func Lookup(dir string) (Facts, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Facts{}, fmt.Errorf("device facts of %s: %w", dir, err)
	}
	path, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return Facts{}, fmt.Errorf("device facts of %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return Facts{}, fmt.Errorf("device facts of %s: %w", dir, &os.PathError{Op: "stat", Path: path, Err: err})
	}
	f := Facts{Path: path}
	if u, err := psdisk.Usage(path); err == nil {
		f.TotalBytes, f.FreeBytes, f.FSType = u.Total, u.Free, u.Fstype
	} else {
		return Facts{}, fmt.Errorf("device facts of %s: %w", dir, err)
	}

	dev := devID{unix.Major(st.Dev), unix.Minor(st.Dev)}
	if mounts, err := readMountinfo(mountinfoPath); err == nil {
		if m, ok := pickMount(mounts, path, dev); ok {
			f.Mount, f.Source = m.mountPoint, m.source
			f.FSType = m.fsType // mountinfo tells ext4 from ext2/ext3, statfs does not
			f.MountOptions = mergeOptions(m.mountOpts, m.superOpts)
			// A file system on an anonymous device (btrfs subvolumes,
			// overlay) may still sit on a block device: its source.
			if dev.major == 0 {
				dev = sourceDevice(m.source)
			}
		}
	}
	f.Device = f.Source
	if dev.major == 0 {
		f.Virtual = true
		return f, nil
	}
	if b, ok := blockFacts(sysRoot, dev); ok {
		f.Device, f.Disk = b.name, b.disk
		f.Rotational, f.Scheduler, f.Model = b.rotational, b.scheduler, b.model
	} else if f.Device == "" {
		f.Device = dev.String()
	}
	return f, nil
}

type devID struct{ major, minor uint32 }

func (d devID) String() string { return fmt.Sprintf("%d:%d", d.major, d.minor) }

// sourceDevice is the device number of a mount source that is a block
// device node, or 0:0.
func sourceDevice(source string) devID {
	if !strings.HasPrefix(source, "/dev/") {
		return devID{}
	}
	var st unix.Stat_t
	if unix.Stat(source, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return devID{}
	}
	return devID{unix.Major(st.Rdev), unix.Minor(st.Rdev)}
}

// mount is one line of /proc/self/mountinfo (proc(5)).
type mount struct {
	dev        devID
	root       string
	mountPoint string
	mountOpts  []string
	fsType     string
	source     string
	superOpts  []string
}

func readMountinfo(path string) ([]mount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		m, err := parseMountinfoLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// parseMountinfoLine parses
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// the optional fields before "-" being any number, zero included.
func parseMountinfoLine(line string) (mount, error) {
	fields := strings.Fields(line)
	sep := slices.Index(fields, "-")
	if sep < 6 || len(fields) < sep+3 {
		return mount{}, fmt.Errorf("malformed mountinfo line %q", line)
	}
	majS, minS, ok := strings.Cut(fields[2], ":")
	maj, err1 := strconv.ParseUint(majS, 10, 32)
	minr, err2 := strconv.ParseUint(minS, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return mount{}, fmt.Errorf("malformed device %q in mountinfo line %q", fields[2], line)
	}
	m := mount{
		dev:        devID{uint32(maj), uint32(minr)},
		root:       unescape(fields[3]),
		mountPoint: unescape(fields[4]),
		mountOpts:  strings.Split(fields[5], ","),
		fsType:     fields[sep+1],
		source:     unescape(fields[sep+2]),
	}
	if len(fields) > sep+3 {
		m.superOpts = strings.Split(fields[sep+3], ",")
	}
	return m, nil
}

// unescape undoes the octal escapes (\040 for a space) the kernel writes
// in mountinfo paths.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// pickMount finds the mount that holds path: the one with the longest
// mount point that is path or an ancestor of it, preferring mounts of the
// device path is on — a later mount over a parent can hide an earlier one,
// and the device number tells them apart. Among equals, the last mounted
// wins, as it is the one visible.
func pickMount(mounts []mount, path string, dev devID) (mount, bool) {
	best, bestDev := -1, -1
	for i, m := range mounts {
		if !within(path, m.mountPoint) {
			continue
		}
		if best < 0 || len(m.mountPoint) >= len(mounts[best].mountPoint) {
			best = i
		}
		if m.dev == dev && (bestDev < 0 || len(m.mountPoint) >= len(mounts[bestDev].mountPoint)) {
			bestDev = i
		}
	}
	switch {
	case bestDev >= 0:
		return mounts[bestDev], true
	case best >= 0:
		return mounts[best], true
	}
	return mount{}, false
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == dir || strings.HasPrefix(path, dir+"/")
}

func mergeOptions(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for _, o := range slices.Concat(a, b) {
		if o != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

type block struct {
	name, disk string
	rotational *bool
	scheduler  string
	model      string
}

// blockFacts reads what /sys knows about the block device dev. A partition
// has no queue of its own; its disk's queue is the one that counts.
func blockFacts(sys string, dev devID) (block, bool) {
	link := filepath.Join(sys, "dev", "block", dev.String())
	target, err := filepath.EvalSymlinks(link)
	if err != nil {
		return block{}, false
	}
	b := block{name: filepath.Base(target), disk: filepath.Base(target)}
	diskDir := target
	if _, err := os.Stat(filepath.Join(target, "partition")); err == nil {
		diskDir = filepath.Dir(target)
		b.disk = filepath.Base(diskDir)
	}
	if v, err := readSys(filepath.Join(diskDir, "queue", "rotational")); err == nil {
		switch v {
		case "0":
			b.rotational = new(false)
		case "1":
			b.rotational = new(true)
		}
	}
	if v, err := readSys(filepath.Join(diskDir, "queue", "scheduler")); err == nil {
		b.scheduler = activeScheduler(v)
	}
	if v, err := readSys(filepath.Join(diskDir, "device", "model")); err == nil {
		b.model = v
	}
	return b, true
}

// activeScheduler picks the bracketed entry of "none [mq-deadline] kyber";
// a device without a choice shows just "none".
func activeScheduler(s string) string {
	if i := strings.IndexByte(s, '['); i >= 0 {
		if j := strings.IndexByte(s[i:], ']'); j > 0 {
			return s[i+1 : i+j]
		}
	}
	if f := strings.Fields(s); len(f) == 1 {
		return f[0]
	}
	return ""
}

func readSys(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", errors.New("empty")
	}
	return v, nil
}
