package startup

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zkbench/engine/persist"
	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
	"zkbench/internal/zkfixtures"
)

var update = flag.Bool("update", false, "rewrite the expected outputs in testdata")

var fixtures = zkfixtures.Dir()

// tickClock moves one millisecond each time it is read: a phase's
// duration counts the clock reads inside it, the same on every machine.
func tickClock() func() time.Time {
	t := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Millisecond); return t }
}

// copyTree copies the folder src into a new temporary folder (as its
// base name), replacing files by base name with those in replace.
func copyTree(t *testing.T, src string, replace map[string]string) string {
	t.Helper()
	root := t.TempDir()
	dst := filepath.Join(root, filepath.Base(src))
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if r, ok := replace[d.Name()]; ok {
			p = r
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// The text and the JSON of a restore that skips a corrupt snapshot,
// replays two log files and plans the epoch files, against testdata.
func TestRunOutputs(t *testing.T) {
	data := copyTree(t, filepath.Join(fixtures, "standalone"),
		map[string]string{"snapshot.b9": filepath.Join(fixtures, "corrupt/snapshot-bad-crc/version-2/snapshot.b9")})
	res, err := Run(data, "", Options{Now: tickClock(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	res.WriteText(&text)
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(data)
	for name, got := range map[string]string{
		"standalone-bad-crc.txt":  strings.ReplaceAll(text.String(), dir, "$DIR"),
		"standalone-bad-crc.json": strings.ReplaceAll(string(js), dir, "$DIR") + "\n",
	} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s differs (go test -update rewrites it); got:\n%s", path, got)
		}
	}
}

// The figures agree with ZooKeeper's own restore of the same files
// (the fixture's recorded ZkDirCheck output) and with each other.
func TestRunMatchesZooKeepersRestore(t *testing.T) {
	data := copyTree(t, filepath.Join(fixtures, "standalone"),
		map[string]string{"snapshot.b9": filepath.Join(fixtures, "corrupt/snapshot-bad-crc/version-2/snapshot.b9")})
	res, err := Run(data, "", Options{Now: tickClock()})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Members[0]
	// corrupt/snapshot-bad-crc/ZkDirCheck-restore-with-full-dir.txt
	if m.Snapshot.File != "snapshot.9f" || m.Replay.Txns != 70 || m.Replay.First != "0xa0" || m.Replay.Last != "0xe5" ||
		m.LastZxid != "0xe5" || m.Znodes+1 != 16 || m.Digest != 24381012093 {
		t.Errorf("restored %+v; ZooKeeper: snapshot.9f, 70 txns 0xa0..0xe5, 16 nodes (with \"/\" twice), digest 24381012093", m)
	}
	if len(m.Snapshot.Skipped) != 1 || m.Snapshot.Skipped[0].File != "snapshot.b9" ||
		!strings.Contains(m.Snapshot.Skipped[0].Reason, "offset 1877: CRC corruption") {
		t.Errorf("skipped %+v, want snapshot.b9 for its CRC at offset 1877", m.Snapshot.Skipped)
	}
	s := m.Snapshot
	if s.LoadMs != 1 || s.LoadZnodesS != float64(s.Znodes)*1000 || s.LoadMBs != float64(s.Bytes)/1e6*1000 ||
		m.Replay.TxnsS != 70*1000 || m.TotalMs != s.PickMs+s.LoadMs+m.Replay.Ms+m.Epochs.Ms {
		t.Errorf("rates and total do not follow from the phases: %+v", m)
	}
}

// fileState is what must not change: every entry's name, mode, size,
// modification time and content.
func fileState(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		sum := ""
		if !d.IsDir() {
			c, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum = fmt.Sprintf("%x", sha256.Sum256(c))
		}
		fmt.Fprintf(&b, "%s %v %d %d %s\n", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), sum)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// chmodTree makes a tree read-only (or writable again, for the clean-up).
func chmodTree(t *testing.T, root string, writable bool) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o444)
		if d.IsDir() {
			mode = 0o555
		}
		if writable {
			mode |= 0o200
		}
		return os.Chmod(p, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A restore changes nothing, even where a server's start-up would write:
// a torn log tail a member repairs, epoch files a quorum member creates,
// the ensemble layout under a parent. The folders are read-only too (which
// root ignores: the read-only view is what holds).
func TestRunChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		src     string
		replace map[string]string
	}{
		{"torn log tail, no epoch files", "standalone",
			map[string]string{"log.bb": filepath.Join(fixtures, "corrupt/log-truncated-tail/version-2/log.bb")}},
		{"three servers under a parent", "ensemble3", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := copyTree(t, filepath.Join(fixtures, tc.src), tc.replace)
			chmodTree(t, data, false)
			t.Cleanup(func() { chmodTree(t, data, true) })
			before := fileState(t, data)
			res, err := Run(data, "", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if after := fileState(t, data); after != before {
				t.Errorf("the folder changed:\nbefore\n%s\nafter\n%s", before, after)
			}
			if len(res.Members) == 0 {
				t.Fatal("nothing restored")
			}
			if tc.replace != nil && (len(res.Members[0].Replay.TornTails) != 1 || len(res.Members[0].Epochs.Writes) != 2) {
				t.Errorf("want the torn tail reported and both epoch files planned: %+v", res.Members[0])
			}
		})
	}
}

// Input a server would refuse to start from: one error naming the file
// and, where the reader can tell, the byte offset.
func TestRunBadInput(t *testing.T) {
	standalone := filepath.Join(fixtures, "standalone")
	badCRC := filepath.Join(fixtures, "corrupt/snapshot-bad-crc/version-2/snapshot.b9")
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) string
		is    error
		names []string
	}{
		{"a log record with a flipped byte", func(t *testing.T) string {
			return copyTree(t, standalone, map[string]string{"log.bb": filepath.Join(fixtures, "corrupt/log-flipped-byte/version-2/log.bb")})
		}, txnlog.ErrChecksum, []string{"log.bb", "offset 3229"}},
		{"every snapshot corrupt", func(t *testing.T) string {
			d := copyTree(t, standalone, nil)
			v2 := filepath.Join(d, "version-2")
			ents, _ := os.ReadDir(v2)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "snapshot.") {
					b, _ := os.ReadFile(badCRC)
					os.WriteFile(filepath.Join(v2, e.Name()), b, 0o644)
				}
			}
			return d
		}, snap.ErrNoSnapshot, []string{"snapshot.b9", "offset 1877"}},
		{"logs but no snapshot", func(t *testing.T) string {
			d := copyTree(t, standalone, nil)
			ents, _ := os.ReadDir(filepath.Join(d, "version-2"))
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "snapshot.") {
					os.Remove(filepath.Join(d, "version-2", e.Name()))
				}
			}
			return d
		}, persist.ErrLogWithoutSnapshot, []string{"version-2"}},
		{"accepted epoch below the current one", func(t *testing.T) string {
			d := copyTree(t, filepath.Join(fixtures, "quorum1"), nil)
			os.WriteFile(filepath.Join(d, "version-2", persist.AcceptedEpochFile), []byte("1"), 0o644)
			return d
		}, persist.ErrEpoch, []string{"quorum1", "accepted epoch 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(tc.setup(t), "", Options{})
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			for _, n := range tc.names {
				if !strings.Contains(err.Error(), n) {
					t.Errorf("err %q does not name %q", err, n)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("err %q is more than one line", err)
			}
		})
	}
}
