package bench

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"zkbench/engine/disk"
	"zkbench/hlog"
	"zkbench/profiles"
	"zkbench/results"
)

// fullDisk is the real file system with a small disk under it: once
// budget bytes have been written, every write, preallocation or
// fallocate fails with ENOSPC the way the OS reports it (an
// *os.PathError), so the run sees what it would see on a full device.
//
// It models the space a write uses, not a file's length: a sparse
// extension (ZooKeeper's one-byte preallocation, Truncate) is free and
// the data later written into the hole is charged, as a file system
// allocates blocks. It is simpler than one in two ways that only make
// the disk fill a little earlier: rewritten bytes are charged again, and
// removing a file gives nothing back.
type fullDisk struct {
	disk.FS
	left atomic.Int64 // bytes that may still be written
	hits atomic.Int64 // writes refused
}

func newFullDisk(budget int64) *fullDisk {
	d := &fullDisk{FS: disk.OS}
	d.left.Store(budget)
	return d
}

// take charges n bytes of space to a write of op on name.
func (d *fullDisk) take(op, name string, n int64) error {
	if d.left.Add(-n) >= 0 {
		return nil
	}
	d.left.Add(n) // a refused write writes nothing here (the OS may write part)
	d.hits.Add(1)
	return &os.PathError{Op: op, Path: name, Err: syscall.ENOSPC}
}

func (d *fullDisk) Create(name string) (disk.File, error) { return d.wrap(d.FS.Create(name)) }

func (d *fullDisk) OpenAppend(name string) (disk.File, error) {
	return d.wrap(d.FS.OpenAppend(name))
}

func (d *fullDisk) OpenSync(name string) (disk.File, error) { return d.wrap(d.FS.OpenSync(name)) }

func (d *fullDisk) wrap(f disk.File, err error) (disk.File, error) {
	if err != nil {
		return nil, err
	}
	return &fullFile{File: f, d: d}, nil
}

// fullFile charges its writes to the disk. Read-only handles (Open) are
// not wrapped: their writes fail anyway.
type fullFile struct {
	disk.File
	d *fullDisk
}

