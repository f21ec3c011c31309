package workloads

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Spec is everything that defines a workload and how it is driven. Start
// from Default or Named and change it with Set, the way profiles and
// --set key=value do; Validate before use (NewDriver does).
type Spec struct {
	// Workload names what the spec started from: a built-in (Names), or
	// "custom" once the mix was set directly.
	Workload string
	Mix      Mix
	// ReadRatio is the getData share of the mixed workload; setting it
	// changes the mix only while Workload is "mixed".
	ReadRatio float64
	Values    ValueSizes
	Keys      int // how many keys the reads and setData ops spread over
	KeyDist   KeyDist
	Depth     int    // levels below root/keys the keys sit at; 1: all in one folder
	Root      string // the znode everything of the workload lives under
	// Preload creates every key, with a value, before the clock starts.
	Preload   bool
	MultiSize int // setData ops in one multi

	// Ephemerals is a number of ephemeral znodes, owned by
	// EphemeralSessions sessions of their own, that live through the run:
	// a service-discovery tree (ephemerals.go). Every EphemeralChurn of
	// the measured phase (0: never) one owner session ends, its znodes
	// going in one write, and a new one registers them again.
	Ephemerals        int
	EphemeralSessions int
	EphemeralChurn    time.Duration

	Clients int     // sessions, one goroutine each
	Rate    float64 // ops/s over all clients: open loop; 0: closed loop
	Warmup  time.Duration
	// The measured phase ends after Duration or after Ops ops, whichever
	// comes first; 0 turns a limit off, and at least one must be on.
	Duration time.Duration
	Ops      int64
	Seed     uint64 // every random choice of the run follows from it
	// Cleanup deletes Root and everything under it after the run.
	Cleanup bool
}

// Limits that keep a mistyped number from exhausting memory.
const (
	maxKeys      = 10_000_000 // every key's path is kept in memory
	maxDepth     = 32
	maxClients   = 100_000
	maxMultiSize = 1000
	maxRate      = 1e9 // one op per nanosecond
)

// Custom is the Workload of a spec whose mix was set directly.
const Custom = "custom"

// Default is the spec of the defaults in cli.md: the mixed workload, 16
// closed-loop clients, 1 KiB values on 1000 keys, 5 s warm-up, 30 s.
func Default() Spec {
	s := Spec{
		ReadRatio:         0.9,
		Values:            ValueSizes{Min: 1024, Max: 1024},
		Keys:              1000,
		KeyDist:           KeyDist{Kind: UniformKeys},
		Depth:             1,
		Root:              "/zkbench",
		MultiSize:         3,
		EphemeralSessions: 10,
		Clients:           16,
		Warmup:            5 * time.Second,
		Duration:          30 * time.Second,
		Seed:              1,
		Cleanup:           true,
	}
	builtins["mixed"](&s)
	return s
}

// A setting is one key of Set: how to parse it into a Spec, the range
// check of the field it sets (shared with Validate), and its value for
// Knobs.
type setting struct {
	set   func(s *Spec, v string) error
	check func(s Spec) error
	value func(s Spec) any
}

