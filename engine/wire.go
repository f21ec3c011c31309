package engine

import (
	"encoding/binary"
	"fmt"

	"zkbench/engine/jute"
	"zkbench/engine/quorum"
)

// A peer frame is one quorum.Message on the wire. ZooKeeper has two kinds
// of connections between members: election connections carrying
// notifications, and learner connections carrying jute QuorumPackets. A
// frame's first byte says which; a learner connection's frames then carry
// the connection id (a TCP connection's identity) and the jute-encoded
// QuorumPacket, so an in-process ensemble pays the same encoding costs a
// real one does.
const (
	frameNotification byte = 'N'
	framePacket       byte = 'Q'
	frameDisconnect   byte = 'D' // the sender closed learner connection Conn
)

// encodeFrame returns m's frame, reusing buf's memory.
func encodeFrame(buf []byte, m *quorum.Message) []byte {
	switch m.Type {
	case quorum.MsgNotification:
		return append(append(buf[:0], frameNotification), m.Data...)
	case quorum.MsgDisconnect:
		return binary.BigEndian.AppendUint64(append(buf[:0], frameDisconnect), m.Conn)
	}
	w := jute.NewWriter(buf) // (writes from buf[:0])
	w.Byte(framePacket)
	w.Long(int64(m.Conn))
	qp := jute.QuorumPacket{Type: m.Type, Zxid: m.Zxid, Data: m.Data, AuthInfo: m.Auth}
	qp.Encode(w)
	return w.Bytes()
}

// decodeFrame turns a frame from member from, addressed to member to,
// back into a Message.
func decodeFrame(from, to uint64, f []byte) (quorum.Message, error) {
	m := quorum.Message{From: from, To: to}
	if len(f) == 0 {
		return m, fmt.Errorf("empty frame from %d", from)
	}
	switch f[0] {
	case frameNotification:
		m.Type, m.Data = quorum.MsgNotification, f[1:]
		return m, nil
	case frameDisconnect, framePacket:
		if len(f) < 9 {
			return m, fmt.Errorf("frame from %d: %d bytes, too short", from, len(f))
		}
		m.Conn = binary.BigEndian.Uint64(f[1:9])
		if f[0] == frameDisconnect {
			m.Type = quorum.MsgDisconnect
			return m, nil
		}
		// jute.QuorumPacket.Decode, except that Data aliases the frame
		// rather than being copied out of it: the frame is ours
		// (transport.Envelope.Frame belongs to the receiver) and nothing
		// writes to it, so the copy of every proposal and forwarded
		// request the decode made was pure cost (a third of the bytes a
		// write allocated). A Data the Peer keeps (a proposal in the
		// committed window) keeps the frame alive: its ~30 header bytes.
		r := jute.NewReader(f[9:])
		m.Type, m.Zxid = r.Int(), r.Long()
		if m.Type == jute.PacketSnap && r.Err() == nil {
			// ZooKeeper streams the snapshot after the SNAP packet, so no
			// jute.maxbuffer limits it; here it rides in Data, and a tree
			// of a few MB would fail the Buffer length check: the learner
			// would drop the connection and ask for a SNAP again, forever.
			m.Data, r = snapData(f[9+12:])
		} else {
			m.Data = r.Buffer()
		}
		m.Auth = jute.DecodeIDs(r)
		if err := r.Err(); err != nil {
			return m, fmt.Errorf("quorum packet from %d: %w", from, err)
		}
		return m, nil
	}
	return m, fmt.Errorf("frame from %d: unknown kind 0x%02x", from, f[0])
}

// snapData reads a SNAP packet's Data (a jute buffer of any length) and
// returns a Reader over what follows it.
func snapData(b []byte) ([]byte, *jute.Reader) {
	if len(b) >= 4 {
		n := int64(int32(binary.BigEndian.Uint32(b)))
		if n == -1 {
			return nil, jute.NewReader(b[4:])
		}
		if n >= 0 && n <= int64(len(b)-4) {
			return b[4 : 4+n : 4+n], jute.NewReader(b[4+n:])
		}
	}
	r := jute.NewReader(b)
	return r.Buffer(), r // short or negative: let Buffer report it
}

// Session touches travel in a learner's PING reply as ZooKeeper's
// LearnerSessionTracker writes them: (sessionId long, timeout int) pairs.
func encodeTouches(touched map[int64]int32) []byte {
	if len(touched) == 0 {
		return nil
	}
	b := make([]byte, 0, 12*len(touched))
	for id, to := range touched {
		b = binary.BigEndian.AppendUint64(b, uint64(id))
		b = binary.BigEndian.AppendUint32(b, uint32(to))
	}
	return b
}

func decodeTouches(b []byte, fn func(id int64, timeout int32)) {
	for ; len(b) >= 12; b = b[12:] {
		fn(int64(binary.BigEndian.Uint64(b)), int32(binary.BigEndian.Uint32(b[8:])))
	}
}
