package report

import (
	"cmp"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"zkbench/engine"
	"zkbench/hlog"
	"zkbench/results"
	"zkbench/results/device"
)

// The folders in testdata are synthetic results, made by this file:
//
//	go test ./results/report -run TestWriteFixtures -update
//
// run-a and run-b are runs of a 3-member ensemble (run-b with a slower
// log disk), sweep holds two runs that differ in snapCount, probe-a and
// probe-b are disk probes of two directories. sweep-repeats varies
// snapCount and preAllocSize with 2 repeats, history is a nightly job's
// folders, one per date, one of each kind a trend point can be. Those
// two have no .hlog files, to keep testdata small: their sections read
// result.json alone.
var update = flag.Bool("update", false, "rewrite the fixture folders in testdata")

func TestWriteFixtures(t *testing.T) {
	if !*update {
		t.Skip("-update not given")
	}
	for _, dir := range []string{"run-a", "run-b", "sweep", "sweep-repeats", "history", "probe-a", "probe-b"} {
		if err := os.RemoveAll(filepath.Join("testdata", dir)); err != nil {
			t.Fatal(err)
		}
	}
	writeRun(t, "testdata/run-a", fixtureRun{seed: 1, fsyncUs: 400, snapCount: 100000})
	writeRun(t, "testdata/run-b", fixtureRun{seed: 2, fsyncUs: 900, snapCount: 100000})
	sw := &results.Sweep{ZkbenchVersion: "fixture", Profile: "quick", Started: fixtureStart,
		Vary: []string{"snapCount"}, Repeat: 1}
	for i, sc := range []int{5000, 20000} {
		dir := fmt.Sprintf("snapCount=%d-1", sc)
		writeRun(t, filepath.Join("testdata/sweep", dir), fixtureRun{seed: uint64(10 + i), fsyncUs: 500, snapCount: sc})
		sw.Runs = append(sw.Runs, results.SweepRun{Dir: dir, Values: map[string]string{"snapCount": fmt.Sprint(sc)}, Repeat: 1})
	}
	if err := sw.WriteFile("testdata/sweep/sweep.json"); err != nil {
		t.Fatal(err)
	}
	writeSweepRepeats(t, "testdata/sweep-repeats")
	writeHistory(t, "testdata/history")
	writeProbe(t, "testdata/probe-a", 3, []string{"/mnt/ssd", "/mnt/hdd"})
	writeProbe(t, "testdata/probe-b", 4, []string{"/mnt/nvme", "/mnt/hdd"})
}

var fixtureStart = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

type fixtureRun struct {
	seed         uint64
	fsyncUs      float64 // median fsync latency
	snapCount    int
	preAllocSize int64 // 0: 64 MiB
	writesPerSec int   // setData ops per second; 0: 100
	noSnapshots  bool  // no snapshot in the measured phase
	noHlogs      bool  // result.json alone
}

// windows are the run's snapshot windows.
func (f fixtureRun) windows() []window {
	if f.noSnapshots {
		return nil
	}
	return fixtureWindows
}

// writeSweepRepeats writes a sweep of snapCount × preAllocSize, repeated
// twice, in the order zkbench sweep runs them: every combination once,
// then again. A smaller snapCount or preAllocSize makes fsyncs slower and
// so fewer writes get through; snapCount=100000 has no snapshot in the
// measured phase.
func writeSweepRepeats(t *testing.T, dir string) {
	t.Helper()
	sw := &results.Sweep{ZkbenchVersion: "fixture", Profile: "quick", Started: fixtureStart,
		Vary: []string{"snapCount", "preAllocSize"}, Repeat: 2}
	sizes := []struct {
		name  string
		bytes int64
		slow  float64
	}{{"64MiB", 64 << 20, 1}, {"16MiB", 16 << 20, 1.3}}
	for rep := 1; rep <= 2; rep++ {
		for _, sc := range []int{2000, 20000, 100000} {
			for _, size := range sizes {
				n := len(sw.Runs) + 1
				name := fmt.Sprintf("%02d-snapCount=%d-preAllocSize=%s-r%d", n, sc, size.name, rep)
				fsync := 400 * (1 + 1000/float64(sc)) * size.slow
				writeRun(t, filepath.Join(dir, name), fixtureRun{seed: uint64(100 + n), fsyncUs: fsync, snapCount: sc,
					preAllocSize: size.bytes, writesPerSec: int(100*400/fsync) + 3*rep, noSnapshots: sc == 100000, noHlogs: true})
				sw.Runs = append(sw.Runs, results.SweepRun{Dir: name, Repeat: rep,
					Values: map[string]string{"snapCount": fmt.Sprint(sc), "preAllocSize": size.name}})
			}
		}
	}
	if err := sw.WriteFile(filepath.Join(dir, results.SweepFile)); err != nil {
		t.Fatal(err)
	}
}

