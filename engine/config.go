package engine

import (
	"errors"
	"fmt"
	"math"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/fourletter"
	"zkbench/engine/persist"
	"zkbench/engine/txnlog"
)

// ErrConfig wraps every configuration error Start reports.
var ErrConfig = errors.New("engine: invalid config")

// Transport names.
const (
	TransportInProc = "inproc" // channels between goroutines, optional latency and jitter
	TransportTCP    = "tcp"    // real loopback sockets
)

// Config is an ensemble's configuration: the zoo.cfg and system-property
// knobs of ZooKeeper 3.8 that change what the disks and the network see.
// Start from DefaultConfig: the zero value of a bool here is a choice, not
// "unset".
type Config struct {
	Servers   int // voting members (server.N lines), ids 1..Servers
	Observers int // observers, ids Servers+1..Servers+Observers

	// DataDir is the parent under which member N keeps its dataDir,
	// DataDir/serverN (myid, version-2/ snapshots and epoch files).
	DataDir string
	// DataLogDir, when set, is the parent of the members' dataLogDirs
	// (DataLogDir/serverN/version-2/ txn logs); empty keeps logs in dataDir.
	DataLogDir string
	// FS gives each member its file system; nil means the real one. Tests
	// give each member its own faultfs so that a crash loses only its
	// unsynced writes.
	FS func(member uint64) disk.FS

	PreAllocSize  int64             // zookeeper.preAllocSize, bytes
	PreallocMode  disk.PreallocMode // how a log file is extended
	SyncMethod    disk.SyncMethod   // how a group commit is made durable
	ForceSync     bool              // zookeeper.forceSync; false never syncs the log
	MaxBatchSize  int               // txns appended before a commit is forced (zookeeper.syncRequestProcessor.maxBatchSize)
	SnapCount     int               // zookeeper.snapCount
	SnapRandomize bool              // draw each threshold from [snapCount/2+1, snapCount]
	SnapSizeLimit int64             // zookeeper.snapSizeLimitInKb × 1024; 0 = no size trigger
	// SnapshotFsync fsyncs background snapshots (ZooKeeper does not).
	SnapshotFsync bool
	// CommitLogCount is the committed-proposal window a leader can DIFF from.
	CommitLogCount int
	// snapEncodeHook, when set (by tests), is called by the goroutine that
	// serializes a SNAP for learner before it walks the tree.
	snapEncodeHook func(leader, learner uint64)
	// SnapshotSizeFactor is zookeeper.snapshotSizeFactor: a learner older
	// than the window is DIFFed from the leader's txn log when the log
	// files after the one holding its zxid take at most this × the newest
	// snapshot's size on disk (0: any size); negative: never, SNAP.
	SnapshotSizeFactor float64
	// FsyncWarningThreshold is fsync.warningthresholdms.
	FsyncWarningThreshold time.Duration
	// SnapRetainCount and PurgeInterval are autopurge's; 0 interval = off.
	SnapRetainCount int
	PurgeInterval   time.Duration

	// ContainerCheckInterval is how often the leader deletes empty
	// containers and expired TTL nodes (znode.container.checkIntervalMs).
	ContainerCheckInterval time.Duration

	// ReconfigEnabled is zoo.cfg's reconfigEnabled (off by default, as in
	// 3.8): reconfig requests are checked as a 3.8 leader checks them and
	// committed on a quorum of the old and of the new voters; members then
	// take their new roles. Each configuration is written to each member's
	// dataDir as zoo.cfg.dynamic.<version> (a static one with the version
	// of the first epoch established). A server can be added once
	// Ensemble.AddMember runs it; adding one the ensemble does not run is
	// refused with ZUNIMPLEMENTED.
	ReconfigEnabled bool
	// SpareMembers are members started beside the configuration, ids
	// after the voters' and observers', each as Ensemble.AddMember starts
	// one: a following server without a vote, as a ZooKeeper server
	// started to join an ensemble, for a reconfig to add as a participant
	// or an observer. Needs ReconfigEnabled.
	SpareMembers int
	// SuperDigest is zookeeper.DigestAuthenticationProvider.superDigest,
	// "super:<base64 SHA-1>": a session that authenticates with the
	// matching "digest" credentials is the super user, whom no ACL stops.
	// Empty: no super user.
	SuperDigest string

	TickTime          time.Duration // zoo.cfg tickTime
	InitLimit         int           // in ticks
	SyncLimit         int           // in ticks
	MinSessionTimeout time.Duration // 0 = 2 × tickTime
	MaxSessionTimeout time.Duration // 0 = 20 × tickTime
	// MaxClientCnxns is maxClientCnxns: connections one address may hold
	// open on one member's client port; 0 = no limit.
	MaxClientCnxns int
	// FourLetterWords is 4lw.commands.whitelist: the four-letter words a
	// client port answers, comma separated, "*" for all; srvr always.
	FourLetterWords string
	// TickInterval is the resolution of every protocol timer (how often a
	// member's state machine is ticked); 0 = TickTime/20.
	TickInterval time.Duration

	Transport   string        // TransportInProc or TransportTCP
	PeerLatency time.Duration // in-process one-way delay of every peer frame
	PeerJitter  time.Duration // in-process extra uniform delay in [0, PeerJitter)

	// Seed makes snapshot thresholds, jitter and connection ids repeatable.
	Seed uint64
	// Events receives everything the ensemble reports; nil drops it.
	Events Sink
}

