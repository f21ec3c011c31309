package engine

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/engine/fourletter"
)

// serverStats is one member's ZooKeeper ServerStats and the metrics the
// four-letter words report of it: request latencies (all, reads,
// updates), packets, response and proposal sizes and the txn log's
// syncs. Its memory is fixed: summaries and two small histograms, never
// a series over time, so a member serving for days holds no more than
// one serving for seconds. srst resets it; a restart starts it again,
// as a restarted ZooKeeper server does.
type serverStats struct {
	mu          sync.Mutex
	start       time.Time // the member's start, for zk_uptime
	leading     time.Time // when it began to lead; zero otherwise
	requests    fourletter.Summary
	reads       fourletter.Summary
	updates     fourletter.Summary
	fsync       fourletter.Summary
	readHist    *hdrhistogram.Histogram // for the percentiles, ms
	updateHist  *hdrhistogram.Histogram
	received    int64
	sent        int64
	outstanding int64
	authFailed  int64
	responses   fourletter.Sizes
	proposals   fourletter.Sizes
}

// Latency histograms of the words: ms from 0 to an hour, two significant
// digits (a percentile within 1%, ~20 KiB each).
const statsHighestMs = 3_600_000

func newServerStats(start time.Time) *serverStats {
	s := &serverStats{start: start}
	s.reset()
	return s
}

// reset is srst (ServerStats.reset and the metrics' resetAll).
func (s *serverStats) reset() {
	s.requests, s.reads, s.updates, s.fsync = fourletter.Summary{}, fourletter.Summary{}, fourletter.Summary{}, fourletter.Summary{}
	s.readHist = hdrhistogram.New(1, statsHighestMs, 2)
	s.updateHist = hdrhistogram.New(1, statsHighestMs, 2)
	s.received, s.sent, s.authFailed = 0, 0, 0
	s.responses, s.proposals = fourletter.NoSizes, fourletter.NoSizes
}

// restart starts the stats again for a member restarted at start.
func (s *serverStats) restart(start time.Time) {
	defer s.lock()()
	s.reset()
	s.start, s.leading = start, time.Time{}
}

func (s *serverStats) lock() func() { s.mu.Lock(); return s.mu.Unlock }

// packetIn counts a packet received and, for a request, one outstanding.
func (s *serverStats) packetIn(request bool) {
	defer s.lock()()
	s.received++
	if request {
		s.outstanding++
	}
}

// answered records a request answered after d: one response of size
// bytes sent, one outstanding fewer.
func (s *serverStats) answered(d time.Duration, read bool, size int) {
	ms := d.Milliseconds()
	defer s.lock()()
	s.outstanding--
	s.sent++
	s.responses.Add(int64(size))
	s.requests.Add(ms)
	if read {
		s.reads.Add(ms)
		s.readHist.RecordValue(min(ms, statsHighestMs))
	} else {
		s.updates.Add(ms)
		s.updateHist.RecordValue(min(ms, statsHighestMs))
	}
}

// dropped is a request that got no answer (its connection broke).
func (s *serverStats) dropped() {
	defer s.lock()()
	s.outstanding--
}

// packetOut counts a packet sent that answers no request (a
// notification, a connect response).
func (s *serverStats) packetOut() {
	defer s.lock()()
	s.sent++
}

func (s *serverStats) authFailure() {
	defer s.lock()()
	s.authFailed++
}

func (s *serverStats) synced(d time.Duration) {
	defer s.lock()()
	s.fsync.Add(d.Milliseconds())
}

func (s *serverStats) proposed(size int) {
	defer s.lock()()
	s.proposals.Add(int64(size))
}

func (s *serverStats) setLeading(since time.Time) {
	defer s.lock()()
	s.leading = since
}

// fill copies the figures into f.
func (s *serverStats) fill(f *fourletter.Figures, now time.Time) {
	defer s.lock()()
	f.Requests, f.Fsync = s.requests, s.fsync
	f.Reads, f.Updates = withPercentiles(s.reads, s.readHist), withPercentiles(s.updates, s.updateHist)
	f.Received, f.Sent, f.Outstanding, f.AuthFailed = s.received, s.sent, max(s.outstanding, 0), s.authFailed
	f.ResponseSizes = s.responses
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
