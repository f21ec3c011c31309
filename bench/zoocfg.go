package bench

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"zkbench/engine"
	"zkbench/zoocfg"
)

// zooKey is a zoo.cfg key the plan models: the plan key it sets and how
// ZooKeeper reads its value, turned into the plan's spelling.
type zooKey struct {
	zoo, key string
	value    func(v string, notes *[]string) (string, error)
}

// zooKeys are the zoo.cfg keys a plan takes, in ZooKeeper's names and
// units (preAllocSize and snapSizeLimitInKb in KiB, tickTime in ms,
// autopurge.purgeInterval in hours).
var zooKeys = []zooKey{
	{"dataDir", "dataDir", text},
	{"dataLogDir", "dataLogDir", text},
	{"tickTime", "tickTime", millis},
	{"initLimit", "initLimit", whole},
	{"syncLimit", "syncLimit", whole},
	{"snapCount", "snapCount", whole},
	{"preAllocSize", "preAllocSize", kib},
	{"snapSizeLimitInKb", "snapSizeLimit", kibOrOff},
	{"forceSync", "forceSync", yesNo},
	{"maxBatchSize", "maxBatchSize", whole},
	{"commitLogCount", "commitLogCount", whole},
	{"autopurge.snapRetainCount", "snapRetainCount", retain},
	{"autopurge.purgeInterval", "purgeInterval", hours},
	{"reconfigEnabled", "reconfigEnabled", javaBool},
}

// setZooCfg sets the ensemble from a ZooKeeper zoo.cfg: servers and
// observers from its server lines (or its dynamicConfigFile's), and the
// keys of zooKeys. A key the file leaves out takes ZooKeeper's default,
// since a zoo.cfg describes a whole server; only dataDir stays the
// plan's when the file has none. "" forgets the file without undoing it.
func (p *Plan) setZooCfg(path string) error {
	p.zooCfg, p.zooUnmodelled, p.zooNotes = "", nil, nil
	if path == "" {
		return nil
	}
	f, err := zoocfg.Load(path)
	if err != nil {
		return err
	}
	servers, err := zooServers(f)
	if err != nil {
		return err
	}
	var notes []string
	voters, observers := servers.Voters(), servers.Observers()
	if voters == 0 {
		voters = 1
		notes = append(notes, "no server lines: ZooKeeper runs it standalone, the plan one voting member")
	}
	p.engine.Servers, p.engine.Observers = voters, observers
	defaults := &Plan{engine: engine.DefaultConfig("")}
	for _, k := range zooKeys {
		prop, ok := f.Lookup(k.zoo)
		if !ok || prop.Value == "" {
			if k.key != "dataDir" {
				v := defaults.Value(k.key)
				if k.key == "dataLogDir" {
					v = "same"
				}
				if err := p.apply(k.key, v); err != nil {
					return err
				}
			}
			continue
		}
		v, err := k.value(prop.Value, &notes)
		if err == nil {
			err = p.apply(k.key, v)
		}
		if err != nil {
			return &zoocfg.Error{File: path, Line: prop.Line, Err: fmt.Errorf("%s=%s: %w", k.zoo, prop.Value, err)}
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	p.zooCfg, p.zooUnmodelled, p.zooNotes = abs, unmodelled(f), notes
	return nil
}

// zooServers is the file holding f's server lines: f, or the
// dynamicConfigFile it names (ZooKeeper 3.5+), read as ZooKeeper reads
// it (a relative path from the working directory).
func zooServers(f *zoocfg.File) (*zoocfg.File, error) {
	dyn, ok := f.Lookup("dynamicConfigFile")
	if !ok || dyn.Value == "" {
		return f, nil
	}
	if len(f.Servers) > 0 {
		return nil, &zoocfg.Error{File: f.Name, Line: f.Servers[0].Line,
			Err: errors.New("server lines beside dynamicConfigFile: ZooKeeper takes them from one place only")}
	}
	return zoocfg.Load(dyn.Value)
}

// unmodelled lists f's keys the plan has no knob for, sorted.
func unmodelled(f *zoocfg.File) []string {
	var keys []string
	for _, prop := range f.Props {
		if prop.Key == "dynamicConfigFile" || slices.ContainsFunc(zooKeys, func(k zooKey) bool { return k.zoo == prop.Key }) {
			continue
		}
		keys = append(keys, prop.Key)
	}
	slices.Sort(keys)
	return keys
}

// ZooCfgNotes are what the plan's zoo.cfg (zooCfg) holds that the plan
// does not take as it stands: one line listing the keys zkbench does not
// model, then one per value read differently than written. None without
// a zoo.cfg.
func (p *Plan) ZooCfgNotes() []string {
	if p.zooCfg == "" {
		return nil
	}
	var lines []string
	if len(p.zooUnmodelled) > 0 {
		lines = append(lines, fmt.Sprintf("%s: not modelled, so not applied: %s", p.zooCfg, strings.Join(p.zooUnmodelled, ", ")))
	}
	for _, n := range p.zooNotes {
		lines = append(lines, p.zooCfg+": "+n)
	}
	return lines
}

func text(v string, _ *[]string) (string, error) { return v, nil }

func whole(v string, _ *[]string) (string, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return "", fmt.Errorf("not a whole number")
	}
	return strconv.Itoa(n), nil
}

func millis(v string, notes *[]string) (string, error) {
	n, err := whole(v, notes)
	return n + "ms", err
}

func hours(v string, _ *[]string) (string, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return "", fmt.Errorf("not a whole number of hours")
	}
	return strconv.Itoa(max(n, 0)) + "h", nil // ZooKeeper: 0 or less is off
}

func kib(v string, _ *[]string) (string, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1<<43 {
		return "", fmt.Errorf("not a size in KiB")
	}
	return strconv.FormatInt(n*1024, 10), nil
}

// kibOrOff: snapSizeLimitInKb of 0 or less turns the size trigger off.
func kibOrOff(v string, notes *[]string) (string, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n < 0 {
		return "0", nil
	}
	return kib(v, notes)
}

// yesNo reads forceSync as ZooKeeper does: everything but "no" syncs.
func yesNo(v string, notes *[]string) (string, error) {
	switch v {
	case "no":
		return "false", nil
	case "yes":
	default:
		*notes = append(*notes, fmt.Sprintf("forceSync=%s: ZooKeeper syncs unless the value is exactly \"no\", and so does the plan", v))
	}
	return "true", nil
}

// javaBool is QuorumPeerConfig.parseBoolean: "true" or "false" in any
// case; ZooKeeper refuses anything else ("Invalid option").
func javaBool(v string, _ *[]string) (string, error) {
	switch {
	case strings.EqualFold(v, "true"):
		return "true", nil
	case strings.EqualFold(v, "false"):
		return "false", nil
	}
	return "", errors.New("not true or false")
}

// retain reads autopurge.snapRetainCount as ZooKeeper does: below 3 it
// keeps 3.
func retain(v string, notes *[]string) (string, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return "", fmt.Errorf("not a whole number")
	}
	if n < 3 {
		*notes = append(*notes, fmt.Sprintf("autopurge.snapRetainCount=%d: ZooKeeper keeps 3 at least, and so does the plan", n))
		n = 3
	}
	return strconv.Itoa(n), nil
}
