// Package collect gathers what a run measures besides client latencies:
// the ensemble's events (every log sync, roll, preallocation step,
// snapshot window, election and learner sync) and a system sample each
// second, and turns them into result.json's servers, snapshot windows,
// events and time-series fields.
package collect

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/engine"
	"zkbench/hlog"
	"zkbench/results"
)

// Servers is an engine.Sink that keeps per-member figures. Publish is
// called from the members' goroutines; everything else after the run.
type Servers struct {
	start    time.Time
	warn     time.Duration // ZooKeeper's fsync.warningthresholdms
	interval time.Duration // of the fsync recordings
	keep     int           // fsync intervals a member's recorder retains (hlog.Recorder.Keep)

	mu      sync.Mutex
	members map[uint64]*memberFigures
	events  []results.Event
	open    map[uint64]time.Time // snapshot windows in progress, by member
	windows []Window
	// fsync latencies split by whether a snapshot window was open
	inside, outside *hdrhistogram.Histogram
	openWindows     atomic.Int32
	finished        bool // after Finish, events are not the run's any more
	// restores is each member's first start-up restore: part of the
	// run's setup, so kept across Reset.
	restores map[uint64]time.Duration
}

// Window is one snapshot window: from the trigger to the file's close.
type Window struct {
	Member     uint64
	Start, End time.Time
}

type memberFigures struct {
	fsync                 *hlog.Recorder
	bytes, txns, slow     int64
	snapshots             []results.Snapshot
	rolls, extends, syncs int
}

// NewServers starts collecting at start; warn is the fsync warning
// threshold (fsync.warningthresholdms).
func NewServers(start time.Time, warn, interval time.Duration) *Servers {
	return &Servers{start: start, warn: warn, interval: interval, keep: -1, members: map[uint64]*memberFigures{},
		open: map[uint64]time.Time{}, inside: hlog.NewHistogram(), outside: hlog.NewHistogram(),
		restores: map[uint64]time.Duration{}}
}

// KeepIntervals bounds the fsync intervals each member's recorder
// retains to the newest n (0: none, the totals only; negative: all, the
// default). A run keeps none until it measures: a preload of a large tree
// can take many minutes, whose intervals nothing reads.
func (s *Servers) KeepIntervals(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keep = n
	for _, m := range s.members {
		m.fsync.Keep(n)
	}
}

// Reset forgets everything collected so far and starts again at start,
// which may lie ahead: the measured phase begins after preload and
// warm-up, and events before it are dropped. Snapshot windows still open
// stay open. From here on every interval is kept: the measured phase's
// are written out.
func (s *Servers) Reset(start time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start, s.finished, s.keep = start, false, -1
	s.members = map[uint64]*memberFigures{}
	s.events, s.windows = nil, nil
	s.inside, s.outside = hlog.NewHistogram(), hlog.NewHistogram()
	for id := range s.open {
		s.open[id] = start
	}
}

// InSnapshot reports whether any member is writing a snapshot now: client
// latencies recorded meanwhile count as inside a snapshot window.
func (s *Servers) InSnapshot() bool { return s.openWindows.Load() > 0 }

func (s *Servers) member(id uint64) *memberFigures {
	m := s.members[id]
	if m == nil {
		m = &memberFigures{fsync: hlog.NewRecorder(s.start, s.interval)}
		m.fsync.Keep(s.keep)
		s.members[id] = m
	}
	return m
}

// Publish implements engine.Sink.
func (s *Servers) Publish(e engine.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, seen := s.restores[e.Member]; e.Kind == engine.EventMemberUp && !seen {
		s.restores[e.Member] = e.Duration
	}
	if s.finished || e.Time.Add(e.Duration).Before(s.start) {
		return
	}
	m := s.member(e.Member)
	at := e.Time
	switch e.Kind {
	case engine.EventFsync:
		s.fsync(m, e)
		return // too many to list as events
	case engine.EventPreallocExtend:
		m.extends++
	case engine.EventLogRoll:
		m.rolls++
	case engine.EventSnapshotStart:
		if _, ok := s.open[e.Member]; !ok {
			s.open[e.Member] = e.Time
			s.openWindows.Add(1)
		}
	case engine.EventSnapshotEnd:
		s.snapshotEnd(m, e)
		// The engine dates a snapshot's events by its start; the end is
		// where the report closes the window.
		at = e.Time.Add(e.Duration)
	}
	s.events = append(s.events, results.Event{T: at.Sub(s.start).Seconds(), Server: int(e.Member),
		Kind: e.Kind.String(), Detail: detail(e)})
}

func (s *Servers) fsync(m *memberFigures, e engine.Event) {
	end := e.Time.Add(e.Duration)
	if !end.Before(s.start) {
		m.fsync.Record(end, e.Duration)
	}
	m.bytes += e.Bytes
	m.txns += int64(e.Txns)
	if s.warn > 0 && e.Duration > s.warn {
		m.slow++
	}
	h := s.outside
	if s.openWindows.Load() > 0 {
		h = s.inside
	}
	h.RecordValue(max(hlog.Lowest, hlog.Micros(e.Duration)))
}

