package workloads

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Mix is the relative weight of each op: a client picks its next op at
// random with these weights. Only the ratios matter.
type Mix [numOps]float64

// ParseMix reads weights written as "getData:90,setData:10". Ops left out
// weigh 0.
func ParseMix(s string) (Mix, error) {
	var m Mix
	for _, part := range strings.Split(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return Mix{}, fmt.Errorf("%q: want op:weight, e.g. getData:90", part)
		}
		op, err := ParseOp(name)
		if err != nil {
			return Mix{}, err
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return Mix{}, fmt.Errorf("%s weight %q: want a number >= 0", op, w)
		}
		m[op] += v
	}
	return m, m.check()
}

func (m Mix) check() error {
	for _, w := range m {
		if w > 0 {
			return nil
		}
	}
	return errors.New("no op has a weight above 0")
}

// String writes the mix as ParseMix reads it, ops in their fixed order.
func (m Mix) String() string {
	var parts []string
	for _, op := range m.Ops() {
		// 12 digits: 1-0.9 prints as 0.1, not 0.09999999999999998.
		parts = append(parts, op.String()+":"+strconv.FormatFloat(m[op], 'g', 12, 64))
	}
	return strings.Join(parts, ",")
}

// Ops are the ops with a weight above 0, in their fixed order.
func (m Mix) Ops() []Op {
	var ops []Op
	for i, w := range m {
		if w > 0 {
			ops = append(ops, Op(i))
		}
	}
	return ops
}

// picker draws ops with a mix's weights.
type picker = weighted[Op]

func newPicker(m Mix) picker {
	ops := m.Ops()
	weights := make([]float64, len(ops))
	for i, op := range ops {
		weights[i] = m[op]
	}
	return newWeighted(ops, weights)
}

// weighted draws items with probabilities proportional to weights.
type weighted[T any] struct {
	items []T
	cum   []float64 // cumulative weights, normalized so the last is 1
}

func newWeighted[T any](items []T, weights []float64) weighted[T] {
	w := weighted[T]{items: items, cum: make([]float64, len(weights))}
	total := 0.0
	for i, x := range weights {
		total += x
		w.cum[i] = total
	}
	for i := range w.cum {
		w.cum[i] /= total
	}
	return w
}

// pick maps u, uniform in [0, 1), to an item. A linear scan: the lists
// are short (at most numOps ops; a few value sizes) and the common ones
// have one or two entries.
func (w weighted[T]) pick(u float64) T {
	for i, c := range w.cum {
		if u < c {
			return w.items[i]
		}
	}
	return w.items[len(w.items)-1]
}
