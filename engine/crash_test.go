package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
	"zkbench/engine/persist"
	"zkbench/engine/snap"
	"zkbench/engine/txnlog"
)

// ---- acknowledged writes survive minority crashes ----

// ackedWrite is a node's data and version as a write left it.
type ackedWrite struct {
	data    string
	version int32
}

// crashWriter creates nodes of its own and overwrites them, and records
// what was acknowledged. Nobody else writes its nodes, so each node's
// final state is known: its last acknowledged write, or — if a later
// write's outcome is unknown (ConnectionLoss) — possibly that one. A node
// is not written again once a write to it had an unknown outcome.
type crashWriter struct {
	id  int
	e   *Ensemble
	rng *rand.Rand
	c   *Client
	seq int

	live     []string              // nodes it may still write
	acked    map[string]ackedWrite // node → its newest acknowledged write
	maybe    map[string]ackedWrite // node → a later write of unknown outcome
	problems []string
	acks     int
}

// TestMinorityCrashLosesNoAcknowledgedWrite crashes one member at a time
// — the leader, a follower, the observer — on in-memory disks that lose
// whatever was not synced (the last write possibly torn), while writers
// create and overwrite nodes. After each crash, the database the member's
// disk restores must hold the history up to the zxid it claims; at the end
// every acknowledged write must be on every member, with the acknowledged
// data and version, the members must agree, and the same must hold after a
// clean restart and after a power loss of the whole ensemble.
func TestMinorityCrashLosesNoAcknowledgedWrite(t *testing.T) {
	rounds, writers := 8, 4
	if longTests() {
		rounds = 80
	}
	cfg := testConfig(t, 3, 1)
	cfg.MaxSessionTimeout = time.Minute // sessions outlive their member's absence
	// Snapshots and log rolls all along, so that restarts restore from a
	// snapshot plus logs and crashes hit snapshots being written.
	cfg.SnapCount = 64
	cfg.PreAllocSize = 64 << 10
	memFS(&cfg)
	var evMu sync.Mutex
	var events []Event
	cfg.Events = SinkFunc(func(ev Event) {
		switch ev.Kind {
		case EventSnapshotStart, EventSnapshotEnd, EventLearnerSynced, EventMemberUp, EventMemberDown, EventLeaderElected:
			evMu.Lock()
			events = append(events, ev)
			evMu.Unlock()
		}
	})
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		evMu.Lock()
		defer evMu.Unlock()
		var b strings.Builder
		for _, ev := range events {
			fmt.Fprintf(&b, "%s %v %s\n", ev.Time.Format("15:04:05.000000"), ev, ev.Path)
		}
		if f, err := os.CreateTemp("", "zkbench-crash-events-*.txt"); err == nil {
			f.WriteString(b.String())
			f.Close()
			t.Logf("events: %s", f.Name())
		}
	})
	e := start(t, cfg)
	setup := linConnect(t, e, e.Leader())
	mustCreateData(t, setup, "/crash", nil)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ws []*crashWriter
	var wg sync.WaitGroup
	for i := range writers {
		w := &crashWriter{id: i, e: e, rng: rand.New(rand.NewPCG(11, uint64(i))),
			acked: map[string]ackedWrite{}, maybe: map[string]ackedWrite{}}
		w.c = linConnect(t, e, e.Members()[i%len(e.Members())])
		ws = append(ws, w)
		wg.Go(func() { w.run(ctx) })
	}

	// Crash and restart one member at a time — the leader, a follower or
	// the observer — while the writers write; the ensemble serves again
	// before the next crash, so at most a minority is ever down.
	nem := &nemesis{t: t, e: e, rng: rand.New(rand.NewPCG(12, 0))}
	kinds := []string{"crash-leader", "crash-follower", "crash-observer"}
	for round := range rounds {
		nem.sleep(ctx, 20*time.Millisecond, 150*time.Millisecond)
		kind := kinds[(round+nem.rng.IntN(2))%len(kinds)]
		var target uint64
		switch l := e.Leader(); kind {
		case "crash-leader":
			target = l
		case "crash-follower":
			target = uint64(nem.rng.IntN(3)) + 1
			if target == l {
				target = target%3 + 1
			}
		default:
			target = 4
		}
		if target == 0 {
			continue
		}
		nem.log = append(nem.log, fmt.Sprintf("%s %d", kind, target))
		if err := e.CrashMember(target); err != nil {
			t.Errorf("crash %d: %v", target, err)
		}
		// What the crash left on its disk must be the history up to the
		// zxid it restores to, as the leader has it.
		if l := e.member(e.Leader()); l != nil && l.id != target {
			checkRestore(t, e, target, crashTree(l.tree.Load()), fmt.Sprintf("round %d, %s %d", round, kind, target))
		}
		nem.sleep(ctx, 50*time.Millisecond, 400*time.Millisecond)
		if err := e.RestartMember(target); err != nil {
			t.Errorf("restart %d after a crash: %v", target, err)
		}
		if t.Failed() || !nem.waitServing() {
			break
		}
	}
	cancel()
	waitGroupOrFail(t, &wg, 60*time.Second, e)
	var acks, maybes int
	for _, w := range ws {
		for _, p := range w.problems {
			t.Errorf("writer %d: %s", w.id, p)
		}
		if w.c != nil {
			w.c.Abandon()
		}
		acks += w.acks
		maybes += len(w.maybe)
	}
	t.Logf("%d acknowledged writes on %d nodes, %d writes of unknown outcome; nemesis: %s",
		acks, countNodes(ws), maybes, nem.summary())
	if acks == 0 {
		t.Fatal("no write was acknowledged")
	}
	if t.Failed() {
		return
	}

	ref := verifyAcknowledged(t, e, ws, "after the crashes")
	// Every member from its own disk: a clean restart of all, then a power
	// loss of all (everything acknowledged was synced on a quorum).
	for _, down := range []struct {
		name string
		fn   func(uint64) error
	}{{"stop", e.StopMember}, {"crash", e.CrashMember}} {
		for _, id := range e.Members() {
			if err := down.fn(id); err != nil {
				t.Fatalf("%s %d: %v", down.name, id, err)
			}
		}
		// What each disk holds must be the ensemble's history up to the
		// zxid it claims: a restore that skips txns it then claims to
		// have would never be repaired by the sync that follows.
		for _, id := range e.Members() {
			checkRestore(t, e, id, ref, "after a "+down.name+" of every member")
		}
		for _, id := range e.Members() {
			if err := e.RestartMember(id); err != nil {
				t.Fatalf("restart %d after %s: %v", id, down.name, err)
			}
		}
		ref = verifyAcknowledged(t, e, ws, "after a "+down.name+" and restart of every member")
	}
}

