// Package transport is the seam over which the members of an ensemble
// exchange peer messages. A message is an opaque byte frame (a jute-encoded
// QuorumPacket or election notification, produced elsewhere); the transport
// neither parses nor reorders it.
//
// The contract is the one ZAB gets from TCP in ZooKeeper's quorum code, and
// nothing more:
//
//   - FIFO per link: the frames one peer sends another arrive complete and in
//     the order they were sent.
//   - No silent gaps: a frame is lost only when its connection breaks (or
//     never forms), and the loss is reported as an Envelope with Down set,
//     to the sender and to every end that had the connection. Frames the
//     peer sent before the break that were not delivered are gone; frames
//     after the Down travel on a new connection. A receiver therefore sees,
//     from each peer, runs of consecutive frames separated by Downs.
//   - Send never waits for a slow receiver. Each link has a bounded queue;
//     when it is full the connection gives up, as a TCP connection whose
//     peer stops reading eventually does.
//
// There is no retransmission across a break: ZAB recovers by re-electing and
// re-synchronising, exactly as it does over real sockets.
//
// Two networks implement the contract. InProc moves frames between
// goroutines, adds one-way latency, and injects faults (partitions,
// isolation, crashes) for tests and what-if runs. TCP uses real loopback
// sockets, framed the way ZooKeeper frames its quorum connections (a 4-byte
// big-endian length before each frame).
package transport

import (
	"errors"
	"sync/atomic"
	"time"
)

// Envelope is one thing received from a peer: a frame, or the news that the
// connection from that peer broke.
type Envelope struct {
	From uint64
	// Frame belongs to the receiver: the transport copied it on Send.
	Frame []byte
	// Down reports that the link from From broke. Frames From sent before
	// the break that were not delivered are lost; later frames start a new
	// connection. Frame is nil.
	Down bool
}

// Endpoint is one member's attachment to the network.
type Endpoint interface {
	ID() uint64
	// Send queues a copy of frame for peer to; the caller may reuse frame
	// when Send returns. Send does not wait for the receiver: when the
	// link's queue is full, or the link is down, the frame is dropped and
	// the drop is reported as Down envelopes, not as an error (a TCP write
	// that succeeds into a socket whose connection later dies looks the
	// same). Send returns ErrClosed after Close. Sending to one's own id
	// delivers to one's own Recv, as ZooKeeper's election does.
	Send(to uint64, frame []byte) error
	// Backlog is how many frames sent to peer to wait on this link for
	// the peer to take them (over TCP: to be written to the socket). A
	// sender with much to send at once paces itself by it and stays under
	// the queue bound, as a blocking socket write paces a ZooKeeper
	// LearnerHandler; 0 when there is no connection.
	Backlog(to uint64) int
	// Recv is the endpoint's single inbound channel, FIFO per sending peer.
	// It is closed by Close.
	Recv() <-chan Envelope
	// Close detaches the endpoint: its peers see Down, frames on the way to
	// it are lost, and the id may be registered again (a restart).
	Close() error
}

// Network hands out endpoints by member id.
type Network interface {
	// Endpoint attaches member id. It fails with ErrInUse while an endpoint
	// with that id is open, and with ErrClosed after Close.
	Endpoint(id uint64) (Endpoint, error)
	// Stats returns counters for every link that carried or dropped a frame.
	Stats() map[Link]LinkStats
	// Close closes every endpoint.
	Close() error
}

var (
	// ErrClosed is returned by operations on a closed endpoint or network.
	ErrClosed = errors.New("transport: closed")
	// ErrInUse is returned by Network.Endpoint for an id that is attached.
	ErrInUse = errors.New("transport: endpoint id in use")
)

// Defaults for zero option values.
const (
	// DefaultQueueLen bounds the frames queued on one link. ZooKeeper's
	// leader queues without bound per learner; a bound is what keeps a
	// stalled learner from eating the process, and 8192 frames is well above
	// what a healthy follower ever has in flight.
	DefaultQueueLen = 8192
	// DefaultRecvBuffer is the capacity of an endpoint's Recv channel.
	DefaultRecvBuffer = 1024
	// DefaultMaxFrame is the largest frame a TCP endpoint accepts.
	DefaultMaxFrame = 64 << 20
	// DefaultDialTimeout bounds a TCP connect plus handshake.
	DefaultDialTimeout = 2 * time.Second
)

// Link names the direction From→To.
type Link struct{ From, To uint64 }

// LinkStats counts what happened on one direction of a link.
type LinkStats struct {
	Frames  uint64 // frames handed to the receiver
	Bytes   uint64 // bytes of those frames
	Dropped uint64 // frames the sender sent that were lost: queue full, link down, in flight at a break
	Downs   uint64 // Down envelopes delivered to To about From
}

// counters are the live, lock-free form of LinkStats; they are bumped on
// the delivery path.
type counters struct {
	frames, bytes, dropped, downs atomic.Uint64
}

func (c *counters) delivered(n int) {
	c.frames.Add(1)
	c.bytes.Add(uint64(n))
}

func (c *counters) snapshot() LinkStats {
	return LinkStats{
		Frames:  c.frames.Load(),
		Bytes:   c.bytes.Load(),
		Dropped: c.dropped.Load(),
		Downs:   c.downs.Load(),
	}
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
