// Package hlog records latencies the way every zkbench result does — HDR
// histograms of microseconds from 1 µs to 60 s with 3 significant digits,
// cut into intervals — and writes and reads them as
// HdrHistogram interval logs (.hlog), the text format HdrHistogram's own
// HistogramLogProcessor reads.
//
// A log written here looks like this:
//
//	#[zkbench: sync latency of /data fdatasync/zookeeper]
//	#[Values in microseconds; HistogramLogProcessor -outputValueUnitRatio 1000 prints milliseconds]
//	#[Histogram log format version 1.3]
//	#[StartTime: 1732528800.123 (seconds since epoch), 2024-11-25T10:00:00.123Z]
//	#[BaseTime: 1732528800.123 (seconds since epoch)]
//	"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//	0.000000,1.000000,0.012345,HISTFAAAA…
//
// Interval timestamps are seconds relative to BaseTime; Interval_Max is the
// interval's maximum divided by 10⁶ (seconds, for microsecond values), the
// ratio HdrHistogram's log writers use by default.
package hlog

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The range and precision of every latency histogram (design.md,
// "Measurement definitions").
const (
	Lowest  = 1          // µs
	Highest = 60_000_000 // µs: 60 s
	SigFigs = 3
)

// DefaultInterval is the length of one interval of a probe's log.
const DefaultInterval = time.Second

// FinestRunInterval is the length of one interval of a run's logs and
// time series: short enough that a one-second stall (a snapshot of a
// large tree competing with the log for the disk) shows its shape rather
// than one averaged point. HdrHistogram's tools read logs of any interval.
const FinestRunInterval = 100 * time.Millisecond

// MaxRunIntervals bounds the intervals of one run's recording. Until the
// run is written, every interval is a whole histogram (about 139 KiB at
// zkbench's range and precision) per op and per member: 1,800 of them,
// three minutes at FinestRunInterval, are about 250 MiB a recorder.
const MaxRunIntervals = 1800

// runIntervals are the lengths a longer run steps up through.
var runIntervals = []time.Duration{FinestRunInterval, 200 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second,
	10 * time.Second, 30 * time.Second, time.Minute}

// RunInterval is the interval length for a run whose measured phase lasts
// measured: FinestRunInterval, or for a run too long for MaxRunIntervals
// of those the shortest of runIntervals that keeps within it, so that an
// hour-long run does not hold 36,000 histograms per recorder. A run with
// no planned length (it ends after a count of ops) gets the finest.
func RunInterval(measured time.Duration) time.Duration {
	for _, iv := range runIntervals {
		if measured <= iv*MaxRunIntervals {
			return iv
		}
	}
	return runIntervals[len(runIntervals)-1]
}

// NewHistogram returns an empty histogram with zkbench's range and
// precision.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(Lowest, Highest, SigFigs)
}

// Micros converts d to the value a histogram records: microseconds,
// rounded to the nearest, clamped to [0, Highest] so that a stall beyond
// the range still counts, as its maximum.
func Micros(d time.Duration) int64 {
	us := (d + time.Microsecond/2) / time.Microsecond
	return int64(max(0, min(us, Highest)))
}

// Recorder records durations into a histogram per interval and a total.
// It is not safe for concurrent use: give each goroutine its own and merge.
type Recorder struct {
	start     time.Time
	interval  time.Duration
	cur       *hdrhistogram.Histogram
	curStart  time.Time
	intervals []*hdrhistogram.Histogram
	total     *hdrhistogram.Histogram
	last      time.Time // the latest end recorded
	keep      int       // closed intervals retained, newest; -1: all
}

// NewRecorder returns a Recorder whose first interval begins at start and
// whose intervals last interval.
func NewRecorder(start time.Time, interval time.Duration) *Recorder {
	r := &Recorder{start: start, interval: interval, total: NewHistogram(), keep: -1}
	r.total.SetStartTimeMs(start.UnixMilli())
	r.open(start)
	return r
}

func (r *Recorder) open(at time.Time) {
	if r.keep == 0 && r.cur != nil {
		r.cur.Reset() // nothing retains it: no new histogram per interval
	} else {
		r.cur = NewHistogram()
	}
	r.curStart = at
	r.cur.SetStartTimeMs(at.UnixMilli())
}

// Keep bounds the closed intervals r retains to the newest n: memory
// then stays flat however long r records, each interval being a whole
// histogram (about 139 KiB). n = 0 retains none (the total only), n < 0
// every one (the default). Intervals dropped are gone from Intervals, so
// keep every one of a recording whose intervals are written out.
func (r *Recorder) Keep(n int) {
	r.keep = n
	r.trim()
}

// cut closes intervals up to the one that holds t. Intervals without a
// value are kept, empty, so that the log has one line per interval and a
// stall shows as the gap it was; of a gap longer than Keep retains, only
// the retained intervals are made.
func (r *Recorder) cut(t time.Time) {
	for !t.Before(r.curStart.Add(r.interval)) {
		end := r.curStart.Add(r.interval)
		r.close(end)
		if empties := int(t.Sub(end) / r.interval); r.keep >= 0 && empties > r.keep {
			end = end.Add(time.Duration(empties-r.keep) * r.interval)
		}
		r.open(end)
	}
}

