package engine

import (
	"os"
	"runtime"
	"sync"
)

// A member's log writer spends much of its time in fdatasync. A goroutine
// in a blocking system call keeps its scheduler slot (a P) until the
// runtime's monitor takes it back, which with a queue of runnable
// goroutines behind it can take up to milliseconds. ZooKeeper's threads
// have no such slot: a JVM thread blocked in a flush costs no other thread
// its core. With GOMAXPROCS at the core count, three members' writers in
// their flushes hold most of the slots, and every other member goroutine
// (the leader's loop, the client connections, the followers' acks) queues
// for what is left: on a 2-core machine with the logs on a virtio disk,
// the write rate a run sustains within p99 10 ms was about 13,000/s, and
// with a slot lent for each writer over 17,000/s (the kernel's CPU time
// for the flushes then the limit), while neither the disk nor the cores
// were busy at the first.
//
// So an ensemble lends the scheduler one P for each member it runs, for
// as long as it runs. An explicit GOMAXPROCS in the environment is left
// alone: whoever set it chose what to measure. Setting it, even back to
// what it was, ends the runtime's following of a container's CPU limit
// for the rest of the process; zkbench's processes are runs, and serve's
// ensemble lives as long as its process.
var lent struct {
	sync.Mutex
	procs int // the sum over running ensembles
	base  int // GOMAXPROCS before the first lending
}

// lendProcs raises GOMAXPROCS by n until the returned function is called
// (once; later calls do nothing).
func lendProcs(n int) (giveBack func()) {
	if n <= 0 || os.Getenv("GOMAXPROCS") != "" {
		return func() {}
	}
	lent.Lock()
	if lent.procs == 0 {
		lent.base = runtime.GOMAXPROCS(0)
	}
	lent.procs += n
	runtime.GOMAXPROCS(lent.base + lent.procs)
	lent.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			lent.Lock()
			defer lent.Unlock()
			lent.procs -= n
			runtime.GOMAXPROCS(lent.base + lent.procs)
		})
	}
}
