package main

import (
	"io"

	"zkbench/internal/progress"
	"zkbench/results/summary"
)

// newProgress shows a run's or sweep's progress on w: in place on a
// terminal, a line per update elsewhere when asked.
func newProgress(w io.Writer, cmd string, asked bool) *progress.Line {
	term, width := progress.Terminal(w)
	return progress.New(w, cmd, progress.ModeFor(term, asked), width)
}

// written is out and what it holds, for the summaries' last line.
func written(out string) string { return summary.Written(out) }
