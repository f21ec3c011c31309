package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"zkbench/bench"
	"zkbench/workloads"
)

func live(phase workloads.Phase, elapsed, total time.Duration, opsPerSec float64, p99 time.Duration) workloads.Live {
	return workloads.Live{Phase: phase, Elapsed: elapsed, Total: total, OpsPerSec: opsPerSec, P99: p99}
}

func TestFormat(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name string
		p    bench.Progress
		want string
	}{
		{"connecting", bench.Progress{Live: live(workloads.Connecting, 0, 0, 0, 0)}, "connecting"},
		{"preloading", bench.Progress{Live: live(workloads.Preloading, 0, 0, 0, 0)}, "preloading"},
		{"preloading, first second", bench.Progress{Live: workloads.Live{Phase: workloads.Preloading, Elapsed: 400 * time.Millisecond,
			Preloaded: 1000, PreloadTotal: 101112}}, "preloading 0.4s  1000 of 101112 znodes"},
		{"preloading", bench.Progress{Live: workloads.Live{Phase: workloads.Preloading, Elapsed: 4 * s,
			Preloaded: 52000, PreloadTotal: 101112}}, "preloading 4.0s  52000 of 101112 znodes  13000 znodes/s"},
		{"warm-up begins", bench.Progress{Live: live(workloads.WarmingUp, 0, 2*s, 0, 0)}, "warming up 0.0s of 2s, 2s left"},
		{"warm-up, no figures", bench.Progress{Live: live(workloads.WarmingUp, 1200*time.Millisecond, 2*s, 0, 0)}, "warming up 1.2s of 2s, 1s left"},
		{"first second not complete", bench.Progress{Live: live(workloads.Measuring, 800*time.Millisecond, 10*s, 0, 0), Snapshots: 0},
			"measuring 0.8s of 10s, 10s left"},
		{"measuring", bench.Progress{Live: live(workloads.Measuring, 12*s, 20*s, 4210, 3100*time.Microsecond), Snapshots: 2},
			"measuring 12.0s of 20s, 8s left  4210 ops/s  p99 3.10 ms so far  snapshots 2"},
		{"a stalled second is measured", bench.Progress{Live: live(workloads.Measuring, 3*s, 10*s, 0, 900*time.Millisecond), Snapshots: 1},
			"measuring 3.0s of 10s, 7s left  0 ops/s  p99 900 ms so far  snapshots 1"},
		{"errors", bench.Progress{Live: workloads.Live{Phase: workloads.Measuring, Elapsed: 2 * s, Total: 10 * s, OpsPerSec: 10, P99: time.Millisecond, Errors: 3}},
			"measuring 2.0s of 10s, 8s left  10 ops/s  p99 1.00 ms so far  snapshots 0  errors 3"},
		{"real ZooKeeper: snapshots unknown", bench.Progress{Live: live(workloads.Measuring, 2*s, 10*s, 10, time.Millisecond), Snapshots: -1},
			"measuring 2.0s of 10s, 8s left  10 ops/s  p99 1.00 ms so far"},
		{"ends on an op count", bench.Progress{Live: live(workloads.Measuring, 2500*time.Millisecond, 0, 100, time.Millisecond), Snapshots: -1},
			"measuring 2.5s  100 ops/s  p99 1.00 ms so far"},
		{"cleaning up", bench.Progress{Live: live(workloads.CleaningUp, 10*s, 10*s, 4000, 2*time.Millisecond), Snapshots: 3},
			"cleaning up 10.0s of 10s  4000 ops/s  p99 2.00 ms so far  snapshots 3"},
		{"half-second total", bench.Progress{Live: live(workloads.WarmingUp, 0, 500*time.Millisecond, 0, 0)}, "warming up 0.0s of 0.5s, 1s left"},
	} {
		if got := Format(tc.p); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestModeFor(t *testing.T) {
	for _, tc := range []struct {
		terminal, asked bool
		want            Mode
	}{
		{true, false, InPlace},
		{true, true, InPlace},
		{false, true, Lines},
		{false, false, Quiet},
	} {
		if got := ModeFor(tc.terminal, tc.asked); got != tc.want {
			t.Errorf("ModeFor(terminal %v, --progress %v) = %v, want %v", tc.terminal, tc.asked, got, tc.want)
		}
	}
	if term, _ := Terminal(&bytes.Buffer{}); term {
		t.Error("a buffer is a terminal")
	}
}

// TestLine: the same updates and a notice in each mode. In place, one
// line is rewritten with a carriage return and cleared to its end, a
// notice takes its place and the next update draws it again below, and
// Close ends it; in a log, each change is a line; quiet, only the
// notice. An update that says nothing new is never shown twice.
func TestLine(t *testing.T) {
	warm := bench.Progress{Live: live(workloads.WarmingUp, 0, 2*time.Second, 0, 0)}
	measured := bench.Progress{Live: live(workloads.Measuring, 2*time.Second, 10*time.Second, 100, time.Millisecond), Snapshots: 1}
	for _, tc := range []struct {
		mode  Mode
		width int
		want  string
	}{
		{InPlace, 0, "\r" + "run: connecting\x1b[K" +
			"\r\x1b[K" + "zkbench run: data in /tmp/x\n" + "\r" + "run: connecting\x1b[K" +
			"\r" + "run: warming up 0.0s of 2s, 2s left\x1b[K" +
			"\r" + "run: measuring 2.0s of 10s, 8s left  100 ops/s  p99 1.00 ms so far  snapshots 1\x1b[K" + "\n"},
		{InPlace, 30, "\r" + "run: connecting\x1b[K" +
			"\r\x1b[K" + "zkbench run: data in /tmp/x\n" + "\r" + "run: connecting\x1b[K" +
			"\r" + "run: warming up 0.0s of 2s, 2\x1b[K" +
			"\r" + "run: measuring 2.0s of 10s, 8\x1b[K" + "\n"},
		{Lines, 0, "run: connecting\n" + "zkbench run: data in /tmp/x\n" +
			"run: warming up 0.0s of 2s, 2s left\n" +
			"run: measuring 2.0s of 10s, 8s left  100 ops/s  p99 1.00 ms so far  snapshots 1\n"},
		{Quiet, 0, "zkbench run: data in /tmp/x\n"},
	} {
		var b bytes.Buffer
		l := New(&b, "run", tc.mode, tc.width)
		connecting := bench.Progress{Live: live(workloads.Connecting, 0, 0, 0, 0)}
		l.Progress(connecting)
		l.Progress(connecting)
		l.Notice("data in /tmp/x")
		l.Progress(connecting)
		l.Progress(warm)
		l.Progress(warm)
		l.Progress(measured)
		l.Close()
		l.Close()
		if got := b.String(); got != tc.want {
			t.Errorf("mode %d width %d:\n got %q\nwant %q", tc.mode, tc.width, got, tc.want)
		}
		if tc.mode != InPlace && strings.Contains(b.String(), "\r") {
			t.Errorf("mode %d rewrites lines", tc.mode)
		}
	}
}