// DefaultConfig is ZooKeeper 3.8's defaults for a three-member ensemble,
// with the data under dataDir.
func DefaultConfig(dataDir string) Config {
	return Config{
		Servers:                3,
		DataDir:                dataDir,
		PreAllocSize:           txnlog.DefaultPreAllocSize,
		PreallocMode:           disk.PreallocZooKeeper,
		SyncMethod:             disk.SyncFdatasync,
		ForceSync:              true,
		MaxBatchSize:           txnlog.DefaultMaxBatchSize,
		SnapCount:              100000,
		SnapRandomize:          true,
		SnapSizeLimit:          4 << 30,
		CommitLogCount:         500,
		SnapshotSizeFactor:     0.33,
		FsyncWarningThreshold:  time.Second,
		SnapRetainCount:        persist.MinRetain,
		ContainerCheckInterval: time.Minute,
		TickTime:               2 * time.Second,
		InitLimit:              10,
		SyncLimit:              5,
		MaxClientCnxns:         60,
		FourLetterWords:        fourletter.DefaultWhitelist,
		Transport:              TransportInProc,
	}
}

// Validate reports the first knob of c that Start would refuse, without
// starting anything: a sweep checks every combination before its first
// run.
func (c Config) Validate() error { return c.validate() }

func (c *Config) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	switch {
	case c.Servers < 1:
		return bad("servers %d: need at least 1", c.Servers)
	case c.Observers < 0:
		return bad("observers %d", c.Observers)
	case c.SpareMembers < 0:
		return bad("spareMembers %d", c.SpareMembers)
	case c.SpareMembers > 0 && !c.ReconfigEnabled:
		return bad("spareMembers %d: only a reconfig can add them, and reconfigEnabled is off", c.SpareMembers)
	case c.Servers+c.Observers+c.SpareMembers > 64:
		return bad("%d members: at most 64", c.Servers+c.Observers+c.SpareMembers)
	case c.DataDir == "":
		return bad("no dataDir")
	case c.SnapCount < persist.MinSnapCount:
		return bad("snapCount %d: at least %d", c.SnapCount, persist.MinSnapCount)
	case c.SnapshotSizeFactor > 1 || math.IsNaN(c.SnapshotSizeFactor):
		// ZooKeeper warns and takes 0.33 instead; we refuse.
		return bad("snapshotSizeFactor %v: at most 1 (negative: no DIFF from the txn log)", c.SnapshotSizeFactor)
	case c.SnapSizeLimit < 0:
		return bad("snapSizeLimit %d", c.SnapSizeLimit)
	case c.MaxBatchSize < 0:
		return bad("maxBatchSize %d", c.MaxBatchSize)
	case c.TickTime < 2*time.Millisecond || c.TickTime > math.MaxInt32*time.Millisecond:
		return bad("tickTime %v", c.TickTime)
	case c.InitLimit < 1 || c.SyncLimit < 1:
		return bad("initLimit %d, syncLimit %d: both at least 1", c.InitLimit, c.SyncLimit)
	case c.Transport != TransportInProc && c.Transport != TransportTCP:
		return bad("transport %q: %s or %s", c.Transport, TransportInProc, TransportTCP)
	case c.Transport == TransportTCP && (c.PeerLatency != 0 || c.PeerJitter != 0):
		return bad("peer latency and jitter need the %s transport", TransportInProc)
	case c.MaxClientCnxns < 0:
		return bad("maxClientCnxns %d: 0 (no limit) or more", c.MaxClientCnxns)
	case c.SnapRetainCount != 0 && c.SnapRetainCount < persist.MinRetain:
		return bad("snapRetainCount %d: at least %d", c.SnapRetainCount, persist.MinRetain)
	}
	if c.TickInterval <= 0 {
		c.TickInterval = max(time.Millisecond, c.TickTime/20)
	}
	if c.TickInterval > c.TickTime/2 {
		return bad("tick interval %v above half the tickTime %v", c.TickInterval, c.TickTime)
	}
	if c.MinSessionTimeout == 0 {
		c.MinSessionTimeout = 2 * c.TickTime
	}
	if c.MaxSessionTimeout == 0 {
		c.MaxSessionTimeout = 20 * c.TickTime
	}
	if c.MinSessionTimeout > c.MaxSessionTimeout {
		return bad("minSessionTimeout %v above maxSessionTimeout %v", c.MinSessionTimeout, c.MaxSessionTimeout)
	}
	if c.ContainerCheckInterval <= 0 {
		c.ContainerCheckInterval = time.Minute
	}
	if c.SnapRetainCount == 0 {
		c.SnapRetainCount = persist.MinRetain
	}
	return nil
}

