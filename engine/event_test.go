package engine

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"zkbench/engine/jute"
	"zkbench/engine/persist"
)

// A restarted member's member-up event carries its restore's phases: the
// snapshot it loaded, the txns it replayed after it, the epochs it checked.
func TestMemberUpCarriesRestorePhases(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	memFS(&cfg)
	var mu sync.Mutex
	var up []Event
	cfg.Events = SinkFunc(func(e Event) {
		if e.Kind == EventMemberUp && e.Member == 1 {
			mu.Lock()
			up = append(up, e)
			mu.Unlock()
		}
	})
	e := start(t, cfg)
	c := client(t, e, 2)
	const writes = 20
	for i := range writes {
		if _, err := c.Create(fmt.Sprintf("/w%02d", i), []byte("v"), jute.FlagPersistent, OpenACL); err != nil {
			t.Fatal(err)
		}
	}
	// Member 1 has them once a sync through it returns.
	if err := client(t, e, 1).Sync("/"); err != nil {
		t.Fatal(err)
	}
	if err := e.StopMember(1); err != nil {
		t.Fatal(err)
	}
	if err := e.RestartMember(1); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(up) != 2 {
		t.Fatalf("%d member-up events of member 1, want its start and its restart", len(up))
	}
	ev := up[1]
	r := ev.Restore
	if r == nil {
		t.Fatalf("member-up %v without its restore phases", ev)
	}
	// The fresh start's snapshot.0 or the one its first sync wrote at the
	// start of epoch 1 (depending on the sync's mode): before the writes.
	if filepath.Base(r.Snapshot) != fmt.Sprintf("snapshot.%x", r.SnapshotZxid) || r.SnapshotZxid > persist.Zxid(1, 0) ||
		r.SnapshotBytes <= 0 || len(r.Skipped) != 0 {
		t.Errorf("restart loaded %s (0x%x, %d bytes, %d skipped), want a snapshot from before the writes",
			r.Snapshot, r.SnapshotZxid, r.SnapshotBytes, len(r.Skipped))
	}
	// The writes, the sessions' txns and the new leader's epoch start.
	if r.Replayed < writes || r.LogFiles < 1 || r.Nodes+writes > ev.Nodes {
		t.Errorf("replayed %d txns from %d files onto %d znodes, up with %d: want at least the %d creates",
			r.Replayed, r.LogFiles, r.Nodes, ev.Nodes, writes)
	}
	if !r.EpochsChecked || r.Epochs.Current < 1 || r.Epochs.Accepted < r.Epochs.Current {
		t.Errorf("epochs %+v (checked %v)", r.Epochs, r.EpochsChecked)
	}
	if r.Total() > ev.Duration || !strings.Contains(ev.String(), fmt.Sprintf("replay %d txns", r.Replayed)) {
		t.Errorf("phases total %v of a %v start-up; event reads %q", r.Total(), ev.Duration, ev.String())
	}
}
