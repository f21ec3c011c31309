package engine

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
	"zkbench/engine/persist"
	"zkbench/engine/quorum"
	"zkbench/engine/transport"
)

// TestLeaderCommitsWhileSnapSerializes holds the leader's serialization
// of a SNAP (through the config's hook) and shows that the leader still
// commits a write meanwhile, as ZooKeeper's LearnerHandler serializes the
// tree on its own thread; the learner then replays that write over the
// fuzzy snapshot and ends with the leader's tree and digest.
func TestLeaderCommitsWhileSnapSerializes(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	memFS(&cfg)
	cfg.CommitLogCount = 5
	cfg.SnapshotSizeFactor = -1 // older than the window: SNAP
	started := make(chan uint64, 1)
	release := make(chan struct{})
	var once sync.Once
	var armed atomic.Bool // the ensemble's first syncs pass
	cfg.snapEncodeHook = func(_, learner uint64) {
		if !armed.Load() {
			return
		}
		once.Do(func() {
			started <- learner
			<-release
		})
	}
	e := start(t, cfg)
	leader := e.Leader()
	follower := uint64(1)
	if follower == leader {
		follower = 2
	}
	c := client(t, e, leader)
	mustCreate(t, c, "/s", jute.FlagPersistent)
	if err := e.StopMember(follower); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if _, err := c.SetData("/s", []byte(fmt.Sprint(i)), -1); err != nil {
			t.Fatalf("setData %d: %v", i, err)
		}
	}
	armed.Store(true)
	restarted := make(chan error, 1)
	go func() { restarted <- e.RestartMember(follower) }()
	if got := <-started; got != follower {
		t.Fatalf("SNAP serialized for %d, want the restarted follower %d", got, follower)
	}
	// The SNAP's tree is not serialized yet: the leader commits anyway
	// (with the other follower), and the write reaches the held learner
	// only after its snapshot.
	if _, err := c.Create("/during", []byte("x"), jute.FlagPersistent, OpenACL); err != nil {
		t.Fatalf("create while the SNAP is held: %v", err)
	}
	if _, err := c.SetData("/s", []byte("during"), -1); err != nil {
		t.Fatalf("setData while the SNAP is held: %v", err)
	}
	close(release)
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	waitServing(t, e)

	fc := client(t, e, follower)
	if _, err := c.SetData("/s", []byte("after"), -1); err != nil {
		t.Fatal(err)
	}
	if err := fc.Sync("/s"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/during", "/s"} {
		want, wst, err := c.GetData(p, false)
		if err != nil {
			t.Fatal(err)
		}
		got, st, err := fc.GetData(p, false)
		if err != nil || string(got) != string(want) || st != wst {
			t.Errorf("follower reads %s = %q %+v (%v), leader %q %+v", p, got, st, err, want, wst)
		}
	}
	lt, ft := e.member(leader).tree.Load(), e.member(follower).tree.Load()
	if lz, fz := lt.LastProcessedZxid(), ft.LastProcessedZxid(); lz != fz {
		t.Fatalf("leader at 0x%x, follower at 0x%x", lz, fz)
	}
	if ld, fd := lt.Digest(), ft.Digest(); ld != fd {
		t.Errorf("digest: leader %x, follower %x", ld, fd)
	}
}

// pacedEndpoint records frames and reports a backlog the test sets.
type pacedEndpoint struct {
	transport.Endpoint
	backlog int
	sent    [][]byte
}

func (p *pacedEndpoint) Send(_ uint64, f []byte) error {
	p.sent = append(p.sent, f)
	p.backlog++
	return nil
}
func (p *pacedEndpoint) Backlog(uint64) int { return p.backlog }

// TestHeldPacketsArePaced: the packets held behind a SNAP go out no faster
// than the learner's link takes them, in order, so that seconds of
// packets do not overflow the link's queue (which breaks the connection)
// where ZooKeeper's socket write would block instead.
func TestHeldPacketsArePaced(t *testing.T) {
	ep := &pacedEndpoint{}
	m := &member{ep: ep, held: map[uint64]*learnerOut{}}
	o := &learnerOut{}
	const n = 3 * heldBacklog
	for i := range n {
		o.q = append(o.q, m.holdPacket(&quorum.Message{Type: jute.PacketCommit, To: 2, Conn: 7, Zxid: int64(i + 1)}))
	}
	m.held[2] = o
	for turn := 1; turn <= 3; turn++ {
		if err := m.flushAllHeld(); err != nil {
			t.Fatal(err)
		}
		if len(ep.sent) != turn*heldBacklog || ep.backlog != heldBacklog {
			t.Fatalf("turn %d: %d frames sent, backlog %d; want %d and %d", turn, len(ep.sent), ep.backlog, turn*heldBacklog, heldBacklog)
		}
		ep.backlog = 0 // the learner takes them all
	}
	if err := m.flushAllHeld(); err != nil {
		t.Fatal(err)
	}
	if len(m.held) != 0 {
		t.Fatalf("learner still held after its queue emptied")
	}
	for i, f := range ep.sent {
		msg, err := decodeFrame(1, 2, f)
		if err != nil || msg.Zxid != int64(i+1) {
			t.Fatalf("frame %d: zxid 0x%x (%v), want 0x%x", i, msg.Zxid, err, i+1)
		}
	}
}

// TestSnapFrame: a SNAP serialized straight into its frame is the frame
// encodeFrame makes of the same SNAP with the snapshot as its data, with
// and without auth infos, whatever size was guessed.
func TestSnapFrame(t *testing.T) {
	tree := datatree.New()
	for i := range 50 {
		p := fmt.Sprintf("/n%d", i)
		tree.Apply(&jute.Txn{Header: jute.TxnHeader{Zxid: int64(i + 1), Type: jute.OpCreate},
			Body: &jute.CreateTxn{Path: p, Data: []byte(p), ACL: jute.OpenACL, ParentCVersion: int32(i + 1)}})
	}
	var snapshot bytes.Buffer
	if err := persist.EncodeSnapshot(&snapshot, tree); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		auth []jute.ID
		size int64
	}{
		{"no auth", nil, 0},
		{"auth", []jute.ID{{Scheme: "digest", ID: "u:p"}}, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := quorum.Message{Type: jute.PacketSnap, To: 2, Conn: 99, Zxid: 50, Auth: tc.auth}
			got, err := snapFrame(&msg, tree, tc.size)
			if err != nil {
				t.Fatal(err)
			}
			msg.Data = snapshot.Bytes()
			if want := encodeFrame(nil, &msg); !bytes.Equal(got, want) {
				t.Fatalf("frame of %d bytes differs from encodeFrame's %d", len(got), len(want))
			}
		})
	}
}
