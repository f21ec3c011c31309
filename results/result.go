// Package results is the model of what zkbench writes into a result
// folder: result.json for a run (result-schema.md, the contract other
// tools read), probe.json for a disk probe and sweep.json for a sweep,
// with the functions that write them and read them back.
//
// Latencies are microseconds, sizes bytes, times RFC 3339 UTC; a JSON
// name ending in _us, _s, _ms or _pct says its unit.
package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/results/device"
)

// Schema is the version of result.json, probe.json and sweep.json this
// package writes and the only one it reads.
const Schema = 1

// The file that marks each kind of result folder.
const (
	ResultFile = "result.json"
	ProbeFile  = "probe.json"
	SweepFile  = "sweep.json"
)

// Result is one run: result.json.
type Result struct {
	Schema         int       `json:"schema"`
	ZkbenchVersion string    `json:"zkbench_version"`
	Profile        string    `json:"profile"`
	Started        time.Time `json:"started"`
	DurationS      float64   `json:"duration_s"`
	// Interrupted says the run was stopped (SIGINT, SIGTERM) before its
	// planned end: DurationS is what it measured, and its figures are not
	// comparable with a complete run's.
	Interrupted bool `json:"interrupted"`
	// Target is "embedded" or "zk://host:port,…".
	Target        string        `json:"target"`
	Config        Config        `json:"config"`
	Environment   Environment   `json:"environment"`
	Ops           []OpStats     `json:"ops"`
	Total         Total         `json:"total"`
	Servers       []Server      `json:"servers"`
	SnapshotStall SnapshotStall `json:"snapshot_stall"`
	// Timeseries has one point per second of the measured phase.
	Timeseries []TimePoint `json:"timeseries"`
	Events     []Event     `json:"events"`
	// Setup is how the workload's keys were put in place before the
	// clock started; nil when the workload does not preload.
	Setup *Setup `json:"setup,omitempty"`
	// Ephemerals is the run's ephemeral znodes and their owners' churn;
	// absent without ephemerals.
	Ephemerals *Ephemerals `json:"ephemerals,omitempty"`
	// MergedFrom names the run folders of the drivers whose results
	// zkbench merge added up into this one; absent for a run.
	MergedFrom []string `json:"merged_from,omitempty"`
	// Faults is what each fault of the run's schedule did, in the
	// schedule's order; absent in a run without faults.
	Faults []Fault `json:"faults,omitempty"`
	// LostAckedWrites counts the keys whose acknowledged setData a member
	// did not hold at the end (0 expected); LostKeys names the first of
	// them. nil when the run did not check (a run without faults).
	LostAckedWrites *int     `json:"lost_acked_writes,omitempty"`
	LostKeys        []string `json:"lost_keys,omitempty"`
	// Warnings are RunWarnings' sentences: an open-loop rate not
	// reached, a saturated CPU, a closed loop's throughput that is not
	// a maximum. Empty, not absent, when there is none; absent in
	// results written before zkbench gave them.
	Warnings []string `json:"warnings"`
}

// Fault is one fault of a run's schedule and what it did. Times are
// seconds since the measured phase began; a figure that did not happen
// (no election, no restart) is absent.
type Fault struct {
	Spec   string `json:"spec"` // as given: crash:leader@10s+5s
	Kind   string `json:"kind"` // crash, kill, partition, slow-disk, disk-full
	Member int    `json:"member"`
	// Role is the member's role when the fault struck it.
	Role      string   `json:"role"`
	AtS       float64  `json:"at_s"`
	HealedS   *float64 `json:"healed_s,omitempty"` // the fault healed (restart, rejoin, disk back)
	Error     string   `json:"error,omitempty"`    // the fault or its healing could not be done
	WindowEnd float64  `json:"window_end_s"`       // its figures cover [at_s, window_end_s)
	// UnavailableS is the longest gap without a successful write that
	// overlaps the window, from GapFromS to GapToS.
	UnavailableS float64 `json:"unavailable_s"`
	GapFromS     float64 `json:"gap_from_s"`
	GapToS       float64 `json:"gap_to_s"`
	// InForceGapS is the longest gap that overlaps the time the fault
	// was in force (struck to healed), of at least 10 ms; 0 when none
	// was that long. The outage the fault itself caused, where the
	// longest of the window may come later (a SNAP sync of the returning
	// member, say).
	InForceGapS     float64 `json:"in_force_gap_s"`
	InForceGapFromS float64 `json:"in_force_gap_from_s"`
	InForceGapToS   float64 `json:"in_force_gap_to_s"`
	// WriteErrors counts the writes that failed in the window, by
	// ZooKeeper error name.
	WriteErrors map[string]int64 `json:"write_errors"`
	// ElectionMs is from the fault to the first leader established
	// after it (NewLeader); absent when no election followed.
	ElectionMs *float64 `json:"election_ms,omitempty"`
	NewLeader  int      `json:"new_leader,omitempty"`
	// Restore is the member's start-up restore after a restart.
	Restore *FaultRestore `json:"restore,omitempty"`
	// Sync is the member's learner sync with the leader after it came
	// back (restart or rejoin); absent when it led again itself.
	Sync *FaultSync `json:"sync,omitempty"`
	// ServingAgainMs is from the healing to the member serving again.
	ServingAgainMs *float64 `json:"serving_again_ms,omitempty"`
	// WritesDuringSync is the writes that completed while the member was
	// being synced (restore end to sync end), at the time series'
	// resolution.
	WritesDuringSync *Percentiles `json:"write_latency_during_sync_us,omitempty"`
}