// crashTree reads /crash from a member's tree.
func crashTree(tr *datatree.Tree) map[string]nodeState {
	kids, _, err := tr.GetChildren("/crash", nil)
	if err != nil {
		return nil
	}
	out := map[string]nodeState{}
	for _, k := range kids {
		p := "/crash/" + k
		if data, st, err := tr.GetData(p, nil); err == nil {
			out[p] = nodeState{string(data), st.Version, st.Mzxid}
		}
	}
	return out
}

// checkRestore restores member id's database from its disk, as a restart
// would (without repairing anything), and checks it against ref, /crash as
// the ensemble has it: the restored tree is the state at its last processed
// zxid z, so every node ref shows last modified at or before z must be
// there, modified no earlier than ref has it (a disk may also hold txns
// nobody committed, logged under a leader that failed: those make a node
// newer, never older). On a mismatch it reports how the database was
// restored and where each member's log has the first missing txn.
func checkRestore(t *testing.T, e *Ensemble, id uint64, ref map[string]nodeState, stage string) {
	t.Helper()
	dataDir, logDir := e.Dirs(id)
	res, err := persist.Restore(e.FS(id), persist.NewDirs(dataDir, logDir), persist.RestoreOptions{})
	if err != nil {
		t.Errorf("%s: member %d does not restore: %v", stage, id, err)
		return
	}
	z := res.Tree.LastProcessedZxid()
	var bad []string
	var firstPath string
	var firstZxid int64
	for _, p := range slices.Sorted(maps.Keys(ref)) {
		want := ref[p]
		if want.mzxid > z {
			continue
		}
		data, st, err := res.Tree.GetData(p, nil)
		got := nodeState{string(data), st.Version, st.Mzxid}
		switch {
		case err != nil:
			bad = append(bad, fmt.Sprintf("%s (mzxid 0x%x) missing", p, want.mzxid))
		case got.mzxid < want.mzxid:
			bad = append(bad, fmt.Sprintf("%s is %+v, want %+v", p, got, want))
		default:
			continue
		}
		if firstPath == "" {
			firstPath, firstZxid = p, want.mzxid
		}
	}
	if len(bad) == 0 {
		return
	}
	var logs strings.Builder
	for _, j := range e.Members() {
		fmt.Fprintf(&logs, "  member %d's log on %s and around 0x%x: %s\n", j, firstPath, firstZxid, txnsAround(e, j, firstPath, firstZxid))
	}
	t.Errorf("%s: member %d restores a tree at 0x%x that lacks %d nodes the ensemble had by then, e.g. %s\n%s%s",
		stage, id, z, len(bad), strings.Join(bad[:min(len(bad), 3)], "; "), describeRestore(e, id, res), logs.String())
}

