// Package fsprobe answers "is this mount good enough for a ZooKeeper
// transaction log?" by doing what the log does — append small records and
// make each durable — and timing every sync into an HDR histogram.
//
// A probe writes Count blocks of BlockSize bytes sequentially into a
// scratch file, syncing after each, for every combination of directory,
// sync method and preallocation mode asked for. The file is extended the
// way ZooKeeper's FilePadding extends a log (one PreAllocSize step when
// less than 4 KiB is left), with the engine's own disk.Extend, and synced
// and timed with the engine's disk.Time, so that a probe's numbers and a
// run's fsync numbers mean the same thing. With several writers, as many
// scratch logs in the same directory are appended and synced at once, the
// way the members of an ensemble on one machine share its device; and the
// concurrent cases run again with larger blocks, the cost of a sync that
// carries a batch of records. Optionally a second writer streams
// large writes into the same directory, as a snapshot does, to show what a
// snapshot on the log's device costs. A sequential-bandwidth pass ends the
// probe of each directory.
//
// Everything goes through a disk.FS, so tests inject latency with faultfs.
// Scratch files are named .zkbench-probe-<pid>-<n>, created exclusively
// (nothing is ever overwritten) and always removed; nothing else in a
// directory is touched.
package fsprobe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/engine/disk"
	"zkbench/hlog"
	"zkbench/internal/fserr"
)

// Defaults of the command line.
const (
	// DefaultBlockSize is the size of a typical ZooKeeper txn record (a
	// small setData with its header, checksum and framing).
	DefaultBlockSize = 2300
	DefaultCount     = 2000
	// DefaultPreAllocSize is ZooKeeper's default zookeeper.preAllocSize.
	DefaultPreAllocSize = 64 << 20
	// DefaultBandwidthSize is how much the bandwidth pass writes.
	DefaultBandwidthSize = 256 << 20
	// DefaultBatchFactor makes the batch block 8 records: about the
	// batch a member's group commit carries at the rates where a disk
	// like a virtio one meets a 10 ms SLA (say 20,000 writes/s and syncs
	// of 400 µs).
	DefaultBatchFactor = 8
	// MaxWriters bounds Writers: each writer is a goroutine and a file.
	MaxWriters = 64
)

const (
	// padMargin is how close to the preallocated end the position may get
	// before the file is extended again (ZooKeeper's FilePadding).
	padMargin = 4096
	// bandwidthChunk is the write size of the bandwidth pass.
	bandwidthChunk = 1 << 20
	// spaceMargin is kept free beyond what a probe writes, so that the
	// probe never fills a file system to the last block.
	spaceMargin = 64 << 20
)

// Config says what to probe. Dirs, BlockSize and Count are required.
type Config struct {
	// FS is the file system to probe; nil means disk.OS.
	FS disk.FS
	// Dirs are the directories to probe, one after the other.
	Dirs []string
	// BlockSize is the size of each write; Count the number of writes (and
	// syncs) per case.
	BlockSize int
	Count     int
	// Syncs and Preallocs are the methods to run, each combination once
	// per directory; empty means fdatasync and zookeeper, ZooKeeper's own.
	Syncs     []disk.SyncMethod
	Preallocs []disk.PreallocMode
	// PreAllocSize is the preallocation step. 0 disables preallocation, as
	// in ZooKeeper.
	PreAllocSize int64
	// Writers are the numbers of writers each combination runs with, one
	// case per number: 1 is one scratch log, as one ZooKeeper server
	// writes its own; W > 1 is W scratch logs in the same directory, each
	// appended and synced Count times the same way, all at once, as the
	// W members of an ensemble on one machine do. Empty means 1.
	Writers []int
	// BatchFactor, when positive, runs every concurrent case (Writers >
	// 1) a second time with blocks BatchFactor times BlockSize: what a
	// sync costs when it carries a batch of records, which the capacity
	// model needs and the sequential-bandwidth pass does not tell.
	BatchFactor int
	// Background, when positive, runs every combination a second time with
	// a concurrent writer streaming this many bytes per second into the
	// same directory, the way a snapshot does.
	Background int64
	// BandwidthSize is how much the sequential-bandwidth pass writes per
	// directory; 0 skips it.
	BandwidthSize int64
	// OnCase and OnBandwidth, when set, are called after each case and
	// each bandwidth pass (on Run's goroutine), e.g. to show progress.
	OnCase      func(Case)
	OnBandwidth func(Bandwidth)
	// Timer times each durable write; nil means disk.Time, the monotonic
	// clock. StepTimer gives figures that do not depend on the machine.
	Timer Timer
}

