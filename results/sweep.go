package results

import (
	"strconv"
	"strings"
	"time"
)

// Sweep is a sweep folder's index: sweep.json, one entry per run folder
// of the cross product of the --vary values.
type Sweep struct {
	Schema         int       `json:"schema"`
	Kind           string    `json:"kind"` // "sweep"
	ZkbenchVersion string    `json:"zkbench_version"`
	Profile        string    `json:"profile"`
	Started        time.Time `json:"started"`
	// Vary are the varied keys in --vary order, the order a run's
	// label lists them in.
	Vary   []string `json:"vary"`
	Repeat int      `json:"repeat"`
	// Planned counts the runs the sweep set out to do; Runs lists the
	// complete ones, fewer when the sweep was interrupted.
	Planned int `json:"planned_runs"`
	// Interrupted says the sweep was stopped before its last run ended.
	Interrupted bool       `json:"interrupted"`
	Runs        []SweepRun `json:"runs"`
}

// SweepRun is one run of a sweep.
type SweepRun struct {
	// Dir is the run folder, relative to the sweep folder.
	Dir string `json:"dir"`
	// Values are the varied keys' values of this run, as given to --vary.
	Values map[string]string `json:"values"`
	// Repeat counts the runs of one combination from 1.
	Repeat int `json:"repeat"`
}

// Label names the run by its varied values in Vary order:
// "snapCount=5000 preAllocSize=64MiB", with "#2" for a repeat after the first.
func (s *Sweep) Label(r SweepRun) string {
	parts := make([]string, 0, len(s.Vary)+1)
	for _, k := range s.Vary {
		parts = append(parts, k+"="+r.Values[k])
	}
	if r.Repeat > 1 {
		parts = append(parts, "#"+strconv.Itoa(r.Repeat))
	}
	return strings.Join(parts, " ")
}

// WriteFile writes s as indented JSON to path, replacing it. A zero
// Schema or Kind is written as the current one.
func (s *Sweep) WriteFile(path string) error {
	if s.Schema == 0 {
		s.Schema = Schema
	}
	if s.Kind == "" {
		s.Kind = "sweep"
	}
	return writeJSON(path, s)
}

// ReadSweep reads a sweep.json. It refuses another schema version, and
// every error names the file.
func ReadSweep(path string) (*Sweep, error) { return readFile[Sweep](path) }