// FaultRestore is a restarted member's start-up restore, whole and by
// phase (the member-up event's, or a real server's log lines). A figure
// its member does not tell is null: a real server's log has no znode
// count, no pick, load or epoch check apart, and names no log files.
type FaultRestore struct {
	Ms    float64 `json:"ms"`
	Nodes *int    `json:"nodes"`
	Zxid  string  `json:"zxid"` // the last zxid it restored, 0x…
	// The snapshot picked (its name, bytes and znodes) and the newer
	// ones skipped on the way (name: why); the pick's and the load's ms.
	Snapshot      string   `json:"snapshot"`
	SnapshotBytes *int64   `json:"snapshot_bytes"`
	SnapshotNodes *int     `json:"snapshot_nodes"`
	Skipped       []string `json:"skipped"`
	PickMs        *float64 `json:"pick_ms"`
	LoadMs        *float64 `json:"load_ms"`
	// The log replay after it: txns applied from how many files, in ms.
	ReplayedTxns *int     `json:"replayed_txns"`
	LogFiles     *int     `json:"log_files"`
	ReplayMs     *float64 `json:"replay_ms"`
	EpochCheckMs *float64 `json:"epoch_check_ms"`
}

// FaultSync is a returning member's learner sync.
type FaultSync struct {
	Mode   string  `json:"mode"`            // DIFF, TRUNC+DIFF, TRUNC or SNAP
	Txns   *int    `json:"txns"`            // null: not told (a real server's log does not count them)
	Bytes  int64   `json:"bytes,omitempty"` // SNAP: the snapshot's size
	Ms     float64 `json:"ms"`              // from its restore's end (or the rejoin) to synced
	Leader int     `json:"leader"`
}

// Setup methods: how a preloaded tree came into being.
const (
	SetupSnapshot = "snapshot" // built in memory, written as every member's starting snapshot
	SetupCreate   = "create"   // one create per znode through the client path
	// SetupFromSnapshot: every member started from a user's snapshot
	// file, the workload's keys created beside its tree.
	SetupFromSnapshot = "from-snapshot"
	SetupMulti        = "multi" // batches of creates in multi requests through the client path
)

// Setup is a run's preload.
type Setup struct {
	// Znodes counts the preloaded tree's folders and keys, and with
	// SetupFromSnapshot the snapshot's nodes (ZooKeeper's own not
	// counted); Bytes is their data.
	Znodes int   `json:"znodes"`
	Bytes  int64 `json:"bytes"`
	// Method is SetupSnapshot, SetupMulti, SetupCreate or SetupFromSnapshot.
	Method string `json:"method"`
	// PreloadS is how long putting the tree in place took: building and
	// writing the snapshots, or the creates.
	PreloadS float64 `json:"preload_s"`
	// RestoreMs is each embedded member's start-up restore of its
	// database, in member order; empty for a zk:// target.
	RestoreMs []float64 `json:"restore_ms"`
}

// Environment is the machine a run ran on.
type Environment struct {
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Kernel   string `json:"kernel"`
	CPUs     int    `json:"cpus"`
	// Memory is the machine's RAM in bytes.
	Memory  uint64   `json:"memory"`
	Devices []Device `json:"devices"`
}

// Device is the storage behind one of a run's directories: its role
// (dataDir, dataLogDir) and the device facts, flattened into the same
// object as result-schema.md has it.
type Device struct {
	Role string `json:"role"`
	device.Facts
}