// Timer runs op and says when it began and how long it took.
type Timer func(op func() error) (start time.Time, d time.Duration, err error)

// StepTimer is a Timer that reads no clock: every op it times takes the
// next of next's durations, one after the other from the first op's real
// start. Tests use it so that what they assert holds on a loaded machine
// as on an idle one; it is safe for concurrent use.
func StepTimer(next func() time.Duration) Timer {
	var mu sync.Mutex
	var now time.Time
	return func(op func() error) (time.Time, time.Duration, error) {
		err := op()
		mu.Lock()
		defer mu.Unlock()
		if now.IsZero() {
			now = time.Now()
		}
		start, d := now, next()
		now = now.Add(d)
		return start, d, err
	}
}

func (c *Config) timer() Timer {
	if c.Timer == nil {
		return disk.Time
	}
	return c.Timer
}

// Result is everything a probe measured, in the order it was measured.
type Result struct {
	Start     time.Time
	Elapsed   time.Duration
	Cases     []Case
	Bandwidth []Bandwidth // one per directory, unless BandwidthSize is 0
}

// Case is one (directory, sync method, preallocation mode, background,
// writers, block) combination: Writers scratch logs, each written and
// synced Config.Count times, all at once.
type Case struct {
	Dir          string
	Sync         disk.SyncMethod
	Prealloc     disk.PreallocMode
	PreAllocSize int64
	BlockSize    int
	// Writers is the number of scratch logs appended and synced at once.
	Writers int
	// Batch means BlockSize is Config.BatchFactor × Config.BlockSize.
	Batch bool
	// Background is the target rate of the concurrent writer in bytes per
	// second; 0 means none.
	Background int64

	// Count is the number of blocks written and made durable, all writers
	// together: Writers × Config.Count unless the case failed or was
	// interrupted.
	Count   int
	Start   time.Time
	Elapsed time.Duration // of the whole write loop, extensions included
	// Latency holds, in microseconds, the time to make each block durable:
	// the fdatasync or fsync call after its write; for odsync the write
	// itself (which is the sync); for none the plain buffered write, the
	// floor the others are measured against.
	Latency *hdrhistogram.Histogram
	// With several writers it holds every writer's syncs.
	// LatencyNanos holds the same values in nanoseconds (1 ns to 60 s, 3
	// significant digits), for syncs too fast for microseconds: tmpfs, or
	// a comparison with fio, which reports nanoseconds.
	LatencyNanos *hdrhistogram.Histogram
	// Intervals split Latency into one-second intervals, for an .hlog.
	Intervals []*hdrhistogram.Histogram
	// Extends are the preallocation steps taken, the first included (at the
	// first write, as ZooKeeper extends a new log), timed apart from the
	// syncs.
	Extends Extends
	// FileSize is the scratch file's length at the end, preallocation
	// included; with several writers, the longest one's.
	FileSize int64
	// BackgroundBytes were written by the concurrent writer while this case
	// measured, in BackgroundSyncs syncs.
	BackgroundBytes int64
	BackgroundSyncs int

	Interrupted bool  // the context ended the case early
	Err         error // the case failed; what it measured so far is kept
}

// Name is "fdatasync/zookeeper", plus "+background" for a case with the
// concurrent writer, " ×3" for three writers and the block size, as in
// " 18400B", for a batch case.
func (c Case) Name() string {
	n := c.Sync.String() + "/" + c.Prealloc.String()
	if c.Background > 0 {
		n += "+background"
	}
	if c.Writers > 1 {
		n += fmt.Sprintf(" ×%d", c.Writers)
	}
	if c.Batch {
		n += fmt.Sprintf(" %dB", c.BlockSize)
	}
	return n
}

// IOPS is the number of durable writes per second the case achieved, all
// writers together.
func (c Case) IOPS() float64 {
	if c.Elapsed <= 0 {
		return 0
	}
	return float64(c.Count) / c.Elapsed.Seconds()
}

// BackgroundRate is the rate the concurrent writer achieved while the case
// measured, in bytes per second.
func (c Case) BackgroundRate() float64 {
	if c.Elapsed <= 0 {
		return 0
	}
	return float64(c.BackgroundBytes) / c.Elapsed.Seconds()
}