// txnsAround lists the txns in member id's log that touch path or are
// within 2 of zxid.
func txnsAround(e *Ensemble, id uint64, path string, zxid int64) string {
	dataDir, logDir := e.Dirs(id)
	it, err := txnlog.NewIterator(e.FS(id), persist.NewDirs(dataDir, logDir).Log, 0)
	if err != nil {
		return err.Error()
	}
	defer it.Close()
	var out []string
	for {
		r, err := it.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				out = append(out, err.Error())
			}
			return strings.Join(out, ", ")
		}
		if h := r.Txn.Header; r.Txn.Path() == path || zxid-2 <= h.Zxid && h.Zxid <= zxid+2 {
			out = append(out, fmt.Sprintf("0x%x op %d %s (%s)", h.Zxid, h.Type, r.Txn.Path(), filepath.Base(r.File)))
		}
	}
}

// describeRestore says how a member's database was restored: the
// snapshots, which one was used, the log files and the txns replayed, with
// every gap in the replayed zxids within an epoch.
func describeRestore(e *Ensemble, id uint64, res *persist.Restored) string {
	dataDir, logDir := e.Dirs(id)
	dirs := persist.NewDirs(dataDir, logDir)
	var b strings.Builder
	fmt.Fprintf(&b, "  snapshot %s (0x%x; %d skipped of %d tried), replayed %d txns 0x%x..0x%x, torn tails %v\n",
		res.Snapshot, res.SnapshotZxid, res.SkippedSnapshots, res.TriedSnapshots, res.Replayed, res.FirstReplayed, res.LastReplayed, res.TornTails)
	snaps, _ := snap.List(e.FS(id), dirs.Snap)
	var valid, invalid []string
	for _, s := range snaps {
		if snap.Valid(e.FS(id), s.Path) == nil {
			valid = append(valid, s.Name)
		} else {
			invalid = append(invalid, s.Name)
		}
	}
	fmt.Fprintf(&b, "  valid snapshots %v\n  invalid snapshots %v\n", valid, invalid)
	files, _ := txnlog.ListFiles(e.FS(id), dirs.Log)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f.Path))
	}
	fmt.Fprintf(&b, "  logs %v\n", names)
	it, err := txnlog.NewIterator(e.FS(id), dirs.Log, res.SnapshotZxid+1)
	if err != nil {
		return b.String()
	}
	defer it.Close()
	prev := int64(-1)
	for {
		r, err := it.Next()
		if err != nil {
			break
		}
		z := r.Txn.Header.Zxid
		switch {
		case prev >= 0 && z>>32 == prev>>32 && z != prev+1:
			fmt.Fprintf(&b, "  gap in the replay: 0x%x then 0x%x (%s)\n", prev, z, filepath.Base(r.File))
		case prev >= 0 && z>>32 != prev>>32:
			fmt.Fprintf(&b, "  next epoch in the replay: 0x%x then 0x%x (%s)\n", prev, z, filepath.Base(r.File))
		}
		prev = z
	}
	return b.String()
}

