package zkmanaged

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testConfig() Config {
	return Config{
		Members: []Member{{ID: 1, DataDir: "/d/server1", LogDir: "/l/server1"}, {ID: 2, DataDir: "/d/server2"},
			{ID: 3, Observer: true, DataDir: "/d/server3"}},
		TickTime: 2 * time.Second, InitLimit: 10, SyncLimit: 5, SnapCount: 2000, PreAllocSize: 64 << 20,
		SnapSizeLimit: 4 << 30, ForceSync: true, MaxBatchSize: 1000, CommitLogCount: 500,
		FsyncWarning: time.Second, SnapRetainCount: 3, Heap: "1000m",
		MaxClientCnxns: 200, MaxSessionTimeout: 30 * time.Second, SnapshotSizeFactor: 0.33,
		FourLetterWhitelist: []string{"srvr", "wchs"},
	}
}

func TestZooCfg(t *testing.T) {
	c := testConfig()
	ps := map[int]ports{1: {2181, 2888, 3888}, 2: {2182, 2889, 3889}, 3: {2183, 2890, 3890}}
	got := c.zooCfg(c.Members[0], ps)
	for _, want := range []string{"tickTime=2000\n", "initLimit=10\n", "syncLimit=5\n", "dataDir=/d/server1\n",
		"dataLogDir=/l/server1\n", "clientPort=2181\n", "clientPortAddress=127.0.0.1\n", "autopurge.snapRetainCount=3\n",
		"autopurge.purgeInterval=0\n", "4lw.commands.whitelist=mntr,srvr,conf,ruok,stat,wchs\n", "server.1=127.0.0.1:2888:3888\n",
		"maxClientCnxns=200\n", "maxSessionTimeout=30000\n", "reconfigEnabled=false\n",
		"server.3=127.0.0.1:2890:3890:observer\n", "standaloneEnabled=false\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("zoo.cfg lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "peerType") || strings.Contains(got, "minSessionTimeout") {
		t.Errorf("a voter's zoo.cfg says peerType:\n%s", got)
	}
	if obs := c.zooCfg(c.Members[2], ps); !strings.Contains(obs, "peerType=observer\n") || strings.Contains(obs, "dataLogDir") {
		t.Errorf("observer's zoo.cfg:\n%s", obs)
	}
}

func TestSystemProperties(t *testing.T) {
	c := testConfig()
	p := c.SystemProperties()
	for k, want := range map[string]string{
		"zookeeper.snapCount": "2000", "zookeeper.preAllocSize": "65536", "zookeeper.snapSizeLimitInKb": "4194304",
		"zookeeper.forceSync": "yes", "zookeeper.maxBatchSize": "1000", "zookeeper.commitLogCount": "500",
		"zookeeper.fsync.warningthresholdms": "1000", "zookeeper.snapshotSizeFactor": "0.33",
	} {
		if p[k] != want {
			t.Errorf("%s = %q, want %q", k, p[k], want)
		}
	}
	if _, ok := p["zookeeper.DigestAuthenticationProvider.superDigest"]; ok {
		t.Error("a super digest without one configured")
	}
	c.ForceSync, c.SnapSizeLimit, c.SuperDigest = false, 0, "super:x"
	if p := c.SystemProperties(); p["zookeeper.forceSync"] != "no" || p["zookeeper.snapSizeLimitInKb"] != "-1" ||
		p["zookeeper.DigestAuthenticationProvider.superDigest"] != "super:x" {
		t.Errorf("forceSync off, no size limit: %v", p)
	}
	args := strings.Join(c.jvmArgs(c.Members[0], "/out/server1"), " ")
	if !strings.HasPrefix(args, "-Xmx1000m -cp ") || !strings.HasSuffix(args, "QuorumPeerMain /out/server1/zoo.cfg") {
		t.Errorf("command line %s", args)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"ok", func(*Config) {}, ""},
		{"purge interval", func(c *Config) { c.PurgeInterval = 30 * time.Minute }, "whole hours"},
		{"tick", func(c *Config) { c.TickTime = 1500 * time.Microsecond }, "milliseconds"},
		{"observers only", func(c *Config) { c.Members = []Member{{ID: 1, Observer: true}} }, "no voting member"},
	} {
		c := testConfig()
		tc.edit(&c)
		err := c.Check()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestLocate(t *testing.T) {
	empty := t.TempDir()
	if _, err := Locate(empty); !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install") {
		t.Errorf("empty home: %v", err)
	}
	release := t.TempDir()
	os.Mkdir(filepath.Join(release, "lib"), 0o755)
	for _, j := range []string{"zookeeper-3.8.4.jar", "logback-classic-1.2.13.jar"} {
		os.WriteFile(filepath.Join(release, "lib", j), nil, 0o644)
	}
	in, err := Locate(release)
	if errors.Is(err, ErrNotInstalled) && strings.Contains(err.Error(), "java") {
		t.Skip(err) // no Java here: the release layout cannot be told
	}
	if err != nil || !in.Logback || !strings.Contains(in.Classpath, "zookeeper-3.8.4.jar") {
		t.Errorf("release folder: %+v %v", in, err)
	}
	t.Setenv("PATH", empty)
	t.Setenv("JAVA_HOME", "")
	if _, err := Locate(""); !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "no java") {
		t.Errorf("no java: %v", err)
	}
}

