package snap

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"zkbench/engine/disk"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		name string
		zxid int64
		comp Compression
		ok   bool
	}{
		{"snapshot.0", 0, None, true},
		{"snapshot.9f", 0x9f, None, true},
		{"snapshot.10000009f", 0x10000009f, None, true},
		{"snapshot.7fffffffffffffff", 1<<63 - 1, None, true},
		{"snapshot.1F", 0x1f, None, true}, // Long.parseLong takes upper case
		{"snapshot.001f", 0x1f, None, true},
		{"snapshot.1f.gz", 0x1f, Gzip, true},
		{"snapshot.1f.GZ", 0x1f, Gzip, true},
		{"snapshot.1f.snappy", 0x1f, Snappy, true},
		{"snapshot.1f.tmp", 0x1f, None, true}, // ZooKeeper lists its own temp files too
		{"snapshot.1f.gz.tmp", 0x1f, None, true},
		{"snapshot.1f.", 0x1f, None, true}, // String.split drops the trailing empty part
		{"snapshot", 0, None, false},
		{"snapshot.", 0, None, false},
		{"snapshot..1f", 0, None, false},
		{"snapshot.xyz", 0, None, false},
		{"snapshot.0x1f", 0, None, false},
		{"snapshot.-1", 0, None, false},
		{"snapshot.ffffffffffffffff", 0, None, false}, // overflows a signed long
		{"Snapshot.1", 0, None, false},
		{"log.1", 0, None, false},
		{"snapshots.1", 0, None, false},
		{"", 0, None, false},
	}
	for _, tt := range tests {
		zxid, comp, ok := ParseName(tt.name)
		if zxid != tt.zxid || comp != tt.comp || ok != tt.ok {
			t.Errorf("ParseName(%q) = %#x, %v, %v; want %#x, %v, %v", tt.name, zxid, comp, ok, tt.zxid, tt.comp, tt.ok)
		}
	}
	for _, z := range []int64{0, 1, 0x9f, 0x10000009f, 1<<63 - 1} {
		for _, c := range []Compression{None, Gzip, Snappy} {
			name := FileName(z, c)
			if got, gc, ok := ParseName(name); !ok || got != z || gc != c {
				t.Errorf("ParseName(FileName(%#x, %v) = %q) = %#x, %v, %v", z, c, name, got, gc, ok)
			}
		}
	}
	if got := FileName(0x9f, None); got != "snapshot.9f" {
		t.Errorf("FileName = %q", got)
	}
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fixtureBytes(t *testing.T, rel ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{fixtureRoot}, rel...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValid(t *testing.T) {
	good := fixtureBytes(t, "standalone", "version-2", "snapshot.0")
	tests := []struct {
		name    string
		content []byte
		invalid bool
	}{
		{"snapshot.0", good, false},
		{"snapshot.1", []byte{1, 2, 3, 4, 5, 0, 0, 0, 1, '/'}, false}, // 10 bytes is enough for the cheap test
		{"snapshot.2", []byte{1, 2, 3, 4, 0, 0, 0, 1, '/'}, true},     // 9 is not
		{"snapshot.3", good[:len(good)-1], true},
		{"snapshot.4", append(append([]byte{}, good...), 0), true},
		{"snapshot.5", nil, true},
		{"snapshot.6.gz", []byte{0x1f, 0x8b}, false},
		{"snapshot.7.gz", []byte{0x1f}, true},
		{"snapshot.8.gz", good, true},
		{"snapshot.9.snappy", snappyMagic, false},
		{"snapshot.a.snappy", snappyMagic[:7], true},
		{"snapshot.b.snappy", good, true},
		{"snapshot.zz", good, true},
		{"log.1", good, true},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		p := filepath.Join(dir, tt.name)
		if err := os.WriteFile(p, tt.content, 0o644); err != nil {
			t.Fatal(err)
		}
		err := Valid(disk.OS, p)
		if tt.invalid != (err != nil) || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("Valid(%s) = %v, want invalid=%v", tt.name, err, tt.invalid)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "snapshot.c"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Valid(disk.OS, filepath.Join(dir, "snapshot.c")); !errors.Is(err, ErrInvalid) {
		t.Errorf("Valid(directory) = %v", err)
	}
	if err := Valid(disk.OS, filepath.Join(dir, "snapshot.d")); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("Valid(missing) = %v, want an I/O error", err)
	}
}

func TestList(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"snapshot.a", "snapshot.10", "snapshot.9", "snapshot.10.gz", "log.1", "snapshot.zz", "foo", "snapshot.1f.tmp", "snapshot", "acceptedEpoch"} {
		writeFiles(t, dir, map[string][]byte{n: nil})
	}
	list, err := List(disk.OS, dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, fmt.Sprintf("%s=%#x/%v", e.Name, e.Zxid, e.Compression))
		if e.Path != filepath.Join(dir, e.Name) {
			t.Errorf("path %s", e.Path)
		}
	}
	want := []string{"snapshot.1f.tmp=0x1f/none", "snapshot.10=0x10/none", "snapshot.10.gz=0x10/gz", "snapshot.a=0xa/none", "snapshot.9=0x9/none"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("List = %v\nwant   %v", got, want)
	}
	if _, err := List(disk.OS, filepath.Join(dir, "missing")); err == nil {
		t.Error("List(missing dir) succeeded")
	}
}