// OpStats is the latency and throughput of one op type (setData,
// getData, create…).
type OpStats struct {
	Op             string      `json:"op"`
	Count          int64       `json:"count"`
	Errors         int64       `json:"errors"`
	ThroughputOpsS float64     `json:"throughput_ops_s"`
	Latency        Percentiles `json:"latency_us"`
	// Hlog is the op's interval log, relative to the result folder.
	Hlog string `json:"hlog"`
}

// Percentiles summarize a latency histogram, in microseconds.
type Percentiles struct {
	Min  int64   `json:"min"`
	Mean float64 `json:"mean"`
	P50  int64   `json:"p50"`
	P90  int64   `json:"p90"`
	P99  int64   `json:"p99"`
	P999 int64   `json:"p999"`
	Max  int64   `json:"max"`
}

// PercentilesOf summarizes h; an empty histogram gives zeros.
func PercentilesOf(h *hdrhistogram.Histogram) Percentiles {
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		Min: h.Min(), Mean: h.Mean(),
		P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90),
		P99: h.ValueAtQuantile(99), P999: h.ValueAtQuantile(99.9),
		Max: h.Max(),
	}
}

// Total is every op of the measured phase together.
type Total struct {
	Count          int64   `json:"count"`
	Errors         int64   `json:"errors"`
	ThroughputOpsS float64 `json:"throughput_ops_s"`
	// SessionsBusyPct is the share of an open loop's measured phase its
	// sessions spent waiting for replies; null in a closed loop. Near
	// 100%, ops due waited for a free session: the clients set the pace.
	SessionsBusyPct *float64 `json:"sessions_busy_pct"`
}

// Server is what one ensemble member did to its disks.
type Server struct {
	ID int `json:"id"`
	// Role is the member's role at the end: leader, follower or observer.
	Role      string     `json:"role"`
	Fsync     Fsync      `json:"fsync"`
	Snapshots []Snapshot `json:"snapshots"`
	// LogRolls counts the transaction log files started during the run.
	LogRolls int `json:"log_rolls"`
	// PreallocExtends counts the preallocation steps of the log.
	PreallocExtends int `json:"prealloc_extends"`
}

// Fsync is a member's transaction log syncs (group commits).
type Fsync struct {
	// Source is where the figures come from: SourceEvents (every sync
	// timed, an embedded member) or SourceMntr (a real server's mntr:
	// count, mean, max and the syncs over the threshold only; the rest is
	// written as null, not measured).
	Source string `json:"source,omitempty"`
	Count  int64  `json:"count"`
	// Bytes and Txns are what the syncs made durable.
	Bytes   int64       `json:"bytes"`
	Txns    int64       `json:"txns"`
	Latency Percentiles `json:"latency_us"`
	// OverWarningThreshold counts the syncs over ZooKeeper's
	// fsync.warningthresholdms, the ones ZooKeeper would have logged.
	OverWarningThreshold int64 `json:"over_warning_threshold"`
	// Hlog is the member's fsync interval log, relative to the folder.
	Hlog string `json:"hlog"`
}

// Where a member's fsync figures come from.
const (
	SourceEvents = "events" // every sync of an embedded member, timed
	SourceMntr   = "mntr"   // a real server's mntr, between two readings
)

// mntrLatency is what mntr tells of a real server's sync latency: the
// mean and, when the run raised it, the max; the percentiles are null.
type mntrLatency struct {
	Min  *int64   `json:"min"`
	Mean *float64 `json:"mean"`
	P50  *int64   `json:"p50"`
	P90  *int64   `json:"p90"`
	P99  *int64   `json:"p99"`
	P999 *int64   `json:"p999"`
	Max  *int64   `json:"max"`
}

// MarshalJSON writes what mntr cannot tell (bytes, txns, percentiles,
// a max the run did not raise) as null: a 0 would read as measured.
func (f Fsync) MarshalJSON() ([]byte, error) {
	type plain Fsync
	if f.Source != SourceMntr {
		return json.Marshal(plain(f))
	}
	var lat mntrLatency
	if f.Count > 0 {
		lat.Mean = &f.Latency.Mean
	}
	if f.Latency.Max > 0 {
		lat.Max = &f.Latency.Max
	}
	return json.Marshal(struct {
		plain
		Bytes   *int64      `json:"bytes"`
		Txns    *int64      `json:"txns"`
		Latency mntrLatency `json:"latency_us"`
	}{plain: plain(f), Latency: lat})
}

