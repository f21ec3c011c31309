package startup

import (
	"fmt"
	"path/filepath"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/persist"
)

// Schema is the version of the JSON Result (docs/result-schema.md).
const Schema = 1

// Result is what zkbench restore prints with --json: one entry per member
// found, each restored in turn.
type Result struct {
	Schema         int      `json:"schema"`
	Kind           string   `json:"kind"` // "restore"
	ZkbenchVersion string   `json:"zkbench_version"`
	Started        string   `json:"started"` // RFC 3339 UTC
	DataDir        string   `json:"dataDir"`
	DataLogDir     string   `json:"dataLogDir,omitempty"`
	Members        []Report `json:"members"`
}

// Report is one member's start-up, phase by phase. Durations are in
// milliseconds, rates per second of their phase.
type Report struct {
	Name     string        `json:"name"`
	SnapDir  string        `json:"snapDir"`
	LogDir   string        `json:"logDir"`
	Snapshot SnapshotPhase `json:"snapshot"`
	Replay   ReplayPhase   `json:"replay"`
	Epochs   EpochPhase    `json:"epochs"`
	// TotalMs is the sum of the phases; Znodes, LastZxid and Digest
	// describe the database it ends with (ZooKeeper's node count is one
	// more: it counts "/" twice).
	TotalMs  float64 `json:"total_ms"`
	Znodes   int     `json:"znodes"`
	LastZxid string  `json:"last_zxid"`
	Digest   int64   `json:"digest"`
}

// SnapshotPhase is the pick and the load of the snapshot.
type SnapshotPhase struct {
	File   string `json:"file"` // "" when the folder held no snapshot (an empty start)
	Zxid   string `json:"zxid"`
	Bytes  int64  `json:"bytes"`
	Znodes int    `json:"znodes"`
	// PickMs: listing, validity tests, failed loads of Skipped.
	PickMs      float64 `json:"pick_ms"`
	LoadMs      float64 `json:"load_ms"`
	LoadMBs     float64 `json:"load_mb_s"`     // MB = 10^6 bytes of the file
	LoadZnodesS float64 `json:"load_znodes_s"` // znodes built per second
	Skipped     []Skip  `json:"skipped"`       // newer snapshots passed over, newest first
}

// Skip is a snapshot the pick passed over, and why.
type Skip struct {
	File   string  `json:"file"`
	Zxid   string  `json:"zxid"`
	Reason string  `json:"reason"` // the reader's error, with the byte offset it could tell
	LoadMs float64 `json:"load_ms"`
}

// ReplayPhase is the replay of the logged txns after the snapshot.
type ReplayPhase struct {
	LogFiles int     `json:"log_files"`
	Txns     int     `json:"txns"`
	First    string  `json:"first_zxid,omitempty"`
	Last     string  `json:"last_zxid,omitempty"`
	Ms       float64 `json:"ms"`
	TxnsS    float64 `json:"txns_s"`
	// TornTails are records cut short at a file's end (a crash
	// mid-append), which ZooKeeper drops quietly as this restore did.
	TornTails []TornTail `json:"torn_tails"`
}

// TornTail is where a log file ended inside a record.
type TornTail struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
}

// EpochPhase is the check of the epoch files against the database, as a
// quorum member makes it (a standalone server has none and skips it).
type EpochPhase struct {
	Current  int64   `json:"current"`
	Accepted int64   `json:"accepted"`
	Ms       float64 `json:"ms"`
	// Writes are what a quorum member's start-up would write first: a
	// missing file created from the database's epoch, or currentEpoch
	// restored from currentEpoch.tmp. This command writes nothing.
	Writes []EpochWrite `json:"writes"`
}

// EpochWrite is an epoch file start-up would write.
type EpochWrite struct {
	File   string `json:"file"`
	Epoch  int64  `json:"epoch"`
	Reason string `json:"reason"`
}

// Options tune Run.
type Options struct {
	// FS is where the folders are read; nil is the real disk. Run wraps it
	// in disk.ReadOnly either way.
	FS disk.FS
	// Now is the clock the phases are timed with; nil is time.Now.
	Now func() time.Time
	// Version is the zkbench version the Result records.
	Version string
}

