// Package progress shows how a run goes while it runs: on a terminal one
// line, rewritten in place; in a job's log, when asked for, a line per
// update; otherwise only the notices. A Line is a bench.Sink.
package progress

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"zkbench/bench"
	"zkbench/results/table"
	"zkbench/workloads"
)

// Mode is how progress is shown.
type Mode int

const (
	Quiet   Mode = iota // notices only
	Lines               // a new line per update, for a log
	InPlace             // one line rewritten in place, for a terminal
)

// ModeFor is the mode for a writer that is a terminal or not, with
// --progress asked or not: a terminal always shows progress, in place;
// anything else only when asked, a line per update, since a log cannot
// rewrite a line.
func ModeFor(terminal, asked bool) Mode {
	switch {
	case terminal:
		return InPlace
	case asked:
		return Lines
	}
	return Quiet
}

// Terminal reports whether w is a terminal and how many columns wide (0
// when it does not say).
func Terminal(w io.Writer) (ok bool, width int) {
	f, isFile := w.(*os.File)
	if !isFile {
		return false, 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return false, 0
	}
	return true, int(ws.Col)
}

// Line writes progress and notices to w. Its methods are called one at a
// time (bench.Sink's contract).
type Line struct {
	w      io.Writer
	mode   Mode
	prefix string // "run: "
	notice string // "zkbench run: "
	width  int    // InPlace: columns, 0 unknown
	full   string // the progress line last given
	last   string // as shown: InPlace cuts it to the width
	open   bool   // InPlace: a progress line without its newline is on screen
}

// New returns a Line for the command cmd (run, sweep) writing to w; width
// is the terminal's, 0 when unknown.
func New(w io.Writer, cmd string, mode Mode, width int) *Line {
	return &Line{w: w, mode: mode, prefix: "run: ", notice: "zkbench " + cmd + ": ", width: width}
}

// Progress shows p unless it says nothing new.
func (l *Line) Progress(p bench.Progress) {
	s := l.prefix + Format(p)
	if l.mode == Quiet || s == l.full {
		return
	}
	l.full, l.last = s, s
	if l.mode == Lines {
		fmt.Fprintln(l.w, s)
		return
	}
	if l.width > 1 && len([]rune(s)) >= l.width {
		l.last = string([]rune(s)[:l.width-1]) // a wrapped line cannot be rewritten
	}
	fmt.Fprint(l.w, "\r"+l.last+"\x1b[K")
	l.open = true
}

// Notice writes msg on a line of its own. In place, it takes the
// progress line's place; the next update draws that again below it (a
// sweep's notice comes between runs, when the last line is stale).
func (l *Line) Notice(msg string) {
	if l.open {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.open, l.full = false, ""
	}
	fmt.Fprintln(l.w, l.notice+msg)
}

// Close ends the progress line, so that what is printed next starts on a
// line of its own; the last progress stays on screen.
func (l *Line) Close() {
	if l.open {
		fmt.Fprintln(l.w)
		l.open = false
	}
}

// Format is a progress line without its prefix: the phase, how far into
// it and of how long, then, once a second is measured, ops/s, the p99 so
// far, snapshots and errors; for a preload, the znodes so far and their
// rate.
//
//	preloading 4.0s  52000 of 101112 znodes  13000 znodes/s
//	measuring 12.0s of 20s, 8s left  4210 ops/s  p99 3.10 ms so far  snapshots 2
func Format(p bench.Progress) string {
	var b strings.Builder
	b.WriteString(p.Phase.String())
	if p.Phase == workloads.Preloading && p.PreloadTotal > 0 {
		fmt.Fprintf(&b, " %.1fs  %d of %d znodes", p.Elapsed.Seconds(), p.Preloaded, p.PreloadTotal)
		if p.Elapsed >= time.Second {
			fmt.Fprintf(&b, "  %.0f znodes/s", float64(p.Preloaded)/p.Elapsed.Seconds())
		}
		return b.String()
	}
	if p.Phase < workloads.WarmingUp {
		return b.String() // connecting; a preload of nothing to count
	}
	fmt.Fprintf(&b, " %.1fs", p.Elapsed.Seconds())
	if p.Total > 0 {
		fmt.Fprintf(&b, " of %s", seconds(p.Total))
		if left := p.Total - p.Elapsed; left > 0 && p.Phase <= workloads.Measuring {
			fmt.Fprintf(&b, ", %.0fs left", math.Ceil(left.Seconds()))
		}
	}
	if p.Phase == workloads.WarmingUp || p.Elapsed < time.Second {
		return b.String() // warm-up is not measured; no second is complete yet
	}
	fmt.Fprintf(&b, "  %.0f ops/s  p99 %s so far", p.OpsPerSec, table.Micros(p.P99.Microseconds()))
	if p.Snapshots >= 0 {
		fmt.Fprintf(&b, "  snapshots %d", p.Snapshots)
	}
	if p.Errors > 0 {
		fmt.Fprintf(&b, "  errors %d", p.Errors)
	}
	return b.String()
}

// seconds is d in whole seconds when it is whole: "20s", "1.5s".
func seconds(d time.Duration) string {
	if s := d.Seconds(); s == math.Trunc(s) {
		return fmt.Sprintf("%.0fs", s)
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
