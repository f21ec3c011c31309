package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"zkbench/bench/internal/collect"
	"zkbench/engine"
	"zkbench/engine/disk"
	"zkbench/engine/snap"
	"zkbench/results"
	"zkbench/workloads/zkmanaged"
	"zkbench/workloads/zktarget"
)

// managedFolder is the result folder's sub-folder with each managed
// server's zoo.cfg, command line and server.log.
const managedFolder = "zookeeper"

// scanEvery is how often a managed run lists its members' version-2
// folders; a snapshot counts as written once its server closed the file,
// or where that cannot be told, once the file has not changed for
// settleAfter.
const (
	scanEvery   = 10 * time.Millisecond
	settleAfter = 5 * scanEvery
)

// locateManaged finds Java and the plan's ZooKeeper before the run
// creates anything: without them the run is refused.
func (r *runner) locateManaged() error {
	if !r.plan.Managed() {
		return nil
	}
	in, err := zkmanaged.Locate(r.plan.zkHome())
	if err != nil {
		return fmt.Errorf("--target %s: %w", r.plan.target, err)
	}
	r.install = in
	return nil
}

// managedConfig is the plan's ensemble as ZooKeeper servers, in the
// member folders prepareData created.
func (r *runner) managedConfig() zkmanaged.Config {
	e := r.plan.runEngine() // maxClientCnxns raised for the run's own sessions, as on the embedded target
	cfg := zkmanaged.Config{
		Install: r.install, Folder: filepath.Join(r.plan.Out, managedFolder),
		TickTime: e.TickTime, InitLimit: e.InitLimit, SyncLimit: e.SyncLimit,
		SnapCount: e.SnapCount, PreAllocSize: e.PreAllocSize, SnapSizeLimit: e.SnapSizeLimit,
		ForceSync: e.ForceSync, MaxBatchSize: e.MaxBatchSize, CommitLogCount: e.CommitLogCount,
		FsyncWarning: e.FsyncWarningThreshold, SnapRetainCount: e.SnapRetainCount, PurgeInterval: e.PurgeInterval,
		Heap: r.plan.jvmHeap, MaxClientCnxns: e.MaxClientCnxns,
		MinSessionTimeout: e.MinSessionTimeout, MaxSessionTimeout: e.MaxSessionTimeout,
		ReconfigEnabled: e.ReconfigEnabled, SnapshotSizeFactor: e.SnapshotSizeFactor, SuperDigest: e.SuperDigest,
		FourLetterWhitelist: fourLetterWords(e.FourLetterWords),
	}
	for id := 1; id <= e.Servers+e.Observers; id++ {
		data, log := e.MemberDirs(uint64(id))
		cfg.Members = append(cfg.Members, zkmanaged.Member{ID: id, Observer: id > e.Servers, DataDir: data, LogDir: log})
	}
	return cfg
}

// fourLetterWords splits a 4lw.commands.whitelist value into its words.
func fourLetterWords(v string) []string {
	var words []string
	for w := range strings.SplitSeq(v, ",") {
		if w = strings.TrimSpace(w); w != "" {
			words = append(words, w)
		}
	}
	return words
}

// startManaged starts the plan's servers, waits for their quorum, and
// starts watching their files.
func (r *runner) startManaged(ctx context.Context) error {
	cfg := r.managedConfig()
	if err := os.Mkdir(cfg.Folder, 0o755); err != nil {
		return err
	}
	r.servers = collect.NewServers(time.Now(), cfg.FsyncWarning, r.interval())
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	e, err := zkmanaged.Start(wctx, cfg)
	if err != nil {
		return fmt.Errorf("start ZooKeeper (%s): %w", r.install.Home, err)
	}
	r.managed = e
	r.prepareServerFaults(e)
	r.sink.Notice(fmt.Sprintf("ZooKeeper servers from %s: %s; their logs in %s", r.install.Home, e.Target(), cfg.Folder))
	r.conf = r.readConf(wctx, addrs(e))
	w := zkmanaged.NewWatch(cfg.Members, cfg.PreAllocSize, settleAfter)
	w.Open = e.OpenFiles
	r.stopScan = r.scanFiles(w)
	return nil
}

// addrs are the members' client addresses, in member order.
func addrs(e *zkmanaged.Ensemble) []string {
	var out []string
	for _, id := range e.Members() {
		out = append(out, e.ClientAddr(id))
	}
	return out
}

