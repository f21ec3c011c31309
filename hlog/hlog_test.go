package hlog

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMicros(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int64
	}{
		{0, 0},
		{-time.Second, 0},
		{499 * time.Nanosecond, 0},
		{500 * time.Nanosecond, 1},
		{1500 * time.Nanosecond, 2},
		{time.Millisecond, 1000},
		{60 * time.Second, Highest},
		{time.Hour, Highest},
	} {
		if got := Micros(tc.d); got != tc.want {
			t.Errorf("Micros(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 123e6, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func TestRecorderIntervals(t *testing.T) {
	r := NewRecorder(t0, DefaultInterval)
	r.Record(at(100*time.Millisecond), time.Millisecond)
	r.Record(at(900*time.Millisecond), 2*time.Millisecond)
	// Nothing in [1s, 2s): the interval is kept, empty.
	r.Record(at(2300*time.Millisecond), 90*time.Second) // clamped to Highest
	r.Finish(at(2500 * time.Millisecond))

	iv := r.Intervals()
	wantCounts := []int64{2, 0, 1}
	if len(iv) != len(wantCounts) {
		t.Fatalf("%d intervals, want %d", len(iv), len(wantCounts))
	}
	for i, h := range iv {
		if h.TotalCount() != wantCounts[i] {
			t.Errorf("interval %d: count %d, want %d", i, h.TotalCount(), wantCounts[i])
		}
		if want := at(time.Duration(i) * time.Second).UnixMilli(); h.StartTimeMs() != want {
			t.Errorf("interval %d: start %d, want %d", i, h.StartTimeMs(), want)
		}
	}
	if got, want := iv[2].EndTimeMs(), at(2500*time.Millisecond).UnixMilli(); got != want {
		t.Errorf("last interval ends at %d, want %d (Finish)", got, want)
	}
	tot := r.Total()
	if tot.TotalCount() != 3 || !tot.ValuesAreEquivalent(tot.Max(), Highest) {
		t.Errorf("total: count %d max %d; want 3 and %d", tot.TotalCount(), tot.Max(), Highest)
	}
	if !tot.ValuesAreEquivalent(tot.Min(), 1000) {
		t.Errorf("total min %d, want 1000", tot.Min())
	}
}

func TestRecorderEmpty(t *testing.T) {
	r := NewRecorder(t0, DefaultInterval)
	r.Finish(t0)
	if n := len(r.Intervals()); n != 1 {
		t.Errorf("%d intervals for an empty recording, want 1 (empty)", n)
	}
	r = NewRecorder(t0, DefaultInterval)
	r.Finish(at(time.Second)) // ends exactly on the boundary
	if n := len(r.Intervals()); n != 1 {
		t.Errorf("%d intervals for one whole empty second, want 1", n)
	}
}

func TestWriteRead(t *testing.T) {
	r := NewRecorder(t0, DefaultInterval)
	var n int64
	for i := range 2500 {
		d := time.Duration(1+i%97) * 10 * time.Microsecond
		r.Record(at(time.Duration(i)*time.Millisecond), d)
		n++
	}
	r.Finish(at(2600 * time.Millisecond))

	var buf bytes.Buffer
	if err := Write(&buf, r.Start(), r.Intervals(), "zkbench probe: /tmp fdatasync/zookeeper"); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{
		"#[zkbench probe: /tmp fdatasync/zookeeper]\n",
		"#[StartTime: 1795600800.123 (seconds since epoch), 2026-11-25T10:00:00.123Z]\n",
		"#[BaseTime: 1795600800.123 (seconds since epoch)]\n",
		"#[Histogram log format version 1.3]\n",
		"\n0.000000,1.000000,",
		"\n1.000000,1.000000,",
		"\n2.000000,0.600000,",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q:\n%s", want, text)
		}
	}

	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(r.Intervals()) {
		t.Fatalf("read %d intervals, wrote %d", len(got), len(r.Intervals()))
	}
	for i, h := range got {
		w := r.Intervals()[i]
		if h.TotalCount() != w.TotalCount() || h.Max() != w.Max() {
			t.Errorf("interval %d: count %d max %d, wrote %d, %d", i, h.TotalCount(), h.Max(), w.TotalCount(), w.Max())
		}
		// The reader turns seconds back into milliseconds by truncation.
		if absDiff(h.StartTimeMs(), w.StartTimeMs()) > 1 || absDiff(h.EndTimeMs(), w.EndTimeMs()) > 1 {
			t.Errorf("interval %d: [%d, %d], wrote [%d, %d]", i, h.StartTimeMs(), h.EndTimeMs(), w.StartTimeMs(), w.EndTimeMs())
		}
	}
	if m := Merge(got); m.TotalCount() != n || m.ValueAtQuantile(50) != r.Total().ValueAtQuantile(50) {
		t.Errorf("merged: count %d p50 %d; want %d, %d", m.TotalCount(), m.ValueAtQuantile(50), n, r.Total().ValueAtQuantile(50))
	}
}

func TestWriteFileReadFile(t *testing.T) {
	r := NewRecorder(t0, DefaultInterval)
	r.Record(at(time.Millisecond), time.Millisecond)
	r.Finish(at(time.Second / 2))
	path := filepath.Join(t.TempDir(), "x.hlog")
	if err := WriteFile(path, r.Start(), r.Intervals()); err != nil {
		t.Fatal(err)
	}
	hs, err := ReadFile(path)
	if err != nil || len(hs) != 1 || hs[0].TotalCount() != 1 {
		t.Fatalf("ReadFile = %d intervals, %v", len(hs), err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.hlog")); err == nil {
		t.Error("ReadFile of a missing file: no error")
	}
}

func TestWriteRejectsMultilineComment(t *testing.T) {
	if err := Write(&bytes.Buffer{}, t0, nil, "a\nb"); err == nil {
		t.Error("no error for a comment with a newline")
	}
}

func absDiff(a, b int64) int64 {
	if a > b {
		return a - b
	}
	return b - a
}

// hdrJar is where Debian's libhdrhistogram-java installs HdrHistogram.
const hdrJar = "/usr/share/java/hdrhistogram.jar"

// TestJavaHistogramLogProcessor feeds a log to HdrHistogram's own
// HistogramLogProcessor, the tool the .hlog format is promised to, and
// checks it reads every value. It needs a JRE and libhdrhistogram-java.
func TestJavaHistogramLogProcessor(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("no java")
	}
	if _, err := os.Stat(hdrJar); err != nil {
		t.Skip("no " + hdrJar + " (Debian package libhdrhistogram-java)")
	}
	r := NewRecorder(t0, DefaultInterval)
	for i := range 3000 {
		r.Record(at(time.Duration(i)*time.Millisecond), time.Duration(100+i)*time.Microsecond)
	}
	r.Finish(at(3 * time.Second))
	dir := t.TempDir()
	in := filepath.Join(dir, "x.hlog")
	if err := WriteFile(in, r.Start(), r.Intervals(), "java check"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cmd := exec.Command(java, "-cp", hdrJar, "org.HdrHistogram.HistogramLogProcessor",
		"-i", in, "-o", out, "-outputValueUnitRatio", "1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("HistogramLogProcessor: %v\n%s", err, b)
	}
	hgrm, err := os.ReadFile(out + ".hgrm")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`#\[Max\s*=\s*([0-9.]+), Total count\s*=\s*([0-9]+)\]`).FindSubmatch(hgrm)
	if m == nil {
		t.Fatalf("no totals in the .hgrm:\n%s", hgrm)
	}
	if got, want := string(m[2]), strconv.FormatInt(r.Total().TotalCount(), 10); got != want {
		t.Errorf("HistogramLogProcessor counted %s values, want %s", got, want)
	}
	if maxV, _ := strconv.ParseFloat(string(m[1]), 64); int64(maxV) != r.Total().Max() {
		t.Errorf("HistogramLogProcessor max %s, want %d", m[1], r.Total().Max())
	}
	intervals, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(intervals), " I:"); n != len(r.Intervals()) {
		t.Errorf("HistogramLogProcessor saw %d intervals, want %d:\n%s", n, len(r.Intervals()), intervals)
	}
}

