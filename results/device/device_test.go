package device

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

const sampleMountinfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684096k
30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=1024k
40 27 259:2 / /data rw,noatime shared:1 master:2 - xfs /dev/nvme0n1p2 rw,attr2,inode64,nobarrier
41 27 259:2 /logs /var/zk\040logs rw,noatime - xfs /dev/nvme0n1p2 rw,nobarrier
50 27 0:60 / /data/overlay rw - overlay overlay rw,lowerdir=/a,upperdir=/b,workdir=/c
`

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseMountinfo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mountinfo")
	writeFile(t, path, sampleMountinfo)
	ms, err := readMountinfo(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 7 {
		t.Fatalf("%d mounts, want 7", len(ms))
	}
	xfs := ms[4]
	if xfs.dev != (devID{259, 2}) || xfs.mountPoint != "/data" || xfs.fsType != "xfs" ||
		xfs.source != "/dev/nvme0n1p2" || !slices.Contains(xfs.superOpts, "nobarrier") ||
		!slices.Equal(xfs.mountOpts, []string{"rw", "noatime"}) {
		t.Errorf("xfs line parsed as %+v", xfs)
	}
	if got := ms[5].mountPoint; got != "/var/zk logs" {
		t.Errorf("escaped mount point = %q, want %q", got, "/var/zk logs")
	}
	if got := ms[5].root; got != "/logs" {
		t.Errorf("root = %q", got)
	}
}

func TestParseMountinfoMalformed(t *testing.T) {
	for _, line := range []string{
		"",
		"22 27 0:21 / /proc rw,relatime proc proc rw", // no separator
		"22 27 x:21 / /proc rw,relatime - proc proc rw",
		"22 27 0:21 / /proc rw,relatime - proc",
	} {
		if m, err := parseMountinfoLine(line); err == nil {
			t.Errorf("parseMountinfoLine(%q) = %+v, want an error", line, m)
		}
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`/a\040b`:     "/a b",
		`/a\011b`:     "/a\tb",
		`/a\134b`:     `/a\b`,
		`/plain`:      "/plain",
		`/trailing\`:  `/trailing\`,
		`/short\04`:   `/short\04`,
		`/notoctal\9`: `/notoctal\9`,
	} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPickMount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mountinfo")
	writeFile(t, path, sampleMountinfo)
	ms, err := readMountinfo(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path      string
		dev       devID
		wantMount string
		wantSize  string // tells the two /dev/shm mounts apart
	}{
		{"/", devID{254, 0}, "/", ""},
		{"/work/main", devID{254, 0}, "/", ""},
		{"/data", devID{259, 2}, "/data", ""},
		{"/data/zk/version-2", devID{259, 2}, "/data", ""},
		{"/database", devID{254, 0}, "/", ""}, // a prefix, not a parent
		{"/data/overlay/x", devID{0, 60}, "/data/overlay", ""},
		{"/var/zk logs/x", devID{259, 2}, "/var/zk logs", ""},
		// Stacked mounts on one point: the device decides, else the last.
		{"/dev/shm/x", devID{0, 23}, "/dev/shm", "size=24684096k"},
		{"/dev/shm/x", devID{0, 27}, "/dev/shm", "size=1024k"},
		{"/dev/shm/x", devID{9, 9}, "/dev/shm", "size=1024k"},
	} {
		m, ok := pickMount(ms, tc.path, tc.dev)
		if !ok || m.mountPoint != tc.wantMount || (tc.wantSize != "" && !slices.Contains(m.superOpts, tc.wantSize)) {
			t.Errorf("pickMount(%q, %v) = %q %v, %v; want %q %s", tc.path, tc.dev, m.mountPoint, m.superOpts, ok, tc.wantMount, tc.wantSize)
		}
	}
	if _, ok := pickMount(ms, "relative", devID{}); ok {
		t.Error("pickMount of a relative path found a mount")
	}
}

func TestMergeOptions(t *testing.T) {
	got := mergeOptions([]string{"rw", "relatime"}, []string{"rw", "nobarrier", ""})
	if want := []string{"rw", "relatime", "nobarrier"}; !slices.Equal(got, want) {
		t.Errorf("mergeOptions = %q, want %q", got, want)
	}
}

func TestActiveScheduler(t *testing.T) {
	for in, want := range map[string]string{
		"none [mq-deadline] kyber bfq": "mq-deadline",
		"[none] mq-deadline":           "none",
		"none":                         "none",
		"noop deadline":                "",
		"":                             "",
	} {
		if got := activeScheduler(in); got != want {
			t.Errorf("activeScheduler(%q) = %q, want %q", in, got, want)
		}
	}
}

// fakeSys builds a /sys with a partitioned NVMe disk, a whole virtio disk
// without a model and a device-mapper volume with an empty rotational file.
func fakeSys(t *testing.T) string {
	sys := t.TempDir()
	devices := filepath.Join(sys, "devices")
	nvme := filepath.Join(devices, "pci0", "nvme", "nvme0n1")
	writeFile(t, filepath.Join(nvme, "queue", "rotational"), "0\n")
	writeFile(t, filepath.Join(nvme, "queue", "scheduler"), "[none] mq-deadline\n")
	writeFile(t, filepath.Join(nvme, "device", "model"), "Samsung SSD 980 PRO 1TB                 \n")
	writeFile(t, filepath.Join(nvme, "nvme0n1p2", "partition"), "2\n")
	vda := filepath.Join(devices, "virtio1", "block", "vda")
	writeFile(t, filepath.Join(vda, "queue", "rotational"), "1\n")
	writeFile(t, filepath.Join(vda, "queue", "scheduler"), "none [mq-deadline] kyber bfq\n")
	dm := filepath.Join(devices, "virtual", "block", "dm-0")
	writeFile(t, filepath.Join(dm, "queue", "rotational"), "\n")

	links := filepath.Join(sys, "dev", "block")
	if err := os.MkdirAll(links, 0o755); err != nil {
		t.Fatal(err)
	}
	for id, target := range map[string]string{
		"259:2": filepath.Join(nvme, "nvme0n1p2"),
		"254:0": vda,
		"253:0": dm,
	} {
		if err := os.Symlink(target, filepath.Join(links, id)); err != nil {
			t.Fatal(err)
		}
	}
	return sys
}

func TestBlockFacts(t *testing.T) {
	sys := fakeSys(t)
	for _, tc := range []struct {
		dev        devID
		want       block
		rotational string // "true", "false" or "unknown"
	}{
		{devID{259, 2}, block{name: "nvme0n1p2", disk: "nvme0n1", scheduler: "none", model: "Samsung SSD 980 PRO 1TB"}, "false"},
		{devID{254, 0}, block{name: "vda", disk: "vda", scheduler: "mq-deadline"}, "true"},
		{devID{253, 0}, block{name: "dm-0", disk: "dm-0"}, "unknown"},
	} {
		got, ok := blockFacts(sys, tc.dev)
		if !ok {
			t.Errorf("blockFacts(%v): not found", tc.dev)
			continue
		}
		rot := "unknown"
		if got.rotational != nil {
			rot = map[bool]string{true: "true", false: "false"}[*got.rotational]
		}
		got.rotational = nil
		if got != tc.want || rot != tc.rotational {
			t.Errorf("blockFacts(%v) = %+v rotational %s; want %+v rotational %s", tc.dev, got, rot, tc.want, tc.rotational)
		}
	}
	if b, ok := blockFacts(sys, devID{8, 1}); ok {
		t.Errorf("blockFacts of a device /sys does not list = %+v, want not found", b)
	}
}

// TestLookupHere runs against the machine's own root: whatever the disk,
// the mount, file system and space must be found.
func TestLookupHere(t *testing.T) {
	dir := t.TempDir()
	f, err := Lookup(dir)
	if err != nil {
		t.Fatal(err)
	}
	if f.Mount == "" || f.FSType == "" || f.Device == "" || f.TotalBytes == 0 || len(f.MountOptions) == 0 {
		t.Errorf("Lookup(%s) = %+v; want mount, fstype, device, size and options", dir, f)
	}
	if !filepath.IsAbs(f.Path) {
		t.Errorf("Path %q is not absolute", f.Path)
	}
	t.Logf("%+v", f)
}

func TestLookupTmpfs(t *testing.T) {
	const shm = "/dev/shm"
	if fi, err := os.Stat(shm); err != nil || !fi.IsDir() {
		t.Skip("no /dev/shm")
	}
	f, err := Lookup(shm)
	if err != nil {
		t.Fatal(err)
	}
	if f.FSType != "tmpfs" {
		t.Skipf("/dev/shm is %s, not tmpfs", f.FSType)
	}
	if !f.Virtual || f.Rotational != nil || f.Scheduler != "" || f.Device != "tmpfs" {
		t.Errorf("tmpfs facts = %+v; want virtual, device tmpfs, rotational and scheduler unknown", f)
	}
}

func TestLookupMissing(t *testing.T) {
	if _, err := Lookup(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Lookup of a missing directory: no error")
	}
}

func TestLookupWithoutProcOrSys(t *testing.T) {
	oldM, oldS := mountinfoPath, sysRoot
	t.Cleanup(func() { mountinfoPath, sysRoot = oldM, oldS })
	mountinfoPath = filepath.Join(t.TempDir(), "none")
	sysRoot = t.TempDir()
	f, err := Lookup(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if f.Rotational != nil || f.Mount != "" || f.TotalBytes == 0 || f.FSType == "" {
		t.Errorf("facts without /proc and /sys = %+v; want space and statfs type only", f)
	}
}
