package results

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Config is every effective knob of a run, flat, under its profile key.
// The knobs result-schema.md names are fields; any other knob (a
// workload's own, a --set key=value) goes in Other and is written beside
// them in the same JSON object. The fields tagged ensemble are the
// embedded ensemble's: a run of a real one (Other["target"] zk://…) has
// them at zero, not measured.
type Config struct {
	Servers       int     `json:"servers" ensemble:"true"`
	Observers     int     `json:"observers" ensemble:"true"`
	DataDir       string  `json:"dataDir" ensemble:"true"`
	DataLogDir    string  `json:"dataLogDir" ensemble:"true"`
	PreAllocSize  int64   `json:"preAllocSize" ensemble:"true"`
	PreallocMode  string  `json:"preallocMode" ensemble:"true"`
	SnapCount     int     `json:"snapCount" ensemble:"true"`
	SnapRandomize bool    `json:"snapRandomize" ensemble:"true"`
	ForceSync     bool    `json:"forceSync" ensemble:"true"`
	MaxBatchSize  int     `json:"maxBatchSize" ensemble:"true"`
	Workload      string  `json:"workload"`
	Clients       int     `json:"clients"`
	Rate          float64 `json:"rate"`
	ValueSize     int     `json:"valueSize"`
	Keys          int     `json:"keys"`

	// Other holds the knobs without a field. A key that names a field is
	// ignored when writing: the field wins.
	Other map[string]any `json:"-"`
}

// configFields is the plain struct encoding/json handles for Config.
type configFields Config

// MarshalJSON writes the fields and Other as one flat object.
func (c Config) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(configFields(c))
	if err != nil || len(c.Other) == 0 {
		return b, err
	}
	var extra []byte
	for _, k := range slices.Sorted(maps.Keys(c.Other)) {
		if configKeyNames[k] {
			continue
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(c.Other[k])
		if err != nil {
			return nil, err
		}
		extra = append(append(append(append(extra, ','), kb...), ':'), vb...)
	}
	return append(append(b[:len(b)-1], extra...), '}'), nil
}

// UnmarshalJSON reads the named knobs into the fields and the rest into
// Other.
func (c *Config) UnmarshalJSON(b []byte) error {
	var f configFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	var all map[string]any
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	maps.DeleteFunc(all, func(k string, _ any) bool { return configKeyNames[k] })
	f.Other = nil
	if len(all) > 0 {
		f.Other = all
	}
	*c = Config(f)
	return nil
}

// Flat returns every knob, fields and Other, as key → value, the view a
// report table or a sweep's varied keys use. A real ensemble's run has
// no ensemble fields: zkbench neither set nor read that configuration,
// and their zeros would read as measured.
func (c Config) Flat() map[string]any {
	b, err := json.Marshal(c)
	if err != nil {
		// Only an Other value encoding/json cannot encode gets here; show
		// the fields rather than nothing.
		b, _ = json.Marshal(configFields(c))
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if target, _ := c.Other["target"].(string); IsExternalTarget(target) {
		for k := range ensembleKeyNames {
			delete(m, k)
		}
	}
	return m
}

// configKeyNames are the JSON names of Config's fields; ensembleKeyNames
// those of the fields tagged ensemble.
var configKeyNames, ensembleKeyNames = configKeys()

func configKeys() (all, ensemble map[string]bool) {
	t := reflect.TypeFor[configFields]()
	all, ensemble = make(map[string]bool, t.NumField()), map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		all[name] = true
		if f.Tag.Get("ensemble") == "true" {
			ensemble[name] = true
		}
	}
	return all, ensemble
}
