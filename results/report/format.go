package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	terminal "zkbench/results/table"
)

// Cell constructors: text, numbers (right-aligned) and deltas.

func text(s string) cell { return cell{Text: s} }

func integer(v int64) cell { return cell{Text: strconv.FormatInt(v, 10), Class: "num"} }

// optionalInteger is a count that may not have been measured: missing
// when nil.
func optionalInteger(v *int64) cell {
	if v == nil {
		return missing()
	}
	return integer(*v)
}

// samples is a figure with the count of samples behind it: "6.74 ms
// (n=312)"; a count of 0 means the file does not say.
func samples(text string, n int64) string {
	if n == 0 {
		return text
	}
	return fmt.Sprintf("%s (n=%d)", text, n)
}

// decimal prints v with the decimals its size deserves: 12345, 123.4, 1.23.
func decimal(v float64) cell { return cell{Text: formatFloat(v), Class: "num"} }

func formatFloat(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000 || v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// unitMicros is the unit of every latency the report is given: result.json
// and probe.json keep microseconds. Tables and charts print them as the
// terminal does (micros: 850 µs, 1.23 ms, 1.50 s), never raw.
const unitMicros = "µs"

// micros prints a latency as the terminal does.
func micros[T int64 | float64](us T) string { return terminal.Micros(us) }

// latency is a latency cell: 850 µs, 1.23 ms.
func latency(us int64) cell { return cell{Text: micros(us), Class: "num"} }

// missing is a figure not measured or without a sample: a dash, never 0,
// which would read as the best value of all.
func missing() cell { return cell{Text: "–", Class: "num"} }

// formatIn prints v in unit: a latency human-readable, anything else
// with the decimals its size deserves.
func formatIn(unit string, v float64) string {
	if unit == unitMicros {
		return micros(v)
	}
	return formatFloat(v)
}

// value is v in unit as a number cell.
func value(unit string, v float64) cell { return cell{Text: formatIn(unit, v), Class: "num"} }

// delta compares v with base: the value and its change in percent,
// coloured by whether the change is for the better. Changes under 1%
// are not coloured: that much is noise. Against a base of 0 there is no
// percentage.
func delta(unit string, v, base float64, higherIsBetter bool) cell {
	if base == 0 {
		return value(unit, v)
	}
	pct := (v - base) / base * 100
	return cell{Text: fmt.Sprintf("%s (%+.1f%%)", formatIn(unit, v), pct), Class: changeClass(pct, higherIsBetter)}
}

// change is delta without the value, for a table that has it in a
// column of its own: "+4.2%". Against 0 there is no percentage.
func change(v, base float64, higherIsBetter bool) cell {
	if base == 0 {
		return missing()
	}
	pct := (v - base) / base * 100
	return cell{Text: fmt.Sprintf("%+.1f%%", pct), Class: changeClass(pct, higherIsBetter)}
}

// changeClass colours a change of pct percent.
func changeClass(pct float64, higherIsBetter bool) string {
	switch {
	case math.Abs(pct) < 1:
		return "num"
	case (pct > 0) == higherIsBetter:
		return "better"
	}
	return "worse"
}

// knob prints a config value the way it was given: 67108864, not 6.7e+07.
func knob(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
