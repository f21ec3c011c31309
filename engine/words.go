package engine

import (
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"zkbench/engine/fourletter"
	"zkbench/engine/jute"
	"zkbench/engine/quorum"
)

// answerWord is the reply of member id's client port to a four-letter
// word: "… is not executed because it is not in the whitelist." for a
// word 4lw.commands.whitelist lacks, "" (closed unanswered) for one that
// is known but not answered here.
func (e *Ensemble) answerWord(id uint64, word string, local net.Addr) string {
	if e.member(id) == nil {
		return "" // down: as a stopped server's port, nothing answers
	}
	if !e.words[word] {
		return fourletter.NotAllowed(word)
	}
	if !slices.Contains(fourletter.Answered, word) {
		return ""
	}
	f := e.figures(id, local)
	switch word {
	case "srst":
		if f.Serving {
			e.statsOf(id).reset()
		}
	case "crst":
		if f.Serving {
			for _, cc := range e.ports.connsOf(id) {
				cc.resetStats()
			}
		}
	}
	return fourletter.Answer(word, f)
}

// figures gathers member id's figures for a word.
func (e *Ensemble) figures(id uint64, local net.Addr) *fourletter.Figures {
	now := time.Now()
	f := &fourletter.Figures{ServerID: id, QuorumSize: e.cfg.Servers, Env: environment()}
	f.Conf = e.confFigures(id, local)
	snapDir, logDir := e.versionDirs(id)
	f.DataDirSize, f.LogDirSize = e.dirSize(id, snapDir), e.dirSize(id, logDir)
	m := e.member(id)
	if m == nil {
		return f
	}
	tree, _, serving := m.state()
	f.Serving = serving
	if !serving {
		return f
	}
	st := m.status.Load()
	f.Mode, f.PeerState = serverState(st, m.observer)
	f.Zxid = tree.LastProcessedZxid()
	if st != nil && st.Role == quorum.RoleLeading {
		l := &fourletter.LeaderFigures{Learners: len(st.Learners), PendingSyncs: st.PendingSyncs}
		for _, lid := range st.Synced {
			if int(lid) > e.cfg.Servers {
				l.SyncedObservers++
			} else {
				l.SyncedFollowers++
			}
		}
		f.Leader = l
	}
	if st != nil && m.observer {
		f.ObserverMasterID = st.Leader
	}
	f.Nodes, f.DataSize = tree.NodeCount(), tree.ApproximateDataSize()
	f.Watches, f.Ephemerals, f.GlobalSessions = tree.WatchCount(), tree.EphemeralCount(), len(tree.Sessions())
	for _, pw := range tree.DataWatches() {
		w := fourletter.Watch{Path: pw.Path}
		for _, wr := range pw.Watchers {
			if cc, ok := wr.(*portConn); ok {
				if sid := cc.shownSession(); sid != 0 {
					w.Sessions = append(w.Sessions, sid)
				}
			}
		}
		if len(w.Sessions) > 0 {
			f.DataWatches = append(f.DataWatches, w)
		}
	}
	for _, cc := range e.ports.connsOf(id) {
		f.Conns = append(f.Conns, cc.figures())
	}
	f.OpenFDs, f.MaxFDs = fileDescriptors()
	e.statsOf(id).fill(f, now)
	return f
}

// serverState is ServerStats.getServerState and
// QuorumPeer.getDetailedPeerState of a serving member.
func serverState(st *quorum.Status, observer bool) (mode, peer string) {
	switch {
	case observer:
		return "observer", "observing - broadcast"
	case st != nil && st.Role == quorum.RoleLeading:
		return "leader", "leading - broadcast"
	}
	return "follower", "following - broadcast"
}

// confFigures is conf's configuration. Members talk in process or over
// the engine's own links, not on ZooKeeper's quorum and election ports:
// those print as 0.
func (e *Ensemble) confFigures(id uint64, local net.Addr) fourletter.Conf {
	c := e.cfg
	snapDir, logDir := e.versionDirs(id)
	out := fourletter.Conf{DataDir: absPath(snapDir), DataLogDir: absPath(logDir), TickTimeMs: c.TickTime.Milliseconds(),
		MaxClientCnxns: c.MaxClientCnxns, MinSessionTimeout: c.MinSessionTimeout.Milliseconds(),
		MaxSessionTimeout: c.MaxSessionTimeout.Milliseconds(), InitLimit: c.InitLimit, SyncLimit: c.SyncLimit}
	if int(id) > c.Servers {
		out.PeerType = 1
	}
	host, port := splitAddr(local)
	out.ClientPort = port
	addrs := e.ports.addrs()
	for _, mid := range e.Members() {
		mh, mp := host, 0
		if a, ok := addrs[mid]; ok {
			mh, mp = splitAddr(a)
		}
		out.Members = append(out.Members, fourletter.Member{ID: mid, Host: mh, Observer: int(mid) > c.Servers,
			ClientHost: mh, ClientPort: mp})
	}
	return out
}

