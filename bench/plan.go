package bench

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"zkbench/bench/internal/faults"
	"zkbench/engine"
	"zkbench/engine/disk"
	"zkbench/internal/size"
	"zkbench/profiles"
	"zkbench/results"
	"zkbench/workloads"
	"zkbench/zoocfg"
)

// Plan is one run, fully resolved: the ensemble's config, the
// workload's spec, and where things go. Every knob has a key (the names
// of result-schema.md's config and of workloads.Spec.Set) so that
// profiles, flags, --set and sweeps all set them the same way: a plan
// starts from a profile (NewPlan), takes keys in order (Set, the last
// value of a key wins) and is checked as a whole before it runs (Check).
type Plan struct {
	// Out is the folder the run writes its results into; empty means
	// DefaultOut(profile). It must be new or empty: a run never
	// overwrites a file.
	Out string

	profile string
	target  string // "embedded", "zookeeper[:ZK_HOME]" or zk://...
	// jvmHeap is the managed ZooKeeper servers' -Xmx.
	jvmHeap string
	// clientTransport is how the embedded target's sessions reach their
	// members: clientTCP or clientDirect.
	clientTransport string
	engine          engine.Config
	spec            workloads.Spec
	dataDir         string // parent given by the user, "" = a fresh temporary one
	logDir          string // parent for dataLogDirs, "" = in the dataDirs
	keepData        bool
	// staleNamed: the sweep this run is part of told already what
	// killed runs left, so the run does not repeat it.
	staleNamed bool
	// preload is how the keys are preloaded when the workload preloads:
	// preloadSnapshot, preloadMulti, preloadCreate, or "" for the
	// target's default.
	preload string
	// preloadFrom is a snapshot file every member starts from, the
	// workload's keys created beside its tree; "" for none.
	preloadFrom string
	// zooCfg is the absolute path of the zoo.cfg the plan took its
	// ensemble from, "" for none; zooUnmodelled are the keys of it the
	// plan has no knob for.
	zooCfg        string
	zooUnmodelled []string
	zooNotes      []string // values read otherwise than written
	// share is this run's part of a workload several drivers run at once
	// against one zk:// target (driver, barrierTimeout).
	share workloads.Share
	// faults is the fault schedule of the measured phase; nil for none.
	faults []faults.Spec
	// cnxnsSet: maxClientCnxns was set, so a run keeps it as it is
	// (runEngine).
	cnxnsSet bool
}

// defaultBarrierTimeout is how long the drivers of a shared workload
// wait for each other: long enough to start N commands by hand.
const defaultBarrierTimeout = time.Minute

// How a run's keys come into being before the clock starts.
const (
	// preloadSnapshot builds the tree in memory and writes it as every
	// member's starting database (engine.Initialize), which they restore:
	// the embedded target's default, seconds for a million znodes.
	preloadSnapshot = results.SetupSnapshot
	// preloadMulti creates the tree through the client path in multi
	// batches over all sessions: a zk:// target's default, ten times and
	// more the znodes/s of preloadCreate.
	preloadMulti = results.SetupMulti
	// preloadCreate creates every key through the client path, one create
	// per key and session at a time, as the workload's own creates go.
	preloadCreate = results.SetupCreate
	// preloadFromSnapshot starts every member from a user's snapshot
	// file (preloadFrom) and creates the workload's keys beside its tree
	// through the client path.
	preloadFromSnapshot = results.SetupFromSnapshot
)

// preloadMethod is how the run preloads its keys; "" when it does not.
func (p *Plan) preloadMethod() string {
	switch {
	case p.preloadFrom != "":
		return preloadFromSnapshot
	case !p.spec.Preload:
		return ""
	case p.preload != "":
		return p.preload
	case p.Embedded(), p.Managed():
		return preloadSnapshot
	}
	return preloadMulti
}

// NewPlan starts a plan from profile p's settings. Sweep lines (vary)
// are not applied: see NewSweep.
func NewPlan(p *profiles.Profile) (*Plan, error) {
	plan := &Plan{profile: p.Name, target: "embedded", clientTransport: clientTCP, jvmHeap: defaultJVMHeap,
		engine: engine.DefaultConfig(""), spec: workloads.Default(), share: wholeShare()}
	for _, s := range p.Settings {
		if err := plan.Set(s.Key, s.Value); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Where, err)
		}
	}
	return plan, nil
}

func wholeShare() workloads.Share {
	sh := workloads.Whole
	sh.Timeout = defaultBarrierTimeout
	return sh
}

// Embedded reports whether the plan starts its own ensemble, as opposed
// to measuring a real one at a zk:// target.
func (p *Plan) Embedded() bool { return p.target == "embedded" }