// FilesWatched reports whether the member's files were watched: its
// snapshots, log rolls and preallocation steps are measured. A zk://
// target's members have Snapshots nil.
func (s Server) FilesWatched() bool { return s.Snapshots != nil }

// MarshalJSON writes a member's snapshots, log rolls and preallocation
// steps as null when its files were not watched.
func (s Server) MarshalJSON() ([]byte, error) {
	type plain Server
	if s.FilesWatched() {
		return json.Marshal(plain(s))
	}
	return json.Marshal(struct {
		plain
		Snapshots       *[]Snapshot `json:"snapshots"`
		LogRolls        *int        `json:"log_rolls"`
		PreallocExtends *int        `json:"prealloc_extends"`
	}{plain: plain(s)})
}

// Snapshot is one snapshot a member wrote.
type Snapshot struct {
	// Start is the snapshot trigger; the window ends DurationMs later,
	// when the snapshot file was synced.
	Start      time.Time `json:"start"`
	DurationMs float64   `json:"duration_ms"`
	Bytes      int64     `json:"bytes"`
	// Zxid is the snapshot's name suffix as ZooKeeper prints it: "0x…".
	Zxid string `json:"zxid"`
	// Nodes is the znodes written; null where they were not counted (a
	// real server's snapshot, seen from its file).
	Nodes *int64 `json:"nodes"`
}

// SnapshotStall compares client writes and fsyncs inside snapshot windows
// with those outside them. Each p99 comes with the number of samples
// behind it: a p99 of four writes says little. A side with no sample (no
// write completed inside a window) has a null p99, missing rather than
// 0, which would read as the best latency of all.
type SnapshotStall struct {
	Windows           int    `json:"windows"`
	WriteP99UsInside  *int64 `json:"write_p99_us_inside"`
	WriteP99UsOutside *int64 `json:"write_p99_us_outside"`
	FsyncP99UsInside  *int64 `json:"fsync_p99_us_inside"`
	FsyncP99UsOutside *int64 `json:"fsync_p99_us_outside"`
	WritesInside      int64  `json:"writes_inside"`
	WritesOutside     int64  `json:"writes_outside"`
	FsyncsInside      int64  `json:"fsyncs_inside"`
	FsyncsOutside     int64  `json:"fsyncs_outside"`
}

// StallFigure is one p99 of a snapshot stall and the samples behind it.
type StallFigure struct {
	P99Us int64
	// Samples is 0 when the file does not say (written before zkbench
	// counted them).
	Samples int64
}

// StallP99 returns the stall's p99 with its sample count: the write
// latency or, with fsync, the fsync latency, inside snapshot windows or
// outside them. ok is false when that side has no sample or the run had
// no window: the figure is missing.
func (s SnapshotStall) StallP99(fsync, inside bool) (f StallFigure, ok bool) {
	p99, n := s.WriteP99UsOutside, s.WritesOutside
	switch {
	case fsync && inside:
		p99, n = s.FsyncP99UsInside, s.FsyncsInside
	case fsync:
		p99, n = s.FsyncP99UsOutside, s.FsyncsOutside
	case inside:
		p99, n = s.WriteP99UsInside, s.WritesInside
	}
	if s.Windows == 0 || p99 == nil {
		return StallFigure{}, false
	}
	return StallFigure{P99Us: *p99, Samples: n}, true
}

// StallOf is the p99 of h and its count, the p99 nil when h is empty.
func StallOf(h *hdrhistogram.Histogram) (p99 *int64, n int64) {
	if h == nil || h.TotalCount() == 0 {
		return nil, 0
	}
	v := h.ValueAtQuantile(99)
	return &v, h.TotalCount()
}

// TimePoint is one interval of a run (hlog.RunInterval: 100 ms, longer
// for runs measured beyond 3 minutes; older results have one a second,
// and T says where each ends).
type TimePoint struct {
	// T is the end of the interval, in seconds since the measured phase
	// began. Rates (ops_s, write_bytes_s) are per second whatever the
	// interval.
	T          float64 `json:"t"`
	OpsS       float64 `json:"ops_s"`
	P50Us      int64   `json:"p50_us"`
	P99Us      int64   `json:"p99_us"`
	MaxUs      int64   `json:"max_us"`
	FsyncP99Us int64   `json:"fsync_p99_us"`
	CPUPct     float64 `json:"cpu_pct"`
	// ProcCPUPct is zkbench's own process's share of all cores (the
	// embedded ensemble and the clients); CPUPct less it is the other
	// processes' (a real ensemble on the same machine among them).
	ProcCPUPct float64 `json:"proc_cpu_pct"`
	// Disk is keyed by device name (vda, nvme0n1).
	Disk map[string]DiskPoint `json:"disk"`
}