func countNodes(ws []*crashWriter) int {
	n := 0
	for _, w := range ws {
		n += len(w.acked)
	}
	return n
}

func (w *crashWriter) run(ctx context.Context) {
	for ctx.Err() == nil {
		if w.c == nil {
			c, err := w.e.Connect(w.e.Members()[w.rng.IntN(len(w.e.Members()))], time.Minute)
			if err != nil {
				sleepCtx(ctx, 10*time.Millisecond)
				continue
			}
			w.c = c
		}
		w.seq++
		var err error
		if len(w.live) < 4 || w.rng.IntN(3) == 0 {
			err = w.create()
		} else {
			err = w.set()
		}
		switch {
		case err == nil:
		case errors.Is(err, ErrConnectionLoss):
			if err := moveSession(ctx, w.e, w.c, w.rng); errors.Is(err, ErrSessionExpired) {
				w.c = nil
			}
		case errors.Is(err, ErrSessionExpired):
			w.c = nil // the write was refused; a new session carries on
		default:
			w.problems = append(w.problems, err.Error())
		}
	}
}

func (w *crashWriter) create() error {
	path := fmt.Sprintf("/crash/w%d-%06d", w.id, w.seq)
	data := path + "@0"
	_, err := w.c.Create(path, []byte(data), jute.FlagPersistent, OpenACL)
	switch {
	case err == nil:
		w.acked[path] = ackedWrite{data, 0}
		w.live = append(w.live, path)
		w.acks++
	case errors.Is(err, ErrConnectionLoss):
		w.maybe[path] = ackedWrite{data, 0}
	default:
		return fmt.Errorf("create %s: %w", path, err)
	}
	return err
}

func (w *crashWriter) set() error {
	i := w.rng.IntN(len(w.live))
	path := w.live[i]
	prev := w.acked[path]
	data := fmt.Sprintf("%s@%d", path, w.seq)
	st, err := w.c.SetData(path, []byte(data), -1)
	switch {
	case err == nil:
		if st.Version != prev.version+1 {
			w.problems = append(w.problems, fmt.Sprintf("setData %s acknowledged version %d after version %d", path, st.Version, prev.version))
		}
		w.acked[path] = ackedWrite{data, st.Version}
		w.acks++
	case errors.Is(err, ErrConnectionLoss):
		w.maybe[path] = ackedWrite{data, prev.version + 1}
		w.live = slices.Delete(w.live, i, i+1)
	default: // NoNode here: its acknowledged create was lost
		return fmt.Errorf("setData %s (acknowledged version %d): %w", path, prev.version, err)
	}
	return err
}

// nodeState is one node as a member's client reads it.
type nodeState struct {
	data    string
	version int32
	mzxid   int64
}

// verifyAcknowledged waits until every member serves and all agree on
// /crash (the wait is a guard: a write of unknown outcome may still be
// committing when the writers stop), then checks that every acknowledged
// write is there with its data and version, that nothing else is, and
// that the members' tree digests agree.
func verifyAcknowledged(t *testing.T, e *Ensemble, ws []*crashWriter, stage string) map[string]nodeState {
	t.Helper()
	waitServing(t, e)
	var trees map[uint64]map[string]nodeState
	deadline := time.Now().Add(30 * time.Second)
	for {
		var diff string
		trees, diff = readCrashTrees(t, e)
		if diff == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the members never agreed: %s (%s)", stage, diff, e.describe())
		}
		time.Sleep(20 * time.Millisecond)
	}
	tree := trees[e.Members()[0]]
	lost, wrong := 0, 0
	for _, w := range ws {
		for path, a := range w.acked {
			got, ok := tree[path]
			m, isMaybe := w.maybe[path]
			switch {
			case !ok:
				lost++
				if lost <= 10 {
					t.Errorf("%s: acknowledged %s (version %d) is lost", stage, path, a.version)
				}
			case got.data == a.data && got.version == a.version:
			case isMaybe && got.data == m.data && got.version == m.version:
			default:
				wrong++
				if wrong <= 10 {
					t.Errorf("%s: %s is %q version %d; acknowledged %q version %d", stage, path, got.data, got.version, a.data, a.version)
				}
			}
		}
		for path, m := range w.maybe {
			if _, ok := w.acked[path]; ok {
				continue
			}
			if got, ok := tree[path]; ok && (got.data != m.data || got.version != 0) {
				t.Errorf("%s: %s, created with an unknown outcome, is %q version %d", stage, path, got.data, got.version)
			}
		}
	}
	for path := range tree {
		known := false
		for _, w := range ws {
			_, a := w.acked[path]
			_, m := w.maybe[path]
			known = known || a || m
		}
		if !known {
			t.Errorf("%s: %s was never written", stage, path)
		}
	}
	if lost+wrong > 0 {
		t.Fatalf("%s: %d acknowledged nodes lost, %d with other data", stage, lost, wrong)
	}
	return tree
}

