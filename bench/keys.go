package bench

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"zkbench/bench/internal/faults"
	"zkbench/internal/size"
	"zkbench/internal/suggest"
	"zkbench/workloads"
)

// ErrUnknownKey means a key names no knob of a plan.
var ErrUnknownKey = errors.New("unknown key")

// runKeys are the plan's own knobs, neither the ensemble's nor the
// workload's.
var runKeys = []string{"dataDir", "dataLogDir", "target", "keepData", "clientTransport", "preloadFrom", "zooCfg", "driver", "barrierTimeout", "faults", "jvmHeap"}

// Keys lists every key a plan takes, sorted: the keys of profiles,
// --set and --vary.
func Keys() []string {
	keys := slices.Concat(runKeys, slices.Collect(maps.Keys(engineKeys)), workloads.Keys())
	slices.Sort(keys)
	return keys
}

// KnownKey reports whether key names a knob a plan takes. Keys are
// spelled exactly: result.json, sweep folders and reports name them so.
func KnownKey(key string) bool { return slices.Contains(Keys(), key) }

// CheckKey returns nil for a key a plan takes; otherwise an error that
// wraps ErrUnknownKey and suggests the key most likely meant:
// "snapcount: unknown key; did you mean snapCount?".
func CheckKey(key string) error {
	if KnownKey(key) {
		return nil
	}
	if s := suggest.Closest(key, Keys()); s != "" {
		return fmt.Errorf("%s: %w; did you mean %s?", key, ErrUnknownKey, s)
	}
	return fmt.Errorf("%s: %w (docs/profiles.md lists every key)", key, ErrUnknownKey)
}

// Value is key's value in the plan, written as Set takes it: "64MiB",
// "10s", "true". The empty string is a folder left to the run (dataDir,
// dataLogDir). Value panics on a key CheckKey refuses.
func (p *Plan) Value(key string) string {
	e := &p.engine
	switch key {
	case "dataDir":
		return p.dataDir
	case "dataLogDir":
		return p.logDir
	case "target":
		return p.target
	case "keepData":
		return strconv.FormatBool(p.keepData)
	case "clientTransport":
		return p.clientTransport
	case "preloadFrom":
		return p.preloadFrom
	case "zooCfg":
		return p.zooCfg
	case "driver":
		return p.share.String()
	case "barrierTimeout":
		return p.share.Timeout.String()
	case "purgeInterval":
		return e.PurgeInterval.String()
	case "faults":
		return faults.FormatList(p.faults)
	case "jvmHeap":
		return p.jvmHeap
	case "preAllocSize":
		return size.Format(e.PreAllocSize)
	case "snapSizeLimit":
		return size.Format(e.SnapSizeLimit)
	case "tickTime":
		return e.TickTime.String()
	case "peerLatency":
		return e.PeerLatency.String()
	case "peerJitter":
		return e.PeerJitter.String()
	case "valueSize":
		return p.spec.Values.String()
	case "superDigest":
		return e.SuperDigest
	}
	if v, ok := e.Knobs()[key]; ok {
		return fmt.Sprint(v)
	}
	v, ok := p.spec.Knobs()[key]
	if !ok {
		panic("bench: Value of unknown key " + key)
	}
	return fmt.Sprint(v)
}