// A value stamped after the time Finish is given (its caller's clock lags
// the recorder's) must stay in the intervals as it is in the total: an
// interval log that holds fewer values than its summary is a lie.
func TestRecorderFinishBeforeLastValue(t *testing.T) {
	r := NewRecorder(t0, DefaultInterval)
	r.Record(at(300*time.Millisecond), time.Millisecond)
	r.Record(at(2100*time.Millisecond), time.Millisecond)
	r.Finish(at(1900 * time.Millisecond))
	var n int64
	for _, h := range r.Intervals() {
		n += h.TotalCount()
	}
	if n != r.Total().TotalCount() {
		t.Errorf("intervals hold %d values, the total %d", n, r.Total().TotalCount())
	}
	iv := r.Intervals()
	if got, want := iv[len(iv)-1].EndTimeMs(), at(2100*time.Millisecond).UnixMilli(); got != want {
		t.Errorf("last interval ends at %d, want %d (the last value)", got, want)
	}
}

// A run's intervals are 100 ms up to three minutes, then longer, so that
// no run keeps more than MaxRunIntervals histograms per recorder.
func TestRunInterval(t *testing.T) {
	for _, tc := range []struct {
		measured, want time.Duration
	}{
		{0, 100 * time.Millisecond},
		{20 * time.Second, 100 * time.Millisecond},
		{3 * time.Minute, 100 * time.Millisecond},
		{3*time.Minute + time.Second, 200 * time.Millisecond},
		{10 * time.Minute, 500 * time.Millisecond},
		{time.Hour, 2 * time.Second},
		{24 * time.Hour, time.Minute},
		{100 * 24 * time.Hour, time.Minute},
	} {
		got := RunInterval(tc.measured)
		if got != tc.want {
			t.Errorf("RunInterval(%v) = %v, want %v", tc.measured, got, tc.want)
		}
		if tc.measured <= 30*time.Hour && tc.measured/got > MaxRunIntervals {
			t.Errorf("RunInterval(%v) = %v: %d intervals", tc.measured, got, tc.measured/got)
		}
	}
}

