package workloads

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/hlog"
)

// meter records the latencies of the measured phase into one histogram per
// op and interval.
//
// Clients record into shards, one per CPU, not one each: a histogram of
// hlog's range and precision is 139 KiB, so a recorder per client would
// cost a thousand clients hundreds of megabytes before the first interval
// is over. Each shard has its own lock, so the clients of different
// shards do not contend, and holds only the current interval; when a value
// for a later interval arrives, the shard merges what it has into the run's
// series and starts over. Memory is then the series itself plus a
// histogram per shard and op. (An hlog.Recorder per shard would keep
// every interval of every shard until the end; the cut works the same way.)
//
// Times are offsets from start, the beginning of the measured phase.
type meter struct {
	start  time.Time
	every  time.Duration // an interval's length: hlog.RunInterval of the run but in tests
	shards []shard

	mu     sync.Mutex
	series [numOps][]*hdrhistogram.Histogram // [op][interval], nil where nothing was merged yet
	// The live figures up to interval liveSec, computed once per interval:
	// liveAll holds every complete interval, liveOps is liveSec's.
	liveSec int
	liveOps float64
	liveP99 time.Duration
	liveAll *hdrhistogram.Histogram
}

type shard struct {
	mu     sync.Mutex
	sec    int // the interval cur is for
	cur    [numOps]*hdrhistogram.Histogram
	count  int64 // values recorded
	errors int64
	kinds  [numOps]map[string]int64
	closed bool // finish has read the shard: a straggler's value is dropped
	// write latencies split by the driver's window test (SplitWrites)
	inside, outside *hdrhistogram.Histogram
	_               [64]byte // keeps neighbouring shards' locks off one cache line
}

func newMeter(start time.Time, shards int, interval time.Duration) *meter {
	return &meter{start: start, every: interval, shards: make([]shard, shards), liveSec: -1}
}

// shard returns client's shard.
func (m *meter) shard(client int) *shard { return &m.shards[client%len(m.shards)] }

// intervalOf is the measured interval that holds t.
func (m *meter) intervalOf(t time.Duration) int {
	return max(0, int(t/m.every))
}

// record records an op that ended at end after d, or its error: errors
// are counted by kind, not timed, since a failure's latency says little
// about the service.
func (m *meter) record(s *shard, op Op, end, d time.Duration, err error, window func() bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if err != nil {
		if s.kinds[op] == nil {
			s.kinds[op] = map[string]int64{}
		}
		s.kinds[op][errorKind(err)]++
		s.errors++
		s.mu.Unlock()
		return
	}
	v := hlog.Micros(d)
	s.count++
	if window != nil && op.IsWrite() {
		split(s, window()).RecordValue(v)
	}
	sec := m.intervalOf(end)
	if sec < s.sec {
		// A Live call cut this shard past sec while the op was finishing.
		s.mu.Unlock()
		m.mu.Lock()
		_ = m.interval(op, sec).RecordValue(v) // Micros keeps v in range
		m.mu.Unlock()
		return
	}
	if sec > s.sec {
		m.flush(s)
		s.sec = sec
	}
	h := s.cur[op]
	if h == nil {
		h = hlog.NewHistogram()
		s.cur[op] = h
	}
	_ = h.RecordValue(v)
	s.mu.Unlock()
}

// split returns s's histogram of writes inside or outside windows.
func split(s *shard, inside bool) *hdrhistogram.Histogram {
	h := &s.outside
	if inside {
		h = &s.inside
	}
	if *h == nil {
		*h = hlog.NewHistogram()
	}
	return *h
}

// splitWrites merges the shards' write latencies inside and outside the
// windows; call after finish.
func (m *meter) splitWrites() (inside, outside *hdrhistogram.Histogram) {
	inside, outside = hlog.NewHistogram(), hlog.NewHistogram()
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		if s.inside != nil {
			inside.Merge(s.inside)
		}
		if s.outside != nil {
			outside.Merge(s.outside)
		}
		s.mu.Unlock()
	}
	return inside, outside
}

