package results

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"zkbench/engine"
	"zkbench/hlog"
	"zkbench/results/device"
)

// testdata/schema-example.json is result-schema.md's example without its
// comments, and with a real time where the example has "…" for one.
func TestSchemaExampleDecodes(t *testing.T) {
	raw, err := os.ReadFile("testdata/schema-example.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var r Result
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("a field of the schema has no home in Result: %v", err)
	}
	if len(r.Config.Other) != 0 {
		t.Errorf("schema config keys not in Config's fields: %v", r.Config.Other)
	}
	out, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	want, got := keyPaths(t, raw), keyPaths(t, out)
	for _, k := range want {
		if !slices.Contains(got, k) {
			t.Errorf("%s is in the schema but not written", k)
		}
	}
	if r.Servers[0].Snapshots[0].Zxid != "0x…" || r.Environment.Devices[0].Role != "dataLogDir" ||
		*r.Environment.Devices[0].Rotational != true || r.Timeseries[0].Disk["vda"] != (DiskPoint{}) {
		t.Errorf("decoded %+v", r)
	}
}

// keyPaths lists every object key of a JSON document as a path
// (servers[].fsync.latency_us.p99); map keys under "disk" become "*".
func keyPaths(t *testing.T, raw []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var paths []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, sub := range v {
				if strings.HasSuffix(prefix, ".disk") {
					k = "*"
				}
				p := strings.TrimPrefix(prefix+"."+k, ".")
				paths = append(paths, p)
				walk(p, sub)
			}
		case []any:
			for _, sub := range v {
				walk(prefix+"[]", sub)
			}
		}
	}
	walk("", v)
	return paths
}

func fullResult() *Result {
	nodes := int64(1001)
	rot := true
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	return &Result{
		Schema: Schema, ZkbenchVersion: "devel-abc", Profile: "quick", Started: t0, DurationS: 20.5,
		Target: "embedded",
		Config: Config{
			Servers: 3, Observers: 1, DataDir: "/d", DataLogDir: "/l", PreAllocSize: 64 << 20,
			PreallocMode: "zookeeper", SnapCount: 100000, SnapRandomize: true, ForceSync: true,
			MaxBatchSize: 1000, Workload: "mixed", Clients: 16, Rate: 500, ValueSize: 1024, Keys: 1000,
			Other: map[string]any{"readRatio": 0.9, "keyDist": "zipf"},
		},
		Environment: Environment{Hostname: "h", OS: "linux", Kernel: "6.1", CPUs: 2, Memory: 8 << 30,
			Devices: []Device{{Role: "dataLogDir", Facts: device.Facts{Path: "/l", Mount: "/", FSType: "ext4", Device: "vda", Rotational: &rot}}}},
		Ops: []OpStats{{Op: "setData", Count: 100, Errors: 1, ThroughputOpsS: 5,
			Latency: Percentiles{Min: 1, Mean: 2.5, P50: 2, P90: 3, P99: 4, P999: 5, Max: 6}, Hlog: "setData.hlog"}},
		Total: Total{Count: 100, Errors: 1, ThroughputOpsS: 5},
		Servers: []Server{{ID: 1, Role: "leader",
			Fsync:     Fsync{Count: 10, Bytes: 2300, Txns: 100, Latency: Percentiles{P99: 900}, OverWarningThreshold: 1, Hlog: "fsync-1.hlog"},
			Snapshots: []Snapshot{{Start: t0.Add(3 * time.Second), DurationMs: 120.5, Bytes: 4096, Zxid: "0x100000064", Nodes: &nodes}},
			LogRolls:  2, PreallocExtends: 3}},
		SnapshotStall: SnapshotStall{Windows: 1, WriteP99UsInside: ptr(int64(9)), WriteP99UsOutside: ptr(int64(4)),
			FsyncP99UsInside: ptr(int64(8)), FsyncP99UsOutside: ptr(int64(3)),
			WritesInside: 7, WritesOutside: 93, FsyncsInside: 2, FsyncsOutside: 8},
		Timeseries: []TimePoint{{T: 1, OpsS: 100, P50Us: 2, P99Us: 4, MaxUs: 6, FsyncP99Us: 900, CPUPct: 50,
			Disk: map[string]DiskPoint{"vda": {WriteBytesS: 1e6, UtilPct: 12.5}}}},
		Events: []Event{{T: 3, Server: 1, Kind: engine.EventSnapshotStart.String(), Detail: "0x100000064"}},
		Setup:  &Setup{Znodes: 1002, Bytes: 1000 << 10, Method: SetupSnapshot, PreloadS: 0.25, RestoreMs: []float64{40.5, 41, 39.25}},
	}
}