func TestQuorate(t *testing.T) {
	ms := testConfig().Members
	all := map[int]bool{1: true, 2: true, 3: true}
	for _, tc := range []struct {
		modes   map[int]string
		running map[int]bool
		want    bool
	}{
		{map[int]string{1: "leader", 2: "follower", 3: "observer"}, all, true},
		{map[int]string{1: "leader", 2: "leader", 3: "observer"}, all, false},
		{map[int]string{1: "leader", 3: "observer"}, all, false},
		{map[int]string{1: "leader", 3: "observer"}, map[int]bool{1: true, 3: true}, true},
		{map[int]string{1: "follower", 2: "follower", 3: "observer"}, all, false},
		{map[int]string{1: "leader", 2: "follower", 3: "leader"}, all, false},
	} {
		if got := quorate(ms, tc.modes, tc.running); got != tc.want {
			t.Errorf("%v running %v: %v, want %v", tc.modes, tc.running, got, tc.want)
		}
	}
}

func TestWatch(t *testing.T) {
	data, logs := t.TempDir(), t.TempDir()
	for _, d := range []string{data, logs} {
		os.MkdirAll(filepath.Join(d, "version-2"), 0o755)
	}
	snapDir, logDir := filepath.Join(data, "version-2"), filepath.Join(logs, "version-2")
	old := filepath.Join(logDir, "log.100000001")
	os.WriteFile(old, make([]byte, 1024+16), 0o644)
	w := NewWatch([]Member{{ID: 1, DataDir: data, LogDir: logs}}, 1024, 20*time.Millisecond)
	now := time.Now()
	if ev := w.Scan(now); len(ev) != 0 {
		t.Fatalf("the first scan takes stock, got %v", ev)
	}
	// The old log grows a step; a snapshot and a new log appear.
	os.WriteFile(old, make([]byte, 2048+16), 0o644)
	snap := filepath.Join(snapDir, "snapshot.1000007d0")
	os.WriteFile(snap, []byte("part"), 0o644)
	roll := filepath.Join(logDir, "log.1000007d1")
	os.WriteFile(roll, make([]byte, 1024+16), 0o644)
	born := birth(snap, now)
	os.Chtimes(snap, born, born.Add(30*time.Millisecond))
	ev := w.Scan(born.Add(31 * time.Millisecond)) // just written: not settled
	kinds := map[FileKind]int{}
	for _, e := range ev {
		kinds[e.Kind]++
	}
	if kinds[SnapshotStart] != 1 || kinds[LogRoll] != 1 || kinds[PreallocExtend] != 2 || kinds[SnapshotEnd] != 0 {
		t.Fatalf("second scan %+v", ev)
	}
	ev = w.Scan(born.Add(time.Second))
	if len(ev) != 1 || ev[0].Kind != SnapshotEnd || ev[0].Duration != 30*time.Millisecond || ev[0].Bytes != 4 ||
		ev[0].Zxid != 0x1000007d0 || ev[0].Member != 1 {
		t.Fatalf("settled snapshot %+v", ev)
	}
	if ev := w.Scan(born.Add(2 * time.Second)); len(ev) != 0 {
		t.Errorf("nothing changed, got %+v", ev)
	}
	os.WriteFile(filepath.Join(snapDir, "snapshot.200000000"), nil, 0o644)
	w.Scan(now)
	if ev := w.Finish(now); len(ev) != 1 || ev[0].Kind != SnapshotEnd || ev[0].Zxid != 0x200000000 {
		t.Errorf("finish %+v", ev)
	}
}