// readConf asks every server what it runs with (conf), in order; a
// server that does not say is nil, and named in a warning.
func (r *runner) readConf(ctx context.Context, servers []string) []map[string]string {
	out := make([]map[string]string, len(servers))
	for i, addr := range servers {
		c, err := zktarget.Conf(ctx, addr)
		if err != nil {
			r.sink.Notice(fmt.Sprintf("warning: %v", err))
			continue
		}
		out[i] = c
	}
	return out
}

// endRoles is every server's role at the end: srvr's Mode, or where
// srvr does not answer, mntr's zk_server_state; "down" when neither.
func endRoles(ctx context.Context, servers []string, mntr []zktarget.ServerStats) []string {
	roles := make([]string, len(servers))
	for i, addr := range servers {
		roles[i] = "down"
		if s, err := zktarget.Srvr(ctx, addr); err == nil && s["Mode"] != "" {
			roles[i] = s["Mode"]
		} else if i < len(mntr) && mntr[i].Err == nil && mntr[i].Stats.State() != "" {
			roles[i] = mntr[i].Stats.State()
		}
	}
	return roles
}

// scanFiles lists the members' version-2 folders every scanEvery, and at
// once when inotify says a file was created or closed there, and hands
// what changed to the server-side collection as the engine's events; the
// returned func makes a last scan at end and stops.
func (r *runner) scanFiles(w *zkmanaged.Watch) func(end time.Time) {
	w.Scan(time.Now())
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	changes, err := w.Changes(ctx)
	if err != nil {
		r.sink.Notice(fmt.Sprintf("warning: %v: snapshots are seen at the next listing (every %v)", err, scanEvery))
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(scanEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				r.publishFiles(w.Scan(now))
			case _, ok := <-changes:
				if !ok {
					changes = nil // a nil channel is never ready: listings only
					continue
				}
				r.publishFiles(w.Scan(time.Now()))
			}
		}
	})
	var once sync.Once
	return func(end time.Time) {
		once.Do(func() {
			close(done)
			wg.Wait()
			cancel()
			r.publishFiles(w.Scan(end))
			r.publishFiles(w.Finish(end))
		})
	}
}

func (r *runner) publishFiles(evs []zkmanaged.FileEvent) {
	for _, fe := range evs {
		ev := engine.Event{Time: fe.Time, Member: uint64(fe.Member), Duration: fe.Duration, Bytes: fe.Bytes,
			Zxid: fe.Zxid, Path: fe.Path}
		switch fe.Kind {
		case zkmanaged.SnapshotStart:
			ev.Kind = engine.EventSnapshotStart
		case zkmanaged.SnapshotEnd:
			ev.Kind = engine.EventSnapshotEnd
		case zkmanaged.LogRoll:
			ev.Kind, ev.Mode = engine.EventLogRoll, "a new file in version-2"
		case zkmanaged.PreallocExtend:
			ev.Kind, ev.Mode = engine.EventPreallocExtend, "seen from its size"
		}
		r.servers.Publish(ev)
	}
}

// stopManaged reads the servers' figures at the end, closes the file
// watch, and stops the servers; it returns each member's role.
func (r *runner) stopManaged(end time.Time) map[uint64]string {
	if r.managed == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	roles := map[uint64]string{}
	if r.external != nil {
		r.mntrEnd = r.external.ServerStats(ctx)
		r.rolesEnd = endRoles(ctx, r.external.Servers(), r.mntrEnd)
		for i, role := range r.rolesEnd {
			roles[uint64(i+1)] = role
		}
	}
	if r.stopScan != nil {
		r.stopScan(end)
	}
	r.servers.Finish(end)
	r.managed.Stop()
	return roles
}

// managedServers completes the members' figures from their files with
// what mntr told: each one's role and fsyncs. There is no fsync
// histogram of a real server: its Hlog is empty.
func managedServers(files, mntr []results.Server) []results.Server {
	for i := range files {
		files[i].Fsync.Hlog = ""
		if i < len(mntr) {
			files[i].Role, files[i].Fsync = mntr[i].Role, mntr[i].Fsync
		}
	}
	return files
}

// managedKnobs are the engine's knobs that mean nothing for real
// servers: the in-process network's.
var managedKnobs = []string{"transport", "peerLatencyUs", "peerJitterUs", "containerCheckIntervalMs"}

