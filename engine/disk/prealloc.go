package disk

import (
	"fmt"
	"time"
)

// PreallocMode is how a log file is extended ahead of its writes, so that
// a sync does not also have to persist a new file length.
type PreallocMode int

const (
	// PreallocZooKeeper does what ZooKeeper 3.8 does: write one zero byte
	// at the new end. The file system may leave a hole behind it.
	PreallocZooKeeper PreallocMode = iota
	// PreallocFallocate reserves real blocks with fallocate(2).
	PreallocFallocate
	// PreallocZero writes zeros over the whole new range.
	PreallocZero
	// PreallocNone never extends ahead; each append grows the file.
	PreallocNone
)

var preallocNames = []string{"zookeeper", "fallocate", "zero", "none"}

func (m PreallocMode) String() string {
	if m >= 0 && int(m) < len(preallocNames) {
		return preallocNames[m]
	}
	return fmt.Sprintf("PreallocMode(%d)", int(m))
}

// ParsePreallocMode parses zookeeper, fallocate, zero or none.
func ParsePreallocMode(s string) (PreallocMode, error) {
	for i, n := range preallocNames {
		if s == n {
			return PreallocMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown prealloc mode %q (want zookeeper, fallocate, zero or none)", s)
}

// zeroChunk bounds the buffer PreallocZero writes from.
var zeroChunk = make([]byte, 1<<20)

// Extend grows f from length from to length to with mode, and reports it to
// sink. It never shrinks a file and does nothing for PreallocNone.
func Extend(f File, mode PreallocMode, from, to int64, sink Sink) error {
	if to <= from || mode == PreallocNone {
		return nil
	}
	start := time.Now()
	var err error
	switch mode {
	case PreallocZooKeeper:
		_, err = f.WriteAt(zeroChunk[:1], to-1)
	case PreallocFallocate:
		err = f.Allocate(from, to-from)
	case PreallocZero:
		for off := from; off < to && err == nil; {
			n := min(int64(len(zeroChunk)), to-off)
			_, err = f.WriteAt(zeroChunk[:n], off)
			off += n
		}
	default:
		err = fmt.Errorf("unknown prealloc mode %d", int(mode))
	}
	if err != nil {
		return fmt.Errorf("preallocate %s [%d, %d) with %s: %w", f.Name(), from, to, mode, err)
	}
	sink.Extended(ExtendEvent{Path: f.Name(), Mode: mode, From: from, To: to, Duration: time.Since(start)})
	return nil
}
