package workloads

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestFanout(t *testing.T) {
	tests := []struct{ n, depth, want int }{
		{1, 1, 1}, {1000, 1, 1000}, {1000, 2, 32}, {1000, 3, 10}, {1001, 3, 11},
		{1, 5, 1}, {2, 5, 2}, {10_000_000, 7, 10}, {64, 6, 2}, {65, 6, 3},
	}
	for _, tt := range tests {
		if got := fanoutFor(tt.n, tt.depth); got != tt.want {
			t.Errorf("fanoutFor(%d, %d) = %d, want %d", tt.n, tt.depth, got, tt.want)
		}
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		name     string
		n, depth int
		keys     []string // the first keys and the last
		dirs     [][]string
		parent   string // of the last key
	}{
		{"flat", 12, 1, []string{"/r/keys/k00", "/r/keys/k01", "/r/keys/k11"}, [][]string{}, "/r/keys"},
		{"two levels", 5, 2, []string{"/r/keys/d0/k0", "/r/keys/d0/k1", "/r/keys/d1/k1"},
			[][]string{{"/r/keys/d0", "/r/keys/d1"}}, "/r/keys/d1"},
		{"three levels", 20, 3, []string{"/r/keys/d0/d0/k0", "/r/keys/d0/d0/k1", "/r/keys/d2/d0/k1"},
			[][]string{
				{"/r/keys/d0", "/r/keys/d1", "/r/keys/d2"},
				{"/r/keys/d0/d0", "/r/keys/d0/d1", "/r/keys/d0/d2", "/r/keys/d1/d0", "/r/keys/d1/d1", "/r/keys/d1/d2", "/r/keys/d2/d0"},
			}, "/r/keys/d2/d0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLayout("/r", tt.n, tt.depth)
			if len(l.keys) != tt.n {
				t.Fatalf("%d keys, want %d", len(l.keys), tt.n)
			}
			got := []string{l.keys[0], l.keys[1], l.keys[tt.n-1]}
			if !slices.Equal(got, tt.keys) {
				t.Errorf("keys %v, want %v", got, tt.keys)
			}
			if !slices.EqualFunc(l.dirs, tt.dirs, slices.Equal) {
				t.Errorf("dirs %v, want %v", l.dirs, tt.dirs)
			}
			if p := l.parent(tt.n - 1); p != tt.parent {
				t.Errorf("parent %s, want %s", p, tt.parent)
			}
			seen := map[string]bool{}
			for _, k := range l.keys {
				if seen[k] {
					t.Fatalf("key %s twice", k)
				}
				seen[k] = true
			}
		})
	}
	if d := newLayout("/r", 1, 1).clientDir(7); d != "/r/clients/c0007" {
		t.Errorf("clientDir %s", d)
	}
}

func TestKeyPickers(t *testing.T) {
	const n, draws = 50, 5000
	r := rand.New(rand.NewPCG(1, 2))
	t.Run("uniform", func(t *testing.T) {
		counts := drawKeys(newKeyPicker(KeyDist{Kind: UniformKeys}, 0, n, 0, 1, r), draws)
		for k, c := range counts {
			if c == 0 {
				t.Errorf("key %d never drawn", k)
			}
		}
	})
	t.Run("zipf", func(t *testing.T) {
		counts := drawKeys(newKeyPicker(KeyDist{ZipfKeys, 1.1}, 0, n, 0, 1, r), draws)
		if counts[0] < 5*counts[n/2] || counts[0] < draws/10 {
			t.Errorf("key 0 drawn %d times, key %d %d times: not skewed", counts[0], n/2, counts[n/2])
		}
	})
	t.Run("sequential", func(t *testing.T) {
		p := newKeyPicker(KeyDist{Kind: SequentialKeys}, 0, 10, 1, 4, r) // client 1 of 4 starts at 10/4
		var got []int
		for range 10 {
			got = append(got, p.pick())
		}
		if want := []int{2, 3, 4, 5, 6, 7, 8, 9, 0, 1}; !slices.Equal(got, want) {
			t.Errorf("keys %v, want %v", got, want)
		}
	})
}

func drawKeys(p *keyPicker, draws int) []int {
	counts := make([]int, p.n)
	for range draws {
		counts[p.pick()]++
	}
	return counts
}

func TestValueSizes(t *testing.T) {
	tests := []struct {
		in   string
		want ValueSizes
		out  string
	}{
		{"0", ValueSizes{Min: 0, Max: 0}, "0"},
		{"1024", ValueSizes{Min: 1024, Max: 1024}, "1KiB"},
		{"uniform:10..1MiB", ValueSizes{Min: 10, Max: 1 << 20}, "uniform:10..1MiB"},
	}
	for _, tt := range tests {
		got, err := ParseValueSizes(tt.in)
		if err != nil || got != tt.want || got.String() != tt.out {
			t.Errorf("ParseValueSizes(%q) = %v (%s), %v; want %v (%s)", tt.in, got, got, err, tt.want, tt.out)
		}
	}
	v := newValues(ValueSizes{Min: 3, Max: 7}, 1)
	r := rand.New(rand.NewPCG(1, 1))
	seen := map[int]bool{}
	for range 200 {
		seen[len(v.next(r))] = true
	}
	if len(seen) != 5 || !seen[3] || !seen[7] {
		t.Errorf("value sizes drawn: %v, want 3..7", seen)
	}
}