func (e *Ensemble) versionDirs(id uint64) (snapDir, logDir string) {
	dataDir, dataLogDir := e.cfg.MemberDirs(id)
	if dataLogDir == "" {
		dataLogDir = dataDir
	}
	return filepath.Join(dataDir, "version-2"), filepath.Join(dataLogDir, "version-2")
}

// dirSize is the bytes of the files in dir (ZooKeeperServer.getDirSize).
func (e *Ensemble) dirSize(id uint64, dir string) int64 {
	names, err := e.fs[id].ReadDir(dir)
	if err != nil {
		return 0
	}
	var n int64
	for _, name := range names {
		if fi, err := e.fs[id].Stat(filepath.Join(dir, name)); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func splitAddr(a net.Addr) (string, int) {
	if a == nil {
		return "", 0
	}
	h, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), 0
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

// fileDescriptors returns the process's open descriptors and its limit
// (OSMXBean's open and max file descriptor counts).
func fileDescriptors() (open, limit int64) {
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		open = int64(len(fds))
	}
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		limit = int64(rl.Cur)
	}
	return open, limit
}

// environment is envi's list after zookeeper.version
// (org.apache.zookeeper.Environment). There is no Java here: the java.*
// properties print "<NA>", as ZooKeeper prints a property that is not
// set, and os.memory.* are the Go runtime's heap figures.
func environment() []fourletter.Entry {
	na := "<NA>"
	host, err := os.Hostname()
	if err != nil {
		host = na
	}
	name, home := na, na
	if u, err := user.Current(); err == nil {
		name, home = u.Username, u.HomeDir
	}
	wd, err := os.Getwd()
	if err != nil {
		wd = na
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mb := func(n uint64) string { return strconv.FormatUint(n>>20, 10) + "MB" }
	pairs := [][2]string{{"host.name", host}, {"java.version", na}, {"java.vendor", na}, {"java.home", na},
		{"java.class.path", na}, {"java.library.path", na}, {"java.io.tmpdir", os.TempDir()}, {"java.compiler", na},
		{"os.name", osName()}, {"os.arch", runtime.GOARCH}, {"os.version", osVersion()},
		{"user.name", name}, {"user.home", home}, {"user.dir", wd},
		{"os.memory.free", mb(ms.HeapIdle)}, {"os.memory.max", mb(ms.Sys)}, {"os.memory.total", mb(ms.HeapSys)}}
	out := make([]fourletter.Entry, len(pairs))
	for i, p := range pairs {
		out[i] = fourletter.Entry{Key: p[0], Value: p[1]}
	}
	return out
}

func osName() string {
	if runtime.GOOS == "" {
		return "<NA>"
	}
	return strings.ToUpper(runtime.GOOS[:1]) + runtime.GOOS[1:]
}

// osVersion is the kernel release (uname -r), as Java's os.version.
func osVersion() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "<NA>"
	}
	return strings.TrimSpace(string(b))
}

// lastOpNames are the short names FinalRequestProcessor gives a
// connection's last operation (cons' lop).
var lastOpNames = map[int32]string{
	jute.OpPing: "PING", jute.OpCreateSession: "SESS", jute.OpMulti: "MULT", jute.OpMultiRead: "MLTR",
	jute.OpCreate: "CREA", jute.OpCreate2: "CREA", jute.OpCreateTTL: "CREA", jute.OpCreateContainer: "CREA",
	jute.OpDelete: "DELE", jute.OpDeleteContainer: "DELE", jute.OpSetData: "SETD", jute.OpReconfig: "RECO",
	jute.OpSetACL: "SETA", jute.OpCloseSession: "CLOS", jute.OpSync: "SYNC", jute.OpCheck: "CHEC",
	jute.OpExists: "EXIS", jute.OpGetData: "GETD", jute.OpSetWatches: "SETW", jute.OpGetACL: "GETA",
	jute.OpGetChildren: "GETC", jute.OpGetChildren2: "GETC",
}

func lastOpName(op int32) string {
	if s, ok := lastOpNames[op]; ok {
		return s
	}
	return "NA"
}
