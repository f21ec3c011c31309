package fourletter

import (
	"slices"
	"strings"
	"testing"
)

func TestParseWhitelist(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"", "srvr"},
		{"mntr", "mntr,srvr"},
		{" mntr , ruok,,conf ", "conf,mntr,ruok,srvr"},
		{"ruok, *", strings.Join(sorted(Known), ",")},
		{"nope", "nope,srvr"},
	} {
		if got := ParseWhitelist(tc.in).String(); got != tc.want {
			t.Errorf("ParseWhitelist(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestWordIsALength(t *testing.T) {
	// "ruok" read as a frame length is 0x72756f6b, far beyond
	// jute.maxbuffer: no request frame can be mistaken for a word.
	if !Is(0x72756f6b) || Is(45) || Is(0x72756f6c) {
		t.Fatal("Is disagrees with the known words")
	}
	for _, w := range Known {
		var b [4]byte
		copy(b[:], w)
		if got, ok := Word(b); !ok || got != w {
			t.Errorf("Word(%q) = %q, %v", w, got, ok)
		}
	}
}

// Java's Double.toString for the values the words print.
func TestJavaDouble(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{0, "0.0"}, {2.25, "2.25"}, {3, "3.0"}, {0.3333, "0.3333"}, {1e7, "1.0E7"}, {12345678.5, "1.23456785E7"}, {0.0001, "1.0E-4"}} {
		if got := javaDouble(tc.v); got != tc.want {
			t.Errorf("javaDouble(%v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

// AvgMinMaxCounter rounds its mean half up to four decimals.
func TestSummaryAvg(t *testing.T) {
	var s Summary
	for _, v := range []int64{1, 2, 2} {
		s.Add(v)
	}
	if s.Avg() != 1.6667 || s.Min != 1 || s.Max != 2 || s.Count != 3 || s.Sum != 5 {
		t.Fatalf("%+v avg %v", s, s.Avg())
	}
}

func TestAnswerNotServing(t *testing.T) {
	f := &Figures{}
	for _, w := range Answered {
		got := Answer(w, f)
		switch w {
		case "ruok":
			if got != "imok" {
				t.Errorf("ruok: %q", got)
			}
		case "isro":
			if got != "null" {
				t.Errorf("isro: %q", got)
			}
		case "envi":
			if !strings.HasPrefix(got, "Environment:\nzookeeper.version=3.8.0-") {
				t.Errorf("envi: %q", got)
			}
		default:
			if got != NotServing {
				t.Errorf("%s: %q, want %q", w, got, NotServing)
			}
		}
	}
	if got := Answer("dump", &Figures{Serving: true}); got != "" {
		t.Errorf("dump: %q", got)
	}
}

// java.util.HashMap's order, printed by jshell: a HashMap<String,Object>
// of /absent, /a, /zookeeper, /w, keySet() printed.
func TestJavaHashOrder(t *testing.T) {
	paths := []string{"/absent", "/a", "/zookeeper", "/w"}
	javaHashOrder(paths)
	if want := []string{"/a", "/w", "/zookeeper", "/absent"}; !slices.Equal(paths, want) {
		t.Errorf("order %v, want %v", paths, want)
	}
}

func FuzzParseWhitelist(f *testing.F) {
	f.Add("mntr,srvr")
	f.Add(" * ")
	f.Add(",,ruok, conf")
	f.Fuzz(func(t *testing.T, s string) {
		w := ParseWhitelist(s)
		if !w["srvr"] {
			t.Fatal("srvr not enabled")
		}
		if ParseWhitelist(w.String()).String() != w.String() {
			t.Fatalf("%q: not a fixed point: %s", s, w.String())
		}
	})
}