// close ends the current interval at end and retains it, or drops the
// oldest beyond Keep.
func (r *Recorder) close(end time.Time) {
	r.cur.SetEndTimeMs(end.UnixMilli())
	if r.keep == 0 {
		return // the next open starts afresh
	}
	r.intervals = append(r.intervals, r.cur)
	r.trim()
}

func (r *Recorder) trim() {
	if n := len(r.intervals); r.keep >= 0 && n > r.keep {
		copy(r.intervals, r.intervals[n-r.keep:])
		clear(r.intervals[r.keep:]) // the dropped histograms go to the collector
		r.intervals = r.intervals[:r.keep]
	}
}

// Record records d, an operation that ended at end, into the interval that
// holds end and into the total. A value before the start goes into the
// first interval.
func (r *Recorder) Record(end time.Time, d time.Duration) {
	r.cut(end)
	if end.After(r.last) {
		r.last = end
	}
	v := Micros(d)
	// Micros keeps v in range, so RecordValue cannot fail.
	_ = r.cur.RecordValue(v)
	_ = r.total.RecordValue(v)
}

// Finish closes the recording at end: the last interval ends there (it may
// be shorter than the others) and the total is stamped. A value recorded
// later than end moves the end to it, so that the intervals always add up
// to the total: callers take end from a clock of their own, which may lag
// the stamps of values already recorded. Record must not be called
// afterwards.
func (r *Recorder) Finish(end time.Time) {
	if r.last.After(end) {
		end = r.last
	}
	r.cut(end)
	if end.After(r.curStart) || len(r.intervals) == 0 {
		r.close(end)
	}
	r.cur = nil
	r.total.SetEndTimeMs(end.UnixMilli())
}

// Start is when the first interval began.
func (r *Recorder) Start() time.Time { return r.start }

// Total is the histogram of every recorded value.
func (r *Recorder) Total() *hdrhistogram.Histogram { return r.total }

// Intervals are the closed intervals, oldest first, each stamped with its
// start and end (milliseconds since the epoch).
func (r *Recorder) Intervals() []*hdrhistogram.Histogram { return r.intervals }

// Write writes intervals as an interval log whose StartTime and BaseTime
// are start, after one comment line per element of comments. The
// intervals' start and end stamps must be absolute (as a Recorder makes
// them).
func Write(w io.Writer, start time.Time, intervals []*hdrhistogram.Histogram, comments ...string) error {
	bw := bufio.NewWriter(w)
	lw := hdrhistogram.NewHistogramLogWriter(bw)
	for _, c := range comments {
		if strings.ContainsAny(c, "\r\n") {
			return fmt.Errorf("hlog: comment %q spans lines", c)
		}
		if err := lw.OutputComment("[" + c + "]"); err != nil {
			return err
		}
	}
	if err := lw.OutputComment("[Values in microseconds; HistogramLogProcessor -outputValueUnitRatio 1000 prints milliseconds]"); err != nil {
		return err
	}
	if err := lw.OutputLogFormatVersion(); err != nil {
		return err
	}
	// The library's OutputStartTime and OutputBaseTime print whole seconds;
	// with relative interval stamps that would shift every interval by up
	// to a second, so the header lines are written here with milliseconds,
	// exactly as the Java HistogramLogWriter writes them.
	ms := start.UnixMilli()
	secs := fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
	iso := start.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	if err := lw.OutputComment(fmt.Sprintf("[StartTime: %s (seconds since epoch), %s]", secs, iso)); err != nil {
		return err
	}
	if err := lw.OutputComment(fmt.Sprintf("[BaseTime: %s (seconds since epoch)]", secs)); err != nil {
		return err
	}
	lw.SetBaseTime(ms)
	if err := lw.OutputLegend(); err != nil {
		return err
	}
	for _, h := range intervals {
		if err := lw.OutputIntervalHistogram(h); err != nil {
			return fmt.Errorf("hlog: write interval: %w", err)
		}
	}
	return bw.Flush()
}

// WriteFile writes an interval log to path (see Write), replacing it.
func WriteFile(path string, start time.Time, intervals []*hdrhistogram.Histogram, comments ...string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, start, intervals, comments...); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Read reads every interval of an interval log. Each histogram carries its
// absolute start and end (milliseconds since the epoch).
func Read(r io.Reader) ([]*hdrhistogram.Histogram, error) {
	lr := hdrhistogram.NewHistogramLogReader(r)
	var out []*hdrhistogram.Histogram
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil {
			return out, fmt.Errorf("hlog: interval %d: %w", len(out)+1, err)
		}
		if h == nil {
			return out, nil
		}
		out = append(out, h)
	}
}

// ReadFile reads an interval log file (see Read).
func ReadFile(path string) ([]*hdrhistogram.Histogram, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hs, err := Read(f)
	if err != nil {
		return hs, fmt.Errorf("%s: %w", path, err)
	}
	return hs, nil
}

// Merge returns the sum of hs as one histogram with zkbench's range.
func Merge(hs []*hdrhistogram.Histogram) *hdrhistogram.Histogram {
	m := NewHistogram()
	for _, h := range hs {
		m.Merge(h)
	}
	return m
}