func (f *fullFile) Write(p []byte) (int, error) {
	if err := f.d.take("write", f.Name(), int64(len(p))); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f *fullFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.d.take("write", f.Name(), int64(len(p))); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

func (f *fullFile) Allocate(off, n int64) error {
	if err := f.d.take("fallocate", f.Name(), n); err != nil {
		return err
	}
	return f.File.Allocate(off, n)
}

// runOnDisk runs a plan of settings (profile keys over the quick
// profile) whose members write through d. It returns the run's error and
// the notices it gave.
func runOnDisk(t *testing.T, d *fullDisk, out string, settings ...string) (notices string, err error) {
	t.Helper()
	plan := quickPlan(t, settings...)
	plan.engine.FS = func(uint64) disk.FS { return d }
	plan.Out = out
	var log noticeLog
	_, err = Run(context.Background(), plan, &log)
	return log.String(), err
}

// quickPlan is the quick profile's plan with settings (key, value, ...)
// set over it.
func quickPlan(t *testing.T, settings ...string) *Plan {
	t.Helper()
	p, err := profiles.Load("quick")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := NewPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(settings); i += 2 {
		if err := plan.Set(settings[i], settings[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return plan
}

// noticeLog is a Sink that keeps the notices, a line each.
type noticeLog struct{ strings.Builder }

func (*noticeLog) Progress(Progress)   {}
func (n *noticeLog) Notice(msg string) { n.WriteString(msg + "\n") }

// A disk that fills, at the start or during the run: the run stops with
// an error naming the member, the file and the OS's reason; what
// was measured until then is written; zkbench removes the member folders
// it created (unless --keep-data) and nothing else.
func TestRunOnAFullDisk(t *testing.T) {
	cases := []struct {
		name     string
		budget   int64 // bytes the members may write, all together
		keepData bool
		want     string // the line, a regexp; (member, file) are captured
		measured bool   // result.json holds what was measured
	}{
		// The preload's snapshot is the first file a member writes.
		{"full at start", 0, false,
			`^preload: member (\d): write (\S+): no space left on device$`, false},
		// The preload fits, with room for a few hundred writes after it.
		{"fills while measuring", 192 << 10, false,
			`^member (\d): write (\S+): no space left on device \(the run stopped after \S+ of measuring; results so far in \S+\)$`, true},
		{"fills while measuring, data kept", 192 << 10, true,
			`^member (\d): write (\S+): no space left on device \(the run stopped after \S+ of measuring; results so far in \S+\)$`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, out := t.TempDir(), filepath.Join(t.TempDir(), "run")
			foreign := filepath.Join(data, "not-zkbench's")
			if err := os.WriteFile(foreign, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			d := newFullDisk(tc.budget)
			notices, err := runOnDisk(t, d, out, "dataDir", data, "keepData", strconv.FormatBool(tc.keepData),
				"workload", "write", "clients", "4", "keys", "20", "valueSize", "256",
				"preAllocSize", "64KiB", "warmup", "0s", "duration", "1m") // the disk ends it

			if err == nil {
				t.Fatalf("no error; want one matching %s", tc.want)
			}
			m := regexp.MustCompile(tc.want).FindStringSubmatch(err.Error())
			if m == nil {
				t.Fatalf("error %q; want one matching %s", err, tc.want)
			}
			if kept := strings.Contains(notices, "data kept in "+data); kept != tc.keepData {
				t.Errorf("notices %q: data kept %v, want %v", notices, kept, tc.keepData)
			}
			if dir := filepath.Join(data, "server"+m[1]) + string(filepath.Separator); !strings.HasPrefix(m[2], dir) {
				t.Errorf("the full file %s is not in member %s's folder %s", m[2], m[1], dir)
			}
			if d.hits.Load() == 0 {
				t.Error("the disk never refused a write")
			}
			checkMeasured(t, out, tc.measured)
			checkLeftBehind(t, data, foreign, tc.keepData)
		})
	}
}

// checkMeasured checks the output folder: with measured, result.json and
// the .hlog files of what ran until the disk filled, the member that
// failed down and its failure among the events; else nothing.
func checkMeasured(t *testing.T, out string, measured bool) {
	t.Helper()
	res, err := results.ReadFile(filepath.Join(out, results.ResultFile))
	if !measured {
		if err == nil {
			t.Errorf("result.json written for a run that never started")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Ops) != 1 || res.Ops[0].Count == 0 {
		t.Fatalf("ops %+v: want the setData measured before the disk filled", res.Ops)
	}
	hs, err := hlog.ReadFile(filepath.Join(out, res.Ops[0].Hlog))
	if err != nil {
		t.Fatal(err)
	}
	if got := hlog.Merge(hs).TotalCount(); got != res.Ops[0].Count {
		t.Errorf("%s holds %d ops, result.json says %d", res.Ops[0].Hlog, got, res.Ops[0].Count)
	}
	down := 0
	for _, s := range res.Servers {
		if _, err := os.Stat(filepath.Join(out, s.Fsync.Hlog)); err != nil {
			t.Error(err)
		}
		if s.Role == "down" {
			down++
		}
	}
	if len(res.Servers) != 3 || down == 0 {
		t.Errorf("servers %+v: want 3, the failed one down", res.Servers)
	}
	failed := false
	for _, e := range res.Events {
		failed = failed || e.Kind == "member-down" && strings.Contains(e.Detail, "no space left on device")
	}
	if !failed {
		t.Errorf("no member-down event with the failure among %+v", res.Events)
	}
}

// checkLeftBehind checks that the data parent holds the member folders
// only with keepData, and the file zkbench did not create in any case.
func checkLeftBehind(t *testing.T, data, foreign string, keepData bool) {
	t.Helper()
	if b, err := os.ReadFile(foreign); err != nil || string(b) != "x" {
		t.Errorf("a file zkbench did not create was touched: %q %v", b, err)
	}
	left, _ := os.ReadDir(data)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	want := []string{filepath.Base(foreign)}
	if keepData {
		want = append(want, "server1", "server2", "server3")
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("left in the data folder: %v, want %v", names, want)
	}
}