var settings = map[string]setting{
	"workload": {
		set: func(s *Spec, v string) error {
			apply, ok := builtins[v]
			if !ok {
				return fmt.Errorf("unknown workload (want one of %s)", strings.Join(Names(), ", "))
			}
			apply(s)
			return nil
		},
		value: func(s Spec) any { return s.Workload },
	},
	"mix": {
		set: func(s *Spec, v string) (err error) {
			s.Mix, err = ParseMix(v)
			s.Workload = Custom
			return err
		},
		check: func(s Spec) error { return s.Mix.check() },
		value: func(s Spec) any { return s.Mix.String() },
	},
	"readRatio": {
		set: func(s *Spec, v string) (err error) {
			s.ReadRatio, err = parseFloat(v)
			if s.Workload == "mixed" {
				s.Mix = readWriteMix(s.ReadRatio)
			}
			return err
		},
		check: func(s Spec) error { return between(s.ReadRatio, 0, 1) },
		value: func(s Spec) any { return s.ReadRatio },
	},
	"valueSize": {
		set: func(s *Spec, v string) (err error) {
			s.Values, err = ParseValueSizes(v)
			return err
		},
		check: func(s Spec) error {
			if v := s.Values; v.Min < 0 || v.Min > v.Max || v.Max > MaxValueSize {
				return fmt.Errorf("sizes %d..%d: want 0 <= min <= max <= %d", v.Min, v.Max, MaxValueSize)
			}
			return nil
		},
		// result-schema.md's valueSize is one number: the mean.
		value: func(s Spec) any { return s.Values.Mean() },
	},
	"keys": {
		set:   func(s *Spec, v string) (err error) { s.Keys, err = strconv.Atoi(v); return err },
		check: func(s Spec) error { return between(s.Keys, 1, maxKeys) },
		value: func(s Spec) any { return s.Keys },
	},
	"keyDist": {
		set: func(s *Spec, v string) (err error) {
			s.KeyDist, err = ParseKeyDist(v)
			return err
		},
		check: func(s Spec) error {
			_, err := ParseKeyDist(s.KeyDist.String())
			return err
		},
		value: func(s Spec) any { return s.KeyDist.String() },
	},
	"depth": {
		set:   func(s *Spec, v string) (err error) { s.Depth, err = strconv.Atoi(v); return err },
		check: func(s Spec) error { return between(s.Depth, 1, maxDepth) },
		value: func(s Spec) any { return s.Depth },
	},
	"root": {
		set:   func(s *Spec, v string) error { s.Root = v; return nil },
		check: func(s Spec) error { return checkRoot(s.Root) },
		value: func(s Spec) any { return s.Root },
	},
	"preload": {
		set:   func(s *Spec, v string) (err error) { s.Preload, err = strconv.ParseBool(v); return err },
		value: func(s Spec) any { return s.Preload },
	},
	"multiSize": {
		set:   func(s *Spec, v string) (err error) { s.MultiSize, err = strconv.Atoi(v); return err },
		check: func(s Spec) error { return between(s.MultiSize, 1, maxMultiSize) },
		value: func(s Spec) any { return s.MultiSize },
	},
	"ephemerals": {
		set:   func(s *Spec, v string) (err error) { s.Ephemerals, err = strconv.Atoi(v); return err },
		check: func(s Spec) error { return between(s.Ephemerals, 0, maxKeys) },
		value: func(s Spec) any { return s.Ephemerals },
	},
	"ephemeralSessions": {
		set:   func(s *Spec, v string) (err error) { s.EphemeralSessions, err = strconv.Atoi(v); return err },
		check: func(s Spec) error { return between(s.EphemeralSessions, 1, maxClients) },
		value: func(s Spec) any { return s.EphemeralSessions },
	},
	"ephemeralChurn": {
		set:   func(s *Spec, v string) (err error) { s.EphemeralChurn, err = time.ParseDuration(v); return err },
		check: func(s Spec) error { return atLeast(s.EphemeralChurn, 0) },
		value: func(s Spec) any { return s.EphemeralChurn.String() },
	},
	"clients": {
		set:   func(s *Spec, v string) (err error) { s.Clients, err = strconv.Atoi(v); return err },
		check: func(s Spec) error { return between(s.Clients, 1, maxClients) },
		value: func(s Spec) any { return s.Clients },
	},
	"rate": {
		set:   func(s *Spec, v string) (err error) { s.Rate, err = parseFloat(v); return err },
		check: func(s Spec) error { return between(s.Rate, 0, maxRate) },
		value: func(s Spec) any { return s.Rate },
	},
	"warmup": {
		set:   func(s *Spec, v string) (err error) { s.Warmup, err = time.ParseDuration(v); return err },
		check: func(s Spec) error { return atLeast(s.Warmup, 0) },
		value: func(s Spec) any { return s.Warmup.String() },
	},
	"duration": {
		set:   func(s *Spec, v string) (err error) { s.Duration, err = time.ParseDuration(v); return err },
		check: func(s Spec) error { return atLeast(s.Duration, 0) },
		value: func(s Spec) any { return s.Duration.String() },
	},
	"ops": {
		set:   func(s *Spec, v string) (err error) { s.Ops, err = strconv.ParseInt(v, 10, 64); return err },
		check: func(s Spec) error { return atLeast(s.Ops, 0) },
		value: func(s Spec) any { return s.Ops },
	},
	"seed": {
		set:   func(s *Spec, v string) (err error) { s.Seed, err = strconv.ParseUint(v, 10, 64); return err },
		value: func(s Spec) any { return s.Seed },
	},
	"cleanup": {
		set:   func(s *Spec, v string) (err error) { s.Cleanup, err = strconv.ParseBool(v); return err },
		value: func(s Spec) any { return s.Cleanup },
	},
}