func (s *Servers) snapshotEnd(m *memberFigures, e engine.Event) {
	start, ok := s.open[e.Member]
	if !ok {
		start = e.Time
	} else {
		delete(s.open, e.Member)
		s.openWindows.Add(-1)
	}
	end := e.Time.Add(e.Duration)
	s.windows = append(s.windows, Window{Member: e.Member, Start: start, End: end})
	if e.Err == nil {
		sn := results.Snapshot{Start: e.Time.UTC(), DurationMs: float64(e.Duration.Microseconds()) / 1000,
			Bytes: e.Bytes, Zxid: fmt.Sprintf("0x%x", e.Zxid)}
		if e.Nodes > 0 { // a snapshot holds "/" at least: 0 is a real server's, not counted
			n := int64(e.Nodes)
			sn.Nodes = &n
		}
		m.snapshots = append(m.snapshots, sn)
	}
}

func detail(e engine.Event) string {
	switch e.Kind {
	case engine.EventSnapshotStart:
		return fmt.Sprintf("zxid 0x%x", e.Zxid)
	case engine.EventSnapshotEnd:
		if e.Err != nil {
			return "failed: " + e.Err.Error()
		}
		if e.Nodes == 0 { // a real server's file: its nodes were not counted
			return fmt.Sprintf("%s: %d bytes in %v", e.Path, e.Bytes, e.Duration.Round(time.Microsecond))
		}
		return fmt.Sprintf("%s: %d nodes, %d bytes in %v", e.Path, e.Nodes, e.Bytes, e.Duration.Round(time.Microsecond))
	case engine.EventLogRoll:
		if e.Txns == 0 { // a real server's: the new file seen, not the old one closed
			return fmt.Sprintf("%s begun (%s)", e.Path, e.Mode)
		}
		return fmt.Sprintf("%s: %d txns up to 0x%x (%s)", e.Path, e.Txns, e.Zxid, e.Mode)
	case engine.EventPreallocExtend:
		if e.Duration == 0 { // a real server's: seen from the file's size, not timed
			return fmt.Sprintf("%s to %d bytes (%s)", e.Path, e.Bytes, e.Mode)
		}
		return fmt.Sprintf("%s to %d bytes (%s) in %v", e.Path, e.Bytes, e.Mode, e.Duration.Round(time.Microsecond))
	case engine.EventLeaderElected:
		return fmt.Sprintf("leads epoch %d", e.Zxid>>32)
	case engine.EventLearnerSynced:
		return fmt.Sprintf("%s from leader %d, %d txns, zxid 0x%x", e.Mode, e.Peer, e.Txns, e.Zxid)
	case engine.EventMemberDown:
		if e.Err != nil {
			return e.Mode + ": " + e.Err.Error()
		}
		return e.Mode
	case engine.EventSessionExpired:
		return fmt.Sprintf("session 0x%x", e.Zxid)
	case engine.EventMemberUp:
		return fmt.Sprintf("restored %d znodes up to 0x%x in %v", e.Nodes, e.Zxid, e.Duration.Round(time.Microsecond))
	}
	return ""
}

// Restores returns each member's first start-up restore, in ms, in
// member order.
func (s *Servers) Restores() []float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := make([]float64, 0, len(s.restores))
	for _, id := range slices.Sorted(maps.Keys(s.restores)) {
		ms = append(ms, float64(s.restores[id].Microseconds())/1000)
	}
	return ms
}

// Finish ends the collection at end: open snapshot windows are closed
// there, the fsync recorders are stamped, and later events are ignored.
// Only the first call counts.
func (s *Servers) Finish(end time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return
	}
	s.finished = true
	for id, start := range s.open {
		s.windows = append(s.windows, Window{Member: id, Start: start, End: end})
	}
	clear(s.open)
	s.openWindows.Store(0)
	for _, m := range s.members {
		m.fsync.Finish(end)
	}
}

// Results returns result.json's servers, in member order; roles names
// each member's role at the end of the run; hlogName names a member's
// fsync log file.
func (s *Servers) Results(roles map[uint64]string, hlogName func(id uint64) string) []results.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := slices.Sorted(func(yield func(uint64) bool) {
		for id := range roles {
			if !yield(id) {
				return
			}
		}
	})
	out := make([]results.Server, 0, len(ids))
	for _, id := range ids {
		m := s.member(id)
		total := m.fsync.Total()
		out = append(out, results.Server{
			ID: int(id), Role: roles[id],
			Fsync: results.Fsync{Source: results.SourceEvents, Count: total.TotalCount(), Bytes: m.bytes, Txns: m.txns,
				Latency: results.PercentilesOf(total), OverWarningThreshold: m.slow, Hlog: hlogName(id)},
			Snapshots: append([]results.Snapshot{}, m.snapshots...),
			LogRolls:  m.rolls, PreallocExtends: m.extends,
		})
	}
	return out
}

// FsyncIntervals returns member id's fsync histograms, one per interval
// given to NewServers.
func (s *Servers) FsyncIntervals(id uint64) []*hdrhistogram.Histogram {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.member(id).fsync.Intervals()
}

// Windows returns the snapshot windows, in the order they ended.
func (s *Servers) Windows() []Window {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.windows)
}

// Events returns the recorded events, oldest first.
func (s *Servers) Events() []results.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// FsyncStall returns copies of the fsync latencies inside and outside
// snapshot windows.
func (s *Servers) FsyncStall() (inside, outside *hdrhistogram.Histogram) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return hdrhistogram.Import(s.inside.Export()), hdrhistogram.Import(s.outside.Export())
}