// Managed reports whether the plan starts real ZooKeeper servers of its
// own (target zookeeper[:ZK_HOME]).
func (p *Plan) Managed() bool { return results.IsManagedTarget(p.target) }

// zkHome is the ZooKeeper a managed target runs: "" for Debian's.
func (p *Plan) zkHome() string {
	_, home, _ := strings.Cut(p.target, ":")
	return home
}

// defaultJVMHeap is zkEnv.sh's ZK_SERVER_HEAP, the -Xmx zkServer.sh
// starts a server with.
const defaultJVMHeap = "1000m"

// Check validates the plan as a whole, for what no single key can tell
// (a rate without clients, more observers than a config allows). Run,
// Serve and NewSweep check their plans; Check tells early.
func (p *Plan) Check() error {
	if err := p.spec.Validate(); err != nil {
		return err
	}
	if p.preload == preloadSnapshot && !p.Embedded() && !p.Managed() {
		return fmt.Errorf("preload=snapshot: a %s target can only be preloaded through its clients (preload=multi or create)", p.target)
	}
	if p.share.N > 1 && (p.Embedded() || p.Managed()) {
		return fmt.Errorf("driver=%s: only a zk:// target is driven from several machines; a %s target lives in this one", p.share, p.target)
	}
	if p.preloadFrom != "" && !p.Embedded() && !p.Managed() {
		return fmt.Errorf("preloadFrom=%s: a %s target's disks are not zkbench's to write; it starts the embedded ensemble from a snapshot", p.preloadFrom, p.target)
	}
	if err := p.checkFaults(); err != nil {
		return err
	}
	if p.Managed() {
		if err := p.checkManaged(); err != nil {
			return err
		}
	}
	if p.Embedded() || p.Managed() {
		c := p.engine
		c.DataDir = "checked when the run starts" // the run picks the member folders
		if err := c.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// clone is a copy to vary: a sweep's runs each fill in their folders.
func (p *Plan) clone() *Plan {
	c := *p
	return &c
}

// Clone is a copy of the plan to vary and run on its own: a run fills
// in its folders, so each run of a search or sweep needs its own plan.
func (p *Plan) Clone() *Plan { return p.clone() }

// engineKeys are the ensemble's knobs; everything else is the workload's.
var engineKeys = map[string]func(c *engine.Config, v string) error{
	"servers":         intKey(func(c *engine.Config, n int) { c.Servers = n }),
	"observers":       intKey(func(c *engine.Config, n int) { c.Observers = n }),
	"preAllocSize":    sizeKey(func(c *engine.Config, n int64) { c.PreAllocSize = n }),
	"snapSizeLimit":   sizeKey(func(c *engine.Config, n int64) { c.SnapSizeLimit = n }),
	"snapCount":       intKey(func(c *engine.Config, n int) { c.SnapCount = n }),
	"maxBatchSize":    intKey(func(c *engine.Config, n int) { c.MaxBatchSize = n }),
	"commitLogCount":  intKey(func(c *engine.Config, n int) { c.CommitLogCount = n }),
	"snapRandomize":   boolKey(func(c *engine.Config, b bool) { c.SnapRandomize = b }),
	"forceSync":       boolKey(func(c *engine.Config, b bool) { c.ForceSync = b }),
	"snapshotFsync":   boolKey(func(c *engine.Config, b bool) { c.SnapshotFsync = b }),
	"tickTime":        durationKey(func(c *engine.Config, d time.Duration) { c.TickTime = d }),
	"peerLatency":     durationKey(func(c *engine.Config, d time.Duration) { c.PeerLatency = d }),
	"peerJitter":      durationKey(func(c *engine.Config, d time.Duration) { c.PeerJitter = d }),
	"initLimit":       intKey(func(c *engine.Config, n int) { c.InitLimit = n }),
	"snapRetainCount": intKey(func(c *engine.Config, n int) { c.SnapRetainCount = n }),
	"purgeInterval":   durationKey(func(c *engine.Config, d time.Duration) { c.PurgeInterval = d }),
	"syncLimit":       intKey(func(c *engine.Config, n int) { c.SyncLimit = n }),
	"maxClientCnxns":  intKey(func(c *engine.Config, n int) { c.MaxClientCnxns = n }),
	// ZooKeeper's own spelling: the words any client port answers.
	"4lw.commands.whitelist": func(c *engine.Config, v string) error { c.FourLetterWords = v; return nil },
	"reconfigEnabled":        boolKey(func(c *engine.Config, b bool) { c.ReconfigEnabled = b }),
	"spareMembers":           intKey(func(c *engine.Config, n int) { c.SpareMembers = n }),
	"superDigest": func(c *engine.Config, v string) error {
		if v != "" && !strings.Contains(v, ":") {
			return fmt.Errorf("%q: want user:base64(SHA-1(user:password)), as ZooKeeper's superDigest", v)
		}
		c.SuperDigest = v
		return nil
	},
	"preallocMode": func(c *engine.Config, v string) error {
		m, err := disk.ParsePreallocMode(v)
		c.PreallocMode = m
		return err
	},
	"syncMethod": func(c *engine.Config, v string) error {
		m, err := disk.ParseSyncMethod(v)
		c.SyncMethod = m
		return err
	},
	"transport": func(c *engine.Config, v string) error {
		if v != engine.TransportInProc && v != engine.TransportTCP {
			return fmt.Errorf("%q: want %s or %s", v, engine.TransportInProc, engine.TransportTCP)
		}
		c.Transport = v
		return nil
	},
	"snapshotSizeFactor": knob(func(v string) (float64, error) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f > 1 {
			return 0, fmt.Errorf("%q is not a number at most 1", v)
		}
		return f, nil
	}, func(c *engine.Config, f float64) { c.SnapshotSizeFactor = f }),
}

// How the embedded target's sessions reach their members. Through the
// client protocol by default: a session then costs what a real client's
// costs (a socket, jute frames, a server-side connection), so read-heavy
// figures are not those of a function call. direct is the engine's own
// API, the upper bound of what the ensemble itself can do.
const (
	clientTCP    = "tcp"
	clientDirect = "direct"
)

// Set applies one key = value; an error names both, or is
// ErrUnknownKey's with the key meant.
func (p *Plan) Set(key, value string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := p.apply(key, value); err != nil {
		var zerr *zoocfg.Error
		if errors.As(err, &zerr) {
			return err // it names the file and line already
		}
		return fmt.Errorf("%s=%s: %w", key, value, err)
	}
	return nil
}

func (p *Plan) apply(key, value string) error {
	switch key {
	case "dataDir":
		p.dataDir = value
		return nil
	case "dataLogDir":
		p.logDir = value
		if value == "same" {
			p.logDir = "" // the logs stay in the dataDirs
		}
		return nil
	case "target":
		return p.setTarget(value)
	case "jvmHeap":
		if !validHeap(value) {
			return fmt.Errorf("%q: want a -Xmx size such as 1000m or 2g", value)
		}
		p.jvmHeap = value
		return nil
	case "keepData":
		b, err := strconv.ParseBool(value)
		p.keepData = b
		return err
	case "preload":
		return p.setPreload(value)
	case "preloadFrom":
		p.preloadFrom = value
		return nil
	case "zooCfg":
		return p.setZooCfg(value)
	case "driver":
		sh, err := workloads.ParseShare(value)
		sh.Timeout = p.share.Timeout
		if err == nil {
			p.share = sh
		}
		return err
	case "barrierTimeout":
		d, err := time.ParseDuration(value)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a duration like 30s", value)
		}
		p.share.Timeout = d
		return nil
	case "faults":
		specs, err := faults.ParseList(value)
		if err != nil {
			return err
		}
		p.faults = specs
		return nil
	case "clientTransport":
		if value != clientTCP && value != clientDirect {
			return fmt.Errorf("%q: want %s or %s", value, clientTCP, clientDirect)
		}
		p.clientTransport = value
		return nil
	}
	if key == "maxClientCnxns" {
		p.cnxnsSet = true
	}
	if f, ok := engineKeys[key]; ok {
		return f(&p.engine, value)
	}
	return p.spec.Set(key, value)
}

