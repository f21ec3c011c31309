package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"zkbench/bench"
	"zkbench/engine/disk"
	"zkbench/fsprobe"
	"zkbench/internal/fserr"
	"zkbench/internal/progress"
	"zkbench/internal/runfolders"
	"zkbench/internal/size"
	"zkbench/results/device"
	htmlreport "zkbench/results/report"
	"zkbench/results/table"
)

// Seams for tests: the file system the probe writes through, how device
// facts are looked up (a faultfs path has no device), how syncs are timed
// (nil: the clock) and the context that stops the probe (SIGINT/SIGTERM).
var (
	probeFS      disk.FS = disk.OS
	probeTimer   fsprobe.Timer
	probeDevice  = device.Lookup
	probeContext = func() (context.Context, context.CancelFunc) {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		go func() {
			// After the first signal, let a second one kill the process
			// the default way, in case cleanup hangs on a dead device.
			<-ctx.Done()
			stop()
		}()
		return ctx, stop
	}
)

// probeMaxBlock bounds --block-size; one block is held in memory.
const probeMaxBlock = 1 << 30

type probeFlags struct {
	dirs          []string
	blockSize     size.Bytes
	count         int
	syncs         string
	preallocs     string
	writers       string
	preAllocSize  size.Bytes
	background    size.Bytes
	bandwidthSize size.Bytes
	out           string
	maxP99        time.Duration
}

// runProbe is `zkbench probe`: for each --dir, a scratch log written and
// synced the way ZooKeeper's transaction log is, for every requested
// (sync method, preallocation mode) and, with --background-write, again
// beside a snapshot-like writer; then a sequential-bandwidth pass. It
// prints a table, the device facts and a verdict per directory, and
// writes probe.json, one .hlog per combination and report.html into --out.
//
// Exit codes: 1 when a combination that syncs has its p99 above
// --max-p99; 2 for bad input (checked before anything is written) and for
// a combination that failed; 130 when interrupted (SIGINT/SIGTERM), after
// printing and writing what was measured.
func runProbe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("probe", stderr)
	f := probeFlags{
		blockSize:     fsprobe.DefaultBlockSize,
		preAllocSize:  fsprobe.DefaultPreAllocSize,
		bandwidthSize: fsprobe.DefaultBandwidthSize,
	}
	fs.StringArrayVar(&f.dirs, "dir", nil, "directory to probe (repeat for several); a scratch file is created in it and removed")
	fs.Var(&f.blockSize, "block-size", "bytes per write; 2300 is a typical ZooKeeper txn record")
	fs.IntVar(&f.count, "count", fsprobe.DefaultCount, "writes (and syncs) per combination")
	fs.StringVar(&f.syncs, "sync", "fdatasync", "sync methods, comma-separated or all: fdatasync, fsync, odsync, none")
	fs.StringVar(&f.preallocs, "prealloc-mode", "zookeeper", "preallocation modes, comma-separated or all: zookeeper, fallocate, zero, none")
	fs.StringVar(&f.writers, "writers", "1,3", "writer counts, comma-separated: each combination runs with that many scratch logs synced at once (3: an ensemble's logs on one device), >1 also at 8× the block")
	fs.Var(&f.preAllocSize, "pre-alloc-size", "preallocation step, as ZooKeeper's preAllocSize (0 = off)")
	fs.Var(&f.background, "background-write", "bytes/s of a concurrent snapshot-like writer in the same dir; each combination runs with and without it (0 = off)")
	fs.Var(&f.bandwidthSize, "bandwidth-size", "bytes written to measure sequential bandwidth per dir (0 = skip)")
	fs.StringVar(&f.out, "out", "", "output folder (default "+bench.DefaultRoot+"/<UTC timestamp>-probe)")
	fs.DurationVar(&f.maxP99, "max-p99", 0, "exit 1 if any combination's p99 sync latency is above this (0 = no check)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (directories go in --dir)", fs.Arg(0))
	}
	// From here on a signal stops the probe cleanly: even the directory
	// checks create (and remove) a scratch file.
	ctx, stop := probeContext()
	defer stop()
	cfg, err := f.config()
	if err != nil {
		return err
	}
	folders, err := runfolders.Begin("probe")
	if err != nil {
		return err
	}
	defer endFolders(folders, "probe", stderr)
	created, err := fsprobe.MakeMissingDirs(probeFS, folders, cfg.Dirs)
	for _, c := range created {
		fmt.Fprintf(stderr, "zkbench probe: created %s; removed after the probe\n", c)
	}
	if err != nil {
		return usagef("--dir %v", err)
	}
	facts, err := probeCheckDirs(&cfg)
	if err != nil {
		return err
	}
	out := cmp.Or(f.out, bench.DefaultOut("probe"))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return usagef("--out %s: %v", out, fserr.Reason(err))
	}

	if term, _ := progress.Terminal(stderr); term {
		cfg.OnCase = func(c fsprobe.Case) {
			fmt.Fprintf(stderr, "probe %s %s: %d writes in %.1fs, p99 %s\n",
				c.Dir, c.Name(), c.Count, c.Elapsed.Seconds(), table.Micros(c.Latency.ValueAtQuantile(99)))
		}
		cfg.OnBandwidth = func(b fsprobe.Bandwidth) {
			fmt.Fprintf(stderr, "probe %s bandwidth: %.0f MB/s\n", b.Dir, b.BytesPerSecond()/1e6)
		}
	}
	res, runErr := fsprobe.Run(ctx, cfg)
	interrupted := runErr != nil && ctx.Err() != nil
	if runErr != nil && !interrupted {
		var de *fsprobe.DirError
		if errors.As(runErr, &de) {
			return usagef("--dir %v", de)
		}
		return runErr
	}

	rep := fsprobe.Outcome{Config: cfg, Result: res, Facts: facts, MaxP99: f.maxP99,
		Interrupted: interrupted, Version: bench.Version()}
	// Show what was measured even if it cannot be saved.
	writeErr := writeProbeFiles(&rep, out)
	rep.WriteTable(stdout)
	over := rep.WriteVerdict(stdout)
	if writeErr != nil {
		return writeErr
	}
	fmt.Fprintf(stdout, "results: %s\n", written(out))
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(out, htmlreport.File))

	switch failed := rep.Failed(); {
	case interrupted:
		n, where := len(res.Cases), "before the first combination"
		switch {
		case n > 0 && res.Cases[n-1].Interrupted:
			where = fmt.Sprintf("during combination %d of %d", n, rep.Planned())
		case n > 0:
			where = fmt.Sprintf("after combination %d of %d", n, rep.Planned())
		}
		return fmt.Errorf("%w %s; what was measured is in %s", bench.ErrInterrupted, where, out)
	case failed != nil:
		return fmt.Errorf("%s %s: %w", failed.Dir, failed.Name(), failed.Err)
	case len(over) > 0:
		w := over[0]
		return &problemError{fmt.Errorf("p99 sync latency above --max-p99 %v in %d of %d combinations (worst: %s %s, p99 %s)",
			f.maxP99, len(over), len(res.Cases), w.Dir, w.Name(), table.Micros(w.Latency.ValueAtQuantile(99)))}
	}
	return nil
}