// Keys lists the keys Set accepts, sorted.
func Keys() []string { return slices.Sorted(maps.Keys(settings)) }

// Set sets one key from its text, as a profile line or --set key=value
// gives it. Keys are matched without regard to case. On error s is
// unchanged and the error, one line, names the key and the value.
// Setting "workload" replaces the mix and preload with the named
// workload's, so it belongs before the keys that refine it.
func (s *Spec) Set(key, value string) error {
	name, st, ok := lookup(key)
	if !ok {
		return fmt.Errorf("unknown workload key %q (known: %s)", key, strings.Join(Keys(), ", "))
	}
	next := *s
	err := st.set(&next, strings.TrimSpace(value))
	if err == nil && st.check != nil {
		err = st.check(next)
	}
	if err != nil {
		return fmt.Errorf("%s %q: %w", name, value, unwrapNum(err))
	}
	*s = next
	return nil
}

func lookup(key string) (string, setting, bool) {
	for name, st := range settings {
		if strings.EqualFold(name, key) {
			return name, st, true
		}
	}
	return "", setting{}, false
}

// Validate checks every field and how they fit together. The error, one
// line, names the key at fault.
func (s Spec) Validate() error {
	for _, name := range Keys() {
		if st := settings[name]; st.check != nil {
			if err := st.check(s); err != nil {
				return fmt.Errorf("%s %v: %w", name, st.value(s), err)
			}
		}
	}
	if s.Duration == 0 && s.Ops == 0 {
		return errors.New("duration 0s: the run needs a duration or an op count (ops) to end")
	}
	return nil
}

// Knobs returns every setting under its Set key, with the value types
// result.json's config object uses: numbers as numbers, durations as
// text ("30s"), valueSize as the mean size, plus valueSizes with the
// distribution as Set reads it.
func (s Spec) Knobs() map[string]any {
	k := make(map[string]any, len(settings)+1)
	for name, st := range settings {
		k[name] = st.value(s)
	}
	k["valueSizes"] = s.Values.String()
	return k
}

func parseFloat(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
		err = errors.New("not a finite number")
	}
	return f, err
}

// unwrapNum turns strconv's `strconv.Atoi: parsing "x": invalid syntax`,
// which repeats the value Set already names, into "invalid syntax".
func unwrapNum(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
}

type number interface {
	int | int64 | float64 | time.Duration
}

func between[T number](v, lo, hi T) error {
	if v < lo || v > hi {
		return fmt.Errorf("want %v..%v", lo, hi)
	}
	return nil
}

func atLeast[T number](v, lo T) error {
	if v < lo {
		return fmt.Errorf("want at least %v", lo)
	}
	return nil
}

// checkRoot accepts what ZooKeeper accepts as a node path (PathUtils
// .validatePath), except "/" itself: cleanup deletes the root.
func checkRoot(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return errors.New("want an absolute znode path such as /zkbench")
	case p == "/":
		return errors.New("want a znode below /, which cleanup may delete")
	case strings.HasSuffix(p, "/"):
		return errors.New("path ends with /")
	}
	for _, part := range strings.Split(p[1:], "/") {
		switch {
		case part == "":
			return errors.New("path has an empty element")
		case part == "." || part == "..":
			return errors.New("path has a relative element")
		case strings.ContainsFunc(part, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return errors.New("path has a control character")
		}
	}
	return nil
}
