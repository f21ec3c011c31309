package snap

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"zkbench/engine/disk"
	"zkbench/internal/zkref"
)

// These tests hand files written by this package to ZooKeeper 3.8 itself:
// its restore path must load them (seals, digest block, gzip) and its
// SnapshotFormatter must print what was written. Skipped without Java and
// the ZooKeeper jars (or with -short).
func needZK(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs Java")
	}
	zkref.Need(t)
}

func TestZooKeeperLoadsOurSnapshots(t *testing.T) {
	needZK(t)
	tests := []struct {
		name   string
		comp   Compression
		digest *Digest
	}{
		{"plain", None, &Digest{Version: 2}},
		{"gzip", Gzip, &Digest{Version: 2}},
		{"pre-3.6", None, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			v2 := filepath.Join(dataDir, "version-2")
			if err := os.Mkdir(v2, 0o755); err != nil {
				t.Fatal(err)
			}
			c := genTree(9, 500, true)
			c.info.Digest = tt.digest
			const zxid = 0x2000001f4
			res, err := WriteFile(disk.OS, v2, zxid, Options{Compression: tt.comp}, fill(c))
			if err != nil {
				t.Fatal(err)
			}
			out, err := zkref.DirCheck(dataDir, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{
				"[" + filepath.Base(res.Path) + "]",
				"restore OK: highest zxid 0x2000001f4",
				"snapshot used: zxid 0x2000001f4",
				fmt.Sprintf("node count: %d", len(c.nodes)+1),
			} {
				if !strings.Contains(out, want) {
					t.Errorf("ZkDirCheck output lacks %q:\n%s", want, out)
				}
			}
			for _, s := range c.sessions {
				if !strings.Contains(out, fmt.Sprintf("session 0x%x timeout %d", s.ID, s.Timeout)) {
					t.Errorf("session 0x%x missing:\n%s", s.ID, out)
				}
			}
		})
	}
}

func TestZooKeeperFormatterPrintsOurSnapshot(t *testing.T) {
	needZK(t)
	dir := t.TempDir()
	c := genTree(10, 300, false) // ASCII only: the JVM's stdout encoding is not ours to choose
	res, err := WriteFile(disk.OS, dir, 0x1f4, Options{}, fill(c))
	if err != nil {
		t.Fatal(err)
	}
	for _, detail := range []bool{false, true} {
		out, err := zkref.SnapshotFormatter(res.Path, detail)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("dump-%v.txt", detail))
		if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		compareDump(t, p, parseDump(t, p), c, 0x1f4)
	}
}

// ZooKeeper and Pick must choose the same snapshot from the same directory.
func TestZooKeeperAgreesWithPick(t *testing.T) {
	needZK(t)
	dataDir := t.TempDir()
	v2 := filepath.Join(dataDir, "version-2")
	os.Mkdir(v2, 0o755)
	write := func(zxid int64, comp Compression) string {
		res, err := WriteFile(disk.OS, v2, zxid, Options{Compression: comp}, fill(genTree(uint64(zxid), 50, false)))
		if err != nil {
			t.Fatal(err)
		}
		return res.Path
	}
	write(0x10, None)
	write(0x20, Gzip)
	bad := write(0x30, None) // a byte of data flipped: CRC corruption
	b, _ := os.ReadFile(bad)
	b[len(b)/2] ^= 0x20
	os.WriteFile(bad, b, 0o644)
	torn := write(0x40, None) // cut: fails the validity test
	b, _ = os.ReadFile(torn)
	os.WriteFile(torn, b[:len(b)-3], 0o644)

	ch, err := Pick(disk.OS, v2, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := zkref.DirCheck(dataDir, false)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`snapshot used: zxid 0x([0-9a-f]+)`).FindStringSubmatch(out)
	if m == nil || m[1] != fmt.Sprintf("%x", ch.Zxid) {
		t.Errorf("Pick chose %s, ZooKeeper:\n%s", ch.Name, out)
	}
	if !strings.Contains(out, "[snapshot.30, snapshot.20.gz, snapshot.10]") {
		t.Errorf("ZooKeeper's candidate list differs:\n%s", out)
	}
	if ch.Name != "snapshot.20.gz" || len(ch.Skipped) != 2 {
		t.Errorf("Pick = %+v", ch)
	}
}
