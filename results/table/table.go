// Package table lays out what zkbench prints for a terminal or a job
// log: columns aligned by their widths, and latencies and rates in the
// units a reader expects. run, sweep, probe and compare print through it
// so that their tables read alike.
package table

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Micros prints a latency given in microseconds the way people read
// them: 850 µs, 1.23 ms, 1.50 s.
func Micros[T int64 | float64](us T) string {
	v := float64(us)
	switch {
	case v < 1000:
		return strconv.FormatFloat(v, 'f', 0, 64) + " µs"
	case v < 1e6:
		return Figure(v/1e3) + " ms"
	}
	return Figure(v/1e6) + " s"
}

// Figure prints v with three significant digits below 100 and none
// above: enough to see a 10% change, not so many that noise shows.
func Figure(v float64) string {
	decimals := 0
	switch {
	case v < 10:
		decimals = 2
	case v < 100:
		decimals = 1
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// Lines pads every cell to its column's width, two spaces between
// columns, numbers right-aligned where right says so (columns past its
// end are words, left-aligned), and trims each line's trailing blanks,
// so that a last column of notes is not padded.
func Lines(rows [][]string, right []bool) []string {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	lines := make([]string, len(rows))
	for j, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if i < len(right) && right[i] {
				b.WriteString(pad + cell + "  ")
			} else {
				b.WriteString(cell + pad + "  ")
			}
		}
		lines[j] = strings.TrimRight(b.String(), " ")
	}
	return lines
}

// Write writes Lines(rows, right) to w, one line each.
func Write(w io.Writer, rows [][]string, right []bool) error {
	var b strings.Builder
	for _, l := range Lines(rows, right) {
		b.WriteString(l + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Right is a column layout with the first n columns words and the rest
// numbers, the shape of most of zkbench's tables.
func Right(n, cols int) []bool {
	r := make([]bool, cols)
	for i := n; i < cols; i++ {
		r[i] = true
	}
	return r
}

// Names joins names with commas, the first most of them, and says how
// many more there are: "a, b, c and 4 more".
func Names(names []string, most int) string {
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:most], ", ") + " and " + strconv.Itoa(len(names)-most) + " more"
}
