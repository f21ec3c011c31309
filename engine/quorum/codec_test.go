package quorum

import (
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"testing"
	"zkbench/engine/jute"
)

func TestNotificationWireFormat(t *testing.T) {
	n := Notification{State: RoleFollowing, Leader: 3, Zxid: 0x500000002, ElectionEpoch: 7, PeerEpoch: 5, Version: 2, Config: []byte("v=1")}
	got := hex.EncodeToString(n.Encode(nil))
	want := "00000001" + "0000000000000003" + "0000000500000002" + "0000000000000007" + "0000000000000005" + "00000002" + "00000003" + hex.EncodeToString([]byte("v=1"))
	if got != want {
		t.Fatalf("encoded\n %s\nwant\n %s", got, want)
	}
}

func TestNotificationDecode(t *testing.T) {
	full := Notification{State: RoleLeading, Leader: 2, Zxid: 0x300000009, ElectionEpoch: 4, PeerEpoch: 3, Version: 2}
	enc := full.Encode(nil)
	cases := []struct {
		name string
		in   []byte
		want Notification
		err  bool
	}{
		{"current", enc, full, false},
		{"with config", (&Notification{State: RoleLooking, Leader: 1, Version: 2, Config: []byte("x")}).Encode(nil), Notification{State: RoleLooking, Leader: 1, Version: 2, Config: []byte("x")}, false},
		// Before ZOOKEEPER-107: no peer epoch, taken from the zxid.
		{"28 bytes", enc[:28], Notification{State: RoleLeading, Leader: 2, Zxid: 0x300000009, ElectionEpoch: 4, PeerEpoch: 3}, false},
		{"28 bytes negative zxid", (&Notification{Leader: 1, Zxid: math.MinInt64}).Encode(nil)[:28], Notification{Leader: 1, Zxid: math.MinInt64, PeerEpoch: math.MinInt64 >> 32}, false},
		// 3.4 before 3.4.6: no version.
		{"40 bytes", enc[:40], Notification{State: RoleLeading, Leader: 2, Zxid: 0x300000009, ElectionEpoch: 4, PeerEpoch: 3}, false},
		// buildMsg's 40-byte test form carries version 1, which the receiver
		// does not even read (capacity == 40).
		{"40 bytes with version 1", append(enc[:36:36], 0, 0, 0, 1), Notification{State: RoleLeading, Leader: 2, Zxid: 0x300000009, ElectionEpoch: 4, PeerEpoch: 3}, false},
		{"version 1 with trailing bytes", append(enc[:36:36], 0, 0, 0, 1, 9, 9), Notification{State: RoleLeading, Leader: 2, Zxid: 0x300000009, ElectionEpoch: 4, PeerEpoch: 3, Version: 1}, false},
		{"short", enc[:27], Notification{}, true},
		{"between formats", enc[:33], Notification{}, true},
		{"version 2 without config length", enc[:41], Notification{}, true},
		{"config longer than message", append(append([]byte(nil), enc[:40]...), 0, 0, 0, 9, 1), Notification{}, true},
		{"negative config length", append(append([]byte(nil), enc[:40]...), 0xff, 0xff, 0xff, 0xff), Notification{}, true},
		{"bad state", append([]byte{0, 0, 0, 9}, enc[4:]...), Notification{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeNotification(tc.in)
			if tc.err {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("got %+v, %v; want ErrMalformed", got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func FuzzNotification(f *testing.F) {
	f.Add(int32(0), int64(1), int64(2), int64(3), int64(4), int32(2), []byte("cfg"))
	f.Add(int32(3), int64(math.MinInt64), int64(math.MinInt64), int64(-1), int64(math.MinInt64), int32(1), []byte(nil))
	f.Fuzz(func(t *testing.T, state int32, leader, zxid, ee, pe int64, version int32, cfg []byte) {
		if state < 0 || state > 3 || version < 2 {
			version = 2
			state &= 3
			if state < 0 {
				state = -state
			}
		}
		n := Notification{State: Role(state), Leader: leader, Zxid: zxid, ElectionEpoch: ee, PeerEpoch: pe, Version: version, Config: cfg}
		if len(cfg) == 0 {
			n.Config = nil
		}
		got, err := DecodeNotification(n.Encode(nil))
		if err != nil || !reflect.DeepEqual(got, n) {
			t.Fatalf("round trip of %+v: %+v, %v", n, got, err)
		}
	})
}

func FuzzDecodeNotification(f *testing.F) {
	f.Add((&Notification{State: RoleFollowing, Leader: 3, Version: 2, Config: []byte("a")}).Encode(nil))
	f.Add(make([]byte, 28))
	f.Add(make([]byte, 40))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := DecodeNotification(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to a prefix-compatible message that
		// decodes to the same notification.
		if n.Version < 2 {
			return
		}
		again, err := DecodeNotification(n.Encode(nil))
		if err != nil || !reflect.DeepEqual(again, n) {
			t.Fatalf("%+v re-decoded as %+v, %v", n, again, err)
		}
	})
}

func TestLearnerInfo(t *testing.T) {
	li := jute.LearnerInfo{ServerID: 7, ProtocolVersion: ProtocolVersion, ConfigVersion: 0x100000000}
	b := encodeLearnerInfo(li)
	if want := "0000000000000007" + "00010000" + "0000000100000000"; hex.EncodeToString(b) != want {
		t.Fatalf("jute.LearnerInfo %x", b)
	}
	got, err := DecodeLearnerInfo(b)
	if err != nil || got != li {
		t.Fatalf("decoded %+v, %v", got, err)
	}
	if got, err := DecodeLearnerInfo(b[:8]); err != nil || got.ServerID != 7 {
		t.Fatalf("sid-only jute.LearnerInfo %+v, %v", got, err)
	}
	if _, err := DecodeLearnerInfo(b[:3]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short jute.LearnerInfo: %v", err)
	}
}

func TestPacketNames(t *testing.T) {
	for typ, name := range map[int32]string{jute.PacketProposal: "PROPOSAL", jute.PacketNewLeader: "NEWLEADER", jute.PacketAckEpoch: "ACKEPOCH", MsgNotification: "NOTIFICATION", 99: "UNKNOWN99"} {
		if got := PacketName(typ); got != name {
			t.Errorf("PacketName(%d) = %s", typ, got)
		}
	}
}

// TestReadyOrdering: effects are split into Readys so that doing each one
// in the documented order never reorders what must stay ordered.
func TestReadyOrdering(t *testing.T) {
	mk := func() *Peer {
		p, err := New(Config{ID: 1, Voters: []uint64{1, 2, 3}}, Durable{})
		if err != nil {
			t.Fatal(err)
		}
		for p.HasReady() { // the election's notifications
			p.Ready()
			p.Advance()
		}
		return p
	}
	e := func(zx int64) Entry { return Entry{Zxid: zx, Txn: []byte{1}} }
	cases := []struct {
		name   string
		do     func(p *Peer)
		stages int
	}{
		{"append, commit, message share a Ready", func(p *Peer) {
			p.appendLog(e(1))
			p.applyPendingHead(1)
			p.send(Message{Type: jute.PacketAck, To: 2})
		}, 1},
		{"truncate after an append waits", func(p *Peer) { p.appendLog(e(1)); p.truncate(0) }, 2},
		{"snapshot load after a message waits", func(p *Peer) { p.send(Message{To: 2}); p.loadSnapshot(5, nil) }, 2},
		{"commit after a snapshot request waits", func(p *Peer) { p.takeSnapshot(false); p.appendLog(e(1)); p.applyPendingHead(1) }, 2},
		{"commit after a SNAP message waits", func(p *Peer) {
			p.send(Message{Type: jute.PacketSnap, To: 2})
			p.appendLog(e(1))
			p.applyPendingHead(1)
		}, 2},
		{"commit after lastProcessed waits", func(p *Peer) { p.setProcessed(z(1, 0)); p.appendLog(e(z(1, 1))); p.applyPendingHead(z(1, 1)) }, 2},
		{"append after currentEpoch waits", func(p *Peer) { p.saveCurrentEpoch(0); p.appendLog(e(1)) }, 2},
		{"currentEpoch after an append waits", func(p *Peer) { p.appendLog(e(1)); p.saveCurrentEpoch(0) }, 2},
		{"epochs before messages in one Ready", func(p *Peer) { p.send(Message{To: 2}); p.saveAcceptedEpoch(1) }, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mk()
			tc.do(p)
			if len(p.stages) != tc.stages {
				t.Fatalf("%d Readys, want %d: %+v", len(p.stages), tc.stages, p.stages)
			}
		})
	}
	// A Ready handed out is frozen: what comes later waits for Advance.
	p := mk()
	p.send(Message{To: 2, Type: jute.PacketPing})
	rd := p.Ready()
	p.send(Message{To: 3, Type: jute.PacketPing})
	if again := p.Ready(); len(again.Messages) != 1 || len(rd.Messages) != 1 {
		t.Fatalf("handed-out Ready changed: %+v", again)
	}
	p.Advance()
	if rd := p.Ready(); len(rd.Messages) != 1 || rd.Messages[0].To != 3 {
		t.Fatalf("second Ready %+v", rd)
	}
	p.Advance()
	if p.HasReady() {
		t.Fatal("still has Ready")
	}
	if rd := p.Ready(); rd.Role != RoleLooking || len(rd.Messages) != 0 {
		t.Fatalf("empty Ready %+v", rd)
	}
}
