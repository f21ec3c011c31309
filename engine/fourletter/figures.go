package fourletter

import (
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// Figures is one member's state as the words report it. The engine fills
// it in for each word asked; what a field means is ZooKeeper's.
type Figures struct {
	Serving   bool
	Mode      string // ServerStats.getServerState: leader, follower, observer
	PeerState string // QuorumPeer.getDetailedPeerState: "leading - broadcast"
	ServerID  uint64
	Zxid      int64 // last processed

	Requests      Summary // every request answered, ms (ServerStats' latency)
	Reads         Summary // readlatency, ms
	Updates       Summary // updatelatency, ms
	Fsync         Summary // fsynctime: the txn log's syncs, ms
	Received      int64   // packets received (ServerStats.getPacketsReceived)
	Sent          int64   // packets sent
	Outstanding   int64   // requests received and not yet answered
	ResponseSizes Sizes   // client responses, bytes
	AuthFailed    int64

	Conns []Conn

	Nodes          int
	DataSize       int64 // DataTree.cachedApproximateDataSize
	Watches        int   // data plus child watch registrations
	Ephemerals     int
	GlobalSessions int
	DataWatches    []Watch // the data-watch table, for wchs, wchc and wchp

	UptimeMs   int64
	OpenFDs    int64
	MaxFDs     int64
	QuorumSize int // voting members

	// Leader only.
	Leader *LeaderFigures
	// Observer only: the member it follows.
	ObserverMasterID uint64

	Conf Conf
	Env  []Entry

	DataDirSize, LogDirSize int64 // bytes of files in the snapshot and log folders
}

// LeaderFigures are what only a leader reports.
type LeaderFigures struct {
	Learners          int // learner connections
	SyncedFollowers   int // followers done syncing (forwarding followers)
	SyncedNonVoting   int
	SyncedObservers   int
	PendingSyncs      int
	UptimeMs          int64 // since it began to lead
	Proposals         Sizes // proposal sizes, bytes
	ProposalsMeasured bool
}

// Summary is ZooKeeper's AvgMinMaxCounter (or, with percentiles, its
// AvgMinMaxPercentileCounter): values in its unit, whole numbers.
type Summary struct {
	Count, Sum, Min, Max int64
	// Percentiles p50, p95, p99, p999 when the summary has them.
	P50, P95, P99, P999 int64
	HasPercentiles      bool
}

// Add records one value.
func (s *Summary) Add(v int64) {
	if s.Count == 0 || v < s.Min {
		s.Min = v
	}
	if s.Count == 0 || v > s.Max {
		s.Max = v
	}
	s.Count++
	s.Sum += v
}

// Merge adds o's values to s.
func (s *Summary) Merge(o Summary) {
	if o.Count == 0 {
		return
	}
	if s.Count == 0 || o.Min < s.Min {
		s.Min = o.Min
	}
	if s.Count == 0 || o.Max > s.Max {
		s.Max = o.Max
	}
	s.Count += o.Count
	s.Sum += o.Sum
}

// Avg is the mean rounded to four decimals, half up (AvgMinMaxCounter.getAvg).
func (s Summary) Avg() float64 {
	if s.Count == 0 {
		return 0
	}
	return math.Round(float64(s.Sum)/float64(s.Count)*1e4) / 1e4
}

// Sizes is ZooKeeper's BufferStats: the last, smallest and largest size
// seen, -1 before the first.
type Sizes struct{ Last, Min, Max int64 }

// NoSizes is BufferStats before its first value.
var NoSizes = Sizes{-1, -1, -1}

// Add records one size.
func (s *Sizes) Add(n int64) {
	s.Last = n
	if s.Min < 0 || n < s.Min {
		s.Min = n
	}
	if n > s.Max {
		s.Max = n
	}
}

// Merge takes o's smallest and largest into s (Last stays s's).
func (s *Sizes) Merge(o Sizes) {
	if o.Min >= 0 && (s.Min < 0 || o.Min < s.Min) {
		s.Min = o.Min
	}
	s.Max = max(s.Max, o.Max)
}

// Conn is one client connection (ServerCnxn.dumpConnectionInfo).
type Conn struct {
	Remote      string // host:port
	Outstanding int64
	Received    int64
	Sent        int64
	// With a session:
	SessionID   int64
	LastOp      string // NONE, GETD, SETD, … (Request.op2String's short names)
	Established int64  // ms since the epoch
	TimeoutMs   int32
	LastCxid    int64 // -1 before the first
	LastZxid    int64
	LastRespMs  int64 // ms since the epoch
	Latency     Summary
	LastLatency int64
}

// Watch is one path of the data-watch table and the sessions watching it.
type Watch struct {
	Path     string
	Sessions []int64
}

// Conf is what conf prints.
type Conf struct {
	ClientPort        int
	DataDir           string // the snapshot folder, …/version-2
	DataLogDir        string
	TickTimeMs        int64
	MaxClientCnxns    int
	MinSessionTimeout int64 // ms
	MaxSessionTimeout int64
	InitLimit         int
	SyncLimit         int
	PeerType          int // 0 participant, 1 observer
	Members           []Member
}

// Member is one server.N line of conf's membership.
type Member struct {
	ID         uint64
	Host       string
	QuorumPort int
	ElectPort  int
	Observer   bool
	ClientHost string
	ClientPort int
}

// Entry is one envi line.
type Entry struct{ Key, Value string }

// Version is what every word says of the server's version: ZooKeeper
// 3.8's protocol level (clients such as kazoo parse the numbers), then
// the build that speaks it.
func Version() string { return versionOnce() }

var versionOnce = sync.OnceValue(func() string {
	rev, at := "unknown", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(12, len(s.Value))]
			case "vcs.time":
				at = strings.Replace(strings.TrimSuffix(s.Value, "Z"), "T", " ", 1)
				at = at[:min(16, len(at))] + " UTC"
			}
		}
	}
	return "3.8.0-zkbench-" + rev + ", built on " + at
})

// javaDouble formats v as Java's Double.toString does for the values the
// words print: at least one decimal, "0.0" for zero, exponent form from
// 10^7.
func javaDouble(v float64) string {
	if v != 0 && (math.Abs(v) >= 1e7 || math.Abs(v) < 1e-3) {
		s := strconv.FormatFloat(v, 'E', -1, 64)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		e, _ := strconv.Atoi(exp)
		return mant + "E" + strconv.Itoa(e)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
