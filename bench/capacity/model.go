package capacity

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/hlog"
	"zkbench/results"
	"zkbench/results/device"
	"zkbench/results/table"
)

// Model is the group-commit model of the write path's disk side: a
// prediction of the highest write rate at which the SLA's percentile of
// write latency stays within it, were the log syncs the only cost.
//
// Writes arrive on the open-loop schedule (one every 1/rate). Each
// member runs ZooKeeper's group commit: a sync starts as soon as the
// previous one ended and carries every write that arrived during it (at
// most MaxBatch); an idle member syncs a write at once. A sync takes a
// duration drawn from the probe's distribution (the probe's case with as
// many writers at once as members share the device, when it has one),
// plus what the batch's bytes beyond the probe's block cost: up to the
// probe's batch block, the measured difference of the two blocks' median
// syncs, in proportion; beyond it (or without a batch case) the bytes at
// the probe's sequential bandwidth (shared by the members whose logs are
// on the one device). A write commits when the
// leader and a majority have synced it: its latency is the majority's
// sync completion minus its arrival. Network, CPU and the members'
// request processing cost nothing here: the model's ceiling is the
// disk's, and a box whose CPU runs out first measures less.
type Model struct {
	Members      int // voting members, 3 when 0
	RecordBytes  int // bytes a write adds to the log
	SLA          results.CapacitySLA
	MaxBatch     int     // txns per sync at most; 1000 when 0
	MaxRate      float64 // the highest rate the model tries; 200,000 when 0
	SharedDevice bool    // every member's log on the one device
	// ProbeBlock is the probe's append size: the bytes its sync
	// latencies already include.
	ProbeBlock int
	// BatchBlock is the probe's larger block (0: none) and BatchCostUs
	// what a sync of it costs beyond one of ProbeBlock, µs (the
	// difference of their medians, with the same writers at once): the
	// cost of a batch's bytes up to BatchBlock.
	BatchBlock  int
	BatchCostUs float64
	// BandwidthBps is the device's sequential write bandwidth, bytes/s:
	// the cost of a batch's bytes beyond BatchBlock (or ProbeBlock); 0:
	// they cost nothing.
	BandwidthBps float64
}

// RecordOverhead is what a setData adds to the log beside its value:
// the txn header, the path, the record's length, checksum and end
// marker, about 100 bytes for the workloads' paths.
const RecordOverhead = 100

func (m Model) members() int  { return cmp0(m.Members, 3) }
func (m Model) maxBatch() int { return cmp0(m.MaxBatch, 1000) }
func (m Model) maxRate() float64 {
	if m.MaxRate > 0 {
		return m.MaxRate
	}
	return 200000
}