// writeHistory writes three nights of a nightly job: a run folder, a
// folder of two repeated runs, and a sweep of two repeats of one
// combination, on which the log disk got slower.
func writeHistory(t *testing.T, dir string) {
	t.Helper()
	night := func(name string, seed uint64, fsync float64) {
		writeRun(t, filepath.Join(dir, name), fixtureRun{seed: seed, fsyncUs: fsync, snapCount: 100000,
			writesPerSec: int(100 * 400 / fsync), noHlogs: true})
	}
	night("2026-11-23", 200, 400)
	night("2026-11-24/r1", 201, 410)
	night("2026-11-24/r2", 202, 430)
	sw := &results.Sweep{ZkbenchVersion: "fixture", Profile: "quick", Started: fixtureStart,
		Vary: []string{"snapCount"}, Repeat: 2}
	for rep := 1; rep <= 2; rep++ {
		name := fmt.Sprintf("%d-snapCount=100000-r%d", rep, rep)
		night(filepath.Join("2026-11-25", name), uint64(202+rep), 700+20*float64(rep))
		sw.Runs = append(sw.Runs, results.SweepRun{Dir: name, Repeat: rep, Values: map[string]string{"snapCount": "100000"}})
	}
	if err := sw.WriteFile(filepath.Join(dir, "2026-11-25", results.SweepFile)); err != nil {
		t.Fatal(err)
	}
}

// Snapshot windows of the fixture runs, seconds into the run, by member.
var fixtureWindows = []window{{server: 1, from: 4, to: 5.5}, {server: 2, from: 6, to: 7.2}}

func inWindow(ws []window, t float64) bool {
	for _, w := range ws {
		if t >= w.from && t < w.to {
			return true
		}
	}
	return false
}

// lognormal draws a latency around median µs, worse inside snapshots.
func lognormal(rng *rand.Rand, median float64, ws []window, t float64) time.Duration {
	v := median * math.Exp(rng.NormFloat64()*0.5)
	if inWindow(ws, t) {
		v *= 4
	}
	return time.Duration(v * float64(time.Microsecond))
}

