package engine

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/engine/fourletter"
)

// serverStats is one member's ZooKeeper ServerStats and the metrics the
// four-letter words report of it: request latencies (all, reads,
// updates), packets, response and proposal sizes and the txn log's
// syncs. Its memory is fixed: summaries and small histograms, never a
// series over time, so a member serving for days holds no more than one
// serving for seconds. srst resets it; a restart starts it again, as a
// restarted ZooKeeper server does.
//
// Every request of every connection passes through it, so the counters
// are atomic and the latencies are kept in shards, a connection always
// using the same one: one lock shared by all of a member's connections
// cost a fifth of a read-heavy run's throughput.
type serverStats struct {
	received, sent, outstanding, authFailed atomic.Int64
	lastResponse                            atomic.Int64 // bytes; -1 before the first
	shards                                  [statsShards]latencyShard

	mu        sync.Mutex // the rest
	start     time.Time  // the member's start, for zk_uptime
	leading   time.Time  // when it began to lead; zero otherwise
	fsync     fourletter.Summary
	proposals fourletter.Sizes
}

// statsShards is how many latency shards a member keeps (~40 KiB each).
const statsShards = 8

// latencyShard holds the latencies of the connections that use it.
type latencyShard struct {
	mu                   sync.Mutex
	requests             fourletter.Summary
	reads, updates       fourletter.Summary
	readHist, updateHist *hdrhistogram.Histogram // for the percentiles, ms
	responses            fourletter.Sizes        // min and max; last is lastResponse
	_                    [64]byte                // keep shards' locks off one cache line
}

// Latency histograms of the words: ms from 0 to an hour, two significant
// digits (a percentile within 1%).
const statsHighestMs = 3_600_000

var statsShard atomic.Uint32 // the shard the next connection uses

func newServerStats(start time.Time) *serverStats {
	s := &serverStats{start: start}
	s.reset()
	return s
}

// reset is srst (ServerStats.reset and the metrics' resetAll).
func (s *serverStats) reset() {
	s.received.Store(0)
	s.sent.Store(0)
	s.authFailed.Store(0)
	s.lastResponse.Store(-1)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.requests, sh.reads, sh.updates = fourletter.Summary{}, fourletter.Summary{}, fourletter.Summary{}
		sh.readHist = hdrhistogram.New(1, statsHighestMs, 2)
		sh.updateHist = hdrhistogram.New(1, statsHighestMs, 2)
		sh.responses = fourletter.NoSizes
		sh.mu.Unlock()
	}
	s.mu.Lock()
	s.fsync, s.proposals = fourletter.Summary{}, fourletter.NoSizes
	s.mu.Unlock()
}

// restart starts the stats again for a member restarted at start.
func (s *serverStats) restart(start time.Time) {
	s.reset()
	s.outstanding.Store(0)
	s.mu.Lock()
	s.start, s.leading = start, time.Time{}
	s.mu.Unlock()
}

// shard picks the latency shard of a new connection.
func (s *serverStats) shard() *latencyShard {
	return &s.shards[statsShard.Add(1)%statsShards]
}

// packetIn counts a packet received and, for a request, one outstanding.
func (s *serverStats) packetIn(request bool) {
	s.received.Add(1)
	if request {
		s.outstanding.Add(1)
	}
}

// answered records a request answered after d: one response of size
// bytes sent, one outstanding fewer.
func (s *serverStats) answered(sh *latencyShard, d time.Duration, read bool, size int) {
	s.outstanding.Add(-1)
	s.sent.Add(1)
	s.lastResponse.Store(int64(size))
	ms := d.Milliseconds()
	sh.mu.Lock()
	sh.responses.Add(int64(size))
	sh.requests.Add(ms)
	if read {
		sh.reads.Add(ms)
		sh.readHist.RecordValue(min(ms, statsHighestMs))
	} else {
		sh.updates.Add(ms)
		sh.updateHist.RecordValue(min(ms, statsHighestMs))
	}
	sh.mu.Unlock()
}

// dropped is a request that got no answer (its connection broke).
func (s *serverStats) dropped() { s.outstanding.Add(-1) }

// packetOut counts a packet sent that answers no request (a
// notification, a connect response).
func (s *serverStats) packetOut() { s.sent.Add(1) }

func (s *serverStats) authFailure() { s.authFailed.Add(1) }

func (s *serverStats) synced(d time.Duration) {
	s.mu.Lock()
	s.fsync.Add(d.Milliseconds())
	s.mu.Unlock()
}

func (s *serverStats) proposed(size int) {
	s.mu.Lock()
	s.proposals.Add(int64(size))
	s.mu.Unlock()
}

func (s *serverStats) setLeading(since time.Time) {
	s.mu.Lock()
	s.leading = since
	s.mu.Unlock()
}

// fill copies the figures into f.
func (s *serverStats) fill(f *fourletter.Figures, now time.Time) {
	f.Received, f.Sent, f.AuthFailed = s.received.Load(), s.sent.Load(), s.authFailed.Load()
	f.Outstanding = max(s.outstanding.Load(), 0)
	readHist, updateHist := hdrhistogram.New(1, statsHighestMs, 2), hdrhistogram.New(1, statsHighestMs, 2)
	f.ResponseSizes = fourletter.NoSizes
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		f.Requests.Merge(sh.requests)
		f.Reads.Merge(sh.reads)
		f.Updates.Merge(sh.updates)
		readHist.Merge(sh.readHist)
		updateHist.Merge(sh.updateHist)
		f.ResponseSizes.Merge(sh.responses)
		sh.mu.Unlock()
	}
	f.ResponseSizes.Last = s.lastResponse.Load()
	f.Reads, f.Updates = withPercentiles(f.Reads, readHist), withPercentiles(f.Updates, updateHist)
	s.mu.Lock()
	defer s.mu.Unlock()
	f.Fsync = s.fsync
	f.UptimeMs = now.Sub(s.start).Milliseconds()
	if f.Leader != nil {
		f.Leader.Proposals = s.proposals
		if !s.leading.IsZero() {
			f.Leader.UptimeMs = now.Sub(s.leading).Milliseconds()
		}
	}
}

func withPercentiles(s fourletter.Summary, h *hdrhistogram.Histogram) fourletter.Summary {
	s.HasPercentiles = true
	s.P50, s.P95, s.P99, s.P999 = h.ValueAtQuantile(50), h.ValueAtQuantile(95), h.ValueAtQuantile(99), h.ValueAtQuantile(99.9)
	return s
}