func cmp0(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Ceiling is the highest rate (whole ops/s, to 1%) whose predicted
// percentile meets the SLA, given sync latencies syncs (µs); 0 when even
// one write a second misses it, and bound false when MaxRate still
// meets it. The draws come from a fixed seed: the same inputs give the
// same answer.
func (m Model) Ceiling(syncs *hdrhistogram.Histogram) (rate float64, bound bool) {
	ok := func(r float64) bool { return m.Percentile(syncs, r) <= float64(m.SLA.MaxUs) }
	if !ok(1) {
		return 0, true
	}
	if ok(m.maxRate()) {
		return m.maxRate(), false
	}
	lo, hi := 1.0, m.maxRate()
	for hi-lo > 0.01*lo {
		mid := math.Round((lo + hi) / 2)
		if mid <= lo || mid >= hi {
			break
		}
		if ok(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, true
}

// Percentile is the predicted latency (µs) at the SLA's percentile of
// writes offered at rate.
func (m Model) Percentile(syncs *hdrhistogram.Histogram, rate float64) float64 {
	lat := m.latencies(syncs, rate)
	slices.Sort(lat)
	i := int(math.Ceil(m.SLA.Percentile/100*float64(len(lat)))) - 1
	return lat[min(max(i, 0), len(lat)-1)]
}

// latencies simulates enough writes at rate for about 4,000 syncs per
// member (at least 20,000 writes) and returns each write's latency
// after the first tenth (the queues filling).
func (m Model) latencies(syncs *hdrhistogram.Histogram, rate float64) []float64 {
	n := m.members()
	mean := max(syncs.Mean(), 1)
	writes := int(min(max(20000, rate*4000*mean/1e6), 2e6))
	gap := 1e6 / rate // µs between arrivals
	rng := rand.New(rand.NewPCG(1, uint64(rate)))
	perByte := 0.0
	if m.BandwidthBps > 0 {
		share := 1.0
		if m.SharedDevice {
			share = float64(n)
		}
		perByte = 1e6 / (m.BandwidthBps / share)
	}
	done := make([][]float64, n) // done[member][write]
	for k := range done {
		done[k] = m.member(syncs, rng, writes, gap, perByte)
	}
	// Member 0 is the leader: a write commits once the leader and
	// enough followers for a majority have synced it.
	need := n / 2 // followers beside the leader
	lat := make([]float64, 0, writes-writes/10)
	at := make([]float64, n-1)
	for j := writes / 10; j < writes; j++ {
		commit := done[0][j]
		if need > 0 {
			for k := 1; k < n; k++ {
				at[k-1] = done[k][j]
			}
			slices.Sort(at)
			commit = math.Max(commit, at[need-1])
		}
		lat = append(lat, commit-float64(j)*gap)
	}
	return lat
}

// member runs one member's group commit over the arrivals and returns
// when each write was synced.
func (m Model) member(syncs *hdrhistogram.Histogram, rng *rand.Rand, writes int, gap, perByte float64) []float64 {
	done := make([]float64, writes)
	free := 0.0
	for j := 0; j < writes; {
		start := math.Max(free, float64(j)*gap)
		k := j
		for k < writes && float64(k)*gap <= start && k-j < m.maxBatch() {
			k++
		}
		end := start + draw(syncs, rng) + m.extraUs((k-j)*m.RecordBytes, perByte)
		for i := j; i < k; i++ {
			done[i] = end
		}
		free, j = end, k
	}
	return done
}

// extraUs is what a sync of bytes costs beyond one of the probe's block:
// up to BatchBlock the measured batch cost in proportion (a straight
// line between the two medians the probe measured), beyond it perByte
// µs a byte.
func (m Model) extraUs(bytes int, perByte float64) float64 {
	over := float64(bytes - m.ProbeBlock)
	if over <= 0 {
		return 0
	}
	if span := float64(m.BatchBlock - m.ProbeBlock); span > 0 {
		if over <= span {
			return m.BatchCostUs * over / span
		}
		return m.BatchCostUs + (over-span)*perByte
	}
	return over * perByte
}

// syncWriters is how many members sync on one device at once: all of
// them when their logs share it, else each alone.
func (m Model) syncWriters() int {
	if m.SharedDevice {
		return m.members()
	}
	return 1
}

// draw is one sync latency (µs) from h, by its inverse distribution.
func draw(h *hdrhistogram.Histogram, rng *rand.Rand) float64 {
	return float64(h.ValueAtQuantile(rng.Float64() * 100))
}

// PredictFromProbe reads a probe folder, picks the ZooKeeper-pattern
// case (fdatasync, zookeeper preallocation) of the directory on the log
// dir's mount (or the only directory probed) with as many writers at
// once as members share the device (else the one-writer case, which the
// note calls optimistic), and its batch case, and predicts the ceiling.
func PredictFromProbe(dir, logDir string, m Model) (*results.Prediction, error) {
	doc, err := results.ReadProbe(filepath.Join(dir, results.ProbeFile))
	if err != nil {
		return nil, err
	}
	m.SharedDevice = true // the members' logs under one parent: one device
	pc, err := pickCase(doc, logDir, m.syncWriters())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	syncs, err := readSyncs(dir, pc.base)
	if err != nil {
		return nil, err
	}
	e := pc.base
	m.ProbeBlock = e.BlockSize
	if pc.dir.Bandwidth != nil && pc.dir.Bandwidth.MBs > 0 {
		m.BandwidthBps = pc.dir.Bandwidth.MBs * 1e6
	}
	p := &results.Prediction{Probe: dir, Dir: e.Dir, Writers: e.WriterCount(),
		SyncP50Us: syncs.ValueAtQuantile(50), SyncP99Us: syncs.ValueAtQuantile(99)}
	if b := pc.batch; b != nil {
		bs, err := readSyncs(dir, *b)
		if err != nil {
			return nil, err
		}
		m.BatchBlock = b.BlockSize
		m.BatchCostUs = math.Max(0, float64(bs.ValueAtQuantile(50)-p.SyncP50Us))
		p.BatchBlockBytes, p.BatchSyncP50Us = b.BlockSize, bs.ValueAtQuantile(50)
	}
	p.MaxRateOpsS, p.DiskBound = m.Ceiling(syncs)
	p.BandwidthMBs, p.Members, p.SharedDevice, p.RecordBytes = m.BandwidthBps/1e6, m.members(), m.SharedDevice, m.RecordBytes
	p.Note = predictionNote(p, m)
	return p, nil
}

// readSyncs is a probe case's syncs, from its interval log.
func readSyncs(dir string, e results.ProbeEntry) (*hdrhistogram.Histogram, error) {
	hs, err := hlog.ReadFile(filepath.Join(dir, e.Hlog))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	syncs := hlog.Merge(hs)
	if syncs.TotalCount() == 0 {
		return nil, fmt.Errorf("%s: %s holds no sync", dir, e.Hlog)
	}
	return syncs, nil
}

// probeCase is what a prediction reads from a probe: the sync case, its
// batch case (nil when the probe has none) and its directory.
type probeCase struct {
	base  results.ProbeEntry
	batch *results.ProbeEntry
	dir   results.ProbeDir
}

// pickCase is the probe's fdatasync/zookeeper case for the log dir with
// writers at once, else with one writer, and the batch case beside it.
func pickCase(doc *results.Probe, logDir string, writers int) (probeCase, error) {
	var cases []results.ProbeEntry
	for _, e := range doc.Probes {
		if e.Sync == "fdatasync" && e.PreallocMode == "zookeeper" && e.Hlog != "" && e.Background == 0 {
			cases = append(cases, e)
		}
	}
	if len(cases) == 0 {
		return probeCase{}, errors.New("no fdatasync/zookeeper case without a background writer: probe with ZooKeeper's pattern")
	}
	pickDir := cases[0].Dir
	if slices.ContainsFunc(cases, func(e results.ProbeEntry) bool { return e.Dir != pickDir }) {
		want := logDir
		if want == "" {
			want = os.TempDir() // where the members' folders go by default
		}
		f, err := device.Lookup(want)
		if err != nil {
			return probeCase{}, fmt.Errorf("several directories probed and the log dir %s cannot be looked up: %v", want, err)
		}
		i := slices.IndexFunc(cases, func(e results.ProbeEntry) bool { return e.Mount == f.Mount })
		if i < 0 {
			return probeCase{}, fmt.Errorf("no probed directory is on %s's mount %s", want, f.Mount)
		}
		pickDir = cases[i].Dir
	}
	find := func(w int, batch bool) *results.ProbeEntry {
		i := slices.IndexFunc(cases, func(e results.ProbeEntry) bool {
			return e.Dir == pickDir && e.WriterCount() == w && e.Batch == batch
		})
		if i < 0 {
			return nil
		}
		return &cases[i]
	}
	base := find(writers, false)
	if base == nil {
		if base = find(1, false); base == nil {
			return probeCase{}, fmt.Errorf("no fdatasync/zookeeper case of %s with %d writers or one: probe with --writers 1,%d", pickDir, writers, writers)
		}
	}
	pc := probeCase{base: *base, batch: find(base.WriterCount(), true)}
	if i := slices.IndexFunc(doc.Dirs, func(d results.ProbeDir) bool { return d.Dir == pickDir }); i >= 0 {
		pc.dir = doc.Dirs[i]
	}
	return pc, nil
}

// predictionNote says what the prediction means and where the model
// misses.
func predictionNote(p *results.Prediction, m Model) string {
	sla := fmt.Sprintf("p%v ≤ %s", m.SLA.Percentile, table.Micros(m.SLA.MaxUs))
	base := fmt.Sprintf("group-commit model of %d members' logs on %s (sync p50 %s, p99 %s, %s%s)",
		p.Members, p.Dir, table.Micros(p.SyncP50Us), table.Micros(p.SyncP99Us), writersNote(p, m), batchNote(p))
	switch {
	case p.MaxRateOpsS == 0:
		return base + ": even one write a second misses " + sla + ": the disk alone is too slow"
	case !p.DiskBound:
		return fmt.Sprintf("%s: the disk is not the limit below %s writes/s at %s", base, thousands(p.MaxRateOpsS), sla)
	}
	return fmt.Sprintf("%s: the disk alone holds %s writes/s at %s. The model counts only the syncs: CPU, the network and "+
		"request processing cost nothing in it, so a box that runs out of CPU first measures less",
		base, thousands(p.MaxRateOpsS), sla)
}

// writersNote says whose syncs the model drew from.
func writersNote(p *results.Prediction, m Model) string {
	switch w := m.syncWriters(); {
	case p.Writers == w && w > 1:
		return fmt.Sprintf("%d writers at once, as the members share the device", w)
	case w > 1:
		return fmt.Sprintf("one writer at a time: the probe has no %d-writer case, so the prediction is optimistic "+
			"on a device that serializes the members' concurrent flushes (probe with --writers 1,%d)", w, w)
	}
	return "one writer at a time"
}

// batchNote says what a batch's bytes cost in the model.
func batchNote(p *results.Prediction) string {
	bw := "at no cost"
	if p.BandwidthMBs > 0 {
		bw = fmt.Sprintf("at the sequential %.0f MB/s shared", p.BandwidthMBs)
	}
	if p.BatchBlockBytes == 0 {
		return "; a batch's bytes beyond the probe's block " + bw
	}
	return fmt.Sprintf("; a %d-byte sync p50 %s, so a batch's bytes up to it cost in proportion, beyond it %s",
		p.BatchBlockBytes, table.Micros(p.BatchSyncP50Us), bw)
}
