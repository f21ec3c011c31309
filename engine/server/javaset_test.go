package server

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// testdata/javaset.golden was written by OpenJDK 17 (testdata/JavaSetGen.java):
// random histories of adds, removes and clones of a HashSet<String>, each
// ending in the iteration order Java gives. javaSet must reproduce every one.
func TestJavaSetMatchesJava17(t *testing.T) {
	f, err := os.Open("testdata/javaset.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var s *javaSet
	cases, line := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line++
		op, arg, _ := strings.Cut(sc.Text(), " ")
		switch op {
		case "new":
			capacity, err := strconv.Atoi(arg)
			if err != nil {
				t.Fatalf("line %d: %v", line, err)
			}
			s = newJavaSet(capacity)
			cases++
		case "add":
			s.add(arg)
		case "remove":
			s.remove(arg)
		case "clone":
			s = s.clone()
		case "expect":
			var want []string
			if arg != "" {
				want = strings.Split(arg, ",")
			}
			if got := s.list(); !slices.Equal(got, want) {
				t.Fatalf("line %d: order\n got %v\nwant %v", line, got, want)
			}
		default:
			t.Fatalf("line %d: unknown op %q", line, op)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cases < 50 {
		t.Fatalf("only %d cases", cases)
	}
}

func TestJavaHash(t *testing.T) {
	// String.hashCode values from Java, before HashMap's spreading.
	for s, want := range map[string]int32{
		"":           0,
		"apple":      93029210,
		"banana":     -1396355227,
		"/bench/eph": 0x132a56f,
		"é€":         233*31 + 8364,
		"\U0001F600": 0xD83D*31 + 0xDE00,
	} {
		h := uint32(want)
		if got := javaHash(s); got != h^h>>16 {
			t.Errorf("javaHash(%q) = %#x, want %#x", s, got, h^h>>16)
		}
	}
}

func TestChildOrder(t *testing.T) {
	// In a HashSet(8): "a".."c" land in buckets 1..3, "i" (105) in 1 after
	// "a", so creation order decides within the bucket.
	got := childOrder([]string{"c", "i", "b", "a"})
	if want := []string{"i", "a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("childOrder = %v, want %v", got, want)
	}
}
