package quorum

import (
	"testing"
	"zkbench/engine/jute"
)

// BenchmarkBroadcast: one proposal through a 3-voter ensemble in the
// simulated harness — Propose, the leader's Append, PROPOSAL to both
// followers, their Append and Logged, ACKs, the leader's own Logged,
// commit, COMMITs and every member's apply. Safety checks are off; the
// harness' own bookkeeping is included, so this is an upper bound for the
// state machine's cost per write.
func BenchmarkBroadcast(b *testing.B) {
	for _, batch := range []int{1, 16} {
		name := "one-at-a-time"
		if batch > 1 {
			name = "batch16"
		}
		b.Run(name, func(b *testing.B) {
			s := newSim(b, 1, []uint64{1, 2, 3}, nil, nil)
			s.checks = false
			s.startAll()
			l := s.awaitStable(200)
			txn := make([]byte, 100)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				for range min(batch, b.N-i) {
					if _, err := l.p.Propose(txn); err != nil {
						b.Fatal(err)
					}
				}
				s.drain(l)
				s.settle()
				// Trees are modelled as slices; keep memory flat.
				if len(l.tree) > 1<<14 {
					for _, n := range s.nodes {
						n.tree = n.tree[:0]
						n.log = n.log[:0]
						n.durableN = 0
					}
				}
			}
			b.StopTimer()
			if got := l.p.Status().LastCommittedZxid & 0xffffffff; got != int64(b.N) {
				b.Fatalf("committed %d of %d", got, b.N)
			}
		})
	}
}

// BenchmarkPeerPropose measures the leader's state machine alone: Propose,
// Ready/Advance, its own Logged and two follower ACKs per txn.
func BenchmarkPeerPropose(b *testing.B) {
	s := newSim(b, 1, []uint64{1, 2, 3}, nil, nil)
	s.checks = false
	s.startAll()
	l := s.awaitStable(200)
	p := l.p
	conns := map[uint64]uint64{}
	for _, h := range p.ld.handlers {
		conns[h.id] = h.conn
	}
	txn := make([]byte, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		z, err := p.Propose(txn)
		if err != nil {
			b.Fatal(err)
		}
		for p.HasReady() {
			p.Ready()
			p.Advance()
		}
		p.Logged(z)
		for id, c := range conns {
			if err := p.Step(Message{Type: jute.PacketAck, From: id, To: l.id, Conn: c, Zxid: z}); err != nil {
				b.Fatal(err)
			}
		}
		for p.HasReady() {
			p.Ready()
			p.Advance()
		}
	}
}