// fillManagedConfig puts into c what the managed servers ran with: the
// plan's knobs, as written into their zoo.cfg and system properties, and
// where conf tells it, what the servers read back (the first member's
// answer; all are written alike).
func (r *runner) fillManagedConfig(c *results.Config) {
	e := r.plan.runEngine() // what managedConfig wrote
	c.Servers, c.Observers = e.Servers, e.Observers
	c.DataDir, c.DataLogDir = e.DataDir, e.DataLogDir
	c.PreAllocSize, c.PreallocMode = e.PreAllocSize, e.PreallocMode.String()
	c.SnapCount, c.SnapRandomize = e.SnapCount, true
	c.ForceSync, c.MaxBatchSize = e.ForceSync, e.MaxBatchSize
	maps.Copy(c.Other, e.Knobs())
	for _, k := range managedKnobs {
		delete(c.Other, k)
	}
	c.Other["4lw.commands.whitelist"] = strings.Join(r.managedConfig().Whitelist(), ",")
	c.Other["jvmHeap"] = r.plan.jvmHeap
	c.Other["zookeeperHome"] = r.install.Home
	for _, s := range r.mntrEnd {
		if v := s.Stats["zk_version"]; s.Err == nil && v != "" {
			c.Other["zookeeperVersion"], _, _ = strings.Cut(v, "-")
			break
		}
	}
	if voters, observers := confKnobs(c, r.conf); voters > 0 {
		c.Servers, c.Observers = voters, observers
	}
}

// confKnobs puts into c's other knobs what the servers said they run
// with (the first answer: an ensemble's members are configured alike)
// and returns the voters and observers its server.N lines name.
func confKnobs(c *results.Config, confs []map[string]string) (voters, observers int) {
	var conf map[string]string
	for _, m := range confs {
		if m != nil {
			conf = m
			break
		}
	}
	if conf == nil {
		return 0, 0
	}
	num := func(key, knob string) {
		if n, err := strconv.ParseInt(conf[key], 10, 64); err == nil {
			c.Other[knob] = n
		}
	}
	num("tickTime", "tickTimeMs")
	num("initLimit", "initLimit")
	num("syncLimit", "syncLimit")
	num("minSessionTimeout", "minSessionTimeoutMs")
	num("maxSessionTimeout", "maxSessionTimeoutMs")
	return confMembers(conf)
}

// confMembers counts conf's server.N lines by role.
func confMembers(conf map[string]string) (voters, observers int) {
	for k, v := range conf {
		if !strings.HasPrefix(k, "server.") {
			continue
		}
		if strings.HasSuffix(v, ":observer") {
			observers++
		} else {
			voters++
		}
	}
	return voters, observers
}

// writeConf keeps every member's conf reply in conf.json.
func (r *runner) writeConf() error {
	if r.conf == nil {
		return nil
	}
	raw := map[string]map[string]string{}
	for i, c := range r.conf {
		raw["server"+strconv.Itoa(i+1)] = c
	}
	b, err := json.MarshalIndent(raw, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(r.plan.Out, "conf.json"), append(b, '\n'), 0o644)
}

// Counting a managed run's snapshot nodes reads the snapshots back with
// zkbench's own reader after the run, up to these sizes: a large tree's
// would make the run's end slower than the count is worth.
const (
	countNodesOfFile  = 64 << 20
	countNodesOfFiles = 1 << 30
)

// countSnapshotNodes fills in the nodes of the servers' snapshots, which
// their files tell once written; what it cannot read stays null, and a
// snapshot zkbench's reader refuses is named.
func (r *runner) countSnapshotNodes(servers []results.Server) {
	var read int64
	for i := range servers {
		dataDir, _ := r.plan.engine.MemberDirs(uint64(servers[i].ID))
		for j := range servers[i].Snapshots {
			sn := &servers[i].Snapshots[j]
			if sn.Bytes > countNodesOfFile || read+sn.Bytes > countNodesOfFiles {
				continue
			}
			read += sn.Bytes
			path := filepath.Join(dataDir, "version-2", "snapshot."+strings.TrimPrefix(sn.Zxid, "0x"))
			info, err := snap.Verify(disk.OS, path)
			if err != nil {
				r.sink.Notice(fmt.Sprintf("warning: server %d: %v", servers[i].ID, err))
				continue
			}
			n := int64(info.Nodes)
			sn.Nodes = &n
		}
	}
}
