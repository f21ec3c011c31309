package persist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
	"zkbench/internal/zkfixtures"
)

// fixtures is the tree of files ZooKeeper 3.8.0 wrote (its README.md says how).
var fixtures = zkfixtures.Dir()

// copyDir copies a fixture's version-2 folder into a fresh dataDir,
// replacing files by name with damaged ones from replace.
func copyDir(t testing.TB, src string, replace map[string]string) string {
	t.Helper()
	data := t.TempDir()
	dst := filepath.Join(data, txnlog.VersionDir)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		from := filepath.Join(src, e.Name())
		if r, ok := replace[e.Name()]; ok {
			from = r
		}
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// dirCheck is what ZooKeeper's own restore printed for a directory.
type dirCheck struct {
	highest, snapshot, first, last int64
	replayed, nodes                int
	digest                         int64
}

var dirCheckLines = []struct {
	re  *regexp.Regexp
	set func(d *dirCheck, m []string)
}{
	{regexp.MustCompile(`restore OK: highest zxid 0x([0-9a-f]+)`), func(d *dirCheck, m []string) { d.highest = hexInt(m[1]) }},
	{regexp.MustCompile(`snapshot used: zxid 0x([0-9a-f]+)`), func(d *dirCheck, m []string) { d.snapshot = hexInt(m[1]) }},
	{regexp.MustCompile(`txns replayed from logs: (\d+) \(first 0x([0-9a-f]+), last 0x([0-9a-f]+)\)`), func(d *dirCheck, m []string) {
		d.replayed, _ = strconv.Atoi(m[1])
		d.first, d.last = hexInt(m[2]), hexInt(m[3])
	}},
	{regexp.MustCompile(`node count: (\d+)`), func(d *dirCheck, m []string) { d.nodes, _ = strconv.Atoi(m[1]) }},
	{regexp.MustCompile(`tree digest \(digest version 2\): (\d+)`), func(d *dirCheck, m []string) {
		d.digest, _ = strconv.ParseInt(m[1], 10, 64)
	}},
}

func hexInt(s string) int64 {
	v, _ := strconv.ParseUint(s, 16, 64)
	return int64(v)
}

func readDirCheck(t *testing.T, path string) dirCheck {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dirCheck
	for _, l := range dirCheckLines {
		m := l.re.FindStringSubmatch(string(b))
		if m == nil {
			t.Fatalf("%s: no line matching %s", path, l.re)
		}
		l.set(&d, m)
	}
	return d
}

// Restore must load every fixture directory exactly as ZooKeeper 3.8's own
// restore path did (ZkDirCheck): same snapshot, same replay range, same
// node count and tree digest.
func TestRestoreMatchesZooKeeper(t *testing.T) {
	standalone := filepath.Join(fixtures, "standalone/version-2")
	tests := []struct {
		name    string
		dir     string
		replace map[string]string
		check   string
	}{
		{"standalone", standalone, nil, "standalone/dumps/ZkDirCheck-restore.txt"},
		{"quorum1", filepath.Join(fixtures, "quorum1/version-2"), nil, "quorum1/dumps/ZkDirCheck-restore.txt"},
		{"ensemble3/server1", filepath.Join(fixtures, "ensemble3/server1/version-2"), nil, "ensemble3/server1/dumps/ZkDirCheck-restore.txt"},
		{"ensemble3/server2", filepath.Join(fixtures, "ensemble3/server2/version-2"), nil, "ensemble3/server2/dumps/ZkDirCheck-restore.txt"},
		{"ensemble3/server3", filepath.Join(fixtures, "ensemble3/server3/version-2"), nil, "ensemble3/server3/dumps/ZkDirCheck-restore.txt"},
		{"snapshot with a bad CRC falls back", standalone,
			map[string]string{"snapshot.b9": filepath.Join(fixtures, "corrupt/snapshot-bad-crc/version-2/snapshot.b9")},
			"corrupt/snapshot-bad-crc/ZkDirCheck-restore-with-full-dir.txt"},
		{"truncated snapshot is skipped", standalone,
			map[string]string{"snapshot.b9": filepath.Join(fixtures, "corrupt/snapshot-truncated/version-2/snapshot.b9")},
			"corrupt/snapshot-truncated/ZkDirCheck-restore-with-full-dir.txt"},
		{"torn log tail ends quietly", standalone,
			map[string]string{"log.bb": filepath.Join(fixtures, "corrupt/log-truncated-tail/version-2/log.bb")},
			"corrupt/log-truncated-tail/ZkDirCheck-restore-with-full-dir.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := copyDir(t, tt.dir, tt.replace)
			want := readDirCheck(t, filepath.Join(fixtures, tt.check))
			var skipped []string
			res, err := Restore(disk.OS, NewDirs(data, ""), RestoreOptions{
				Skipped: func(p string, err error) { skipped = append(skipped, filepath.Base(p)) },
			})
			if err != nil {
				t.Fatal(err)
			}
			got := dirCheck{
				highest: res.LastZxid, snapshot: res.SnapshotZxid, first: res.FirstReplayed, last: res.LastReplayed,
				replayed: res.Replayed, nodes: res.Tree.NodeCount() + 1, // ZooKeeper counts the "/" alias too
				digest: res.Tree.Digest(),
			}
			if got != want {
				t.Errorf("restore = %+v\nZooKeeper %+v", got, want)
			}
			if tt.replace["snapshot.b9"] != "" && tt.name == "snapshot with a bad CRC falls back" &&
				fmt.Sprint(skipped) != "[snapshot.b9]" {
				t.Errorf("skipped %v, want [snapshot.b9]", skipped)
			}
		})
	}
}