// setPreload takes the workload's preload switch or a method, which
// implies it.
func (p *Plan) setPreload(v string) error {
	p.preload = ""
	switch v {
	case preloadSnapshot, preloadMulti, preloadCreate:
		p.preload, v = v, "true"
	default:
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("%q: want true, false, %s, %s or %s", v, preloadSnapshot, preloadMulti, preloadCreate)
		}
	}
	return p.spec.Set("preload", v)
}

func (p *Plan) setTarget(v string) error {
	if v != "embedded" && !strings.HasPrefix(v, "zk://") && !results.IsManagedTarget(v) {
		return fmt.Errorf("want embedded, zookeeper[:ZK_HOME] or zk://host:port[,host:port...]")
	}
	p.target = v
	return nil
}

// knob makes an engine knob of a parser and the field it sets.
func knob[T any](parse func(string) (T, error), set func(*engine.Config, T)) func(*engine.Config, string) error {
	return func(c *engine.Config, v string) error {
		x, err := parse(v)
		if err == nil {
			set(c, x)
		}
		return err
	}
}

func intKey(f func(*engine.Config, int)) func(*engine.Config, string) error {
	return knob(func(v string) (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("%q is not a whole number", v)
		}
		return n, nil
	}, f)
}

func sizeKey(f func(*engine.Config, int64)) func(*engine.Config, string) error {
	return knob(size.Parse, f)
}

