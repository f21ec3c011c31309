package table

import (
	"bytes"
	"testing"
)

func TestMicros(t *testing.T) {
	for _, tc := range []struct {
		us   int64
		want string
	}{
		{0, "0 µs"}, {850, "850 µs"}, {999, "999 µs"}, {1000, "1.00 ms"}, {1234, "1.23 ms"},
		{12_345, "12.3 ms"}, {123_456, "123 ms"}, {999_999, "1000 ms"}, {1_000_000, "1.00 s"}, {1_500_000, "1.50 s"}, {61_000_000, "61.0 s"},
	} {
		if got := Micros(tc.us); got != tc.want {
			t.Errorf("Micros(%d) = %q, want %q", tc.us, got, tc.want)
		}
		if got := Micros(float64(tc.us)); got != tc.want {
			t.Errorf("Micros(%d.0) = %q, want %q", tc.us, got, tc.want)
		}
	}
}

func TestFigure(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{1.234, "1.23"}, {12.34, "12.3"}, {123.4, "123"}, {0, "0.00"}} {
		if got := Figure(tc.v); got != tc.want {
			t.Errorf("Figure(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestWrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rows  [][]string
		right []bool
		want  string
	}{
		{"words left, numbers right", [][]string{{"OP", "COUNT"}, {"setData", "7"}, {"get", "1234"}},
			Right(1, 2), "OP       COUNT\nsetData      7\nget       1234\n"},
		{"a last column of notes is not padded", [][]string{{"A", "NOTE"}, {"1", ""}, {"22", "failed: x"}},
			[]bool{true}, " A  NOTE\n 1\n22  failed: x\n"},
		{"µs counts as one character", [][]string{{"P99 µs", "X"}, {"1", "y"}},
			Right(0, 1), "P99 µs  X\n     1  y\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tc.rows, tc.right); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		names []string
		most  int
		want  string
	}{
		{nil, 3, ""},
		{[]string{"a"}, 3, "a"},
		{[]string{"a", "b", "c"}, 3, "a, b, c"},
		{[]string{"a", "b", "c", "d", "e"}, 3, "a, b, c and 2 more"},
	} {
		if got := Names(tc.names, tc.most); got != tc.want {
			t.Errorf("Names(%q, %d) = %q, want %q", tc.names, tc.most, got, tc.want)
		}
	}
}