// readCrashTrees reads /crash on every member after a Sync there, and
// returns what each holds and how they differ ("" if they agree, tree
// digests included).
func readCrashTrees(t *testing.T, e *Ensemble) (map[uint64]map[string]nodeState, string) {
	t.Helper()
	trees := map[uint64]map[string]nodeState{}
	digests := map[uint64]int64{}
	for _, id := range e.Members() {
		c := linConnect(t, e, id)
		if err := c.Sync("/crash"); err != nil {
			t.Fatalf("sync on %d: %v", id, err)
		}
		kids, err := c.GetChildren("/crash", false)
		if err != nil {
			t.Fatalf("children of /crash on %d: %v", id, err)
		}
		tree := map[string]nodeState{}
		for _, k := range kids {
			p := "/crash/" + k
			data, st, err := c.GetData(p, false)
			if err != nil {
				t.Fatalf("read %s on %d: %v", p, id, err)
			}
			tree[p] = nodeState{string(data), st.Version, st.Mzxid}
		}
		trees[id] = tree
		digests[id] = e.member(id).tree.Load().Digest()
		if err := c.Close(); err != nil {
			c.Abandon() // it expires in its own time
		}
	}
	first := e.Members()[0]
	var diffs []string
	for _, id := range e.Members()[1:] {
		if d := diffTrees(trees[first], trees[id]); d != "" {
			diffs = append(diffs, fmt.Sprintf("member %d vs %d: %s", first, id, d))
		} else if digests[id] != digests[first] {
			diffs = append(diffs, fmt.Sprintf("member %d digest %x, member %d %x", first, digests[first], id, digests[id]))
		}
	}
	return trees, strings.Join(diffs, "; ")
}