func TestRestoreFailsOnChecksumMismatch(t *testing.T) {
	data := copyDir(t, filepath.Join(fixtures, "standalone/version-2"),
		map[string]string{"log.bb": filepath.Join(fixtures, "corrupt/log-flipped-byte/version-2/log.bb")})
	_, err := Restore(disk.OS, NewDirs(data, ""), RestoreOptions{})
	var ce *txnlog.CorruptError
	if !errors.Is(err, txnlog.ErrChecksum) || !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a checksum error", err)
	}
	if filepath.Base(ce.File) != "log.bb" || ce.Offset != 3229 {
		t.Errorf("error names %s at %d, want log.bb at 3229 (corruptions.txt)", ce.File, ce.Offset)
	}
}

func TestRestoreEmptyAndBroken(t *testing.T) {
	t.Run("empty dir starts an empty tree", func(t *testing.T) {
		res, err := Restore(disk.OS, NewDirs(t.TempDir(), ""), RestoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Snapshot != "" || res.LastZxid != 0 || res.Tree.NodeCount() != 4 {
			t.Errorf("restored %+v with %d nodes", res, res.Tree.NodeCount())
		}
	})
	t.Run("logs without a snapshot refuse to start", func(t *testing.T) {
		data := t.TempDir()
		dirs := NewDirs(data, "")
		writeTxns(t, dirs.Log, 1, 3)
		_, err := Restore(disk.OS, dirs, RestoreOptions{})
		if !errors.Is(err, ErrLogWithoutSnapshot) {
			t.Fatalf("err = %v", err)
		}
		res, err := Restore(disk.OS, dirs, RestoreOptions{TrustEmpty: true})
		if err != nil || res.LastZxid != 3 || res.Replayed != 3 {
			t.Fatalf("with TrustEmpty: %+v, %v", res, err)
		}
	})
	t.Run("no valid snapshot among several", func(t *testing.T) {
		data := t.TempDir()
		dirs := NewDirs(data, "")
		os.MkdirAll(dirs.Snap, 0o755)
		os.WriteFile(filepath.Join(dirs.Snap, "snapshot.5"), append([]byte("garbage"), 0, 0, 0, 1, '/'), 0o644)
		_, err := Restore(disk.OS, dirs, RestoreOptions{})
		if !errors.Is(err, snap.ErrNoSnapshot) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a snapshot in a separate log dir is refused", func(t *testing.T) {
		dirs := NewDirs(t.TempDir(), t.TempDir())
		os.MkdirAll(dirs.Log, 0o755)
		os.WriteFile(filepath.Join(dirs.Log, "snapshot.0"), nil, 0o644)
		if _, err := Restore(disk.OS, dirs, RestoreOptions{}); !errors.Is(err, ErrMixedDirs) {
			t.Fatalf("err = %v", err)
		}
	})
}

// writeTxns logs createSession txns with zxids first..last in one file.
func writeTxns(t testing.TB, dir string, first, last int64) {
	t.Helper()
	w, err := txnlog.Open(disk.OS, dir, txnlog.Options{PreAllocSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for z := first; z <= last; z++ {
		tx := &jute.Txn{
			Header: jute.TxnHeader{ClientID: 0x100 + z, Zxid: z, Time: 1, Type: jute.OpCreateSession},
			Body:   &jute.CreateSessionTxn{TimeOut: 4000},
		}
		if err := w.Append(jute.EncodeTxn(tx)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRepairTornTail(t *testing.T) {
	data := t.TempDir()
	dirs := NewDirs(data, "")
	writeTxns(t, dirs.Log, 1, 5)
	// Tear the last record: cut the file inside its entry. (A cut inside
	// the checksum's high four bytes, always zero, would read as padding.)
	log := filepath.Join(dirs.Log, "log.1")
	vr, err := txnlog.Verify(disk.OS, log)
	if err != nil {
		t.Fatal(err)
	}
	rd, _ := txnlog.OpenReader(disk.OS, log)
	var lastStart int64
	for {
		rec, err := rd.Next()
		if err != nil {
			break
		}
		lastStart = rec.Offset
	}
	rd.Close()
	if err := os.Truncate(log, lastStart+20); err != nil {
		t.Fatal(err)
	}
	res, err := Restore(disk.OS, dirs, RestoreOptions{TrustEmpty: true, RepairTornTail: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.LastZxid != 4 || res.Repaired != log || len(res.TornTails) != 1 {
		t.Fatalf("restore = %+v (file verified to zxid 0x%x before the tear)", res, vr.LastZxid)
	}
	fi, _ := os.Stat(log)
	if fi.Size() != lastStart {
		t.Errorf("repaired file is %d bytes, want %d", fi.Size(), lastStart)
	}
	// A second restore sees a clean file.
	res, err = Restore(disk.OS, dirs, RestoreOptions{TrustEmpty: true, RepairTornTail: true})
	if err != nil || len(res.TornTails) != 0 || res.LastZxid != 4 {
		t.Fatalf("second restore = %+v, %v", res, err)
	}
}

// KeepRecent keeps the last replayed entries, as the log holds them.
func TestRestoreKeepsRecentTxns(t *testing.T) {
	dirs := NewDirs(t.TempDir(), "")
	writeTxns(t, dirs.Log, 1, 5)
	res, err := Restore(disk.OS, dirs, RestoreOptions{TrustEmpty: true, KeepRecent: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Recent) != 3 || res.Recent[0].Zxid != 3 || res.Recent[2].Zxid != 5 {
		t.Fatalf("recent %+v", res.Recent)
	}
	for _, r := range res.Recent {
		txn, err := jute.DecodeTxn(r.Entry)
		if err != nil || txn.Header.Zxid != r.Zxid {
			t.Errorf("entry 0x%x decodes to %+v, %v", r.Zxid, txn, err)
		}
	}
	if res, _ := Restore(disk.OS, dirs, RestoreOptions{TrustEmpty: true}); res.Recent != nil {
		t.Errorf("kept %d entries without KeepRecent", len(res.Recent))
	}
}

// tickClock returns a clock that moves one millisecond each time it is
// read, so that a phase's duration counts the clock reads inside it.
func tickClock() func() time.Time {
	t := time.Unix(1_700_000_000, 0)
	return func() time.Time { t = t.Add(time.Millisecond); return t }
}

// Phases name the snapshot chosen and the one skipped with its reason,
// count what was loaded and replayed, and split the time between the
// phases (the tick clock makes the split exact).
func TestRestorePhases(t *testing.T) {
	standalone := filepath.Join(fixtures, "standalone/version-2")
	data := copyDir(t, standalone,
		map[string]string{"snapshot.b9": filepath.Join(fixtures, "corrupt/snapshot-bad-crc/version-2/snapshot.b9")})
	res, err := Restore(disk.OS, NewDirs(data, ""), RestoreOptions{Now: tickClock()})
	if err != nil {
		t.Fatal(err)
	}
	ph := res.Phases
	fi, err := os.Stat(filepath.Join(data, "version-2/snapshot.9f"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(ph.Snapshot) != "snapshot.9f" || ph.SnapshotZxid != 0x9f || ph.SnapshotBytes != fi.Size() {
		t.Errorf("chose %s (0x%x, %d bytes), want snapshot.9f (%d bytes)", ph.Snapshot, ph.SnapshotZxid, ph.SnapshotBytes, fi.Size())
	}
	if len(ph.Skipped) != 1 || filepath.Base(ph.Skipped[0].Path) != "snapshot.b9" || ph.Skipped[0].Zxid != 0xb9 ||
		!errors.Is(ph.Skipped[0].Err, snap.ErrCRC) {
		t.Errorf("skipped %+v, want snapshot.b9 for its CRC", ph.Skipped)
	}
	if ph.Replayed != 70 || ph.Replayed != res.Replayed || ph.LogFiles != 3 {
		t.Errorf("replayed %d txns from %d files, want 70 from log.9e (begun before 0x9f), log.a0, log.bb", ph.Replayed, ph.LogFiles)
	}
	if ph.Nodes <= 0 || ph.Nodes > res.Tree.NodeCount()+ph.Replayed {
		t.Errorf("snapshot held %d znodes; %d after replay", ph.Nodes, res.Tree.NodeCount())
	}
	// Reads: pick start, b9's load start and end, 9f's load start, pick
	// end, replay start and end.
	ms := time.Millisecond
	want := struct{ pick, load, skip, replay time.Duration }{3 * ms, ms, ms, ms}
	got := struct{ pick, load, skip, replay time.Duration }{ph.Pick, ph.Load, ph.Skipped[0].Duration, ph.Replay}
	if got != want {
		t.Errorf("durations %+v, want %+v", got, want)
	}
	if ph.EpochsChecked || ph.Total() != 5*ms {
		t.Errorf("epochs checked %v, total %v", ph.EpochsChecked, ph.Total())
	}
}
