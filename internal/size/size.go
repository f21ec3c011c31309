// Package size parses and prints byte sizes the way zkbench's command line
// and profiles write them: 0, 4096, 64KiB, 64MiB, 1GiB.
//
// Only binary (IEC) units are accepted. "64MB" is refused rather than
// guessed at, because tools disagree on whether it means 64×10⁶ or 64×2²⁰
// bytes and a preallocation step that is 5% off is a different experiment.
package size

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Units, for readable constants.
const (
	KiB int64 = 1 << 10
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
	TiB int64 = 1 << 40
)

var units = []struct {
	suffix string
	factor int64
}{
	{"KiB", KiB}, {"MiB", MiB}, {"GiB", GiB}, {"TiB", TiB}, {"B", 1},
}

// Parse parses a non-negative whole number of bytes with an optional unit:
// B, KiB, MiB, GiB or TiB (case-insensitive, optionally after a space).
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty size")
	}
	// Digits only: no sign, no fraction, no exponent, no hex.
	end := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(t)
	}
	num, unit := t[:end], strings.TrimSpace(t[end:])
	switch {
	case num == "" && strings.HasPrefix(t, "-"):
		return 0, fmt.Errorf("size %q is negative", s)
	case num == "":
		return 0, fmt.Errorf("size %q does not start with a number", s)
	case strings.HasPrefix(unit, "."):
		return 0, fmt.Errorf("size %q is not a whole number (write 1536MiB, not 1.5GiB)", s)
	}
	factor := int64(1)
	if unit != "" {
		factor = 0
		for _, u := range units {
			if strings.EqualFold(unit, u.suffix) {
				factor = u.factor
			}
		}
		if factor == 0 {
			return 0, fmt.Errorf("size %q: unknown unit %q (want B, KiB, MiB, GiB or TiB)", s, unit)
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/factor {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * factor, nil
}

// Format prints n in the largest unit that divides it exactly, so that
// Parse(Format(n)) == n: 67108864 is "64MiB", 2300 is "2300".
func Format(n int64) string {
	if n == 0 {
		return "0"
	}
	for i := len(units) - 2; i >= 0; i-- { // TiB down to KiB
		if u := units[i]; n%u.factor == 0 {
			return strconv.FormatInt(n/u.factor, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// Human prints n rounded to three significant digits in the largest unit
// that is not above it, for tables: 1536 is "1.50KiB". Unlike Format, it
// does not round-trip.
func Human(n int64) string {
	abs := n
	if abs < 0 {
		abs = -abs
	}
	for i := len(units) - 2; i >= 0; i-- {
		if u := units[i]; abs >= u.factor {
			v := float64(n) / float64(u.factor)
			return strconv.FormatFloat(v, 'f', decimals(math.Abs(v)), 64) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

func decimals(v float64) int {
	switch {
	case v >= 100:
		return 0
	case v >= 10:
		return 1
	}
	return 2
}

// Bytes is a size that is also a flag.Value and pflag.Value, so a flag
// such as --pre-alloc-size parses with Parse and shows its default with
// Format.
type Bytes int64

func (b Bytes) String() string { return Format(int64(b)) }

// Set parses s with Parse.
func (b *Bytes) Set(s string) error {
	n, err := Parse(s)
	if err != nil {
		return err
	}
	*b = Bytes(n)
	return nil
}

// Type names the value in pflag's usage text.
func (*Bytes) Type() string { return "size" }