func diffTrees(a, b map[string]nodeState) string {
	var d []string
	for _, p := range slices.Sorted(maps.Keys(a)) {
		if y, ok := b[p]; !ok {
			d = append(d, "only first has "+p)
		} else if x := a[p]; x != y {
			d = append(d, fmt.Sprintf("%s: %+v vs %+v", p, x, y))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[p]; !ok {
			d = append(d, "only second has "+p)
		}
	}
	if len(d) > 5 {
		d = append(d[:5], fmt.Sprintf("and %d more", len(d)-5))
	}
	return strings.Join(d, ", ")
}

// ---- learner sync modes ----

// TestSyncModesOnRestart restarts a follower that missed writes while it
// was down, on real disks, and checks how the leader synced it: a DIFF of
// the missing txns while they are in the leader's committed window or, past
// it, in its txn log within zookeeper.snapshotSizeFactor's limit; a SNAP
// otherwise.
func TestSyncModesOnRestart(t *testing.T) {
	tests := []struct {
		name           string
		commitLogCount int
		bulk           int // bytes of data in the tree before the follower stops
		writes         int // while the follower is down
		snapCount      int // 0: the default, no log roll
		sizeFactor     float64
		mode           string
	}{
		{"nothing missed", 500, 0, 0, 0, 0.33, "DIFF"},
		{"a few txns missed", 500, 0, 5, 0, 0.33, "DIFF"},
		// Older than the window: the leader's txn log since the learner's
		// zxid is all in its current file, which the size limit does not
		// count (FileTxnIterator.getStorageSize after init).
		{"more missed than the window holds, DIFF from the txn log", 5, 0, 30, 0, 0.33, "DIFF"},
		{"more missed than the window holds, txn log sync off", 5, 0, 30, 0, -1, "SNAP"},
		// With a snapshot every few txns the log has rolled: the files
		// after the learner's (preallocated to 1 MiB) are over 0.33 × the
		// tiny snapshot, but within an unlimited factor 0.
		{"log rolled, beyond the size limit", 5, 0, 30, 10, 0.33, "SNAP"},
		{"log rolled, no size limit", 5, 0, 30, 10, 0, "DIFF"},
		// An 8 MiB tree's snapshot outweighs the few 1 MiB files since.
		{"log rolled, within the size limit", 5, 8 << 20, 30, 10, 1, "DIFF"},
		// The snapshot is larger than a jute buffer may be (2 × 0xfffff).
		{"a SNAP of a tree over 2 MiB", 5, 3 << 20, 30, 0, -1, "SNAP"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var events []Event
			cfg := testConfig(t, 3, 0)
			cfg.CommitLogCount = tc.commitLogCount
			cfg.SnapshotSizeFactor = tc.sizeFactor
			if tc.snapCount > 0 {
				cfg.SnapCount = tc.snapCount
			}
			cfg.Events = SinkFunc(func(ev Event) {
				mu.Lock()
				events = append(events, ev)
				mu.Unlock()
			})
			e := start(t, cfg)
			leader := e.Leader()
			follower := uint64(1)
			if follower == leader {
				follower = 2
			}
			c := client(t, e, leader)
			mustCreate(t, c, "/s", jute.FlagPersistent)
			for i := 0; i*(256<<10) < tc.bulk; i++ {
				if _, err := c.Create(fmt.Sprintf("/bulk%d", i), make([]byte, 256<<10), jute.FlagPersistent, OpenACL); err != nil {
					t.Fatal(err)
				}
			}
			// The follower has /s before it stops: sync a session there.
			fc := client(t, e, follower)
			if err := fc.Sync("/s"); err != nil {
				t.Fatal(err)
			}
			if err := fc.Close(); err != nil {
				t.Fatal(err)
			}
			if err := e.StopMember(follower); err != nil {
				t.Fatal(err)
			}
			for i := range tc.writes {
				if _, err := c.SetData("/s", []byte(fmt.Sprint(i)), int32(i)); err != nil {
					t.Fatalf("setData %d: %v", i, err)
				}
			}
			mu.Lock()
			mark := len(events)
			mu.Unlock()
			if err := e.RestartMember(follower); err != nil {
				t.Fatal(err)
			}
			waitServing(t, e)

			// The learner publishes its sync right after it starts serving.
			var synced []Event
			deadline := time.Now().Add(30 * time.Second)
			for len(synced) == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("member %d never reported its sync (%s)", follower, e.describe())
				}
				time.Sleep(5 * time.Millisecond)
				mu.Lock()
				for _, ev := range events[mark:] {
					if ev.Kind == EventLearnerSynced && ev.Member == follower {
						synced = append(synced, ev)
					}
				}
				mu.Unlock()
			}
			ev := synced[0]
			if ev.Mode != tc.mode || ev.Peer != leader {
				t.Errorf("member %d synced with %s from %d, want %s from leader %d (%v)", follower, ev.Mode, ev.Peer, tc.mode, leader, ev)
			}
			if tc.mode == "DIFF" && ev.Txns != tc.writes {
				t.Errorf("DIFF sent %d txns, want the %d missed", ev.Txns, tc.writes)
			}
			if l := e.Leader(); l != leader {
				t.Errorf("leader changed from %d to %d: the restarted follower should join the running leader", leader, l)
			}

			// It has every write, before and after its absence.
			fc = client(t, e, follower)
			if _, err := c.SetData("/s", []byte("after"), -1); err != nil {
				t.Fatal(err)
			}
			if err := fc.Sync("/s"); err != nil {
				t.Fatal(err)
			}
			data, st, err := fc.GetData("/s", false)
			if err != nil || string(data) != "after" || int(st.Version) != tc.writes+1 {
				t.Errorf("member %d reads /s = %q version %d (%v), want \"after\" version %d", follower, data, st.Version, err, tc.writes+1)
			}
		})
	}
}