// Extends summarizes preallocation steps.
type Extends struct {
	Count      int
	Total, Max time.Duration
}

// Bandwidth is the sequential write bandwidth of a directory: large
// buffered writes and one fdatasync at the end, all of it timed.
type Bandwidth struct {
	Dir     string
	Bytes   int64
	Elapsed time.Duration
	Err     error
}

// BytesPerSecond is the bandwidth measured.
func (b Bandwidth) BytesPerSecond() float64 {
	if b.Elapsed <= 0 {
		return 0
	}
	return float64(b.Bytes) / b.Elapsed.Seconds()
}

func (c *Config) fs() disk.FS {
	if c.FS == nil {
		return disk.OS
	}
	return c.FS
}

func (c *Config) syncs() []disk.SyncMethod {
	if len(c.Syncs) == 0 {
		return []disk.SyncMethod{disk.SyncFdatasync}
	}
	return c.Syncs
}

func (c *Config) writers() []int {
	if len(c.Writers) == 0 {
		return []int{1}
	}
	return c.Writers
}

// blocks are the block sizes a case with w writers runs with.
func (c *Config) blocks(w int) []int {
	if w > 1 && c.BatchFactor > 0 {
		return []int{c.BlockSize, c.BlockSize * c.BatchFactor}
	}
	return []int{c.BlockSize}
}

// Planned is how many cases a probe with c measures.
func (c *Config) Planned() int {
	n := 0
	for _, w := range c.writers() {
		n += len(c.blocks(w))
	}
	n *= len(c.Dirs) * len(c.syncs()) * len(c.preallocs())
	if c.Background > 0 {
		n *= 2
	}
	return n
}

func (c *Config) preallocs() []disk.PreallocMode {
	if len(c.Preallocs) == 0 {
		return []disk.PreallocMode{disk.PreallocZooKeeper}
	}
	return c.Preallocs
}

// validate checks everything but the directories.
func (c *Config) validate() error {
	switch {
	case len(c.Dirs) == 0:
		return errors.New("fsprobe: no directory to probe")
	case c.BlockSize <= 0:
		return fmt.Errorf("fsprobe: block size %d: must be positive", c.BlockSize)
	case c.Count <= 0:
		return fmt.Errorf("fsprobe: count %d: must be positive", c.Count)
	case int64(c.Count) > math.MaxInt64/int64(c.BlockSize):
		return fmt.Errorf("fsprobe: %d blocks of %d bytes overflow", c.Count, c.BlockSize)
	case c.PreAllocSize < 0 || c.Background < 0 || c.BandwidthSize < 0 || c.BatchFactor < 0:
		return errors.New("fsprobe: negative size")
	case c.BatchFactor > 0 && int64(c.Count) > math.MaxInt64/int64(c.BlockSize)/int64(c.BatchFactor)/MaxWriters:
		return fmt.Errorf("fsprobe: %d blocks of %d×%d bytes overflow", c.Count, c.BatchFactor, c.BlockSize)
	}
	for _, w := range c.writers() {
		if w < 1 || w > MaxWriters {
			return fmt.Errorf("fsprobe: %d writers: want 1 to %d", w, MaxWriters)
		}
	}
	for _, m := range c.syncs() {
		if m < disk.SyncFdatasync || m > disk.SyncNone {
			return fmt.Errorf("fsprobe: unknown sync method %d", int(m))
		}
	}
	for _, m := range c.preallocs() {
		if m < disk.PreallocZooKeeper || m > disk.PreallocNone {
			return fmt.Errorf("fsprobe: unknown prealloc mode %d", int(m))
		}
	}
	return nil
}

// SpaceNeeded is the free space a probe with c needs in each directory:
// the scratch logs of its largest case (each log's data plus at most one
// preallocation step and the 4 KiB margin ahead of it, times its
// writers), the bandwidth file, the background writer's file and a
// margin. Runs follow each other, but the sum is asked for, to leave the
// file system room for its own metadata.
func (c *Config) SpaceNeeded() int64 {
	var pad int64
	for _, m := range c.preallocs() {
		if m != disk.PreallocNone && c.PreAllocSize > 0 {
			pad = c.PreAllocSize + padMargin
			break
		}
	}
	var logs int64
	for _, w := range c.writers() {
		for _, b := range c.blocks(w) {
			logs = max(logs, int64(w)*(int64(c.Count)*int64(b)+pad))
		}
	}
	n := logs + c.BandwidthSize + spaceMargin
	if c.Background > 0 {
		n += backgroundFileLimit
	}
	return n
}

