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
	target  string // "embedded" or zk://...
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
	case p.Embedded():
		return preloadSnapshot
	}
	return preloadMulti
}

// NewPlan starts a plan from profile p's settings. Sweep lines (vary)
// are not applied: see NewSweep.
func NewPlan(p *profiles.Profile) (*Plan, error) {
	plan := &Plan{profile: p.Name, target: "embedded", clientTransport: clientTCP,
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

// Check validates the plan as a whole, for what no single key can tell
// (a rate without clients, more observers than a config allows). Run,
// Serve and NewSweep check their plans; Check tells early.
func (p *Plan) Check() error {
	if err := p.spec.Validate(); err != nil {
		return err
	}
	if p.preload == preloadSnapshot && !p.Embedded() {
		return fmt.Errorf("preload=snapshot: a %s target can only be preloaded through its clients (preload=multi or create)", p.target)
	}
	if p.share.N > 1 && p.Embedded() {
		return fmt.Errorf("driver=%s: only a zk:// target is driven from several machines; the embedded ensemble lives in one", p.share)
	}
	if p.preloadFrom != "" && !p.Embedded() {
		return fmt.Errorf("preloadFrom=%s: a %s target's disks are not zkbench's to write; it starts the embedded ensemble from a snapshot", p.preloadFrom, p.target)
	}
	if err := p.checkFaults(); err != nil {
		return err
	}
	if p.Embedded() {
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
	"reconfigEnabled": boolKey(func(c *engine.Config, b bool) { c.ReconfigEnabled = b }),
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
	if v != "embedded" && !strings.HasPrefix(v, "zk://") {
		return fmt.Errorf("want embedded or zk://host:port[,host:port...]")
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
