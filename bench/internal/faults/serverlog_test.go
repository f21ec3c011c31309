package faults

import (
	"os"
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(logTime, s)
	if err != nil {
		panic(err)
	}
	return t
}

// A restart's lines of a real server's log, as ZooKeeper 3.8 writes
// them: the snapshot that failed and the one loaded, the replay, the
// restore, the sync; a later start's lines are another fault's.
func TestParseServerLog(t *testing.T) {
	f, err := os.Open("testdata/restart.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := parseServerLog(f)
	if err != nil {
		t.Fatal(err)
	}
	want := serverLog{
		snapshots: []string{"/tmp/data/server1/version-2/snapshot.1000003f0", "/tmp/data/server1/version-2/snapshot.1000003ec"},
		replayed:  211, replayMs: 41, hasReplay: true,
		restoreMs: 63, zxid: "0x2000000d3", restoreEnd: at("2026-12-07 18:55:22,758"),
		syncMode: "DIFF", syncStart: at("2026-12-07 18:55:23,908"), syncEnd: at("2026-12-07 18:55:24,062"),
	}
	if strings.Join(l.snapshots, ",") != strings.Join(want.snapshots, ",") || l.replayed != want.replayed || l.replayMs != want.replayMs ||
		!l.hasReplay || l.restoreMs != want.restoreMs || l.zxid != want.zxid || !l.restoreEnd.Equal(want.restoreEnd) ||
		l.syncMode != want.syncMode || !l.syncStart.Equal(want.syncStart) || !l.syncEnd.Equal(want.syncEnd) {
		t.Errorf("got %+v\nwant %+v", l, want)
	}
	r := l.restore()
	if r.Snapshot != "snapshot.1000003ec" || len(r.Skipped) != 1 || *r.ReplayedTxns != 211 || r.Nodes != nil || r.LoadMs != nil || r.SnapshotBytes != nil {
		t.Errorf("restore %+v", r)
	}
}

func TestServerLogModes(t *testing.T) {
	const ts = "2026-12-07 18:55:23,908 INFO  [QuorumPeer[myid=1]:Learner@565] - "
	cases := []struct {
		name, lines, mode string
		synced            bool
	}{
		{"diff", "Getting a diff from the leader 0x1\nLearner received UPTODATE message", "DIFF", true},
		{"snap", "Getting a snapshot from leader 0x200000000\nLearner received UPTODATE message", "SNAP", true},
		{"trunc", "Truncating log to get in sync with the leader 0x1\nLearner received UPTODATE message", "TRUNC", true},
		{"trunc then diff", "Truncating log to get in sync with the leader 0x1\nGetting a diff from the leader 0x1\nLearner received UPTODATE message", "TRUNC+DIFF", true},
		{"not synced yet", "Getting a diff from the leader 0x1", "DIFF", false},
		{"uptodate alone", "Learner received UPTODATE message", "", false},
		{"no restart", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var text strings.Builder
			for _, line := range strings.Split(tc.lines, "\n") {
				if line != "" {
					text.WriteString(ts + line + "\n")
				}
			}
			l, err := parseServerLog(strings.NewReader(text.String()))
			if err != nil || l.syncMode != tc.mode || l.syncEnd.IsZero() == tc.synced || l.restore() != nil {
				t.Errorf("mode %q synced %v restore %v (%v); want %q %v nil", l.syncMode, !l.syncEnd.IsZero(), l.restore(), err, tc.mode, tc.synced)
			}
		})
	}
}

func FuzzParseServerLog(f *testing.F) {
	if b, err := os.ReadFile("testdata/restart.log"); err == nil {
		f.Add(string(b))
	}
	f.Add("2026-12-07 18:55:22,758 INFO  [main:ZKDatabase@289] - Snapshot loaded in x ms, highest zxid is")
	f.Add("2026-12-07 18:55:22,750 INFO  [main:FileTxnSnapLog@372] -  txns loaded in  ms")
	f.Fuzz(func(t *testing.T, text string) {
		l, err := parseServerLog(strings.NewReader(text))
		if err != nil {
			return
		}
		if r := l.restore(); r != nil && r.Skipped == nil {
			t.Fatal("a restore with a nil skipped list")
		}
		if !l.syncEnd.IsZero() && l.syncMode == "" {
			t.Fatal("synced without a mode")
		}
	})
}
