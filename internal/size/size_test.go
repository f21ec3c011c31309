package size

import (
	"math"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"4096", 4096},
		{"2300", 2300},
		{"64KiB", 64 << 10},
		{"64MiB", 64 << 20},
		{"1GiB", 1 << 30},
		{"2TiB", 2 << 40},
		{"512B", 512},
		{"0MiB", 0},
		{"64mib", 64 << 20},
		{"64 MiB", 64 << 20},
		{" 1GiB ", 1 << 30},
		{"007", 7},
		{"9223372036854775807", math.MaxInt64},
		{"8388607TiB", 8388607 << 40},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in, wantErr string
	}{
		{"", "empty"},
		{"  ", "empty"},
		{"-1", "negative"},
		{"-4KiB", "negative"},
		{"+4", "does not start with a number"},
		{"MiB", "does not start with a number"},
		{"KiB", "does not start with a number"},
		{"abc", "does not start with a number"},
		{"1.5GiB", "not a whole number"},
		{"64MB", `unknown unit "MB"`},
		{"64M", `unknown unit "M"`},
		{"64k", `unknown unit "k"`},
		{"64 KiB B", `unknown unit "KiB B"`},
		{"0x10", `unknown unit "x10"`},
		{"1e6", `unknown unit "e6"`},
		{"10 s", `unknown unit "s"`},
		{"9223372036854775808", "too large"},
		{"8388608TiB", "too large"},
		{"99999999999999999999GiB", "too large"},
	} {
		got, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q) = %d, want an error", tc.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) error %q, want one line containing %q", tc.in, err, tc.wantErr)
		}
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{2300, "2300"},
		{4096, "4KiB"},
		{64 << 20, "64MiB"},
		{1 << 30, "1GiB"},
		{3 << 40, "3TiB"},
		{(1 << 30) + 1024, "1048577KiB"},
		{math.MaxInt64, "9223372036854775807"},
	} {
		if got := Format(tc.in); got != tc.want {
			t.Errorf("Format(%d) = %q, want %q", tc.in, got, tc.want)
		}
		if back, err := Parse(Format(tc.in)); err != nil || back != tc.in {
			t.Errorf("Parse(Format(%d)) = %d, %v", tc.in, back, err)
		}
	}
}

func TestHuman(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0B"},
		{1023, "1023B"},
		{1536, "1.50KiB"},
		{64 << 20, "64.0MiB"},
		{200 << 30, "200GiB"},
		{-2048, "-2.00KiB"},
	} {
		if got := Human(tc.in); got != tc.want {
			t.Errorf("Human(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBytesFlag(t *testing.T) {
	b := Bytes(64 << 20)
	if b.String() != "64MiB" || b.Type() != "size" {
		t.Errorf("String, Type = %q, %q", b.String(), b.Type())
	}
	if err := b.Set("4KiB"); err != nil || b != 4096 {
		t.Errorf("Set(4KiB) = %v, value %d", err, b)
	}
	if err := b.Set("4XB"); err == nil || b != 4096 {
		t.Errorf("Set(4XB) = %v, value %d; want an error and the old value", err, b)
	}
}
