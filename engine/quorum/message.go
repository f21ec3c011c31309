package quorum

import (
	"encoding/binary"
	"fmt"
	"math"

	"zkbench/engine/jute"
)

// Message types that are not quorum packets.
const (
	// MsgNotification is a FastLeaderElection notification; Data is
	// Notification.Encode. In ZooKeeper it travels on the election
	// connections (QuorumCnxManager), not on a learner connection.
	MsgNotification int32 = -1
	// MsgDisconnect says the sender closed learner connection Conn (a TCP
	// close): the receiver treats it like a broken link to the sender.
	MsgDisconnect int32 = -2
	// MsgLinkDown is injected by the runtime: the link to From broke (its
	// connection reset, the member is unreachable). Conn is ignored.
	MsgLinkDown int32 = -3
)

// ProtocolVersion is what LEADERINFO and jute.LearnerInfo carry (Zab 1.0).
const ProtocolVersion = jute.LearnerProtocolVersion

// PacketName returns ZooKeeper's name for a message type.
func PacketName(t int32) string {
	switch t {
	case MsgNotification:
		return "NOTIFICATION"
	case MsgDisconnect:
		return "DISCONNECT"
	case MsgLinkDown:
		return "LINKDOWN"
	}
	return jute.PacketName(t)
}

// Message is one unit of traffic between members. Messages to the same
// destination must be delivered in the order they appear in Ready.Messages
// (per-destination FIFO, as TCP gives ZooKeeper).
type Message struct {
	Type     int32
	From, To uint64
	// Conn identifies the learner connection a quorum packet belongs to. A
	// learner picks a fresh value each time it connects to a leader; both
	// sides drop packets of other connections, as packets of a closed TCP
	// connection never reach the new one. Zero for notifications.
	Conn uint64
	Zxid int64
	// Data is the packet payload. For a SNAP the Peer leaves Data nil and
	// the runtime fills it with a serialized snapshot of its data tree as
	// it is when the message is sent (after applying this Ready's Commit);
	// for a PING the runtime may add its session touch table.
	Data []byte
	// Auth is a REQUEST's QuorumPacket.authinfo: the ids of the client
	// connection the request came from, for the leader's ACL checks.
	Auth []jute.ID
}

func (m Message) String() string {
	return fmt.Sprintf("%s %d→%d zxid=0x%x conn=%d len=%d", PacketName(m.Type), m.From, m.To, m.Zxid, m.Conn, len(m.Data))
}

// Entry is one transaction: its zxid and its jute encoding as a log entry
// (TxnHeader, body and TxnDigest), which is also a PROPOSAL's data.
type Entry struct {
	Zxid int64
	Txn  []byte
}

// Request is a client write a learner forwarded to the leader (REQUEST);
// the leader's request pipeline prepares it and calls Propose.
type Request struct {
	From uint64
	Data []byte
	Auth []jute.ID // the client connection's authenticated ids
}

// Notification is a FastLeaderElection message.
type Notification struct {
	State         Role  // the sender's state
	Leader        int64 // proposed (or followed) leader's server id
	Zxid          int64 // proposed leader's last zxid
	ElectionEpoch int64 // the sender's logical clock (election round)
	PeerEpoch     int64 // proposed leader's currentEpoch
	Version       int32 // message format version, 2 since 3.5
	Config        []byte
}

// NotificationVersion is the format this package sends (with config).
const NotificationVersion = 2

// Encode appends the wire form FastLeaderElection.buildMsg produces:
// state int, leader long, zxid long, electionEpoch long, peerEpoch long,
// version int, config length int, config bytes; big-endian.
func (n *Notification) Encode(buf []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(n.State))
	buf = binary.BigEndian.AppendUint64(buf, uint64(n.Leader))
	buf = binary.BigEndian.AppendUint64(buf, uint64(n.Zxid))
	buf = binary.BigEndian.AppendUint64(buf, uint64(n.ElectionEpoch))
	buf = binary.BigEndian.AppendUint64(buf, uint64(n.PeerEpoch))
	buf = binary.BigEndian.AppendUint32(buf, uint32(n.Version))
	if n.Version > 1 {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(n.Config)))
		buf = append(buf, n.Config...)
	}
	return buf
}