// padTo is ZooKeeper's FilePadding.calculateFileSizeWithPadding: the
// length a log whose next write starts at position should have, given its
// preallocated length padded. Within 4 KiB of the end it grows by one
// step; a position already past the end (a record larger than the step)
// rounds up to the next multiple of the step above it.
func padTo(position, padded, step int64) int64 {
	if step <= 0 || position+padMargin < padded {
		return padded
	}
	if position > padded {
		size := position + step
		return size - size%step
	}
	return padded + step
}

// DirError is a directory that cannot be probed.
type DirError struct {
	Dir     string
	Problem string // "does not exist", "is not a directory", "is not writable"
	Err     error
}

func (e *DirError) Error() string {
	if e.Err != nil {
		return e.Dir + ": " + e.Problem + ": " + e.Err.Error()
	}
	return e.Dir + ": " + e.Problem
}

func (e *DirError) Unwrap() error { return e.Err }

// CheckDir checks that dir exists, is a directory and takes a new file: it
// creates and removes one scratch file.
func CheckDir(fsys disk.FS, dir string) error {
	fi, err := fsys.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &DirError{Dir: dir, Problem: "does not exist"}
	case err != nil:
		return &DirError{Dir: dir, Problem: "cannot be examined", Err: err}
	case !fi.IsDir():
		return &DirError{Dir: dir, Problem: "is not a directory"}
	}
	name, f, err := createScratch(fsys, dir, false)
	if err != nil {
		return &DirError{Dir: dir, Problem: "is not writable", Err: fserr.Reason(err)}
	}
	f.Close()
	if err := fsys.Remove(name); err != nil {
		return &DirError{Dir: dir, Problem: "scratch file cannot be removed", Err: err}
	}
	return nil
}

// ScratchPrefix starts the name of every file a probe creates.
const ScratchPrefix = ".zkbench-probe-"

var scratchSeq atomic.Int64

func scratchName(seq int64) string {
	return fmt.Sprintf("%s%d-%d", ScratchPrefix, os.Getpid(), seq)
}

// createScratch creates a new scratch file in dir, opened O_DSYNC when
// odsync. A name taken by someone else (say a probe of a process with the
// same pid that was killed) is skipped, never reused.
func createScratch(fsys disk.FS, dir string, odsync bool) (string, disk.File, error) {
	for {
		name := filepath.Join(dir, scratchName(scratchSeq.Add(1)))
		var f disk.File
		var err error
		if odsync {
			f, err = fsys.OpenSync(name)
		} else {
			f, err = fsys.Create(name)
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, f, err
	}
}

// Run probes every directory of cfg and returns what it measured. It
// returns an error, and no cases, for a config or directory it cannot
// probe. When ctx ends it stops at the next write, removes its scratch
// files and returns what it measured so far with ctx's error. A case that
// fails (say fallocate is not supported) is kept with its Err and the
// probe goes on.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	fsys := cfg.fs()
	for _, dir := range cfg.Dirs {
		if err := CheckDir(fsys, dir); err != nil {
			return Result{}, err
		}
	}
	p := &prober{cfg: cfg, fsys: fsys, time: cfg.timer()}
	res := Result{Start: time.Now()}

	rates := []int64{0}
	if cfg.Background > 0 {
		rates = append(rates, cfg.Background)
	}
	for _, dir := range cfg.Dirs {
		for _, sm := range cfg.syncs() {
			for _, pm := range cfg.preallocs() {
				for _, s := range cfg.specs(dir, sm, pm, rates) {
					if ctx.Err() != nil {
						res.Elapsed = time.Since(res.Start)
						return res, ctx.Err()
					}
					r := p.probeCase(ctx, s)
					res.Cases = append(res.Cases, r)
					if cfg.OnCase != nil {
						cfg.OnCase(r)
					}
				}
			}
		}
		if cfg.BandwidthSize > 0 && ctx.Err() == nil {
			b := p.bandwidth(ctx, dir)
			res.Bandwidth = append(res.Bandwidth, b)
			if cfg.OnBandwidth != nil {
				cfg.OnBandwidth(b)
			}
		}
	}
	res.Elapsed = time.Since(res.Start)
	return res, ctx.Err()
}