// Run locates the members' folders under dataDir (and dataLogDir) and
// restores each in turn, timing the phases. An error names the member's
// folder and, through the readers' errors, the file and byte offset that
// stopped the restore.
func Run(dataDir, dataLogDir string, opts Options) (*Result, error) {
	fsys := opts.FS
	if fsys == nil {
		fsys = disk.OS
	}
	fsys = disk.ReadOnly(fsys)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	res := &Result{Schema: Schema, Kind: "restore", ZkbenchVersion: opts.Version,
		Started: now().UTC().Format(time.RFC3339), DataDir: dataDir, DataLogDir: dataLogDir}
	members, err := Locate(fsys, dataDir, dataLogDir)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		r, err := Measure(fsys, m, now)
		if err != nil {
			return nil, err
		}
		res.Members = append(res.Members, r)
	}
	return res, nil
}

// Measure restores one member's folders through fsys and checks its
// epochs, timed with now. fsys should be read-only: nothing is repaired.
func Measure(fsys disk.FS, m Member, now func() time.Time) (Report, error) {
	restored, err := persist.Restore(fsys, m.Dirs, persist.RestoreOptions{Now: now})
	if err != nil {
		return Report{}, fmt.Errorf("%s: %w", m.Name, err)
	}
	start := now()
	ec, err := persist.CheckEpochs(fsys, m.Dirs.Snap, restored.LastZxid)
	if err != nil {
		return Report{}, fmt.Errorf("%s: %w", m.Name, err)
	}
	ph := restored.Phases
	ph.EpochsChecked, ph.Epochs, ph.EpochCheck = true, ec.Epochs, now().Sub(start)
	r := Report{
		Name: m.Name, SnapDir: m.Dirs.Snap, LogDir: m.Dirs.Log,
		Snapshot: snapshotPhase(&ph),
		Replay:   replayPhase(restored),
		Epochs:   EpochPhase{Current: ec.Epochs.Current, Accepted: ec.Epochs.Accepted, Ms: ms(ph.EpochCheck), Writes: []EpochWrite{}},
		TotalMs:  ms(ph.Total()),
		Znodes:   restored.Tree.NodeCount(), LastZxid: hex(restored.LastZxid), Digest: restored.Tree.Digest(),
	}
	for _, w := range ec.Writes {
		r.Epochs.Writes = append(r.Epochs.Writes, EpochWrite{File: w.File, Epoch: w.Epoch, Reason: w.Reason})
	}
	return r, nil
}

func snapshotPhase(ph *persist.Phases) SnapshotPhase {
	s := SnapshotPhase{Skipped: []Skip{}, PickMs: ms(ph.Pick), LoadMs: ms(ph.Load)}
	if ph.Snapshot != "" {
		s.File, s.Zxid, s.Bytes, s.Znodes = filepath.Base(ph.Snapshot), hex(ph.SnapshotZxid), ph.SnapshotBytes, ph.Nodes
		s.LoadMBs = rate(float64(ph.SnapshotBytes)/1e6, ph.Load)
		s.LoadZnodesS = rate(float64(ph.Nodes), ph.Load)
	}
	for _, k := range ph.Skipped {
		s.Skipped = append(s.Skipped, Skip{File: filepath.Base(k.Path), Zxid: hex(k.Zxid), Reason: k.Err.Error(), LoadMs: ms(k.Duration)})
	}
	return s
}

func replayPhase(r *persist.Restored) ReplayPhase {
	p := r.Phases
	out := ReplayPhase{LogFiles: p.LogFiles, Txns: p.Replayed, Ms: ms(p.Replay), TxnsS: rate(float64(p.Replayed), p.Replay),
		TornTails: []TornTail{}}
	if r.Replayed > 0 {
		out.First, out.Last = hex(r.FirstReplayed), hex(r.LastReplayed)
	}
	for _, t := range r.TornTails {
		out.TornTails = append(out.TornTails, TornTail{File: t.File, Offset: t.Offset})
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// rate is n per second of d; 0 when d is 0 (nothing measured).
func rate(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return n / d.Seconds()
}

func hex(z int64) string { return fmt.Sprintf("0x%x", z) }
