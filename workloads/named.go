package workloads

import (
	"maps"
	"slices"
)

// builtins are the named workloads: each sets the mix and whether the keys
// must exist first. Everything else stays as the spec had it.
var builtins = map[string]func(*Spec){
	"write": func(s *Spec) { s.named("write", Mix{OpSetData: 1}, true) },
	"read":  func(s *Spec) { s.named("read", Mix{OpGetData: 1}, true) },
	"mixed": func(s *Spec) { s.named("mixed", readWriteMix(s.ReadRatio), true) },
	// Each client creates nodes in its own folder and deletes the oldest
	// it made: the znode churn of locks, queues and leader election.
	"create-delete": func(s *Spec) { s.named("create-delete", Mix{OpCreate: 1, OpDelete: 1}, false) },
}

func (s *Spec) named(name string, m Mix, preload bool) {
	s.Workload, s.Mix, s.Preload = name, m, preload
}

func readWriteMix(readRatio float64) Mix {
	return Mix{OpGetData: readRatio, OpSetData: 1 - readRatio}
}

// Names lists the built-in workloads, sorted.
func Names() []string { return slices.Sorted(maps.Keys(builtins)) }

// Named returns Default with the named built-in workload. An unknown name
// is an error that lists the valid ones.
func Named(name string) (Spec, error) {
	s := Default()
	if err := s.Set("workload", name); err != nil {
		return Spec{}, err
	}
	return s, nil
}