// DecodeNotification parses a notification the way WorkerReceiver does,
// including the old 28-byte (no peer epoch) and 40-byte (no version) forms.
func DecodeNotification(b []byte) (Notification, error) {
	var n Notification
	if len(b) < 28 {
		return n, fmt.Errorf("%w: notification of %d bytes", ErrMalformed, len(b))
	}
	st := int32(binary.BigEndian.Uint32(b))
	if st < int32(RoleLooking) || st > int32(RoleObserving) {
		return n, fmt.Errorf("%w: notification state %d", ErrMalformed, st)
	}
	n.State = Role(st)
	n.Leader = int64(binary.BigEndian.Uint64(b[4:]))
	n.Zxid = int64(binary.BigEndian.Uint64(b[12:]))
	n.ElectionEpoch = int64(binary.BigEndian.Uint64(b[20:]))
	if len(b) == 28 {
		n.PeerEpoch = n.Zxid >> 32 // ZxidUtils.getEpochFromZxid: arithmetic shift
		return n, nil
	}
	if len(b) < 36 {
		return n, fmt.Errorf("%w: notification of %d bytes", ErrMalformed, len(b))
	}
	n.PeerEpoch = int64(binary.BigEndian.Uint64(b[28:]))
	if len(b) == 40 {
		return n, nil
	}
	if len(b) < 40 {
		return n, fmt.Errorf("%w: notification of %d bytes", ErrMalformed, len(b))
	}
	n.Version = int32(binary.BigEndian.Uint32(b[36:]))
	if n.Version > 1 {
		if len(b) < 44 {
			return n, fmt.Errorf("%w: notification of %d bytes without config length", ErrMalformed, len(b))
		}
		cl := int32(binary.BigEndian.Uint32(b[40:]))
		if cl < 0 || int(cl) > len(b)-44 {
			return n, fmt.Errorf("%w: notification config length %d in %d bytes", ErrMalformed, cl, len(b))
		}
		if cl > 0 {
			n.Config = append([]byte(nil), b[44:44+cl]...)
		}
	}
	return n, nil
}

// encodeLearnerInfo returns li's jute encoding (long, int, long).
func encodeLearnerInfo(li jute.LearnerInfo) []byte {
	w := jute.NewWriter(nil)
	li.Encode(w)
	return w.Bytes()
}

// DecodeLearnerInfo parses a jute.LearnerInfo; older learners send only the sid.
func DecodeLearnerInfo(b []byte) (jute.LearnerInfo, error) {
	var li jute.LearnerInfo
	if len(b) < 8 {
		return li, fmt.Errorf("%w: jute.LearnerInfo of %d bytes", ErrMalformed, len(b))
	}
	li.ServerID = int64(binary.BigEndian.Uint64(b))
	if len(b) >= 12 {
		li.ProtocolVersion = int32(binary.BigEndian.Uint32(b[8:]))
	}
	if len(b) >= 20 {
		li.ConfigVersion = int64(binary.BigEndian.Uint64(b[12:]))
	}
	return li, nil
}

func int32Bytes(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

func readInt32(b []byte) (int32, bool) {
	if len(b) < 4 {
		return 0, false
	}
	return int32(binary.BigEndian.Uint32(b)), true
}

// noLeader is the vote of an observer (Long.MIN_VALUE in ZooKeeper).
const noLeader = uint64(1) << 63

const minInt64 = math.MinInt64

func epochOf(zxid int64) int64            { return int64(uint64(zxid) >> 32) }
func makeZxid(epoch, counter int64) int64 { return epoch<<32 | (counter & 0xffffffff) }
