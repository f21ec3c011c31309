package fsprobe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"zkbench/engine/disk"
	"zkbench/hlog"
	"zkbench/internal/size"
	"zkbench/results"
	"zkbench/results/device"
	"zkbench/results/table"
)

// Guidance the verdict cites.
const (
	// GoodP99 is the usual advice for a ZooKeeper transaction log
	// device: the p99 of its syncs under 10 ms.
	GoodP99 = 10 * time.Millisecond
	// ZKWarningThreshold is ZooKeeper's fsync.warningthresholdms
	// default: above it ZooKeeper logs "fsync-ing the write ahead log …
	// took …ms".
	ZKWarningThreshold = time.Second
)

// Outcome is a probe's result with what it is judged against, turned
// into files (WriteFiles), a table (WriteTable) and a verdict per
// directory (WriteVerdict).
type Outcome struct {
	Config Config
	Result Result
	// Facts are the device facts of each of Config.Dirs, by index.
	Facts []device.Facts
	// MaxP99 is the p99 a syncing combination may not exceed; 0: none.
	MaxP99 time.Duration
	// Interrupted means the probe stopped before every combination ran.
	Interrupted bool
	// Version is the zkbench version probe.json records.
	Version string

	hlogs []string // by index of Result.Cases; "" when none was written
}

// Planned is how many combinations the probe was to measure.
func (r *Outcome) Planned() int { return r.Config.Planned() }

func (r *Outcome) dirIndex(dir string) int { return slices.Index(r.Config.Dirs, dir) }

// Failed is the first combination (or bandwidth pass, as a Case) that
// failed, or nil.
func (r *Outcome) Failed() *Case {
	for i := range r.Result.Cases {
		if r.Result.Cases[i].Err != nil {
			return &r.Result.Cases[i]
		}
	}
	for _, b := range r.Result.Bandwidth {
		if b.Err != nil && !errors.Is(b.Err, context.Canceled) {
			return &Case{Dir: b.Dir, Err: fmt.Errorf("bandwidth: %w", b.Err)}
		}
	}
	return nil
}

// hlogName is "<dir number>-<dir base>-<sync>-<prealloc>[-bg][-x<writers>][-<block>B].hlog",
// the block only for a batch case.
func (r *Outcome) hlogName(c Case) string {
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
	if c.Writers > 1 {
		name += fmt.Sprintf("-x%d", c.Writers)
	}
	if c.Batch {
		name += fmt.Sprintf("-%dB", c.BlockSize)
	}
	return name + ".hlog"
}

// WriteFiles writes one .hlog per measured combination and probe.json
// into dir.
func (r *Outcome) WriteFiles(dir string) error {
	r.hlogs = make([]string, len(r.Result.Cases))
	for i, c := range r.Result.Cases {
		if c.Count == 0 {
			continue
		}
		name := r.hlogName(c)
		comment := fmt.Sprintf("zkbench probe: latency to make a %d-byte write durable in %s with %s, preallocation %s (step %s), background %s/s, %d writer(s) at once",
			c.BlockSize, strconv.Quote(c.Dir), c.Sync, c.Prealloc, size.Format(c.PreAllocSize), size.Format(c.Background), max(c.Writers, 1))
		if err := hlog.WriteFile(filepath.Join(dir, name), c.Start, c.Intervals, comment); err != nil {
			return err
		}
		r.hlogs[i] = name
	}
	j := r.json()
	return j.WriteFile(filepath.Join(dir, results.ProbeFile))
}

