package workloads

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"zkbench/internal/size"
)

// MaxValueSize is the largest value a workload writes: ZooKeeper refuses
// a request above jute.maxbuffer, 1 MiB by default.
const MaxValueSize = 1 << 20

// ValueSizes is the size of the values a workload writes, in bytes: Min
// when Min == Max, otherwise uniform in [Min, Max], or drawn from List
// when there is one (Min and Max then its smallest and largest).
type ValueSizes struct {
	Min, Max int
	// List is a weighted list of sizes, the shape of a production tree's
	// values: what a histogram or a few percentiles of them give. A
	// pointer keeps ValueSizes comparable.
	List *SizeList
}

// SizeList is value sizes with their weights (only their ratios matter).
type SizeList struct {
	Sizes   []int
	Weights []float64
	draw    weighted[int]
}

// ParseValueSizes reads "1KiB" (fixed), "uniform:512..4KiB" or a list
// of SIZE:WEIGHT, "100:50,1KiB:40,64KiB:10".
func ParseValueSizes(s string) (ValueSizes, error) {
	body, isUniform := strings.CutPrefix(s, "uniform:")
	if !isUniform && strings.Contains(s, ":") {
		return parseSizeList(s)
	}
	if !isUniform {
		n, err := parseValueSize(s)
		return ValueSizes{Min: n, Max: n}, err
	}
	lo, hi, ok := strings.Cut(body, "..")
	if !ok {
		return ValueSizes{}, errors.New("want uniform:MIN..MAX, e.g. uniform:512..4KiB")
	}
	min, err := parseValueSize(lo)
	if err != nil {
		return ValueSizes{}, err
	}
	max, err := parseValueSize(hi)
	if err != nil {
		return ValueSizes{}, err
	}
	if min > max {
		return ValueSizes{}, errors.New("MIN above MAX")
	}
	return ValueSizes{Min: min, Max: max}, nil
}

// parseSizeList reads SIZE:WEIGHT,... .
func parseSizeList(s string) (ValueSizes, error) {
	l := &SizeList{}
	for entry := range strings.SplitSeq(s, ",") {
		sz, w, ok := strings.Cut(strings.TrimSpace(entry), ":")
		if !ok {
			return ValueSizes{}, fmt.Errorf("%q: want SIZE:WEIGHT, e.g. 100:50,1KiB:40,64KiB:10", entry)
		}
		n, err := parseValueSize(sz)
		if err != nil {
			return ValueSizes{}, err
		}
		weight, err := strconv.ParseFloat(w, 64)
		if err != nil || !(weight > 0) || math.IsInf(weight, 0) {
			return ValueSizes{}, fmt.Errorf("%q: the weight %q is not a number above 0", entry, w)
		}
		l.Sizes, l.Weights = append(l.Sizes, n), append(l.Weights, weight)
	}
	total := 0.0
	for _, w := range l.Weights {
		total += w
	}
	if math.IsInf(total, 0) {
		return ValueSizes{}, fmt.Errorf("%q: the weights add up beyond a float", s)
	}
	l.draw = newWeighted(l.Sizes, l.Weights)
	return ValueSizes{Min: slices.Min(l.Sizes), Max: slices.Max(l.Sizes), List: l}, nil
}

func parseValueSize(s string) (int, error) {
	n, err := size.Parse(s)
	if err != nil {
		return 0, err
	}
	if n > MaxValueSize {
		return 0, fmt.Errorf("%s is above %s, ZooKeeper's jute.maxbuffer", s, size.Format(MaxValueSize))
	}
	return int(n), nil
}

// String writes the sizes as ParseValueSizes reads them.
func (v ValueSizes) String() string {
	if v.List != nil {
		entries := make([]string, len(v.List.Sizes))
		for i, n := range v.List.Sizes {
			entries[i] = size.Format(int64(n)) + ":" + strconv.FormatFloat(v.List.Weights[i], 'g', -1, 64)
		}
		return strings.Join(entries, ",")
	}
	if v.Min == v.Max {
		return size.Format(int64(v.Min))
	}
	return "uniform:" + size.Format(int64(v.Min)) + ".." + size.Format(int64(v.Max))
}

// Mean is the average value size.
func (v ValueSizes) Mean() int {
	if v.List == nil {
		return (v.Min + v.Max) / 2
	}
	var sum, total float64
	for i, n := range v.List.Sizes {
		sum += float64(n) * v.List.Weights[i]
		total += v.List.Weights[i]
	}
	return min(max(int(math.Round(sum/total)), v.Min), v.Max) // rounding stays in range
}

// values hands out values: prefixes of one random buffer shared by every
// client. Random bytes so that nothing on the way (a compressing file
// system, say) makes them cheaper than real data; one shared buffer so
// that a thousand clients do not need a thousand copies.
type values struct {
	sizes ValueSizes
	buf   []byte
	seed  uint64
}

func newValues(sizes ValueSizes, seed uint64) *values {
	buf := make([]byte, sizes.Max)
	r := rand.New(rand.NewPCG(seed, 0x76616c756573)) // "values"
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	return &values{sizes, buf, seed}
}

// next returns a value drawn with r. Callers only read it.
func (v *values) next(r *rand.Rand) []byte {
	if v.sizes.List != nil {
		return v.buf[:v.sizes.List.draw.pick(r.Float64())]
	}
	if v.sizes.Min == v.sizes.Max {
		return v.buf[:v.sizes.Min]
	}
	return v.buf[:v.sizes.Min+r.IntN(v.sizes.Max-v.sizes.Min+1)]
}

// forKey returns key i's preloaded value. Its size follows from the seed
// and i alone, not from which session happens to create the key, so that
// every way of preloading (creates over many sessions, a snapshot built
// in memory) gives each key the same value.
func (v *values) forKey(i int) []byte {
	h := mix64(v.seed ^ uint64(i)*0x9e3779b97f4a7c15)
	if v.sizes.List != nil {
		return v.buf[:v.sizes.List.draw.pick(float64(h>>11)/(1<<53))]
	}
	span := uint64(v.sizes.Max - v.sizes.Min + 1)
	return v.buf[:v.sizes.Min+int(h%span)]
}

// mix64 is SplitMix64's finalizer: consecutive inputs give unrelated
// outputs.
func mix64(x uint64) uint64 {
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
