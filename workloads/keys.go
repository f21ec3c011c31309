package workloads

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Key distributions.
const (
	UniformKeys    = "uniform"    // every key equally likely
	ZipfKeys       = "zipf"       // key i with probability ∝ (i+1)^-S: a few hot keys
	SequentialKeys = "sequential" // each client walks the keys in order, from its own offset
)

// DefaultZipfS is the zipf exponent when none is given: with 1000 keys the
// hottest gets about a fifth of the ops. Go's generator needs S > 1.
const DefaultZipfS = 1.1

// KeyDist is how clients pick the key of their next op.
type KeyDist struct {
	Kind string  // UniformKeys, ZipfKeys or SequentialKeys
	S    float64 // Zipf's exponent, > 1
}

// ParseKeyDist reads "uniform", "sequential", "zipf" or "zipf:S".
func ParseKeyDist(s string) (KeyDist, error) {
	kind, exp, hasExp := strings.Cut(s, ":")
	switch {
	case kind == ZipfKeys && !hasExp:
		return KeyDist{ZipfKeys, DefaultZipfS}, nil
	case kind == ZipfKeys:
		v, err := strconv.ParseFloat(exp, 64)
		if err != nil || !(v > 1) || v > 100 {
			return KeyDist{}, fmt.Errorf("zipf exponent %q: want a number above 1 (and at most 100)", exp)
		}
		return KeyDist{ZipfKeys, v}, nil
	case (kind == UniformKeys || kind == SequentialKeys) && !hasExp:
		return KeyDist{Kind: kind}, nil
	}
	return KeyDist{}, errors.New("want uniform, zipf, zipf:S or sequential")
}

func (d KeyDist) String() string {
	if d.Kind == ZipfKeys {
		return ZipfKeys + ":" + strconv.FormatFloat(d.S, 'g', -1, 64)
	}
	return d.Kind
}

// keyPicker draws key indexes in [0, n) for one client.
type keyPicker struct {
	kind string
	lo   int // the first key
	n    int
	r    *rand.Rand
	zipf *rand.Zipf
	next int // Sequential: the next key
}

// newKeyPicker returns client's picker. Sequential clients start evenly
// spread over the keys, so that they do not all write the same key at
// once.
//
// It picks from keys [lo, hi): a driver's part of the workload's keys
// (Share), all of them for a driver alone; client is one of the
// driver's clients.
func newKeyPicker(d KeyDist, lo, hi, client, clients int, r *rand.Rand) *keyPicker {
	n := hi - lo
	p := &keyPicker{kind: d.Kind, lo: lo, n: n, r: r}
	switch d.Kind {
	case ZipfKeys:
		p.zipf = rand.NewZipf(r, d.S, 1, uint64(n-1))
	case SequentialKeys:
		p.next = int(int64(client) * int64(n) / int64(clients))
	}
	return p
}

func (p *keyPicker) pick() int {
	switch p.kind {
	case ZipfKeys:
		return p.lo + int(p.zipf.Uint64())
	case SequentialKeys:
		k := p.next
		p.next = (p.next + 1) % p.n
		return p.lo + k
	}
	return p.lo + p.r.IntN(p.n)
}

// layout names the nodes of a workload under its root:
//
//	root/keys/…/kNNN   the keys, depth levels below root/keys
//	root/clients/cNNNN one folder per client for the nodes it creates
//
// With depth > 1 the keys are spread over folders dNNN, filled in order
// with the same fan-out at every level, so that a getChildren lists one
// folder of at most that many keys rather than all of them.
type layout struct {
	root, keysDir, clientsDir string
	keys                      []string   // key i's path
	dirs                      [][]string // the folders above the keys, level by level, top first

	fanout, width int   // children per folder; digits in a name
	span          []int // span[d]: keys under one node d levels below root/keys
}

func newLayout(root string, n, depth int) *layout {
	l := &layout{root: root, keysDir: root + "/keys", clientsDir: root + "/clients"}
	l.fanout = fanoutFor(n, depth)
	l.width = len(strconv.Itoa(l.fanout - 1))
	l.span = make([]int, depth+1)
	l.span[depth] = 1
	for d := depth - 1; d >= 0; d-- {
		l.span[d] = l.span[d+1] * l.fanout
	}
	l.dirs = make([][]string, depth-1)
	for d := 1; d < depth; d++ {
		for i := 0; i < n; i += l.span[d] {
			l.dirs[d-1] = append(l.dirs[d-1], l.ancestor(i, d))
		}
	}
	l.keys = make([]string, n)
	for i := range l.keys {
		l.keys[i] = l.ancestor(i, depth)
	}
	return l
}

// ancestor is the path of key i's ancestor d levels below root/keys; at
// d = depth, the key itself.
func (l *layout) ancestor(i, d int) string {
	var b strings.Builder
	b.WriteString(l.keysDir)
	depth := len(l.span) - 1
	for level := 1; level <= d; level++ {
		prefix := "/d"
		if level == depth {
			prefix = "/k"
		}
		b.WriteString(prefix)
		digit := strconv.Itoa(i / l.span[level] % l.fanout)
		b.WriteString(strings.Repeat("0", l.width-len(digit)))
		b.WriteString(digit)
	}
	return b.String()
}

// folders lists the folders a run creates before its keys, level by
// level, each level's parents in the levels before it: the root's
// ancestors one at a time, the root, and with keys root/keys and the
// key folders.
func (l *layout) folders(keys bool) [][]string {
	var levels [][]string
	for _, p := range append(ancestors(l.root), l.root) {
		levels = append(levels, []string{p})
	}
	if !keys {
		return levels
	}
	return append(append(levels, []string{l.keysDir}), l.dirs...)
}

// parent is the folder that holds key i.
func (l *layout) parent(i int) string {
	p := l.keys[i]
	return p[:strings.LastIndexByte(p, '/')]
}

func (l *layout) clientDir(c int) string {
	return fmt.Sprintf("%s/c%04d", l.clientsDir, c)
}

// fanoutFor is the smallest f with f^depth >= n: the children per folder.
func fanoutFor(n, depth int) int {
	if depth == 1 {
		return n
	}
	// The float root is within one of the answer; the loop settles it.
	f := max(1, int(math.Floor(math.Pow(float64(n), 1/float64(depth)))))
	for pow(f, depth) < n {
		f++
	}
	return f
}

// pow is f^e, saturating above any key count (callers compare it with one).
func pow(f, e int) int {
	p := 1
	for range e {
		if p > maxKeys {
			return p
		}
		p *= f
	}
	return p
}