// json is probe.json: results.Probe, the model the report reads too.
func (r *Outcome) json() results.Probe {
	j := results.Probe{
		Schema: results.Schema, Kind: "probe", ZkbenchVersion: r.Version,
		Started:     r.Result.Start.UTC().Format(time.RFC3339),
		DurationS:   r.Result.Elapsed.Seconds(),
		Interrupted: r.Interrupted,
		Config: results.ProbeConfig{
			Dirs: r.Config.Dirs, BlockSize: r.Config.BlockSize, Count: r.Config.Count,
			PreAllocSize: r.Config.PreAllocSize, Background: r.Config.Background, BandwidthSize: r.Config.BandwidthSize,
			MaxP99Us: r.MaxP99.Microseconds(), Writers: r.Config.writers(), BatchFactor: r.Config.BatchFactor,
		},
		Guidance: results.ProbeGuidance{GoodP99Us: GoodP99.Microseconds(), ZKWarningThreshMs: ZKWarningThreshold.Milliseconds()},
		Dirs:     []results.ProbeDir{},
		Probes:   []results.ProbeEntry{},
	}
	for _, m := range r.Config.Syncs {
		j.Config.Sync = append(j.Config.Sync, m.String())
	}
	for _, m := range r.Config.Preallocs {
		j.Config.PreallocMode = append(j.Config.PreallocMode, m.String())
	}
	bw := r.bandwidths()
	for i, dir := range r.Config.Dirs {
		d := results.ProbeDir{Dir: dir, Device: r.Facts[i]}
		if b, ok := bw[dir]; ok {
			d.Bandwidth = &results.ProbeBandwidth{Bytes: b.Bytes, DurationS: b.Elapsed.Seconds(), MBs: b.BytesPerSecond() / 1e6}
			if b.Err != nil {
				d.Bandwidth.Error = b.Err.Error()
			}
		}
		j.Dirs = append(j.Dirs, d)
	}
	for i, c := range r.Result.Cases {
		df := r.Facts[r.dirIndex(c.Dir)]
		e := results.ProbeEntry{
			Dir: c.Dir, Device: df.Device, FSType: df.FSType, Rotational: df.Rotational,
			Sync: c.Sync.String(), PreallocMode: c.Prealloc.String(), BlockSize: c.BlockSize, Count: c.Count,
			Writers: max(c.Writers, 1), Batch: c.Batch,
			Latency:   results.PercentilesOf(c.Latency),
			LatencyNs: results.PercentilesOf(c.LatencyNanos),
			IOPS:      c.IOPS(), Hlog: r.hlogs[i],
			PreAllocSize: c.PreAllocSize, Background: c.Background, BackgroundAchieved: c.BackgroundRate(),
			Extends:   results.ProbeExtends{Count: c.Extends.Count, TotalUs: c.Extends.Total.Microseconds(), MaxUs: c.Extends.Max.Microseconds()},
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

// syncs reports whether c measured syncs: sync none measures plain writes,
// which no verdict is about.
func measuredSyncs(c Case) bool { return c.Sync != disk.SyncNone && c.Count > 0 }

// judged reports whether the verdict and --max-p99 judge c: a case
// that syncs, with one writer at the probe's block, as one ZooKeeper
// server writes its log; the concurrent and batch cases inform the
// capacity model. A probe without one-writer cases is judged on all.
func (r *Outcome) judged(c Case) bool {
	if !measuredSyncs(c) {
		return false
	}
	return c.Writers <= 1 && !c.Batch || !slices.Contains(r.Config.writers(), 1)
}

// over reports whether c is above --max-p99.
func (r *Outcome) over(c Case) bool {
	return r.MaxP99 > 0 && r.judged(c) &&
		c.Latency.ValueAtQuantile(99) > r.MaxP99.Microseconds()
}

// WriteTable writes every combination's figures, then a line per
// directory with its device and sequential bandwidth.
func (r *Outcome) WriteTable(w io.Writer) {
	// Text columns left, numbers right: DIR … BACKGROUND are text.
	const textCols = 6
	rows := [][]string{{"DIR", "DEVICE", "FS", "SYNC", "PREALLOC", "BACKGROUND", "WRITERS", "BLOCK", "COUNT",
		"P50 µs", "P90 µs", "P99 µs", "P99.9 µs", "MAX µs", "IOPS", "EXTENDS", ""}}
	for _, c := range r.Result.Cases {
		df := r.Facts[r.dirIndex(c.Dir)]
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
			c.Sync.String(), c.Prealloc.String(), bg, strconv.Itoa(max(c.Writers, 1)), strconv.Itoa(c.BlockSize), strconv.Itoa(c.Count),
			strconv.FormatInt(h.ValueAtQuantile(50), 10), strconv.FormatInt(h.ValueAtQuantile(90), 10),
			strconv.FormatInt(h.ValueAtQuantile(99), 10), strconv.FormatInt(h.ValueAtQuantile(99.9), 10),
			strconv.FormatInt(h.Max(), 10), strconv.FormatFloat(c.IOPS(), 'f', 0, 64),
			strconv.Itoa(c.Extends.Count), note})
	}
	// The last column, the note, is words too.
	table.Write(w, rows, table.Right(textCols, len(rows[0])-1))

	bw := r.bandwidths()
	for i, dir := range r.Config.Dirs {
		fmt.Fprintf(w, "%s: %s", dir, describe(r.Facts[i]))
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

// describe is a device's facts on one line.
func describe(f device.Facts) string {
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

// WriteVerdict writes one verdict line per directory, judged on its worst
// p99 among the cases that sync with one writer at the probe's block (see
// judged), and returns the cases above --max-p99, worst first.
func (r *Outcome) WriteVerdict(w io.Writer) []Case {
	var over []Case
	for i, dir := range r.Config.Dirs {
		var worst, slowest *Case
		fastest := time.Duration(math.MaxInt64) // the lowest median sync
		for i := range r.Result.Cases {
			c := &r.Result.Cases[i]
			if c.Dir != dir || !r.judged(*c) {
				continue
			}
			if worst == nil || c.Latency.ValueAtQuantile(99) > worst.Latency.ValueAtQuantile(99) {
				worst = c
			}
			if slowest == nil || c.Latency.Max() > slowest.Latency.Max() {
				slowest = c
			}
			fastest = min(fastest, time.Duration(c.LatencyNanos.ValueAtQuantile(50)))
			if r.over(*c) {
				over = append(over, *c)
			}
		}
		if worst == nil {
			fmt.Fprintf(w, "verdict: %s: no sync measured (sync none times plain writes)\n", dir)
			continue
		}
		p99 := worst.Latency.ValueAtQuantile(99)
		judgement := judge(r.Facts[i], p99, fastest)
		mx := slowest.Latency.Max()
		warn := "below ZooKeeper's fsync.warningthresholdms = 1000 ms"
		if mx >= ZKWarningThreshold.Microseconds() {
			warn = "at or above ZooKeeper's fsync.warningthresholdms = 1000 ms: ZooKeeper would log \"fsync-ing the write ahead log … took …ms\""
		}
		fmt.Fprintf(w, "verdict: %s: worst p99 %s (%s): %s; max %s (%s), %s\n",
			dir, table.Micros(p99), worst.Name(), judgement, table.Micros(mx), slowest.Name(), warn)
	}
	slices.SortStableFunc(over, func(a, b Case) int {
		return int(b.Latency.ValueAtQuantile(99) - a.Latency.ValueAtQuantile(99))
	})
	for _, c := range over {
		fmt.Fprintf(w, "FAIL: %s %s: p99 %s is above --max-p99 %v\n", c.Dir, c.Name(), table.Micros(c.Latency.ValueAtQuantile(99)), r.MaxP99)
	}
	return over
}

// judge is a directory's verdict on its worst p99 (µs) and its lowest
// median sync: a log on memory is not durable however fast, and syncs
// faster than stable storage may not be durable either.
func judge(f device.Facts, p99 int64, fastest time.Duration) string {
	if why := f.NotDurable(); why != "" {
		return "not durable, so no place for a ZooKeeper transaction log: " + why
	}
	judgement := "good for a ZooKeeper transaction log (p99 under 10 ms)"
	if p99 > GoodP99.Microseconds() {
		judgement = "too slow for a ZooKeeper transaction log (a good log device keeps the p99 of its syncs under 10 ms)"
	}
	if doubt := f.FlushDoubt(fastest); doubt != "" {
		judgement += "; but " + doubt
	}
	return judgement
}

// bandwidths are the bandwidth passes by directory.
func (r *Outcome) bandwidths() map[string]Bandwidth {
	bw := map[string]Bandwidth{}
	for _, b := range r.Result.Bandwidth {
		bw[b.Dir] = b
	}
	return bw
}
