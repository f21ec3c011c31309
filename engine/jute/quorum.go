package jute

import "strconv"

// This file holds the peer protocol of zookeeper.jute 3.8
// (org.apache.zookeeper.server.quorum): what a leader and its learners
// exchange once election is over. Every message is one QuorumPacket.

// QuorumPacket types (Leader.java).
const (
	PacketRequest           int32 = 1  // learner → leader: a client write (sessionId, cxid, type, request)
	PacketProposal          int32 = 2  // leader → follower: txn entry (header+body+digest)
	PacketAck               int32 = 3  // follower → leader: zxid logged (also NEWLEADER/UPTODATE acks)
	PacketCommit            int32 = 4  // leader → follower: zxid committed
	PacketPing              int32 = 5  // both ways; the learner echoes the leader's zxid
	PacketRevalidate        int32 = 6  // session revalidation (runtime's business)
	PacketSync              int32 = 7  // reply to a forwarded sync (runtime's business)
	PacketInform            int32 = 8  // leader → observer: committed txn entry
	PacketCommitAndActivate int32 = 9  // a reconfig's COMMIT: data = the designated leader (int64)
	PacketNewLeader         int32 = 10 // leader → learner: end of sync data, zxid = newEpoch<<32
	PacketFollowerInfo      int32 = 11 // follower → leader: zxid = acceptedEpoch<<32, data = LearnerInfo
	PacketUpToDate          int32 = 12 // leader → learner: a quorum is synced, start serving
	PacketDiff              int32 = 13 // sync: PROPOSAL/COMMIT pairs follow
	PacketTrunc             int32 = 14 // sync: truncate to zxid, then pairs may follow
	PacketSnap              int32 = 15 // sync: a snapshot of the leader's tree follows (in Data)
	PacketObserverInfo      int32 = 16 // observer → leader, as FOLLOWERINFO
	PacketLeaderInfo        int32 = 17 // leader → learner: zxid = newEpoch<<32, data = protocol version
	PacketAckEpoch          int32 = 18 // learner → leader: zxid = last zxid, data = currentEpoch (int) or -1
	PacketInformAndActivate int32 = 19 // a reconfig's INFORM: data = designated leader (int64), then the txn
)

// PacketName returns the name ZooKeeper's Leader.getPacketType gives a
// QuorumPacket type.
func PacketName(t int32) string {
	switch t {
	case PacketRequest:
		return "REQUEST"
	case PacketProposal:
		return "PROPOSAL"
	case PacketAck:
		return "ACK"
	case PacketCommit:
		return "COMMIT"
	case PacketPing:
		return "PING"
	case PacketRevalidate:
		return "REVALIDATE"
	case PacketSync:
		return "SYNC"
	case PacketInform:
		return "INFORM"
	case PacketCommitAndActivate:
		return "COMMITANDACTIVATE"
	case PacketNewLeader:
		return "NEWLEADER"
	case PacketFollowerInfo:
		return "FOLLOWERINFO"
	case PacketUpToDate:
		return "UPTODATE"
	case PacketDiff:
		return "DIFF"
	case PacketTrunc:
		return "TRUNC"
	case PacketSnap:
		return "SNAP"
	case PacketObserverInfo:
		return "OBSERVERINFO"
	case PacketLeaderInfo:
		return "LEADERINFO"
	case PacketAckEpoch:
		return "ACKEPOCH"
	case PacketInformAndActivate:
		return "INFORMANDACTIVATE"
	}
	return "UNKNOWN" + strconv.Itoa(int(t))
}

// EncodeIDs writes a vector<Id>; nil is written as a null vector.
func EncodeIDs(w *Writer, ids []ID) {
	if ids == nil {
		w.Int(-1)
		return
	}
	w.Int(int32(len(ids)))
	for _, id := range ids {
		w.String(id.Scheme)
		w.String(id.ID)
	}
}

// DecodeIDs reads a vector<Id>; null reads as nil, empty as a non-nil empty
// slice.
func DecodeIDs(r *Reader) []ID {
	n, null := r.Count()
	if null || r.Err() != nil {
		return nil
	}
	ids := make([]ID, n)
	for i := range ids {
		ids[i].Scheme = r.String()
		ids[i].ID = r.String()
	}
	return ids
}

// QuorumPacket is every message between leader and learners. Data depends
// on Type; AuthInfo is only set on REQUEST packets (the client session's
// authenticated ids, which the leader's ACL checks need) and is null
// elsewhere.
type QuorumPacket struct {
	Type     int32
	Zxid     int64
	Data     []byte
	AuthInfo []ID
}

func (p *QuorumPacket) Encode(w *Writer) {
	w.Int(p.Type)
	w.Long(p.Zxid)
	w.Buffer(p.Data)
	EncodeIDs(w, p.AuthInfo)
}

func (p *QuorumPacket) Decode(r *Reader) {
	p.Type = r.Int()
	p.Zxid = r.Long()
	p.Data = r.BufferCopy()
	p.AuthInfo = DecodeIDs(r)
}

// LearnerProtocolVersion is the protocolVersion a 3.8 learner puts in its
// LearnerInfo (and a 3.8 leader in LEADERINFO).
const LearnerProtocolVersion int32 = 0x10000

// LearnerInfo is the Data of FOLLOWERINFO and OBSERVERINFO.
type LearnerInfo struct {
	ServerID        int64
	ProtocolVersion int32
	ConfigVersion   int64
}

func (l *LearnerInfo) Encode(w *Writer) {
	w.Long(l.ServerID)
	w.Int(l.ProtocolVersion)
	w.Long(l.ConfigVersion)
}

func (l *LearnerInfo) Decode(r *Reader) {
	l.ServerID = r.Long()
	l.ProtocolVersion = r.Int()
	l.ConfigVersion = r.Long()
}

// LearnerRequest is the Data of a REQUEST packet as Learner.request writes
// it: not a jute record but raw DataOutput fields — session id, cxid, op
// type — followed by the client's request body bytes with no length prefix
// (the rest of the buffer). Request aliases nothing after Decode; an empty
// body decodes as nil.
type LearnerRequest struct {
	SessionID int64
	Cxid      int32
	Type      int32
	Request   []byte
}

func (l *LearnerRequest) Encode(w *Writer) {
	w.Long(l.SessionID)
	w.Int(l.Cxid)
	w.Int(l.Type)
	w.buf = append(w.buf, l.Request...)
}

func (l *LearnerRequest) Decode(r *Reader) {
	l.SessionID = r.Long()
	l.Cxid = r.Int()
	l.Type = r.Int()
	l.Request = nil
	if rest := r.take(r.Remaining()); len(rest) > 0 {
		l.Request = append([]byte(nil), rest...)
	}
}