type prober struct {
	cfg  Config
	fsys disk.FS
	time Timer
}

// spec is one case to measure.
type spec struct {
	dir      string
	sync     disk.SyncMethod
	prealloc disk.PreallocMode
	rate     int64 // of the background writer; 0: none
	writers  int
	block    int
	batch    bool
}

// specs are the cases of one (directory, sync, prealloc) combination: per
// background rate, per writer count, the block and the batch block.
func (c *Config) specs(dir string, sm disk.SyncMethod, pm disk.PreallocMode, rates []int64) []spec {
	var out []spec
	for _, rate := range rates {
		for _, w := range c.writers() {
			for i, b := range c.blocks(w) {
				out = append(out, spec{dir: dir, sync: sm, prealloc: pm, rate: rate, writers: w, block: b, batch: i > 0})
			}
		}
	}
	return out
}

// randomBytes returns n bytes of seeded noise. Incompressible data keeps
// a compressing or deduplicating file system from making the probe look
// faster than a log of real records.
func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 0x7a6b62656e6368))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// caseSink records the syncs of one case and sums its extensions; its
// writers share it.
type caseSink struct {
	mu      sync.Mutex
	rec     *hlog.Recorder
	nanos   *hdrhistogram.Histogram
	extends *Extends
}

// maxNanos is the top of the nanosecond histogram, the same 60 s as the
// microsecond one.
const maxNanos = 60 * time.Second

func newNanosHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(maxNanos), hlog.SigFigs)
}

func (s *caseSink) Synced(e disk.SyncEvent) { s.record(e.Start.Add(e.Duration), e.Duration) }

func (s *caseSink) record(end time.Time, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec.Record(end, d)
	_ = s.nanos.RecordValue(int64(max(0, min(d, maxNanos))))
}

func (s *caseSink) Extended(e disk.ExtendEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extends.Count++
	s.extends.Total += e.Duration
	s.extends.Max = max(s.extends.Max, e.Duration)
}

// scratch is one writer's log: its file and where it stands.
type scratch struct {
	name            string
	f               disk.File
	written, padded int64
	count           int
	err             error
}

// probeCase is one combination: create the scratch files, start the
// background writer if asked, write and sync Count blocks into each file
// from a goroutine of its own, clean up. Every file is removed, whatever
// happened.
func (p *prober) probeCase(ctx context.Context, s spec) (r Case) {
	r = Case{
		Dir: s.dir, Sync: s.sync, Prealloc: s.prealloc, PreAllocSize: p.cfg.PreAllocSize, BlockSize: s.block,
		Writers: s.writers, Batch: s.batch, Background: s.rate, Latency: hlog.NewHistogram(), LatencyNanos: newNanosHistogram(),
	}
	logs := make([]*scratch, 0, s.writers)
	defer func() {
		for _, l := range logs {
			if err := closeAndRemove(p.fsys, l.f, l.name); err != nil && r.Err == nil {
				r.Err = err
			}
		}
	}()
	for range s.writers {
		name, f, err := createScratch(p.fsys, s.dir, s.sync == disk.SyncODsync)
		if err != nil {
			r.Err = fmt.Errorf("create scratch file in %s: %w", s.dir, err)
			return r
		}
		logs = append(logs, &scratch{name: name, f: f})
	}

	var bg *background
	if s.rate > 0 {
		var err error
		if bg, err = startBackground(ctx, p.fsys, s.dir, s.rate); err != nil {
			r.Err = err
			return r
		}
		defer func() {
			if err := bg.stop(); err != nil && r.Err == nil {
				r.Err = err
			}
		}()
		if err := bg.waitStarted(ctx); err != nil {
			if ctx.Err() != nil {
				r.Interrupted = true
			} else {
				r.Err = err
			}
			return r
		}
	}

	r.Start = time.Now()
	rec := hlog.NewRecorder(r.Start, hlog.DefaultInterval)
	sink := &caseSink{rec: rec, nanos: r.LatencyNanos, extends: &r.Extends}
	var bgBytes0, bgSyncs0 int64
	if bg != nil {
		bgBytes0, bgSyncs0 = bg.bytes.Load(), bg.syncs.Load()
	}
	p.write(ctx, s, logs, sink)
	end := time.Now()
	rec.Finish(end)
	r.Elapsed = end.Sub(r.Start)
	r.Latency, r.Intervals = rec.Total(), rec.Intervals()
	for _, l := range logs {
		r.Count += l.count
		r.FileSize = max(r.FileSize, l.written, l.padded)
		if l.err != nil && r.Err == nil {
			r.Err = l.err
		}
	}
	r.Interrupted = r.Err == nil && r.Count < s.writers*p.cfg.Count
	if bg != nil {
		r.BackgroundBytes = bg.bytes.Load() - bgBytes0
		r.BackgroundSyncs = int(bg.syncs.Load() - bgSyncs0)
	}
	return r
}

