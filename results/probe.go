package results

import "zkbench/results/device"

// Probe is a disk probe: probe.json, written by zkbench probe. The entry
// fields result-schema.md names come first in each ProbeEntry.
type Probe struct {
	Schema         int     `json:"schema"`
	Kind           string  `json:"kind"` // "probe"
	ZkbenchVersion string  `json:"zkbench_version"`
	Started        string  `json:"started"` // RFC 3339 UTC
	DurationS      float64 `json:"duration_s"`
	// Interrupted means the probe was stopped before it measured every
	// combination; what it measured is here.
	Interrupted bool          `json:"interrupted"`
	Config      ProbeConfig   `json:"config"`
	Dirs        []ProbeDir    `json:"dirs"`
	Probes      []ProbeEntry  `json:"probes"`
	Guidance    ProbeGuidance `json:"guidance"`
}

// ProbeConfig is what the probe was asked to do.
type ProbeConfig struct {
	Dirs          []string `json:"dirs"`
	BlockSize     int      `json:"blockSize"`
	Count         int      `json:"count"`
	Sync          []string `json:"sync"`
	PreallocMode  []string `json:"preallocMode"`
	PreAllocSize  int64    `json:"preAllocSize"`
	Background    int64    `json:"backgroundWrite_bytes_s"`
	BandwidthSize int64    `json:"bandwidthSize"`
	// MaxP99Us is --max-p99; 0 means no check.
	MaxP99Us int64 `json:"maxP99_us"`
	// Writers are the writer counts each combination ran with; absent
	// in a probe.json from before concurrent writers, which means [1].
	Writers []int `json:"writers,omitempty"`
	// BatchFactor is how many blocks the batch block of the concurrent
	// cases holds; 0: no batch cases.
	BatchFactor int `json:"batchFactor,omitempty"`
}

// ProbeGuidance is the advice the verdict is judged against.
type ProbeGuidance struct {
	// GoodP99Us is the usual advice for a log device: p99 of syncs under it.
	GoodP99Us int64 `json:"goodP99_us"`
	// ZKWarningThreshMs is ZooKeeper's fsync.warningthresholdms.
	ZKWarningThreshMs int64 `json:"fsyncWarningThresholdMs"`
}

// ProbeDir is one probed directory: its device and sequential bandwidth.
type ProbeDir struct {
	Dir       string          `json:"dir"`
	Device    device.Facts    `json:"deviceFacts"`
	Bandwidth *ProbeBandwidth `json:"bandwidth,omitempty"`
}

// ProbeBandwidth is the sequential-write pass of a directory.
type ProbeBandwidth struct {
	Bytes     int64   `json:"bytes"`
	DurationS float64 `json:"duration_s"`
	MBs       float64 `json:"mb_s"`
	Error     string  `json:"error,omitempty"`
}

// ProbeEntry is one (directory, sync method, prealloc mode, background)
// combination.
type ProbeEntry struct {
	Dir          string `json:"dir"`
	Device       string `json:"device"`
	FSType       string `json:"fstype"`
	Rotational   *bool  `json:"rotational"`
	Sync         string `json:"sync"`
	PreallocMode string `json:"preallocMode"`
	BlockSize    int    `json:"blockSize"`
	Count        int    `json:"count"`
	// Writers is how many scratch logs were appended and synced at once;
	// Count and Latency hold all of theirs. 0 (absent, in a probe.json
	// from before concurrent writers) means 1: see WriterCount.
	Writers int `json:"writers,omitempty"`
	// Batch means BlockSize is BatchFactor × the probe's block: the cost
	// of a sync that carries a batch of records.
	Batch   bool        `json:"batch,omitempty"`
	Latency Percentiles `json:"latency_us"`
	IOPS    float64     `json:"iops"`
	// Hlog is the combination's interval log, relative to the folder;
	// empty when nothing was measured.
	Hlog string `json:"hlog"`

	// The same in nanoseconds: tmpfs syncs take less than 1 µs.
	LatencyNs Percentiles `json:"latency_ns"`

	PreAllocSize       int64        `json:"preAllocSize"`
	Background         int64        `json:"background_bytes_s"`
	BackgroundAchieved float64      `json:"background_achieved_bytes_s"`
	Extends            ProbeExtends `json:"extends"`
	FileSize           int64        `json:"fileSize"`
	DurationS          float64      `json:"duration_s"`
	BandwidthMBs       float64      `json:"bandwidth_mb_s"`
	Mount              string       `json:"mount"`
	Scheduler          string       `json:"scheduler"`
	OverMaxP99         bool         `json:"over_max_p99"`
	Interrupted        bool         `json:"interrupted,omitempty"`
	Error              string       `json:"error,omitempty"`
}

// WriterCount is e.Writers, 1 when absent.
func (e ProbeEntry) WriterCount() int { return max(e.Writers, 1) }

// ProbeExtends are the preallocation steps of one combination.
type ProbeExtends struct {
	Count   int   `json:"count"`
	TotalUs int64 `json:"total_us"`
	MaxUs   int64 `json:"max_us"`
}

// WriteFile writes p as indented JSON to path, replacing it. A zero
// Schema or Kind is written as the current one.
func (p *Probe) WriteFile(path string) error {
	if p.Schema == 0 {
		p.Schema = Schema
	}
	if p.Kind == "" {
		p.Kind = "probe"
	}
	return writeJSON(path, p)
}

// ReadProbe reads a probe.json. It refuses another schema version, and
// every error names the file.
func ReadProbe(path string) (*Probe, error) { return readFile[Probe](path) }