// clampSessionTimeout is the session timeout (ms) a member grants a client
// that asks for ms: ZooKeeper clamps it into [min, max]SessionTimeout.
func (c *Config) clampSessionTimeout(ms int32) int32 {
	return max(int32(c.MinSessionTimeout.Milliseconds()), min(ms, int32(c.MaxSessionTimeout.Milliseconds())))
}

// Knobs returns every effective setting flat, under the names
// result-schema.md's config object uses.
func (c Config) Knobs() map[string]any {
	return map[string]any{
		"servers": c.Servers, "observers": c.Observers,
		"dataDir": c.DataDir, "dataLogDir": c.DataLogDir,
		"preAllocSize": c.PreAllocSize, "preallocMode": c.PreallocMode.String(),
		"syncMethod": c.SyncMethod.String(), "forceSync": c.ForceSync,
		"maxBatchSize": c.MaxBatchSize,
		"snapCount":    c.SnapCount, "snapRandomize": c.SnapRandomize,
		"snapSizeLimit": c.SnapSizeLimit, "snapshotFsync": c.SnapshotFsync,
		"commitLogCount":          c.CommitLogCount,
		"snapshotSizeFactor":      c.SnapshotSizeFactor,
		"fsyncWarningThresholdMs": c.FsyncWarningThreshold.Milliseconds(),
		"snapRetainCount":         c.SnapRetainCount, "purgeIntervalS": c.PurgeInterval.Seconds(),
		"tickTimeMs": c.TickTime.Milliseconds(), "initLimit": c.InitLimit, "syncLimit": c.SyncLimit,
		"minSessionTimeoutMs":      c.MinSessionTimeout.Milliseconds(),
		"maxSessionTimeoutMs":      c.MaxSessionTimeout.Milliseconds(),
		"containerCheckIntervalMs": c.ContainerCheckInterval.Milliseconds(),
		"transport":                c.Transport,
		"maxClientCnxns":           c.MaxClientCnxns,
		"4lw.commands.whitelist":   c.FourLetterWords,
		"reconfigEnabled":          c.ReconfigEnabled,
		"spareMembers":             c.SpareMembers,
		"peerLatencyUs":            c.PeerLatency.Microseconds(), "peerJitterUs": c.PeerJitter.Microseconds(),
	}
}

// MemberDirs returns member id's dataDir and dataLogDir (empty: logs in
// dataDir), as Start lays them out under DataDir and DataLogDir.
func (c Config) MemberDirs(id uint64) (dataDir, dataLogDir string) { return memberDirs(&c, id) }

// ids returns the voters' and observers' server ids.
func (c *Config) ids() (voters, observers []uint64) {
	for i := 1; i <= c.Servers; i++ {
		voters = append(voters, uint64(i))
	}
	for i := c.Servers + 1; i <= c.Servers+c.Observers; i++ {
		observers = append(observers, uint64(i))
	}
	return voters, observers
}
