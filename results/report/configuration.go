package report

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"zkbench/engine"
	"zkbench/results"
	"zkbench/workloads"
)

// runConfiguration ends a run's report: the knobs that differ from
// zkbench's defaults (or between the runs) first, every other knob folded
// away, then the run's provenance and machine.
func (p *page) runConfiguration(runs []*run) {
	s := p.section("Configuration")
	changed, same := configTables(runs, defaultKnobs())
	if len(changed.Rows) > 0 {
		s.heading("Differs from zkbench's defaults")
		if len(runs) > 1 {
			s.note("Highlighted: knobs that differ between the runs.")
		}
		s.table(changed)
	}
	s.fold(plural(len(same.Rows), "other knob")+", at zkbench's defaults", same)
	s.heading("Run and environment")
	s.table(environmentTable(runs))
}

// configTables has one row per knob and one column per run: changed has
// the knobs with a value other than the default in some run, with the
// default beside them, and same the rest. With several runs the knobs
// that differ between them are highlighted.
func configTables(runs []*run, defaults map[string]any) (changed, same *table) {
	changed = &table{Head: append([]string{"", "default"}, runLabels(runs)...)}
	same = &table{Head: append([]string{""}, runLabels(runs)...)}
	flats := make([]map[string]any, len(runs))
	keys := map[string]bool{}
	for i, r := range runs {
		flats[i] = r.res.Config.Flat()
		for k := range flats[i] {
			keys[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		def, known := defaults[k]
		row, differs, varies := []cell{text(k)}, !known, false
		for i := range runs {
			v := knob(flats[i][k])
			differs = differs || v != knob(def)
			varies = varies || v != knob(flats[0][k])
			row = append(row, text(v))
		}
		if varies {
			for i := range row {
				row[i].Class = "diff"
			}
		}
		if !differs {
			same.Rows = append(same.Rows, row)
			continue
		}
		d := missing() // none: dataDir's default is a fresh temporary folder
		if known && knob(def) != "" {
			d = text(knob(def))
		}
		changed.Rows = append(changed.Rows, slices.Insert(row, 1, d))
	}
	return changed, same
}

// defaultKnobs is the configuration of a run given neither a profile
// nor a flag, flat as Config.Flat gives a run's (numbers as JSON reads
// them): what a reader can take for granted.
func defaultKnobs() map[string]any {
	all := map[string]any{"target": "embedded", "clientTransport": "tcp"}
	maps.Copy(all, workloads.Default().Knobs())
	e := engine.DefaultConfig("")
	// Left at 0, the engine derives these from tickTime when it starts
	// (engine.Config's doc), and a run records what it derived.
	if e.MinSessionTimeout == 0 {
		e.MinSessionTimeout = 2 * e.TickTime
	}
	if e.MaxSessionTimeout == 0 {
		e.MaxSessionTimeout = 20 * e.TickTime
	}
	maps.Copy(all, e.Knobs())
	b, err := json.Marshal(all)
	var flat map[string]any
	if err == nil {
		err = json.Unmarshal(b, &flat)
	}
	if err != nil {
		panic("report: the default knobs do not encode: " + err.Error())
	}
	return flat
}

// environmentTable is where and when each run ran and on what.
func environmentTable(runs []*run) *table {
	t := &table{Head: append([]string{""}, runLabels(runs)...)}
	add := func(key string, value func(*results.Result) string) {
		row := []cell{text(key)}
		for _, r := range runs {
			row = append(row, text(value(r.res)))
		}
		t.Rows = append(t.Rows, row)
	}
	add("profile", func(r *results.Result) string { return r.Profile })
	add("started", func(r *results.Result) string { return r.Started.UTC().Format(time.RFC3339) })
	add("measured", func(r *results.Result) string { return formatFloat(r.DurationS) + " s" })
	add("zkbench", func(r *results.Result) string { return r.ZkbenchVersion })
	addMachine(t, runs)
	return t
}