// flush merges s's current interval into the series. s.mu must be held.
func (m *meter) flush(s *shard) {
	m.mu.Lock()
	for op, h := range s.cur {
		if h != nil && h.TotalCount() > 0 {
			m.interval(Op(op), s.sec).Merge(h)
			h.Reset()
		}
	}
	m.mu.Unlock()
}

// interval returns op's histogram of interval sec. m.mu must be held.
func (m *meter) interval(op Op, sec int) *hdrhistogram.Histogram {
	for len(m.series[op]) <= sec {
		m.series[op] = append(m.series[op], nil)
	}
	if m.series[op][sec] == nil {
		m.series[op][sec] = hlog.NewHistogram()
	}
	return m.series[op][sec]
}

// cut moves every shard to the interval that holds now, so that the intervals
// before it are complete in the series, and returns the counts so far.
func (m *meter) cut(now time.Duration) (count, errors int64) {
	sec := m.intervalOf(now)
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		if sec > s.sec {
			m.flush(s)
			s.sec = sec
		}
		count += s.count
		errors += s.errors
		s.mu.Unlock()
	}
	return count, errors
}

// live fills in the measured figures of l at now.
func (m *meter) live(now time.Duration, l *Live) {
	l.Elapsed = now
	l.Count, l.Errors = m.cut(now)
	last := m.intervalOf(now) - 1
	if last < 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.liveAll == nil {
		m.liveAll = hlog.NewHistogram()
	}
	// Merge each interval once, when it is complete: a straggler that lands
	// in a merged interval later is in the result, not in the live p99.
	for ; m.liveSec < last; m.liveSec++ {
		before := m.liveAll.TotalCount()
		for op := range m.series {
			if sec := m.liveSec + 1; sec < len(m.series[op]) && m.series[op][sec] != nil {
				m.liveAll.Merge(m.series[op][sec])
			}
		}
		m.liveOps = float64(m.liveAll.TotalCount()-before) / m.every.Seconds()
	}
	l.OpsPerSec = m.liveOps
	l.P99 = time.Duration(m.liveAll.ValueAtQuantile(99)) * time.Microsecond
}

// finish ends the recording at stop and returns the results of ops. Values
// that ended after stop (ops in flight at the end) go into the last
// interval, so that the intervals cover the measured phase exactly.
func (m *meter) finish(stop time.Duration, ops []Op) []OpResult {
	last := 0
	if stop > 0 {
		last = m.intervalOf(stop - 1)
	}
	var kinds [numOps]map[string]int64
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		m.flush(s)
		s.closed = true
		for op, k := range s.kinds {
			for kind, n := range k {
				if kinds[op] == nil {
					kinds[op] = map[string]int64{}
				}
				kinds[op][kind] += n
			}
		}
		s.mu.Unlock()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]OpResult, len(ops))
	for i, op := range ops {
		out[i] = OpResult{Op: op, ErrorKinds: map[string]int64{}}
		for kind, n := range kinds[op] {
			out[i].ErrorKinds[kind] = n
			out[i].Errors += n
		}
		for sec := range last + 1 {
			m.interval(op, sec)
		}
		for _, h := range m.series[op][last+1:] {
			if h != nil {
				m.series[op][last].Merge(h)
			}
		}
		out[i].Intervals = m.series[op][:last+1]
		for sec, h := range out[i].Intervals {
			from := time.Duration(sec) * m.every
			h.SetStartTimeMs(m.start.Add(from).UnixMilli())
			h.SetEndTimeMs(m.start.Add(min(from+m.every, stop)).UnixMilli())
		}
		out[i].Latency = hlog.Merge(out[i].Intervals)
		out[i].Latency.SetStartTimeMs(m.start.UnixMilli())
		out[i].Latency.SetEndTimeMs(m.start.Add(stop).UnixMilli())
		out[i].Count = out[i].Latency.TotalCount()
	}
	return out
}