func writeRun(t *testing.T, dir string, f fixtureRun) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const seconds = 10
	rng := rand.New(rand.NewPCG(f.seed, 0))
	rot, ssd := true, false
	ws := f.windows()
	preAlloc := cmp.Or(f.preAllocSize, 64<<20)
	res := &results.Result{
		ZkbenchVersion: "fixture", Profile: "quick", Started: fixtureStart, DurationS: seconds, Target: "embedded",
		Config: results.Config{Servers: 3, DataDir: "/data", DataLogDir: "/log", PreAllocSize: preAlloc,
			PreallocMode: "zookeeper", SnapCount: f.snapCount, SnapRandomize: true, ForceSync: true, MaxBatchSize: 1000,
			Workload: "mixed", Clients: 16, ValueSize: 1024, Keys: 1000, Other: map[string]any{"readRatio": 0.75}},
		Environment: results.Environment{Hostname: "fixture", OS: "linux", Kernel: "6.1.0", CPUs: 4, Memory: 8 << 30,
			Devices: []results.Device{
				{Role: "dataDir", Facts: device.Facts{Path: "/data", Mount: "/data", FSType: "ext4", Device: "vdb", Rotational: &rot}},
				{Role: "dataLogDir", Facts: device.Facts{Path: "/log", Mount: "/log", FSType: "xfs", Device: "vdc", Rotational: &ssd}},
			}},
	}
	ops := []struct {
		name   string
		perSec int
		median float64
	}{{"setData", cmp.Or(f.writesPerSec, 100), 2 * f.fsyncUs}, {"getData", 300, 80}}
	all := make([]*hlog.Recorder, 0, len(ops))
	inside, outside := hlog.NewHistogram(), hlog.NewHistogram()
	for _, op := range ops {
		rec := hlog.NewRecorder(fixtureStart, hlog.DefaultInterval)
		for i := range seconds * op.perSec {
			at := float64(i) / float64(op.perSec)
			d := lognormal(rng, op.median, ws, at)
			rec.Record(fixtureStart.Add(time.Duration(at*float64(time.Second))), d)
			if op.name == "setData" {
				h := outside
				if inWindow(ws, at) {
					h = inside
				}
				_ = h.RecordValue(hlog.Micros(d))
			}
		}
		rec.Finish(fixtureStart.Add(seconds * time.Second))
		all = append(all, rec)
		name := writeFixtureHlog(t, f, dir, op.name+".hlog", rec.Intervals(), "zkbench fixture: "+op.name)
		tot := rec.Total()
		res.Ops = append(res.Ops, results.OpStats{Op: op.name, Count: tot.TotalCount(), ThroughputOpsS: float64(op.perSec),
			Latency: results.PercentilesOf(tot), Hlog: name})
		res.Total.Count += tot.TotalCount()
		res.Total.ThroughputOpsS += float64(op.perSec)
	}
	fsyncIn, fsyncOut := hlog.NewHistogram(), hlog.NewHistogram()
	var fsyncs []*hlog.Recorder
	for id := 1; id <= 3; id++ {
		rec := hlog.NewRecorder(fixtureStart, hlog.DefaultInterval)
		const perSec = 50
		for i := range seconds * perSec {
			at := float64(i) / perSec
			d := lognormal(rng, f.fsyncUs, ws, at)
			rec.Record(fixtureStart.Add(time.Duration(at*float64(time.Second))), d)
			h := fsyncOut
			if inWindow(ws, at) {
				h = fsyncIn
			}
			_ = h.RecordValue(hlog.Micros(d))
		}
		rec.Finish(fixtureStart.Add(seconds * time.Second))
		fsyncs = append(fsyncs, rec)
		name := writeFixtureHlog(t, f, dir, fmt.Sprintf("fsync-%d.hlog", id), rec.Intervals(), "zkbench fixture: fsync")
		role := "follower"
		if id == 1 {
			role = "leader"
		}
		n := rec.Total().TotalCount()
		srv := results.Server{ID: id, Role: role, LogRolls: 1, PreallocExtends: 2,
			Fsync: results.Fsync{Count: n, Txns: n * 2, Bytes: n * 2 * 1100, Latency: results.PercentilesOf(rec.Total()), Hlog: name}}
		for _, w := range ws {
			if w.server == id {
				srv.Snapshots = append(srv.Snapshots, results.Snapshot{
					Start:      fixtureStart.Add(time.Duration(w.from * float64(time.Second))),
					DurationMs: (w.to - w.from) * 1000, Bytes: 3 << 20, Zxid: fmt.Sprintf("0x1%08x", int(w.from*100)), Nodes: ptr(int64(1001))})
			}
		}
		res.Servers = append(res.Servers, srv)
	}
	res.SnapshotStall = results.SnapshotStall{Windows: len(ws)}
	st := &res.SnapshotStall
	st.WriteP99UsInside, st.WritesInside = results.StallOf(inside)
	st.WriteP99UsOutside, st.WritesOutside = results.StallOf(outside)
	st.FsyncP99UsInside, st.FsyncsInside = results.StallOf(fsyncIn)
	st.FsyncP99UsOutside, st.FsyncsOutside = results.StallOf(fsyncOut)
	for s := range seconds {
		merged, fsync := hlog.NewHistogram(), hlog.NewHistogram()
		for _, r := range all {
			merged.Merge(r.Intervals()[s])
		}
		for _, r := range fsyncs {
			fsync.Merge(r.Intervals()[s])
		}
		busy := 20.0
		if inWindow(ws, float64(s)) {
			busy = 70
		}
		res.Timeseries = append(res.Timeseries, results.TimePoint{T: float64(s + 1), OpsS: float64(merged.TotalCount()),
			P50Us: merged.ValueAtQuantile(50), P99Us: merged.ValueAtQuantile(99), MaxUs: merged.Max(),
			FsyncP99Us: fsync.ValueAtQuantile(99), CPUPct: 35 + 10*rng.Float64(),
			Disk: map[string]results.DiskPoint{
				"vdb": {WriteBytesS: busy * 1e6, UtilPct: busy},
				"vdc": {WriteBytesS: 2.2e5, UtilPct: 30 + 5*rng.Float64()},
			}})
	}
	res.Events = []results.Event{{T: 0.5, Server: 1, Kind: engine.EventLeaderElected.String(), Detail: "epoch 1"}}
	for _, w := range ws {
		res.Events = append(res.Events,
			results.Event{T: w.from, Server: w.server, Kind: engine.EventLogRoll.String(), Detail: "log rolled before snapshot"},
			results.Event{T: w.from, Server: w.server, Kind: engine.EventSnapshotStart.String()},
			results.Event{T: w.to, Server: w.server, Kind: engine.EventSnapshotEnd.String()})
	}
	if err := res.WriteFile(filepath.Join(dir, results.ResultFile)); err != nil {
		t.Fatal(err)
	}
}

