package results

import (
	"fmt"
	"strings"
	"time"

	"zkbench/results/table"
)

// CapacityFile marks a capacity folder: the index of a rate search.
const CapacityFile = "capacity.json"

// PrimeFolder is a capacity folder's run that warmed the target before
// the first step: a run folder, not a step.
const PrimeFolder = "00-prime"

// The limits a capacity search names: what ran out first at the knee.
const (
	LimitDisk    = "disk"
	LimitCPU     = "cpu"
	LimitNetwork = "network"
	LimitUnknown = "unknown"
)

// Capacity is a capacity search: capacity.json, written by zkbench
// capacity. Its steps are open-loop runs at rising offered rates, each a
// run folder of its own (Dir), in the order they ran.
type Capacity struct {
	Schema         int       `json:"schema"`
	Kind           string    `json:"kind"` // "capacity"
	ZkbenchVersion string    `json:"zkbench_version"`
	Profile        string    `json:"profile"`
	Started        time.Time `json:"started"`
	DurationS      float64   `json:"duration_s"`
	// Interrupted says the search was stopped before it converged:
	// MaxRateOpsS is the highest passing rate measured until then.
	Interrupted bool   `json:"interrupted"`
	Target      string `json:"target"`
	Workload    string `json:"workload"`
	// SLA is what a step had to meet to pass.
	SLA CapacitySLA `json:"sla"`
	// MaxRateOpsS is the highest offered rate that passed; 0 when none did.
	MaxRateOpsS float64 `json:"max_rate_ops_s"`
	// Converged says the search narrowed the knee to its resolution:
	// false when interrupted, when no step passed, or when the highest
	// rate tried still passed (MaxRateOpsS is then a lower bound).
	Converged bool `json:"converged"`
	// Resolution is the bisection's stopping width, relative to the
	// passing rate (0.05: the knee is known to within 5%).
	Resolution float64 `json:"resolution"`
	// Repeats is how many steps at the candidate maximum decided it:
	// the maximum is a rate most of whose steps passed.
	Repeats int `json:"repeats"`
	// Limit names what ran out first (LimitDisk, LimitCPU, LimitNetwork,
	// LimitUnknown), judged at the first failing step above the maximum;
	// LimitEvidence says why in one sentence.
	Limit         string `json:"limit"`
	LimitEvidence string `json:"limit_evidence"`
	// PrimeS is the closed-loop run before the first step that warmed
	// the target (a JVM compiles its hot code under load), in PrimeFolder;
	// 0 without one.
	PrimeS float64 `json:"prime_s"`
	// Warnings are what a reader of the answer must not miss, such as
	// steps that each started their servers cold; [] when none.
	Warnings []string       `json:"warnings"`
	Steps    []CapacityStep `json:"steps"`
	// Prediction is the group-commit model's ceiling from a probe, when
	// one was given; nil otherwise.
	Prediction *Prediction `json:"prediction,omitempty"`
}

// CapacitySLA is a step's pass rule: the chosen percentile of the
// workload's main op within MaxUs, at least MinAchieved of the offered
// rate achieved, and no errors.
type CapacitySLA struct {
	Percentile  float64 `json:"percentile"` // 99 or 99.9
	MaxUs       int64   `json:"max_us"`
	MinAchieved float64 `json:"min_achieved"` // 0.97
}

// CapacityStep is one offered rate and what it gave. Figures not
// measured (the leader's fsync percentiles and batch sizes of a real
// ensemble, a device utilization with no device sampled) are null.
type CapacityStep struct {
	Rate float64 `json:"rate"`
	// Repeat numbers the steps at one rate: 1 for its first, 2 and on
	// for the search's confirmation of a candidate maximum.
	Repeat       int     `json:"repeat"`
	Clients      int     `json:"clients"`
	AchievedOpsS float64 `json:"achieved_ops_s"`
	// Samples counts the main op's measured latencies behind the
	// percentiles: a p99 of fewer than 100 is close to their maximum.
	Samples int64   `json:"samples"`
	P50Us   int64   `json:"p50_us"`
	P99Us   int64   `json:"p99_us"`
	P999Us  int64   `json:"p999_us"`
	Errors  int64   `json:"errors"`
	CPUPct  float64 `json:"cpu_pct"`
	// ProcCPUPct is zkbench's own process's share of all cores: the
	// rest of CPUPct is other processes' (a real ensemble's among them).
	ProcCPUPct        float64  `json:"proc_cpu_pct"`
	DiskUtilPct       *float64 `json:"disk_util_pct"`
	LeaderFsyncP99Us  *int64   `json:"leader_fsync_p99_us"`
	LeaderFsyncMeanUs *float64 `json:"leader_fsync_mean_us"`
	TxnsPerSync       *float64 `json:"txns_per_sync"`
	// SyncShare is the share of the main op's mean latency that the
	// leader's log sync takes (its mean sync over the op's mean): the
	// least of a write's time that is the disk's.
	SyncShare *float64 `json:"sync_share"`
	Pass      bool     `json:"pass"`
	// Why says what failed a step that did not pass.
	Why         string `json:"why,omitempty"`
	Interrupted bool   `json:"interrupted,omitempty"`
	// Dir is the step's run folder, relative to the capacity folder:
	// result.json, its .hlog files and report.html.
	Dir string `json:"dir"`
	// Hlog is the main op's interval log, relative to the capacity folder.
	Hlog string `json:"hlog"`
}