// write runs the case's writers, one goroutine each, until each has
// written Count blocks, one fails (which stops the others) or ctx ends.
func (p *prober) write(ctx context.Context, s spec, logs []*scratch, sink *caseSink) {
	step := p.cfg.PreAllocSize
	if s.prealloc == disk.PreallocNone {
		step = 0
	}
	// Every writer appends the same bytes, as every member logs the same
	// txns.
	block := randomBytes(s.block, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range logs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l.count < p.cfg.Count && ctx.Err() == nil {
				if err := p.appendBlock(l, block, s.sync, s.prealloc, step, sink); err != nil {
					l.err = err
					cancel()
					return
				}
				l.count++
			}
		}()
	}
	wg.Wait()
}

// appendBlock is one record of a log: extend the file the way ZooKeeper does
// (before the write, untimed), write the block, make it durable (timed).
func (p *prober) appendBlock(l *scratch, block []byte, sm disk.SyncMethod, pm disk.PreallocMode, step int64, sink *caseSink) error {
	f := l.f
	if size := padTo(l.written, l.padded, step); size != l.padded {
		// Never extend over bytes already written: PreallocZero would
		// overwrite them.
		if err := disk.Extend(f, pm, max(l.padded, l.written), size, sink); err != nil {
			return err
		}
		l.padded = size
	}
	n := int64(len(block))
	switch sm {
	case disk.SyncODsync, disk.SyncNone:
		// The write is the sync (O_DSYNC) or there is none: time the write.
		start, d, err := p.time(func() error { _, err := f.Write(block); return err })
		if err != nil {
			return fmt.Errorf("write %s: %w", f.Name(), err)
		}
		sink.record(start.Add(d), d)
	default:
		if _, err := f.Write(block); err != nil {
			return fmt.Errorf("write %s: %w", f.Name(), err)
		}
		// What disk.TimedFlush does, with the config's timer.
		start, d, err := p.time(func() error { return disk.Flush(f, sm) })
		sink.record(start.Add(d), d)
		if err != nil {
			return fmt.Errorf("%s %s: %w", sm, f.Name(), err)
		}
	}
	l.written += n
	return nil
}

func closeAndRemove(fsys disk.FS, f disk.File, name string) error {
	cerr := f.Close()
	if err := fsys.Remove(name); err != nil {
		return fmt.Errorf("remove scratch file: %w", err)
	}
	if cerr != nil {
		return fmt.Errorf("close %s: %w", name, cerr)
	}
	return nil
}

// bandwidth writes BandwidthSize bytes in 1 MiB buffered writes and makes
// them durable with one fdatasync; the time of all of it is the bandwidth.
func (p *prober) bandwidth(ctx context.Context, dir string) (b Bandwidth) {
	b.Dir = dir
	name, f, err := createScratch(p.fsys, dir, false)
	if err != nil {
		b.Err = fmt.Errorf("create scratch file in %s: %w", dir, err)
		return b
	}
	defer func() {
		if err := closeAndRemove(p.fsys, f, name); err != nil && b.Err == nil {
			b.Err = err
		}
	}()
	buf := randomBytes(bandwidthChunk, 2)
	start := time.Now()
	for b.Bytes < p.cfg.BandwidthSize {
		if err := ctx.Err(); err != nil {
			b.Err = err
			return b
		}
		n := min(int64(len(buf)), p.cfg.BandwidthSize-b.Bytes)
		if _, err := f.Write(buf[:n]); err != nil {
			b.Err = fmt.Errorf("write %s: %w", name, err)
			return b
		}
		b.Bytes += n
	}
	if err := disk.Flush(f, disk.SyncFdatasync); err != nil {
		b.Err = err
	}
	b.Elapsed = time.Since(start)
	return b
}
