package workloads

import (
	"testing"

	"zkbench/engine/jute"
)

// juteMaxBuffer is ZooKeeper's default jute.maxbuffer: a server closes
// the connection of a client whose request is longer.
const juteMaxBuffer = 0xfffff

// multiRequestSize is the length ZooKeeper reads for a multi of creates
// (the frame's length prefix aside), encoded as a client sends it.
func multiRequestSize(paths []string, data func(int) []byte) int {
	req := jute.MultiRequest{}
	for i, p := range paths {
		req.Ops = append(req.Ops, jute.Op{Type: jute.OpCreate,
			Record: &jute.CreateRequest{Path: p, Data: data(i), ACL: jute.OpenACL, Flags: jute.FlagPersistent}})
	}
	w := jute.NewWriter(nil)
	(&jute.RequestHeader{Xid: 1, Type: jute.OpMulti}).Encode(w)
	req.Encode(w)
	return len(w.Bytes())
}

// The batches of a level cover it in order, and each multi, as encoded
// on the wire, is within the budget and below jute.maxbuffer, whatever
// the values: 1 KiB values share a batch, values bigger than the budget
// go one per batch and still go, and small nodes stop at the op limit.
func TestBatches(t *testing.T) {
	big := make([]byte, MaxValueSize)
	for _, tc := range []struct {
		name    string
		keys    int
		depth   int
		value   func(i int) []byte
		batches int
	}{
		{"1 KiB values", 10_000, 2, func(int) []byte { return big[:1024] }, 42}, // 239 creates of 1,093 bytes a batch
		{"folders only: the op limit", 2500, 1, func(int) []byte { return nil }, 3},
		{"values above the budget", 5, 1, func(int) []byte { return big[:multiBudget+1] }, 5},
		{"a big value between small ones", 300, 1, func(i int) []byte {
			if i == 150 {
				return big[:900<<10]
			}
			return big[:100]
		}, 3},
		{"values of half the budget", 6, 1, func(int) []byte { return big[:multiBudget/2] }, 6},
		{"one node", 1, 1, func(int) []byte { return big[:10] }, 1},
		{"none", 0, 1, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLayout("/zkbench", max(tc.keys, 1), tc.depth)
			paths := l.keys[:tc.keys]
			runs := batches(len(paths), func(i int) int { return multiOpBytes + len(paths[i]) + len(tc.value(i)) })
			if len(runs) != tc.batches {
				t.Errorf("%d batches, want %d", len(runs), tc.batches)
			}
			next := 0
			for _, r := range runs {
				from, to := r[0], r[1]
				if from != next || to <= from || to-from > multiMaxOps {
					t.Fatalf("batch [%d, %d) after %d: not the next run of at most %d", from, to, next, multiMaxOps)
				}
				next = to
				data := func(i int) []byte { return tc.value(from + i) }
				n := multiRequestSize(paths[from:to], data)
				if to-from > 1 && n > multiBudget {
					t.Errorf("batch [%d, %d): %d bytes, above the budget %d", from, to, n, multiBudget)
				}
				if to-from == 1 {
					continue // a create of its own: its size is the value's business
				}
				want := multiFraming
				for i := from; i < to; i++ {
					want += multiOpBytes + len(paths[i]) + len(tc.value(i))
				}
				if n != want || n >= juteMaxBuffer {
					t.Errorf("batch [%d, %d): %d bytes on the wire, estimated %d (limit %d)", from, to, n, want, juteMaxBuffer)
				}
			}
			if next != len(paths) {
				t.Errorf("the batches end at %d of %d", next, len(paths))
			}
		})
	}
}

func BenchmarkBatches(b *testing.B) {
	l := newLayout("/zkbench", 100_000, 2)
	v := newValues(ValueSizes{Min: 1024, Max: 1024}, 1)
	size := func(i int) int { return multiOpBytes + len(l.keys[i]) + len(v.forKey(i)) }
	for b.Loop() {
		if runs := batches(len(l.keys), size); len(runs) == 0 {
			b.Fatal("no batches")
		}
	}
}