func TestParseName(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind FileKind
		zxid int64
		ok   bool
	}{
		{"snapshot.0", SnapshotStart, 0, true},
		{"log.100000001", LogRoll, 0x100000001, true},
		{"snapshot.1.gz", SnapshotStart, 1, true}, // a compressed snapshot (zookeeper.snapshot.compression.method)
		{"acceptedEpoch", 0, 0, false},
		{"log.", 0, 0, false},
	} {
		k, z, ok := parseName(tc.name)
		if k != tc.kind || z != tc.zxid || ok != tc.ok {
			t.Errorf("%s: %v %x %v", tc.name, k, z, ok)
		}
	}
}

// A snapshot is written once its server closed the file, whatever its
// size did meanwhile; where open files cannot be listed, once it was
// still for settle.
func TestWatchOpenFiles(t *testing.T) {
	data := t.TempDir()
	os.Mkdir(filepath.Join(data, "version-2"), 0o755)
	w := NewWatch([]Member{{ID: 1, DataDir: data}}, 0, time.Hour)
	open := map[string]bool{}
	listable := true
	w.Open = func(member int) (map[string]bool, bool) { return open, listable }
	w.Scan(time.Now())
	snap := filepath.Join(data, "version-2", "snapshot.10")
	os.WriteFile(snap, []byte("x"), 0o644)
	real, _ := filepath.EvalSymlinks(snap)
	open[real] = true
	if ev := w.Scan(time.Now()); len(ev) != 1 || ev[0].Kind != SnapshotStart {
		t.Fatalf("open snapshot: %+v", ev)
	}
	if ev := w.Scan(time.Now().Add(2 * time.Hour)); len(ev) != 0 {
		t.Fatalf("still open, long unchanged: %+v", ev)
	}
	delete(open, real)
	if ev := w.Scan(time.Now()); len(ev) != 1 || ev[0].Kind != SnapshotEnd {
		t.Fatalf("closed: %+v", ev)
	}
	// Not listable: the settle rule.
	listable = false
	os.WriteFile(filepath.Join(data, "version-2", "snapshot.20"), []byte("x"), 0o644)
	w.Scan(time.Now())
	if ev := w.Scan(time.Now()); len(ev) != 0 {
		t.Fatalf("unlistable, just written: %+v", ev)
	}
	if ev := w.Scan(time.Now().Add(2 * time.Hour)); len(ev) != 1 || ev[0].Kind != SnapshotEnd {
		t.Fatalf("unlistable, settled: %+v", ev)
	}
}

// A file created or closed in a version-2 folder is signalled; the
// signals stop with the context.
func TestChanges(t *testing.T) {
	data := t.TempDir()
	os.Mkdir(filepath.Join(data, "version-2"), 0o755)
	w := NewWatch([]Member{{ID: 1, DataDir: data}}, 0, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := w.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(data, "version-2", "snapshot.1"), []byte("x"), 0o644)
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatal("no signal for a file written in version-2")
	}
	cancel()
	for range ch { // drains what came before the end, then is closed
	}
	if _, err := NewWatch([]Member{{ID: 1, DataDir: filepath.Join(data, "none")}}, 0, 0).Changes(context.Background()); err == nil {
		t.Error("a folder that does not exist is watched")
	}
}