func TestResultRoundTrip(t *testing.T) {
	want := fullResult()
	path := filepath.Join(t.TempDir(), ResultFile)
	if err := want.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	raw, _ := os.ReadFile(path)
	for _, s := range []string{`"readRatio": 0.9`, `"keyDist": "zipf"`, `"started": "2026-11-25T10:00:00Z"`} {
		if !bytes.Contains(raw, []byte(s)) {
			t.Errorf("result.json lacks %s", s)
		}
	}
}

func TestReadFileRefuses(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want string
	}{
		{"missing", "", "no such file"},
		{"corrupt", "{\n\"schema\": 1,\n", "unexpected end of JSON input"},
		{"syntax", "{\n\"schema\": 1,\n]", "line 3"},
		{"no-schema", `{"profile": "quick"}`, `no "schema" field`},
		{"other-schema", `{"schema": 2}`, "schema 2, this zkbench reads schema 1"},
		{"wrong-type", "{\"schema\": 1,\n\"ops\": 3}", "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".json")
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := ReadFile(path)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadFile = %v, want an error naming %s and saying %q", err, path, tt.want)
			}
		})
	}
}

func TestPercentilesOf(t *testing.T) {
	h := hlog.NewHistogram()
	for v := int64(1); v <= 1000; v++ {
		_ = h.RecordValue(v)
	}
	got := PercentilesOf(h)
	want := Percentiles{Min: 1, Mean: 500.5, P50: 500, P90: 900, P99: 990, P999: 999, Max: 1000}
	if got != want {
		t.Errorf("PercentilesOf(1..1000) = %+v, want %+v", got, want)
	}
	if got := PercentilesOf(hlog.NewHistogram()); got != (Percentiles{}) {
		t.Errorf("PercentilesOf(empty) = %+v", got)
	}
}