// The scenario of the corrupt fixtures (docs/zk-disk-format.md §5.2): the newest snapshot is
// damaged and the server falls back to snapshot.9f.
func TestPick(t *testing.T) {
	std := func(name string) []byte { return fixtureBytes(t, "standalone", "version-2", name) }
	badCRC := fixtureBytes(t, "corrupt", "snapshot-bad-crc", "version-2", "snapshot.b9")
	truncated := fixtureBytes(t, "corrupt", "snapshot-truncated", "version-2", "snapshot.b9")
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	// A copy of standalone/version-2 without its newest snapshot, which
	// each case substitutes.
	base := map[string][]byte{}
	names, err := os.ReadDir(filepath.Join(fixtureRoot, "standalone", "version-2"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range names {
		if e.Name() != "snapshot.b9" {
			base[e.Name()] = std(e.Name())
		}
	}
	if base["snapshot.9f"] == nil {
		t.Fatal("fixture snapshot.9f missing")
	}

	tests := []struct {
		name    string
		extra   map[string][]byte
		want    string // "" = ErrNoSnapshot
		tried   int
		skipped map[string]error
		noBase  bool
	}{
		{"intact", map[string][]byte{"snapshot.b9": std("snapshot.b9")}, "snapshot.b9", 1, nil, false},
		{"bad crc falls back", map[string][]byte{"snapshot.b9": badCRC}, "snapshot.9f", 2, map[string]error{"snapshot.b9": ErrCRC}, false},
		{"truncated is skipped before loading", map[string][]byte{"snapshot.b9": truncated}, "snapshot.9f", 1, map[string]error{"snapshot.b9": ErrInvalid}, false},
		{"both, and snappy", map[string][]byte{"snapshot.b9": badCRC, "snapshot.ba": truncated, "snapshot.c0.snappy": append(append([]byte{}, snappyMagic...), 1, 2)},
			"snapshot.9f", 3, map[string]error{"snapshot.c0.snappy": ErrUnsupported, "snapshot.ba": ErrInvalid, "snapshot.b9": ErrCRC}, false},
		{"gzip newest", map[string][]byte{"snapshot.b9": badCRC, "snapshot.b9.gz": gz(std("snapshot.b9"))}, "snapshot.b9.gz", 2, map[string]error{"snapshot.b9": ErrCRC}, false},
		{"gzip of a bad snapshot", map[string][]byte{"snapshot.ba.gz": gz(badCRC), "snapshot.bb.gz": gz([]byte("not a snapshot at all"))},
			"snapshot.9f", 3, map[string]error{"snapshot.bb.gz": ErrBadMagic, "snapshot.ba.gz": ErrCRC}, false},
		{"gzip name, plain content", map[string][]byte{"snapshot.ba.gz": badCRC}, "snapshot.9f", 1, map[string]error{"snapshot.ba.gz": ErrInvalid}, false},
		{"empty directory", nil, "", 0, nil, true},
		{"only invalid files", map[string][]byte{"snapshot.b9": truncated, "snapshot.zz": std("snapshot.0")}, "", 0, map[string]error{"snapshot.b9": ErrInvalid}, true},
		{"only a bad crc", map[string][]byte{"snapshot.b9": badCRC}, "", 1, map[string]error{"snapshot.b9": ErrCRC}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if !tt.noBase {
				writeFiles(t, dir, base)
			}
			writeFiles(t, dir, tt.extra)
			ch, err := Pick(disk.OS, dir, nil)
			if tt.want == "" {
				if !errors.Is(err, ErrNoSnapshot) {
					t.Fatalf("err = %v, want ErrNoSnapshot", err)
				}
			} else if err != nil {
				t.Fatalf("err = %v", err)
			} else if ch.Name != tt.want || ch.Path != filepath.Join(dir, tt.want) {
				t.Errorf("picked %q, want %q", ch.Name, tt.want)
			}
			if ch.Tried != tt.tried {
				t.Errorf("tried %d, want %d", ch.Tried, tt.tried)
			}
			if len(ch.Skipped) != len(tt.skipped) {
				t.Errorf("skipped %v, want %v", ch.Skipped, tt.skipped)
			}
			for i, s := range ch.Skipped {
				want, ok := tt.skipped[s.Name]
				if !ok {
					t.Errorf("skipped %s: %v", s.Name, s.Err)
					continue
				}
				if !errors.Is(s.Err, want) {
					t.Errorf("skipped %s for %v, want %v", s.Name, s.Err, want)
				}
				if i > 0 && ch.Skipped[i-1].Zxid < s.Zxid {
					t.Errorf("skipped list not newest first")
				}
				if !strings.Contains(s.Err.Error(), s.Name) {
					t.Errorf("skip reason %q does not name the file", s.Err)
				}
			}
		})
	}
}

func TestPickUsesLoadAndStopsAt100(t *testing.T) {
	dir := t.TempDir()
	good := fixtureBytes(t, "standalone", "version-2", "snapshot.0")
	for i := range 120 {
		writeFiles(t, dir, map[string][]byte{FileName(int64(i), None): good})
	}
	var order []string
	ch, err := Pick(disk.OS, dir, func(p string) error {
		order = append(order, filepath.Base(p))
		return errors.New("tree rejected it")
	})
	if !errors.Is(err, ErrNoSnapshot) || ch.Tried != MaxCandidates || len(order) != MaxCandidates {
		t.Fatalf("err %v, tried %d, loads %d", err, ch.Tried, len(order))
	}
	if order[0] != "snapshot.77" || order[99] != "snapshot.14" {
		t.Errorf("loaded %s … %s, want snapshot.77 … snapshot.14", order[0], order[99])
	}

	// The loader decides: refuse the newest two, accept the third.
	order = nil
	ch, err = Pick(disk.OS, dir, func(p string) error {
		order = append(order, filepath.Base(p))
		if len(order) < 3 {
			return errors.New("no")
		}
		return nil
	})
	if err != nil || ch.Name != "snapshot.75" || ch.Tried != 3 || len(ch.Skipped) != 2 {
		t.Errorf("Pick = %+v, %v", ch, err)
	}
}
