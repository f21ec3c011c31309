package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"snapCount", "snapSizeLimit", "snapRandomize", "preAllocSize", "preallocMode", "readRatio", "keys", "rate", "clients"}
	for _, tc := range []struct{ word, want string }{
		{"snapcount", "snapCount"},
		{"SNAPCOUNT", "snapCount"},
		{"snap-count", "snapCount"},
		{"snap_count", "snapCount"},
		{"preallocsize", "preAllocSize"},
		{"preallocmode", "preallocMode"},
		{"snapCuont", "snapCount"},
		{"readRatoi", "readRatio"},
		{"client", "clients"},
		{"kyes", "keys"},
		{"bogus", ""},
		{"x", ""},
		{"", ""},
	} {
		if got := Closest(tc.word, known); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
