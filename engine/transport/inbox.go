package transport

// item is a frame or a Down waiting in an in-process endpoint's inbox.
type item struct {
	at   int64 // delivery time in network nanoseconds; 0 without latency
	seq  uint64
	env  Envelope
	link *dirLink // nil for a Down
}

// itemHeap orders an inbox by (at, seq). A link's frames get
// non-decreasing delivery times and increasing seqs, so the heap never
// reorders a link; across links it interleaves by delivery time, which is
// what latency means. Without latency every at is 0 and it is a FIFO.
type itemHeap []item

func (h itemHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

// push adds it and reports whether it became the head.
func (h *itemHeap) push(it item) bool {
	*h = append(*h, it)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
	return i == 0
}

func (h *itemHeap) pop() item {
	s := *h
	it := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = item{} // let the frame be collected
	*h = s[:n]
	h.down(0)
	return it
}

func (h itemHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// removeSeq removes the item with seq, wherever it is.
func (h *itemHeap) removeSeq(seq uint64) (item, bool) {
	for _, it := range *h {
		if it.seq == seq {
			h.filter(func(x *item) bool { return x.seq != seq })
			return it, true
		}
	}
	return item{}, false
}

// dropFrames removes the frames from peer except the one with seq keep (the
// one being handed over right now, which cannot be taken back). It returns
// how many it removed and whether a Down from peer is still waiting.
func (h *itemHeap) dropFrames(from, keep uint64) (removed int, downWaiting bool) {
	h.filter(func(x *item) bool {
		if x.env.From != from {
			return true
		}
		if x.env.Down {
			downWaiting = true
			return true
		}
		if x.seq == keep {
			return true
		}
		removed++
		return false
	})
	return removed, downWaiting
}

// filter keeps the items for which keep is true and restores heap order.
// It is O(n): it runs on faults, not per frame.
func (h *itemHeap) filter(keep func(*item) bool) {
	s := *h
	j := 0
	for i := range s {
		if keep(&s[i]) {
			s[j] = s[i]
			j++
		}
	}
	clear(s[j:])
	s = s[:j]
	for i := len(s)/2 - 1; i >= 0; i-- {
		s.down(i)
	}
	*h = s
}