func TestPicker(t *testing.T) {
	p := newPicker(Mix{OpGetData: 3, OpSetData: 1})
	r := rand.New(rand.NewPCG(1, 1))
	var counts [numOps]int
	for range 4000 {
		counts[p.pick(r.Float64())]++
	}
	// 3:1 with a seeded generator; 3000±150 is over 5 standard deviations.
	if g := counts[OpGetData]; g < 2850 || g > 3150 || g+counts[OpSetData] != 4000 {
		t.Errorf("counts %v, want about 3000 getData and 1000 setData", counts)
	}
}

func TestParseOp(t *testing.T) {
	for in, want := range map[string]Op{
		"getData": OpGetData, "GETDATA": OpGetData, "get-data": OpGetData,
		"create-sequential": OpCreateSequential, "create_ephemeral": OpCreateEphemeral,
		"watch": OpWatch, "watch-and-trigger": OpWatch, "multi": OpMulti,
	} {
		if got, err := ParseOp(in); err != nil || got != want {
			t.Errorf("ParseOp(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, op := range Ops() {
		if got, err := ParseOp(op.String()); err != nil || got != op {
			t.Errorf("ParseOp(%s) = %v, %v", op, got, err)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		code int32
		want error
		kind string
	}{
		{-101, ErrNoNode, "NoNode"},
		{-110, ErrNodeExists, "NodeExists"},
		{-4, ErrConnectionLoss, "ConnectionLoss"},
		{-112, ErrSessionExpired, "SessionExpired"},
		{-13, CodeError(-13), "code -13"},
	}
	for _, tt := range tests {
		err := CodeError(tt.code)
		if !errors.Is(err, tt.want) {
			t.Errorf("CodeError(%d) = %v, want %v", tt.code, err, tt.want)
		}
		if k := errorKind(fmt.Errorf("getData /x: %w", err)); k != tt.kind {
			t.Errorf("kind of %v = %s, want %s", err, k, tt.kind)
		}
	}
	if CodeError(0) != nil {
		t.Error("CodeError(0) is not nil")
	}
	if k := errorKind(fmt.Errorf("getData /x: %w", ErrClosed)); k != "Closed" {
		t.Errorf("kind of ErrClosed = %s", k)
	}
	if k := errorKind(errors.New("disk on fire")); k != "other" {
		t.Errorf("kind of an unmapped error = %s", k)
	}
}

// A list of SIZE:WEIGHT draws each size with its share, for the keys'
// preloaded values and the values written alike, and reads back as
// written.
func TestValueSizeList(t *testing.T) {
	sizes, err := ParseValueSizes("100:50, 1KiB:40,64KiB:10")
	if err != nil {
		t.Fatal(err)
	}
	if got := sizes.String(); got != "100:50,1KiB:40,64KiB:10" || sizes.Min != 100 || sizes.Max != 64<<10 || sizes.Mean() != 7013 {
		t.Fatalf("%s: min %d, max %d, mean %d; want 100..64KiB, mean 7013", got, sizes.Min, sizes.Max, sizes.Mean())
	}
	v := newValues(sizes, 3)
	r := rand.New(rand.NewPCG(1, 1))
	const n = 20000
	byKey, drawn := map[int]int{}, map[int]int{}
	for i := range n {
		byKey[len(v.forKey(i))]++
		drawn[len(v.next(r))]++
	}
	for _, counts := range []map[int]int{byKey, drawn} {
		for size, share := range map[int]float64{100: 0.5, 1024: 0.4, 64 << 10: 0.1} {
			if got := float64(counts[size]) / n; math.Abs(got-share) > 0.02 {
				t.Errorf("size %d: %.3f of the values, want %.2f (%v)", size, got, share, counts)
			}
		}
		if len(counts) != 3 {
			t.Errorf("sizes %v, want only the listed ones", counts)
		}
	}
	for _, bad := range []string{"100:0", "100:x", "2MiB:1", "100:1,", "100:NaN", "1KiB:1,uniform:1..2"} {
		if _, err := ParseValueSizes(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// FuzzParseValueSizes: whatever ParseValueSizes accepts stays within
// ZooKeeper's limit and reads back from its String as the same sizes.
func FuzzParseValueSizes(f *testing.F) {
	for _, s := range []string{"1KiB", "uniform:512..4KiB", "100:50,1KiB:40,64KiB:10", "0:1", "1MiB:1e-300", "1:1e308,2:1e308"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseValueSizes(s)
		if err != nil {
			return
		}
		if v.Min < 0 || v.Min > v.Max || v.Max > MaxValueSize || v.Mean() < v.Min || v.Mean() > v.Max {
			t.Fatalf("%q: %+v, mean %d", s, v, v.Mean())
		}
		again, err := ParseValueSizes(v.String())
		if err != nil || again.String() != v.String() || again.Min != v.Min || again.Max != v.Max {
			t.Fatalf("%q reads as %s, which reads as %v, %v", s, v, again, err)
		}
	})
}

// BenchmarkPreloadValues is the value a preload hands out per key, for
// each kind of valueSize: PreloadNodes calls it once per key of a
// million-key tree.
func BenchmarkPreloadValues(b *testing.B) {
	for _, spec := range []string{"1KiB", "uniform:512..4KiB", "100:50,1KiB:40,16KiB:8,64KiB:2"} {
		b.Run(spec, func(b *testing.B) {
			sizes, err := ParseValueSizes(spec)
			if err != nil {
				b.Fatal(err)
			}
			v := newValues(sizes, 1)
			for i := 0; b.Loop(); i++ {
				sizeSink += len(v.forKey(i))
			}
		})
	}
}

// sizeSink keeps the benchmarked calls from being optimized away.
var sizeSink int