// Prediction is the disk-bound write ceiling at the SLA that a
// group-commit model predicts from a probe's sync latencies.
type Prediction struct {
	Probe string `json:"probe"` // the probe folder
	Dir   string `json:"dir"`   // the probed directory whose syncs were used
	// MaxRateOpsS is the predicted ceiling; 0 when even one write per
	// sync misses the SLA. DiskBound is false when the model finds no
	// ceiling below the rates searched: the disk is not the limit.
	MaxRateOpsS float64 `json:"max_rate_ops_s"`
	DiskBound   bool    `json:"disk_bound"`
	// The model's inputs.
	SyncP50Us int64 `json:"sync_p50_us"`
	SyncP99Us int64 `json:"sync_p99_us"`
	// Writers is how many writers synced at once in the probe case the
	// syncs come from: the members sharing the device, or 1 when the
	// probe had no such case (the prediction is then optimistic). 0 in
	// a capacity.json from before concurrent probes.
	Writers int `json:"writers"`
	// BatchBlockBytes is the probe's batch block and BatchSyncP50Us its
	// median sync with the same writers; 0 when the probe has none.
	BatchBlockBytes int     `json:"batch_block_bytes,omitempty"`
	BatchSyncP50Us  int64   `json:"batch_sync_p50_us,omitempty"`
	BandwidthMBs    float64 `json:"bandwidth_mb_s"`
	Members         int     `json:"members"`
	SharedDevice    bool    `json:"shared_device"`
	RecordBytes     int     `json:"record_bytes"`
	Note            string  `json:"note"`
}

// WriteFile writes c as indented JSON to path, replacing it.
func (c *Capacity) WriteFile(path string) error {
	if c.Schema == 0 {
		c.Schema = Schema
	}
	if c.Kind == "" {
		c.Kind = "capacity"
	}
	if c.Steps == nil {
		c.Steps = []CapacityStep{}
	}
	if c.Warnings == nil {
		c.Warnings = []string{}
	}
	return writeJSON(path, c)
}

// ReadCapacity reads a capacity.json. It refuses another schema version,
// and every error names the file.
func ReadCapacity(path string) (*Capacity, error) { return readFile[Capacity](path) }

// Thousands writes a rate as people read it: 3,100.
func Thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// Answer is the summary's first line: the maximum, the SLA and the
// limit, e.g. "max 3,100 writes/s at p99 ≤ 10 ms — limited by the log
// disk (…)".
func (c *Capacity) Answer() string {
	unit := "ops/s"
	if c.Workload == "write" {
		unit = "writes/s"
	}
	sla := fmt.Sprintf("p%v ≤ %s", c.SLA.Percentile, table.Micros(c.SLA.MaxUs))
	var head string
	switch {
	case c.MaxRateOpsS == 0:
		head = fmt.Sprintf("no rate met %s", sla)
	case !c.Converged && !c.Interrupted && c.Limit == "" && len(c.Steps) > 0 && c.Steps[len(c.Steps)-1].Pass:
		head = fmt.Sprintf("at least %s %s at %s (the highest rate tried passed)", Thousands(c.MaxRateOpsS), unit, sla)
	default:
		head = fmt.Sprintf("max %s %s at %s", Thousands(c.MaxRateOpsS), unit, sla)
		if passed, ran := c.stepsAt(c.MaxRateOpsS); ran > 1 {
			head += fmt.Sprintf(" (%d of %d steps there passed)", passed, ran)
		}
	}
	if c.Interrupted {
		head += " so far (interrupted before the search converged)"
	}
	if c.Limit == "" {
		return head
	}
	return head + " — " + limitWords(c.Limit) + " (" + c.LimitEvidence + ")"
}

// stepsAt counts the steps at rate and those of them that passed.
func (c *Capacity) stepsAt(rate float64) (passed, ran int) {
	for _, st := range c.Steps {
		if st.Rate == rate && !st.Interrupted {
			ran++
			if st.Pass {
				passed++
			}
		}
	}
	return passed, ran
}

func limitWords(limit string) string {
	switch limit {
	case LimitDisk:
		return "limited by the log disk"
	case LimitCPU:
		return "limited by the CPU"
	case LimitNetwork:
		return "limited between client and servers"
	}
	return "limit unknown"
}
