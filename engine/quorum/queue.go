package quorum

// fifo is a slice queue that reuses its memory: proposals and logged txns
// are appended at one end and committed at the other, millions of times.
type fifo[T any] struct {
	buf  []T
	head int
}

func (q *fifo[T]) len() int    { return len(q.buf) - q.head }
func (q *fifo[T]) items() []T  { return q.buf[q.head:] }
func (q *fifo[T]) front() *T   { return &q.buf[q.head] }
func (q *fifo[T]) push(v ...T) { q.buf = append(q.buf, v...) }
func (q *fifo[T]) at(i int) *T { return &q.buf[q.head+i] }

// pop removes the oldest element.
func (q *fifo[T]) pop() T {
	v := q.buf[q.head]
	var zero T
	q.buf[q.head] = zero
	q.head++
	switch {
	case q.head == len(q.buf):
		q.buf, q.head = q.buf[:0], 0
	case q.head >= 256 && 2*q.head >= len(q.buf):
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
	return v
}

func (q *fifo[T]) reset() {
	clear(q.buf)
	q.buf, q.head = q.buf[:0], 0
}

// keep drops all but the oldest n elements.
func (q *fifo[T]) keep(n int) {
	clear(q.buf[q.head+n:])
	q.buf = q.buf[:q.head+n]
}