// DiskPoint is one device during one interval.
type DiskPoint struct {
	WriteBytesS float64 `json:"write_bytes_s"`
	UtilPct     float64 `json:"util_pct"`
}

// Event is something a member did at a moment of the run.
type Event struct {
	// T is seconds since the measured phase began.
	T      float64 `json:"t"`
	Server int     `json:"server"`
	// Kind is the name of an engine.EventKind (snapshot-start, log-roll…):
	// the engine names its events once, for its log lines and for here.
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// HeadlineP99 is the p99 of the run's most frequent op, in µs: the op
// the workload is about (setData for write, getData for read).
func (r *Result) HeadlineP99() int64 {
	var best OpStats
	for _, op := range r.Ops {
		if op.Count > best.Count {
			best = op
		}
	}
	return best.Latency.P99
}

// LeaderFsyncP99 is the leader's fsync p99 in µs, or -1 when it was not
// measured (a real ensemble's mntr has no percentiles): its log's syncs
// are on every write's commit path.
func (r *Result) LeaderFsyncP99() int64 {
	if r.MntrFsync() {
		return -1
	}
	for _, s := range r.Servers {
		if s.Role == "leader" {
			return s.Fsync.Latency.P99
		}
	}
	return -1
}

// External reports whether the run measured a real ensemble (a zk://
// target). Its members' figures are what mntr tells: fsync count, mean
// and the syncs over the warning threshold. Fsync percentiles, bytes,
// txns, snapshots, log rolls and the ensemble's configuration were not
// measured, and their zeros in result.json mean nothing.
func (r *Result) External() bool { return IsExternalTarget(r.Target) }

// IsExternalTarget reports whether target names a real ensemble.
func IsExternalTarget(target string) bool { return strings.HasPrefix(target, "zk://") }

// IsManagedTarget reports whether target is real ZooKeeper servers the
// run started itself: "zookeeper" or "zookeeper:ZK_HOME".
func IsManagedTarget(target string) bool {
	return target == "zookeeper" || strings.HasPrefix(target, "zookeeper:")
}

// Managed reports whether the run started real ZooKeeper servers of its
// own (target zookeeper[:ZK_HOME]): their fsync figures are mntr's, as
// for a zk:// target, but their files were watched (snapshots, log
// rolls, preallocation steps) and their configuration is the run's.
func (r *Result) Managed() bool { return IsManagedTarget(r.Target) }

// MntrFsync reports whether the members' fsync figures are what
// ZooKeeper's mntr tells (count, mean, slow syncs) rather than a
// histogram of every sync: a real server's, managed or not.
func (r *Result) MntrFsync() bool { return r.External() || r.Managed() }

// WriteFile writes r as indented JSON to path, replacing it. A zero
// Schema is written as the current one.
func (r *Result) WriteFile(path string) error {
	if r.Schema == 0 {
		r.Schema = Schema
	}
	return writeJSON(path, r)
}

// ReadFile reads a result.json. It refuses another schema version, and
// every error names the file.
func ReadFile(path string) (*Result, error) { return readFile[Result](path) }

// readFile reads the file at path into a new T (readJSON).
func readFile[T any](path string) (*T, error) {
	var v T
	if err := readJSON(path, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readJSON decodes the file at path into v after checking its schema
// number, so that a file from another zkbench version is refused with a
// message that says so instead of being half-read.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: no such file", path)
	}
	if err != nil {
		return err // *PathError names the file
	}
	var head struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("%s: %w", path, describeJSONError(b, err))
	}
	switch {
	case head.Schema == nil:
		return fmt.Errorf("%s: no \"schema\" field: not a zkbench result", path)
	case *head.Schema != Schema:
		return fmt.Errorf("%s: schema %d, this zkbench reads schema %d", path, *head.Schema, Schema)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, describeJSONError(b, err))
	}
	return nil
}

// describeJSONError adds the line of a syntax or type error, which
// encoding/json gives only as a byte offset.
func describeJSONError(b []byte, err error) error {
	var off int64
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	default:
		return err
	}
	line := 1 + bytes.Count(b[:min(int(off), len(b))], []byte("\n"))
	return fmt.Errorf("line %d: %w", line, err)
}