// A recorder that keeps n intervals holds no more than n however long it
// records, across busy stretches and day-long idle gaps; the total still
// counts every value, and the intervals kept are the newest, contiguous.
func TestRecorderKeepsABoundedWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, keep := range []int{0, 1, 10} {
		r := NewRecorder(t0, 100*time.Millisecond)
		r.Keep(keep)
		now, values := t0, 0
		record := func(d time.Duration) {
			now = now.Add(d)
			r.Record(now, time.Millisecond)
			values++
			if n := len(r.Intervals()); n > keep {
				t.Fatalf("keep %d: %d intervals held at %v", keep, n, now.Sub(t0))
			}
		}
		for range 3000 { // 5 minutes of a write every 100 ms
			record(100 * time.Millisecond)
		}
		record(24 * time.Hour) // a day idle, then a write
		for range 50 {
			record(30 * time.Millisecond)
		}
		r.Finish(now)
		iv := r.Intervals()
		if len(iv) > keep || r.Total().TotalCount() != int64(values) {
			t.Fatalf("keep %d: %d intervals, total %d of %d values", keep, len(iv), r.Total().TotalCount(), values)
		}
		if keep > 0 && iv[len(iv)-1].EndTimeMs() != now.UnixMilli() {
			t.Errorf("keep %d: the last interval ends at %d, want %d", keep, iv[len(iv)-1].EndTimeMs(), now.UnixMilli())
		}
		for i := 1; i < len(iv); i++ {
			if iv[i].StartTimeMs() != iv[i-1].EndTimeMs() {
				t.Errorf("keep %d: interval %d starts at %d, the one before ends at %d", keep, i, iv[i].StartTimeMs(), iv[i-1].EndTimeMs())
			}
		}
	}
}

// A recorder that keeps no interval allocates nothing per interval, so a
// long idle gap costs nothing.
func TestRecorderKeepingNoneReusesItsHistogram(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	r := NewRecorder(t0, 100*time.Millisecond)
	r.Keep(0)
	now := t0
	allocs := testing.AllocsPerRun(100, func() {
		now = now.Add(time.Hour)
		r.Record(now, time.Millisecond)
	})
	if allocs > 0 {
		t.Errorf("%v allocations per hour-long gap", allocs)
	}
}
