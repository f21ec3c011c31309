package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
	"zkbench/hlog"
)

// Where a benchmark's ensemble keeps its files: the root disk (the test's
// temporary directory, /tmp) or tmpfs, which takes the log's fdatasync out
// of the picture and leaves the runtime's own cost.
var benchStorage = []struct {
	name string
	dir  func(b *testing.B) string
}{
	{"disk", func(b *testing.B) string { return b.TempDir() }},
	{"tmpfs", func(b *testing.B) string { return benchShm(b) }},
}

// benchShm returns a fresh directory on /dev/shm, removed after b.
func benchShm(b *testing.B) string {
	b.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "zkbench-engine-")
	if err != nil {
		b.Skipf("no tmpfs at /dev/shm: %v", err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// benchStart starts an ensemble with ZooKeeper's defaults (three voters,
// forceSync with fdatasync, 64 MiB preallocation, tickTime 2 s) in dir.
func benchStart(b *testing.B, dir string, tweak func(*Config)) *Ensemble {
	b.Helper()
	cfg := DefaultConfig(dir)
	cfg.Seed = 1
	if tweak != nil {
		tweak(&cfg)
	}
	e, err := Start(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.WaitServing(ctx); err != nil {
		b.Fatal(err)
	}
	return e
}

// writers is a population of clients spread round-robin over the
// ensemble's members, each with its own pre-created 1 KiB node. It grows
// as sub-benchmarks ask for more clients and is shared between them.
type writers struct {
	e       *Ensemble
	clients []*Client
	paths   []string
}

func (w *writers) get(b *testing.B, n int) ([]*Client, []string) {
	b.Helper()
	members := w.e.Members()
	for i := len(w.clients); i < n; i++ {
		c, err := w.e.Client(members[i%len(members)])
		if err != nil {
			b.Fatalf("client %d: %v", i, err)
		}
		p := "/bench-w" + strconv.Itoa(i)
		if _, err := c.Create(p, make([]byte, 1024), jute.FlagPersistent, OpenACL); err != nil {
			b.Fatalf("create %s: %v", p, err)
		}
		w.clients, w.paths = append(w.clients, c), append(w.paths, p)
	}
	return w.clients[:n], w.paths[:n]
}

// BenchmarkEnsembleWrite measures 1 KiB setData on a three-member
// ensemble with ZooKeeper's defaults: N clients spread over all members,
// each in its own goroutine issuing its share of b.N synchronous writes to
// its own node. It reports throughput and the p50/p99 latency one write
// takes from the client's call to its reply (encode, forward to the
// leader, propose, log and fdatasync on a quorum, commit, apply, reply).
// B/op and allocs/op count the whole process: the clients and all three
// members. log=disk also runs a bare fdatasync probe in the same directory,
// the disk's own latency to read the write latency against; fsync-p50-µs
// is the members' log syncs during the run (three logs on one disk), and
// txns/fsync their group commits.
//
// go test -run '^$' -bench EnsembleWrite -benchtime 5s -count 3 ./engine/
func BenchmarkEnsembleWrite(b *testing.B) {
	for _, st := range benchStorage {
		b.Run("log="+st.name, func(b *testing.B) {
			dir := st.dir(b)
			if st.name == "disk" {
				// The disk's own figure, side by side: one stream of 1 KiB
				// appends, each made durable alone.
				b.Run("fdatasync", func(b *testing.B) { benchFdatasync(b, dir) })
			}
			fs := &fsyncStats{}
			w := &writers{e: benchStart(b, dir, func(c *Config) { c.Events = fs })}
			for _, n := range []int{1, 16, 64} {
				b.Run("clients="+strconv.Itoa(n), func(b *testing.B) {
					clients, paths := w.get(b, n)
					fs.reset()
					benchSetData(b, clients, paths)
					fs.report(b)
				})
			}
		})
	}
}

func benchSetData(b *testing.B, clients []*Client, paths []string) {
	data := make([]byte, 1024)
	hists := make([]*hdrhistogram.Histogram, len(clients))
	errs := make([]error, len(clients))
	for i := range hists {
		hists[i] = hlog.NewHistogram()
	}
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	begin := time.Now()
	for i, c := range clients {
		ops := b.N / len(clients)
		if i < b.N%len(clients) {
			ops++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, p := hists[i], paths[i]
			for range ops {
				t0 := time.Now()
				if _, err := c.SetData(p, data, -1); err != nil {
					errs[i] = err
					return
				}
				h.RecordValue(hlog.Micros(time.Since(t0)))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()
	for i, err := range errs {
		if err != nil {
			b.Fatalf("client %d: setData %s: %v", i, paths[i], err)
		}
	}
	all := hists[0]
	for _, h := range hists[1:] {
		all.Merge(h)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(all.ValueAtQuantile(50)), "p50-µs")
	b.ReportMetric(float64(all.ValueAtQuantile(99)), "p99-µs")
}

// benchFdatasync measures what one txn costs the disk alone: 1 KiB written
// to the end of a log-like file (extended as ZooKeeper extends its log, 64
// MiB at a time by writing its last byte) and made durable with fdatasync.
func benchFdatasync(b *testing.B, dir string) {
	const step = 64 << 20
	f, err := disk.OS.Create(filepath.Join(dir, "fdatasync-probe"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	block := make([]byte, 1024+25) // a 1 KiB setData's log record, about
	h := hlog.NewHistogram()
	var off, end int64
	b.ResetTimer()
	for range b.N {
		if off+int64(len(block)) > end {
			end += step
			if _, err := f.WriteAt(block[:1], end-1); err != nil {
				b.Fatal(err)
			}
		}
		t0 := time.Now()
		if _, err := f.WriteAt(block, off); err != nil {
			b.Fatal(err)
		}
		if err := disk.Flush(f, disk.SyncFdatasync); err != nil {
			b.Fatal(err)
		}
		h.RecordValue(hlog.Micros(time.Since(t0)))
		off += int64(len(block))
	}
	b.ReportMetric(float64(h.ValueAtQuantile(50)), "p50-µs")
	b.ReportMetric(float64(h.ValueAtQuantile(99)), "p99-µs")
}

// fsyncStats collects the members' log syncs during a benchmark, to put
// the write latency next to the disk's: the sync latency (p50) and how many
// txns one sync carries on average (group commit).
type fsyncStats struct {
	mu    sync.Mutex
	h     *hdrhistogram.Histogram
	syncs int64
	txns  int64
}

func (f *fsyncStats) Publish(e Event) {
	if e.Kind != EventFsync {
		return
	}
	f.mu.Lock()
	if f.h != nil {
		f.h.RecordValue(hlog.Micros(e.Duration))
		f.syncs++
		f.txns += int64(e.Txns)
	}
	f.mu.Unlock()
}

func (f *fsyncStats) reset() {
	f.mu.Lock()
	f.h, f.syncs, f.txns = hlog.NewHistogram(), 0, 0
	f.mu.Unlock()
}

func (f *fsyncStats) report(b *testing.B) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.syncs == 0 {
		return
	}
	b.ReportMetric(float64(f.h.ValueAtQuantile(50)), "fsync-p50-µs")
	b.ReportMetric(float64(f.txns)/float64(f.syncs), "txns/fsync")
	f.h = nil
}

// BenchmarkEnsembleMemoryPerZnode measures what a whole member — its data
// tree and everything the runtime keeps around it — costs per znode: a
// three-member ensemble with its logs on tmpfs (outside the Go heap)
// creates 1M znodes with 16 bytes of data through multis, and the heap
// growth, divided by three members and by the znode count, less the path
// and data bytes every member holds, is the overhead per znode. The budget
// is 250 bytes (engine/datatree's BenchmarkMemoryPerZnode measures the
// tree alone). It takes about half a minute, and benchmarks are not run by
// go test: only an explicit -bench runs it.
//
// go test -run '^$' -bench EnsembleMemoryPerZnode ./engine/
func BenchmarkEnsembleMemoryPerZnode(b *testing.B) {
	const (
		znodes  = 1_000_000
		parents = 1000 // /m/p000../m/p999, 1000 children each
		perOp   = 100  // creates per multi
		writers = 16   // concurrent clients
	)
	for range b.N {
		e := benchStart(b, benchShm(b), func(c *Config) {
			c.SnapCount = 10 * znodes // the count trigger stays out of it
		})
		clients := make([]*Client, writers)
		for i := range clients {
			var err error
			if clients[i], err = e.Client(e.Members()[i%3]); err != nil {
				b.Fatal(err)
			}
		}
		c0 := clients[0]
		if _, err := c0.Create("/m", nil, jute.FlagPersistent, OpenACL); err != nil {
			b.Fatal(err)
		}
		for p := range parents {
			if _, err := c0.Create(fmt.Sprintf("/m/p%03d", p), nil, jute.FlagPersistent, OpenACL); err != nil {
				b.Fatal(err)
			}
		}
		for _, c := range clients {
			if err := c.Sync("/"); err != nil {
				b.Fatal(err)
			}
		}
		heapBefore := benchHeap()

		// Every path is "/m/pPPP/kKKKKKK" (15 bytes) and every node holds 16
		// bytes; the paths are built in the requests and not kept here.
		const payload = int64(len("/m/p000/k000000") + 16)
		var wg sync.WaitGroup
		errs := make([]error, writers)
		batches := znodes / perOp
		for w, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for bt := w; bt < batches; bt += writers {
					ops := make([]jute.Op, perOp)
					for j := range ops {
						k := bt*perOp + j
						ops[j] = jute.Op{Type: jute.OpCreate, Record: &jute.CreateRequest{
							Path: fmt.Sprintf("/m/p%03d/k%06d", k%parents, k/parents),
							Data: make([]byte, 16), ACL: OpenACL,
						}}
					}
					if _, err := c.Multi(ops...); err != nil {
						errs[w] = err
						return
					}
				}
			}()
		}
		wg.Wait()
		for w, err := range errs {
			if err != nil {
				b.Fatalf("writer %d: %v", w, err)
			}
		}
		// Every member has applied everything before the heap is read.
		for _, c := range clients[:3] {
			if err := c.Sync("/"); err != nil {
				b.Fatal(err)
			}
		}
		heapAfter := benchHeap()
		for _, id := range e.Members() {
			if st := e.Status(id); st.Nodes < znodes+parents {
				b.Fatalf("member %d holds %d nodes, want at least %d", id, st.Nodes, znodes+parents)
			}
		}
		grown := float64(heapAfter-heapBefore) / float64(3*znodes)
		b.ReportMetric(grown, "heap-B/znode/member")
		b.ReportMetric(grown-float64(payload), "overhead-B/znode/member")
		runtime.KeepAlive(clients)
		e.Stop()
	}
}

func benchHeap() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