// writeFixtureHlog writes intervals as the .hlog name in dir and returns
// the name for result.json, or, for a run without .hlog files, writes
// nothing and returns "".
func writeFixtureHlog(t *testing.T, f fixtureRun, dir, name string, intervals []*hdrhistogram.Histogram, comment string) string {
	t.Helper()
	if f.noHlogs {
		return ""
	}
	if err := hlog.WriteFile(filepath.Join(dir, name), fixtureStart, intervals, comment); err != nil {
		t.Fatal(err)
	}
	return name
}

func writeProbe(t *testing.T, dir string, seed uint64, dirs []string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	doc := &results.Probe{ZkbenchVersion: "fixture", Started: fixtureStart.Format(time.RFC3339), DurationS: 4,
		Config: results.ProbeConfig{Dirs: dirs, BlockSize: 2300, Count: 500, Sync: []string{"fdatasync", "none"},
			PreallocMode: []string{"zookeeper"}, PreAllocSize: 64 << 20},
		Guidance: results.ProbeGuidance{GoodP99Us: 10000, ZKWarningThreshMs: 1000}}
	for i, d := range dirs {
		rot := d == "/mnt/hdd"
		median := 300.0
		if rot {
			median = 8000
		}
		doc.Dirs = append(doc.Dirs, results.ProbeDir{Dir: d,
			Device:    device.Facts{Path: d, Mount: d, FSType: "ext4", Device: fmt.Sprintf("sd%c", 'a'+i), Rotational: &rot},
			Bandwidth: &results.ProbeBandwidth{Bytes: 256 << 20, DurationS: 1, MBs: 268}})
		for _, sync := range doc.Config.Sync {
			m := median
			if sync == "none" {
				m = 5
			}
			var hs []*hdrhistogram.Histogram
			total := hlog.NewHistogram()
			for s := range 2 {
				h := hlog.NewHistogram()
				h.SetStartTimeMs(fixtureStart.Add(time.Duration(s) * time.Second).UnixMilli())
				h.SetEndTimeMs(fixtureStart.Add(time.Duration(s+1) * time.Second).UnixMilli())
				for range 250 {
					v := hlog.Micros(lognormal(rng, m, nil, 0))
					_ = h.RecordValue(v)
					_ = total.RecordValue(v)
				}
				hs = append(hs, h)
			}
			name := fmt.Sprintf("%d-%s-%s-zookeeper.hlog", i+1, filepath.Base(d), sync)
			if err := hlog.WriteFile(filepath.Join(dir, name), fixtureStart, hs, "zkbench fixture: probe"); err != nil {
				t.Fatal(err)
			}
			doc.Probes = append(doc.Probes, results.ProbeEntry{Dir: d, Device: doc.Dirs[i].Device.Device, FSType: "ext4",
				Rotational: &rot, Sync: sync, PreallocMode: "zookeeper", BlockSize: 2300, Count: 500,
				Latency: results.PercentilesOf(total), IOPS: 1e6 / total.Mean(), Hlog: name,
				Extends: results.ProbeExtends{Count: 1, TotalUs: 900, MaxUs: 900}})
		}
	}
	if err := doc.WriteFile(filepath.Join(dir, results.ProbeFile)); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