func boolKey(f func(*engine.Config, bool)) func(*engine.Config, string) error {
	return knob(func(v string) (bool, error) {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("%q is not true or false", v)
		}
		return b, nil
	}, f)
}

func durationKey(f func(*engine.Config, time.Duration)) func(*engine.Config, string) error {
	return knob(func(v string) (time.Duration, error) {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not a duration like 30s", v)
		}
		return d, nil
	}, f)
}

// EnsembleKey reports whether key configures the embedded ensemble or
// its folders, as opposed to the workload or the target.
func EnsembleKey(key string) bool {
	_, ok := engineKeys[key]
	return ok || key == "dataDir" || key == "dataLogDir" || key == "zooCfg"
}

// jvmFixed are the embedded ensemble's knobs a real ZooKeeper has no
// setting for, with the value that is ZooKeeper's own behaviour: a
// managed target refuses any other.
var jvmFixed = []struct{ key, value, why string }{
	{"preallocMode", "zookeeper", "ZooKeeper extends its logs one way"},
	{"syncMethod", "fdatasync", "ZooKeeper syncs its log with FileChannel.force(false)"},
	{"snapRandomize", "true", "ZooKeeper always randomizes its snapshot thresholds"},
	{"snapshotFsync", "false", "ZooKeeper 3.8 does not fsync snapshots"},
	{"transport", "inproc", "real servers talk over loopback TCP"},
	{"peerLatency", "0s", "real servers talk over loopback TCP"},
	{"peerJitter", "0s", "real servers talk over loopback TCP"},
	{"clientTransport", "tcp", "real servers are reached through their client ports"},
	{"spareMembers", "0", "zkbench starts the plan's voters and observers as real servers, no others"},
}

// checkManaged refuses what real ZooKeeper servers cannot be made to do.
func (p *Plan) checkManaged() error {
	for _, f := range jvmFixed {
		if v := p.Value(f.key); v != f.value {
			return fmt.Errorf("%s=%s: not possible with target %s (%s)", f.key, v, p.target, f.why)
		}
	}
	if p.engine.PurgeInterval%time.Hour != 0 {
		return fmt.Errorf("purgeInterval %v: ZooKeeper takes whole hours", p.engine.PurgeInterval)
	}
	if p.engine.TickTime%time.Millisecond != 0 {
		return fmt.Errorf("tickTime=%v: ZooKeeper takes whole milliseconds", p.engine.TickTime)
	}
	if p.preloadFrom != "" {
		return fmt.Errorf("preloadFrom=%s: starts the embedded ensemble from a snapshot; not yet with target %s", p.preloadFrom, p.target)
	}
	return nil
}

// validHeap tells a -Xmx size: digits and an optional k, m or g.
func validHeap(v string) bool {
	n := strings.TrimRight(v, "kKmMgG")
	if len(v)-len(n) > 1 || n == "" {
		return false
	}
	_, err := strconv.ParseUint(n, 10, 64)
	return err == nil
}

// runSessions are the sessions a run opens besides its clients' (setup,
// preload, cleanup), a margin for maxClientCnxns.
const runSessions = 4

// sessionsPerMember is the most sessions of a run on one member: its
// clients are spread over the members round robin.
func (p *Plan) sessionsPerMember() int {
	members := max(p.engine.Servers+p.engine.Observers, 1)
	return (p.spec.Clients+members-1)/members + runSessions
}

// checkSessions refuses a run whose own sessions a member would refuse:
// maxClientCnxns set below what they need.
func (p *Plan) checkSessions() error {
	c := p.runEngine()
	if per := p.sessionsPerMember(); p.Embedded() && p.clientTransport == clientTCP && c.MaxClientCnxns > 0 && per > c.MaxClientCnxns {
		return fmt.Errorf("maxClientCnxns=%d: a member would refuse some of the run's %d sessions (all from this host, up to %d a member); set it to at least %d, or 0",
			c.MaxClientCnxns, p.spec.Clients, per, per)
	}
	return nil
}

// runEngine is the ensemble a run starts. A run's sessions all connect
// from this host, so ZooKeeper's limit per address (maxClientCnxns, 60)
// would refuse a large run's own clients: unless the key was set, a run
// raises it to what its sessions need (result.json records the value).
// Serve keeps the limit as configured: its clients are anyone's.
func (p *Plan) runEngine() engine.Config {
	c := p.engine
	if !p.cnxnsSet && c.MaxClientCnxns > 0 {
		c.MaxClientCnxns = max(c.MaxClientCnxns, p.sessionsPerMember())
	}
	return c
}