// config checks the flags that need no file system and builds the probe's
// config.
func (f *probeFlags) config() (fsprobe.Config, error) {
	cfg := fsprobe.Config{
		FS: probeFS, Timer: probeTimer, Dirs: f.dirs, BlockSize: int(f.blockSize), Count: f.count,
		PreAllocSize: int64(f.preAllocSize), Background: int64(f.background), BandwidthSize: int64(f.bandwidthSize),
		BatchFactor: fsprobe.DefaultBatchFactor,
	}
	switch {
	case len(f.dirs) == 0:
		return cfg, usagef("--dir is required: the directory to probe")
	case f.blockSize <= 0:
		return cfg, usagef("--block-size must be at least 1 byte")
	case f.blockSize > probeMaxBlock:
		return cfg, usagef("--block-size %v is larger than %s", f.blockSize, size.Format(probeMaxBlock))
	case f.count <= 0:
		return cfg, usagef("--count must be at least 1, got %d", f.count)
	case int64(f.count) > (1<<50)/int64(f.blockSize): // 1 PiB; the batch cases write up to 8 × 64 times that
		return cfg, usagef("--count %d × --block-size %v is more than any disk holds", f.count, f.blockSize)
	case f.maxP99 < 0:
		return cfg, usagef("--max-p99 must not be negative, got %v", f.maxP99)
	}
	seen := map[string]bool{}
	for _, d := range f.dirs {
		if d == "" {
			return cfg, usagef("--dir must not be empty")
		}
		c := filepath.Clean(d)
		if seen[c] {
			return cfg, usagef("--dir %s given twice", d)
		}
		seen[c] = true
	}
	var err error
	if cfg.Syncs, err = fsprobe.ParseNames(f.syncs, disk.ParseSyncMethod,
		[]disk.SyncMethod{disk.SyncFdatasync, disk.SyncFsync, disk.SyncODsync, disk.SyncNone}); err != nil {
		return cfg, usagef("--sync: %v", err)
	}
	if cfg.Preallocs, err = fsprobe.ParseNames(f.preallocs, disk.ParsePreallocMode,
		[]disk.PreallocMode{disk.PreallocZooKeeper, disk.PreallocFallocate, disk.PreallocZero, disk.PreallocNone}); err != nil {
		return cfg, usagef("--prealloc-mode: %v", err)
	}
	if cfg.Writers, err = fsprobe.ParseWriters(f.writers); err != nil {
		return cfg, usagef("--writers: %v", err)
	}
	return cfg, nil
}

// endFolders removes what a command created and names what it could not.
func endFolders(set *runfolders.Set, cmd string, stderr io.Writer) {
	for _, l := range set.End() {
		fmt.Fprintf(stderr, "zkbench %s: not removed: %v\n", cmd, l)
	}
}

// probeCheckDirs checks every directory before anything is measured:
// it exists, is a directory, takes a new file, and has room for the probe.
// It returns each directory's device facts (unknown where they cannot be
// found).
func probeCheckDirs(cfg *fsprobe.Config) ([]device.Facts, error) {
	facts := make([]device.Facts, len(cfg.Dirs))
	need := cfg.SpaceNeeded()
	for i, dir := range cfg.Dirs {
		if err := fsprobe.CheckDir(cfg.FS, dir); err != nil {
			return nil, usagef("--dir %v", err)
		}
		df, err := probeDevice(dir)
		if err != nil {
			df = device.Facts{Path: dir}
		}
		facts[i] = df
		if df.TotalBytes > 0 && df.FreeBytes < uint64(need) {
			return nil, usagef("--dir %s: %s free, the probe needs %s (--writers × (--count × --block-size, 8× for a batch case, + --pre-alloc-size), --bandwidth-size, --background-write file and a 64MiB margin)",
				dir, size.Human(int64(df.FreeBytes)), size.Human(need))
		}
	}
	return facts, nil
}

// writeProbeFiles writes the probe's files and its report into out.
func writeProbeFiles(rep *fsprobe.Outcome, out string) error {
	if err := rep.WriteFiles(out); err != nil {
		return err
	}
	return htmlreport.WriteFile(filepath.Join(out, htmlreport.File), []string{out})
}
