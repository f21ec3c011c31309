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
// them in the same JSON object.
type Config struct {
	Servers       int     `json:"servers"`
	Observers     int     `json:"observers"`
	DataDir       string  `json:"dataDir"`
	DataLogDir    string  `json:"dataLogDir"`
	PreAllocSize  int64   `json:"preAllocSize"`
	PreallocMode  string  `json:"preallocMode"`
	SnapCount     int     `json:"snapCount"`
	SnapRandomize bool    `json:"snapRandomize"`
	ForceSync     bool    `json:"forceSync"`
	MaxBatchSize  int     `json:"maxBatchSize"`
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
// report table or a sweep's varied keys use.
func (c Config) Flat() map[string]any {
	b, err := json.Marshal(c)
	if err != nil {
		// Only an Other value encoding/json cannot encode gets here; show
		// the fields rather than nothing.
		b, _ = json.Marshal(configFields(c))
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// configKeyNames are the JSON names of Config's fields.
var configKeyNames = configKeys()

func configKeys() map[string]bool {
	t := reflect.TypeFor[configFields]()
	keys := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}