func TestConfigFlat(t *testing.T) {
	c := Config{Servers: 3, Other: map[string]any{"servers": 5.0, "readRatio": 0.5}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte(`"servers"`)) != 1 || !bytes.Contains(b, []byte(`"servers":3`)) {
		t.Errorf("a field must win over an Other key of the same name: %s", b)
	}
	flat := c.Flat()
	if flat["servers"] != 3.0 || flat["readRatio"] != 0.5 || flat["preallocMode"] != "" {
		t.Errorf("Flat = %v", flat)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil || back.Servers != 3 || back.Other["readRatio"] != 0.5 || len(back.Other) != 1 {
		t.Errorf("Unmarshal = %+v, %v", back, err)
	}
}

func TestSweepRoundTrip(t *testing.T) {
	want := &Sweep{ZkbenchVersion: "v", Profile: "quick", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Vary: []string{"snapCount", "preAllocSize"}, Repeat: 2,
		Runs: []SweepRun{
			{Dir: "snapCount=5000,preAllocSize=64MiB-1", Values: map[string]string{"snapCount": "5000", "preAllocSize": "64MiB"}, Repeat: 1},
			{Dir: "snapCount=5000,preAllocSize=64MiB-2", Values: map[string]string{"snapCount": "5000", "preAllocSize": "64MiB"}, Repeat: 2},
		}}
	path := filepath.Join(t.TempDir(), SweepFile)
	if err := want.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSweep(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != Schema || got.Kind != "sweep" || !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	for i, label := range []string{"snapCount=5000 preAllocSize=64MiB", "snapCount=5000 preAllocSize=64MiB #2"} {
		if got := want.Label(want.Runs[i]); got != label {
			t.Errorf("Label(run %d) = %q, want %q", i, got, label)
		}
	}
}

func TestProbeRoundTrip(t *testing.T) {
	rot := false
	want := &Probe{ZkbenchVersion: "v", Started: "2026-01-02T03:04:05Z", DurationS: 1.5,
		Config:   ProbeConfig{Dirs: []string{"/d"}, BlockSize: 2300, Count: 10, Sync: []string{"fdatasync"}, PreallocMode: []string{"zookeeper"}},
		Dirs:     []ProbeDir{{Dir: "/d", Device: device.Facts{Path: "/d", Device: "vda"}, Bandwidth: &ProbeBandwidth{Bytes: 1 << 20, MBs: 100}}},
		Probes:   []ProbeEntry{{Dir: "/d", Device: "vda", Rotational: &rot, Sync: "fdatasync", PreallocMode: "zookeeper", Count: 10, Latency: Percentiles{P99: 500}, Hlog: "1-d-fdatasync-zookeeper.hlog"}},
		Guidance: ProbeGuidance{GoodP99Us: 10000, ZKWarningThreshMs: 1000},
	}
	path := filepath.Join(t.TempDir(), ProbeFile)
	if err := want.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadProbe(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != Schema || got.Kind != "probe" || !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
}

func ptr[T any](v T) *T { return &v }

// TestStallP99: a side of the snapshot stall without a sample is
// missing, whatever number a file holds; the others carry their counts.
func TestStallP99(t *testing.T) {
	full := SnapshotStall{Windows: 3, WriteP99UsInside: ptr(int64(4110)), WriteP99UsOutside: ptr(int64(26800)),
		FsyncP99UsInside: ptr(int64(900)), FsyncP99UsOutside: nil, WritesInside: 4, WritesOutside: 9000, FsyncsInside: 12}
	tests := []struct {
		name          string
		st            SnapshotStall
		fsync, inside bool
		want          StallFigure
		ok            bool
	}{
		{"write inside", full, false, true, StallFigure{4110, 4}, true},
		{"write outside", full, false, false, StallFigure{26800, 9000}, true},
		{"fsync inside", full, true, true, StallFigure{900, 12}, true},
		{"fsync outside without a sample", full, true, false, StallFigure{}, false},
		{"no window", SnapshotStall{WriteP99UsInside: ptr(int64(0))}, false, true, StallFigure{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.st.StallP99(tt.fsync, tt.inside)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	// In the file, a missing side is null, not 0.
	b, err := json.Marshal(SnapshotStall{Windows: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"write_p99_us_inside":null`) {
		t.Errorf("a stall without samples encodes as %s", b)
	}
}

// TestExternalNotMeasured: a real ensemble's run has no leader fsync p99
// and no ensemble knobs, rather than zeros that read as measured.
func TestExternalNotMeasured(t *testing.T) {
	r := fullResult()
	r.Target = "zk://10.0.0.1:2181"
	r.Config.Other = map[string]any{"target": r.Target}
	if got := r.LeaderFsyncP99(); got != -1 {
		t.Errorf("LeaderFsyncP99 = %d, want -1 (not measured)", got)
	}
	flat := r.Config.Flat()
	for _, k := range []string{"servers", "snapCount", "preAllocSize", "dataDir", "forceSync"} {
		if v, ok := flat[k]; ok {
			t.Errorf("Flat has %s = %v for a real ensemble", k, v)
		}
	}
	if flat["clients"] == nil || flat["workload"] == nil {
		t.Errorf("Flat lost the workload's knobs: %v", flat)
	}
}
