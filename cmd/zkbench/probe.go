package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/bench"
	"zkbench/engine/disk"
	"zkbench/fsprobe"
	"zkbench/hlog"
	"zkbench/internal/size"
	"zkbench/results"
	"zkbench/results/device"
	htmlreport "zkbench/results/report"
	"zkbench/results/table"
)

// Seams for tests: the file system the probe writes through, how device
// facts are looked up (a faultfs path has no device) and the context that
// stops the probe (SIGINT/SIGTERM).
var (
	probeFS      disk.FS = disk.OS
	probeDevice          = device.Lookup
	probeContext         = func() (context.Context, context.CancelFunc) {
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

// Guidance the verdict cites.
const (
	// probeGoodP99 is the usual advice for a ZooKeeper transaction log
	// device: the p99 of its syncs under 10 ms.
	probeGoodP99 = 10 * time.Millisecond
	// probeZKWarn is ZooKeeper's fsync.warningthresholdms default: above
	// it ZooKeeper logs "fsync-ing the write ahead log … took …ms".
	probeZKWarn = time.Second
	// probeMaxBlock bounds --block-size; one block is held in memory.
	probeMaxBlock = 1 << 30
)

type probeFlags struct {
	dirs          []string
	blockSize     size.Bytes
	count         int
	syncs         string
	preallocs     string
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
// --max-p99; 2 for bad input (checked before anything is written), for a
// combination that failed, and when interrupted (SIGINT/SIGTERM), after
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
	facts, err := probeCheckDirs(&cfg)
	if err != nil {
		return err
	}
	out := cmp.Or(f.out, bench.DefaultOut("probe"))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return usagef("--out %s: %v", out, unwrapPath(err))
	}

	if isTerminal(stderr) {
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

	rep := probeReport{flags: f, cfg: cfg, res: res, facts: facts, out: out, interrupted: interrupted}
	// Show what was measured even if it cannot be saved.
	writeErr := rep.writeFiles()
	rep.printTable(stdout)
	over := rep.printVerdict(stdout)
	if writeErr != nil {
		return writeErr
	}
	fmt.Fprintf(stdout, "results: %s\n", filepath.Join(out, "probe.json"))
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(out, htmlreport.File))

	switch failed := rep.failed(); {
	case interrupted:
		n, where := len(res.Cases), "before the first combination"
		switch {
		case n > 0 && res.Cases[n-1].Interrupted:
			where = fmt.Sprintf("during combination %d of %d", n, rep.planned())
		case n > 0:
			where = fmt.Sprintf("after combination %d of %d", n, rep.planned())
		}
		return fmt.Errorf("interrupted %s; what was measured is in %s", where, out)
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
		FS: probeFS, Dirs: f.dirs, BlockSize: int(f.blockSize), Count: f.count,
		PreAllocSize: int64(f.preAllocSize), Background: int64(f.background), BandwidthSize: int64(f.bandwidthSize),
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
	case int64(f.count) > (1<<60)/int64(f.blockSize):
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
	if cfg.Syncs, err = probeParseList(f.syncs, "--sync", disk.ParseSyncMethod,
		[]disk.SyncMethod{disk.SyncFdatasync, disk.SyncFsync, disk.SyncODsync, disk.SyncNone}); err != nil {
		return cfg, err
	}
	if cfg.Preallocs, err = probeParseList(f.preallocs, "--prealloc-mode", disk.ParsePreallocMode,
		[]disk.PreallocMode{disk.PreallocZooKeeper, disk.PreallocFallocate, disk.PreallocZero, disk.PreallocNone}); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// probeParseList parses a comma-separated list of names, or "all".
func probeParseList[T interface {
	comparable
	fmt.Stringer
}](s, flag string, parse func(string) (T, error), all []T) ([]T, error) {
	var out []T
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "all" {
			return all, nil
		}
		v, err := parse(name)
		if err != nil {
			names := make([]string, len(all))
			for i, a := range all {
				names[i] = a.String()
			}
			return nil, usagef("%s: unknown name %q (want %s or all)", flag, name, strings.Join(names, ", "))
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
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
			return nil, usagef("--dir %s: %s free, the probe needs %s (--count × --block-size, --pre-alloc-size, --bandwidth-size, --background-write file and a 64MiB margin)",
				dir, size.Human(int64(df.FreeBytes)), size.Human(need))
		}
	}
	return facts, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// probeReport turns a probe's result into files, a table and a verdict.
type probeReport struct {
	flags       probeFlags
	cfg         fsprobe.Config
	res         fsprobe.Result
	facts       []device.Facts // by index of cfg.Dirs
	out         string
	interrupted bool
	hlogs       []string // by index of res.Cases; "" when none was written
}

func (r *probeReport) planned() int {
	n := len(r.cfg.Dirs) * len(r.cfg.Syncs) * len(r.cfg.Preallocs)
	if r.cfg.Background > 0 {
		n *= 2
	}
	return n
}

func (r *probeReport) dirIndex(dir string) int { return slices.Index(r.cfg.Dirs, dir) }

func (r *probeReport) failed() *fsprobe.Case {
	for i := range r.res.Cases {
		if r.res.Cases[i].Err != nil {
			return &r.res.Cases[i]
		}
	}
	for _, b := range r.res.Bandwidth {
		if b.Err != nil && !errors.Is(b.Err, context.Canceled) {
			return &fsprobe.Case{Dir: b.Dir, Err: fmt.Errorf("bandwidth: %w", b.Err)}
		}
	}
	return nil
}

// hlogName is "<dir number>-<dir base>-<sync>-<prealloc>[-bg].hlog".
func (r *probeReport) hlogName(c fsprobe.Case) string {
	base := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, filepath.Base(filepath.Clean(c.Dir)))
	name := fmt.Sprintf("%d-%s-%s-%s", r.dirIndex(c.Dir)+1, strings.TrimLeft(base, "."), c.Sync, c.Prealloc)
	if c.Background > 0 {
		name += "-bg"
	}
	return name + ".hlog"
}

// writeFiles writes one .hlog per measured case, probe.json and report.html.
func (r *probeReport) writeFiles() error {
	r.hlogs = make([]string, len(r.res.Cases))
	for i, c := range r.res.Cases {
		if c.Count == 0 {
			continue
		}
		name := r.hlogName(c)
		comment := fmt.Sprintf("zkbench probe: latency to make a %d-byte write durable in %s with %s, preallocation %s (step %s), background %s/s",
			c.BlockSize, strconv.Quote(c.Dir), c.Sync, c.Prealloc, size.Format(c.PreAllocSize), size.Format(c.Background))
		if err := hlog.WriteFile(filepath.Join(r.out, name), c.Start, c.Intervals, comment); err != nil {
			return err
		}
		r.hlogs[i] = name
	}
	b, err := json.MarshalIndent(r.json(), "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(r.out, "probe.json")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return htmlreport.WriteFile(filepath.Join(r.out, htmlreport.File), []string{r.out})
}

// probe.json's model is shared with the report: results.Probe.
type (
	probeJSON          = results.Probe
	probeConfigJSON    = results.ProbeConfig
	probeGuidanceJSON  = results.ProbeGuidance
	probeDirJSON       = results.ProbeDir
	probeBandwidthJSON = results.ProbeBandwidth
	probeEntryJSON     = results.ProbeEntry
	probeLatencyJSON   = results.Percentiles
	probeExtendsJSON   = results.ProbeExtends
)

func (r *probeReport) json() probeJSON {
	j := probeJSON{
		Schema: results.Schema, Kind: "probe", ZkbenchVersion: bench.Version(),
		Started:     r.res.Start.UTC().Format(time.RFC3339),
		DurationS:   r.res.Elapsed.Seconds(),
		Interrupted: r.interrupted,
		Config: probeConfigJSON{
			Dirs: r.cfg.Dirs, BlockSize: r.cfg.BlockSize, Count: r.cfg.Count,
			PreAllocSize: r.cfg.PreAllocSize, Background: r.cfg.Background, BandwidthSize: r.cfg.BandwidthSize,
			MaxP99Us: r.flags.maxP99.Microseconds(),
		},
		Guidance: probeGuidanceJSON{GoodP99Us: probeGoodP99.Microseconds(), ZKWarningThreshMs: probeZKWarn.Milliseconds()},
		Dirs:     []probeDirJSON{},
		Probes:   []probeEntryJSON{},
	}
	for _, m := range r.cfg.Syncs {
		j.Config.Sync = append(j.Config.Sync, m.String())
	}
	for _, m := range r.cfg.Preallocs {
		j.Config.PreallocMode = append(j.Config.PreallocMode, m.String())
	}
	bw := map[string]fsprobe.Bandwidth{}
	for _, b := range r.res.Bandwidth {
		bw[b.Dir] = b
	}
	for i, dir := range r.cfg.Dirs {
		d := probeDirJSON{Dir: dir, Device: r.facts[i]}
		if b, ok := bw[dir]; ok {
			d.Bandwidth = &probeBandwidthJSON{Bytes: b.Bytes, DurationS: b.Elapsed.Seconds(), MBs: b.BytesPerSecond() / 1e6}
			if b.Err != nil {
				d.Bandwidth.Error = b.Err.Error()
			}
		}
		j.Dirs = append(j.Dirs, d)
	}
	for i, c := range r.res.Cases {
		df := r.facts[r.dirIndex(c.Dir)]
		e := probeEntryJSON{
			Dir: c.Dir, Device: df.Device, FSType: df.FSType, Rotational: df.Rotational,
			Sync: c.Sync.String(), PreallocMode: c.Prealloc.String(), BlockSize: c.BlockSize, Count: c.Count,
			Latency:   probeLatency(c.Latency),
			LatencyNs: probeLatency(c.LatencyNanos),
			IOPS:      c.IOPS(), Hlog: r.hlogs[i],
			PreAllocSize: c.PreAllocSize, Background: c.Background, BackgroundAchieved: c.BackgroundRate(),
			Extends:   probeExtendsJSON{Count: c.Extends.Count, TotalUs: c.Extends.Total.Microseconds(), MaxUs: c.Extends.Max.Microseconds()},
			FileSize:  c.FileSize,
			DurationS: c.Elapsed.Seconds(),
			Mount:     df.Mount, Scheduler: df.Scheduler,
			OverMaxP99:  r.over(c),
			Interrupted: c.Interrupted,
		}
		if b, ok := bw[c.Dir]; ok && b.Err == nil {
			e.BandwidthMBs = b.BytesPerSecond() / 1e6
		}
		if c.Err != nil {
			e.Error = c.Err.Error()
		}
		j.Probes = append(j.Probes, e)
	}
	return j
}

func probeLatency(h *hdrhistogram.Histogram) probeLatencyJSON { return results.PercentilesOf(h) }

// probeSyncs reports whether c measured syncs: sync none measures plain writes,
// which no verdict is about.
func probeSyncs(c fsprobe.Case) bool { return c.Sync != disk.SyncNone && c.Count > 0 }

// over reports whether c is above --max-p99.
func (r *probeReport) over(c fsprobe.Case) bool {
	return r.flags.maxP99 > 0 && probeSyncs(c) &&
		c.Latency.ValueAtQuantile(99) > r.flags.maxP99.Microseconds()
}

func (r *probeReport) printTable(w io.Writer) {
	// Text columns left, numbers right: DIR … BACKGROUND are text.
	const textCols = 6
	rows := [][]string{{"DIR", "DEVICE", "FS", "SYNC", "PREALLOC", "BACKGROUND", "COUNT",
		"P50 µs", "P90 µs", "P99 µs", "P99.9 µs", "MAX µs", "IOPS", "EXTENDS", ""}}
	for _, c := range r.res.Cases {
		df := r.facts[r.dirIndex(c.Dir)]
		bg := "-"
		if c.Background > 0 {
			bg = size.Format(c.Background) + "/s"
		}
		note := ""
		switch {
		case c.Err != nil:
			note = "failed: " + c.Err.Error()
		case c.Interrupted:
			note = "interrupted"
		}
		h := c.Latency
		rows = append(rows, []string{c.Dir, cmp.Or(df.Device, "?"), cmp.Or(df.FSType, "?"),
			c.Sync.String(), c.Prealloc.String(), bg, strconv.Itoa(c.Count),
			strconv.FormatInt(h.ValueAtQuantile(50), 10), strconv.FormatInt(h.ValueAtQuantile(90), 10),
			strconv.FormatInt(h.ValueAtQuantile(99), 10), strconv.FormatInt(h.ValueAtQuantile(99.9), 10),
			strconv.FormatInt(h.Max(), 10), strconv.FormatFloat(c.IOPS(), 'f', 0, 64),
			strconv.Itoa(c.Extends.Count), note})
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			switch {
			case i == len(row)-1:
				b.WriteString(cell) // the note, unpadded
			case i < textCols:
				b.WriteString(cell + pad + "  ")
			default:
				b.WriteString(pad + cell + "  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}

	bw := map[string]fsprobe.Bandwidth{}
	for _, b := range r.res.Bandwidth {
		bw[b.Dir] = b
	}
	for i, dir := range r.cfg.Dirs {
		fmt.Fprintf(w, "%s: %s", dir, probeDescribe(r.facts[i]))
		if b, ok := bw[dir]; ok {
			if b.Err != nil {
				fmt.Fprintf(w, "; sequential write failed: %v", b.Err)
			} else {
				fmt.Fprintf(w, "; sequential write %.0f MB/s (%s in 1MiB writes, one fdatasync)", b.BytesPerSecond()/1e6, size.Format(b.Bytes))
			}
		}
		fmt.Fprintln(w)
	}
}

// probeDescribe is a device's facts on one line.
func probeDescribe(f device.Facts) string {
	if f.Mount == "" && f.FSType == "" {
		return "device unknown"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s (%s", cmp.Or(f.Mount, "?"), cmp.Or(f.Device, "?"), cmp.Or(f.FSType, "?"))
	switch {
	case f.Virtual:
		b.WriteString(", no block device")
	case f.Rotational == nil:
		b.WriteString(", rotational unknown")
	case *f.Rotational:
		b.WriteString(", rotational")
	default:
		b.WriteString(", non-rotational")
	}
	if f.Scheduler != "" {
		b.WriteString(", scheduler " + f.Scheduler)
	}
	if f.Model != "" {
		b.WriteString(", " + f.Model)
	}
	if len(f.MountOptions) > 0 {
		b.WriteString("; " + strings.Join(f.MountOptions, ","))
	}
	fmt.Fprintf(&b, "), %s free of %s", size.Human(int64(f.FreeBytes)), size.Human(int64(f.TotalBytes)))
	return b.String()
}

// printVerdict prints one verdict line per directory, judged on its worst
// p99 among the cases that sync, and returns the cases above --max-p99,
// worst first.
func (r *probeReport) printVerdict(w io.Writer) []fsprobe.Case {
	var over []fsprobe.Case
	for _, dir := range r.cfg.Dirs {
		var worst, slowest *fsprobe.Case
		for i := range r.res.Cases {
			c := &r.res.Cases[i]
			if c.Dir != dir || !probeSyncs(*c) {
				continue
			}
			if worst == nil || c.Latency.ValueAtQuantile(99) > worst.Latency.ValueAtQuantile(99) {
				worst = c
			}
			if slowest == nil || c.Latency.Max() > slowest.Latency.Max() {
				slowest = c
			}
			if r.over(*c) {
				over = append(over, *c)
			}
		}
		if worst == nil {
			fmt.Fprintf(w, "verdict: %s: no sync measured (sync none times plain writes)\n", dir)
			continue
		}
		p99 := worst.Latency.ValueAtQuantile(99)
		judgement := "good for a ZooKeeper transaction log (p99 under 10 ms)"
		if p99 > probeGoodP99.Microseconds() {
			judgement = "too slow for a ZooKeeper transaction log (a good log device keeps the p99 of its syncs under 10 ms)"
		}
		mx := slowest.Latency.Max()
		warn := "below ZooKeeper's fsync.warningthresholdms = 1000 ms"
		if mx >= probeZKWarn.Microseconds() {
			warn = "at or above ZooKeeper's fsync.warningthresholdms = 1000 ms: ZooKeeper would log \"fsync-ing the write ahead log … took …ms\""
		}
		fmt.Fprintf(w, "verdict: %s: worst p99 %s (%s): %s; max %s (%s), %s\n",
			dir, table.Micros(p99), worst.Name(), judgement, table.Micros(mx), slowest.Name(), warn)
	}
	slices.SortStableFunc(over, func(a, b fsprobe.Case) int {
		return int(b.Latency.ValueAtQuantile(99) - a.Latency.ValueAtQuantile(99))
	})
	for _, c := range over {
		fmt.Fprintf(w, "FAIL: %s %s: p99 %s is above --max-p99 %v\n", c.Dir, c.Name(), table.Micros(c.Latency.ValueAtQuantile(99)), r.flags.maxP99)
	}
	return over
}
