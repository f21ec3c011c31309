package jute

import (
	"bytes"
	"reflect"
	"testing"
)

func TestQuorumGoldenEncodings(t *testing.T) {
	// The body of the forwarded request: DeleteRequest{"/a", -1}.
	del := encode(&DeleteRequest{Path: "/a", Version: -1})
	fwd := &LearnerRequest{SessionID: 0x200000b0c0d0001, Cxid: 5, Type: OpDelete, Request: del}
	tests := []struct {
		name string
		rec  Record
		hex  string
	}{
		{"LearnerInfo", &LearnerInfo{ServerID: 2, ProtocolVersion: LearnerProtocolVersion, ConfigVersion: 0x100000000}, `
			0000000000000002 # serverid
			00010000         # protocolVersion 0x10000
			0000000100000000 # configVersion
		`},
		{"LearnerRequest", fwd, `
			0200000b0c0d0001 # sessionId (DataOutput.writeLong)
			00000005         # cxid
			00000002         # type delete
			00000002 2f61 ffffffff # the request bytes, no length prefix
		`},
		{"QuorumPacket REQUEST", &QuorumPacket{Type: PacketRequest, Zxid: -1, Data: encode(fwd), AuthInfo: []ID{{"ip", "127.0.0.1"}, {"digest", "u:x"}}}, `
			00000001          # type REQUEST
			ffffffffffffffff  # zxid -1
			0000001a 0200000b0c0d0001 00000005 00000002 00000002 2f61 ffffffff # data: 26 bytes
			00000002          # authinfo
			00000002 6970 00000009 3132372e302e302e31
			00000006 646967657374 00000003 753a78
		`},
		{"QuorumPacket ACK null data", &QuorumPacket{Type: PacketAck, Zxid: 0x100000001}, `
			00000003 0000000100000001 ffffffff ffffffff
		`},
		{"QuorumPacket UPTODATE empty", &QuorumPacket{Type: PacketUpToDate, Zxid: 0x200000000, Data: []byte{}, AuthInfo: []ID{}}, `
			0000000c 0000000200000000 00000000 00000000
		`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.hex)
			if got := encode(tt.rec); !bytes.Equal(got, want) {
				t.Fatalf("encoding\n got %x\nwant %x", got, want)
			}
			back := reflect.New(reflect.TypeOf(tt.rec).Elem()).Interface().(Record)
			if err := DecodeRecord(want, back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.rec) {
				t.Errorf("decoded %+v, want %+v", back, tt.rec)
			}
		})
	}
}

// A PROPOSAL carries a whole log entry; the leader's bytes become the
// follower's log record unchanged.
func TestProposalCarriesLogEntry(t *testing.T) {
	txn := &Txn{
		Header: TxnHeader{ClientID: 1, Cxid: 2, Zxid: 0x100000003, Time: 4, Type: OpSetData},
		Body:   &SetDataTxn{Path: "/a", Data: []byte("v"), Version: 1},
		Digest: &TxnDigest{Version: DigestVersion, TreeDigest: 99},
	}
	w := NewWriter(nil)
	txn.Encode(w)
	entry := w.Bytes()
	pkt := encode(&QuorumPacket{Type: PacketProposal, Zxid: txn.Header.Zxid, Data: entry})
	var back QuorumPacket
	if err := DecodeRecord(pkt, &back); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeTxn(back.Data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, txn) || back.AuthInfo != nil {
		t.Errorf("proposal carried %+v", got)
	}
}

func TestLearnerRequestWithoutBody(t *testing.T) {
	// A forwarded closeSession has no request bytes at all.
	b := encode(&LearnerRequest{SessionID: 9, Cxid: 3, Type: OpCloseSession})
	if len(b) != 16 {
		t.Fatalf("len = %d", len(b))
	}
	var l LearnerRequest
	if err := DecodeRecord(b, &l); err != nil || l.Request != nil || l.SessionID != 9 || l.Type != OpCloseSession {
		t.Errorf("decoded %+v, %v", l, err)
	}
	if err := DecodeRecord(b[:15], &l); err == nil {
		t.Error("short LearnerRequest decoded")
	}
}

func TestPacketName(t *testing.T) {
	for typ, want := range map[int32]string{
		PacketRequest: "REQUEST", PacketCommitAndActivate: "COMMITANDACTIVATE",
		PacketLeaderInfo: "LEADERINFO", PacketInformAndActivate: "INFORMANDACTIVATE", 0: "UNKNOWN0",
	} {
		if got := PacketName(typ); got != want {
			t.Errorf("PacketName(%d) = %q, want %q", typ, got, want)
		}
	}
}
