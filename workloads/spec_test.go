package workloads_test

import (
	"strings"
	"testing"
	"time"

	"zkbench/workloads"
)

func TestNamed(t *testing.T) {
	tests := []struct {
		name    string
		mix     workloads.Mix
		preload bool
	}{
		{"write", workloads.Mix{workloads.OpSetData: 1}, true},
		{"read", workloads.Mix{workloads.OpGetData: 1}, true},
		{"mixed", workloads.Mix{workloads.OpGetData: 0.9, workloads.OpSetData: 0.1}, true},
		{"create-delete", workloads.Mix{workloads.OpCreate: 1, workloads.OpDelete: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := workloads.Named(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Workload != tt.name || s.Mix.String() != tt.mix.String() || s.Preload != tt.preload {
				t.Errorf("got %s %s preload=%v, want %s %s preload=%v", s.Workload, s.Mix, s.Preload, tt.name, tt.mix, tt.preload)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("built-in does not validate: %v", err)
			}
		})
	}
	_, err := workloads.Named("writes")
	if err == nil || !strings.Contains(err.Error(), "create-delete, mixed, read, write") {
		t.Errorf("unknown workload: %v, want the valid names listed", err)
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		key, value string
		check      func(s workloads.Spec) bool
		err        string // substring of the error; "" for none
	}{
		{"clients", "64", func(s workloads.Spec) bool { return s.Clients == 64 }, ""},
		{"Clients", "2", func(s workloads.Spec) bool { return s.Clients == 2 }, ""},
		{"clients", "0", nil, `clients "0": want 1..100000`},
		{"clients", "many", nil, `clients "many": invalid syntax`},
		{"rate", "2500.5", func(s workloads.Spec) bool { return s.Rate == 2500.5 }, ""},
		{"rate", "-1", nil, `rate "-1"`},
		{"rate", "NaN", nil, `rate "NaN": not a finite number`},
		{"valueSize", "4KiB", func(s workloads.Spec) bool { return s.Values == workloads.ValueSizes{Min: 4096, Max: 4096} }, ""},
		{"valueSize", "uniform:100..2KiB", func(s workloads.Spec) bool { return s.Values == workloads.ValueSizes{Min: 100, Max: 2048} }, ""},
		{"valueSize", "2MiB", nil, `valueSize "2MiB": 2MiB is above 1MiB`},
		{"valueSize", "uniform:2KiB..1KiB", nil, "MIN above MAX"},
		{"valueSize", "uniform:1KiB", nil, "want uniform:MIN..MAX"},
		{"keys", "100000", func(s workloads.Spec) bool { return s.Keys == 100000 }, ""},
		{"keys", "0", nil, `keys "0"`},
		{"keyDist", "zipf", func(s workloads.Spec) bool { return s.KeyDist == workloads.KeyDist{Kind: "zipf", S: 1.1} }, ""},
		{"keyDist", "zipf:1.5", func(s workloads.Spec) bool { return s.KeyDist.S == 1.5 }, ""},
		{"keyDist", "zipf:0.99", nil, "above 1"},
		{"keyDist", "sequential", func(s workloads.Spec) bool { return s.KeyDist.Kind == "sequential" }, ""},
		{"keyDist", "gauss", nil, `keyDist "gauss": want uniform, zipf, zipf:S or sequential`},
		{"depth", "3", func(s workloads.Spec) bool { return s.Depth == 3 }, ""},
		{"depth", "0", nil, `depth "0"`},
		{"root", "/bench/a", func(s workloads.Spec) bool { return s.Root == "/bench/a" }, ""},
		{"root", "/", nil, `root "/"`},
		{"root", "bench", nil, "absolute"},
		{"root", "/a//b", nil, "empty element"},
		{"root", "/a/../b", nil, "relative element"},
		{"preload", "false", func(s workloads.Spec) bool { return !s.Preload }, ""},
		{"preload", "maybe", nil, `preload "maybe"`},
		{"multiSize", "10", func(s workloads.Spec) bool { return s.MultiSize == 10 }, ""},
		{"warmup", "0s", func(s workloads.Spec) bool { return s.Warmup == 0 }, ""},
		{"warmup", "-1s", nil, `warmup "-1s": want at least 0s`},
		{"duration", "2m", func(s workloads.Spec) bool { return s.Duration == 2*time.Minute }, ""},
		{"duration", "30", nil, `duration "30"`},
		{"ops", "1000", func(s workloads.Spec) bool { return s.Ops == 1000 }, ""},
		{"seed", "42", func(s workloads.Spec) bool { return s.Seed == 42 }, ""},
		{"cleanup", "false", func(s workloads.Spec) bool { return !s.Cleanup }, ""},
		{"mix", "getData:3, exists:1", func(s workloads.Spec) bool {
			return s.Workload == workloads.Custom && s.Mix.String() == "getData:3,exists:1"
		}, ""},
		{"mix", "create-sequential:1,watch-and-trigger:2", func(s workloads.Spec) bool {
			return s.Mix.String() == "createSequential:1,watch:2"
		}, ""},
		{"mix", "getData:0", nil, "no op has a weight above 0"},
		{"mix", "getData", nil, "want op:weight"},
		{"mix", "fetch:1", nil, `unknown op "fetch"`},
		{"mix", "getData:-1", nil, "want a number >= 0"},
		{"workload", "write", func(s workloads.Spec) bool { return s.Workload == "write" }, ""},
		{"workload", "nope", nil, "unknown workload (want one of create-delete, mixed, read, write)"},
		{"snapCount", "5", nil, `unknown workload key "snapCount"`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			s := workloads.Default()
			before := s
			err := s.Set(tt.key, tt.value)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error spans lines: %q", err)
				}
				if s.Mix != before.Mix || s.Clients != before.Clients || s.Values != before.Values {
					t.Error("a failed Set changed the spec")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(s) {
				t.Errorf("Set(%s, %s) gave %+v", tt.key, tt.value, s)
			}
		})
	}
}

// readRatio shapes the mixed workload whichever of the two is set first,
// and leaves the other workloads alone (cli.md's --read-ratio always has a
// value).
func TestReadRatio(t *testing.T) {
	want := workloads.Mix{workloads.OpGetData: 0.75, workloads.OpSetData: 0.25}
	for _, order := range [][2][2]string{
		{{"workload", "mixed"}, {"readRatio", "0.75"}},
		{{"readRatio", "0.75"}, {"workload", "mixed"}},
	} {
		s := workloads.Default()
		for _, kv := range order {
			if err := s.Set(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		if s.Mix != want {
			t.Errorf("%v: mix %s, want %s", order, s.Mix, want)
		}
	}
	s, _ := workloads.Named("write")
	s.Set("readRatio", "0.5")
	if s.Mix != (workloads.Mix{workloads.OpSetData: 1}) {
		t.Errorf("readRatio changed the write workload: %s", s.Mix)
	}
	if err := s.Set("readRatio", "1.5"); err == nil || !strings.Contains(err.Error(), "want 0..1") {
		t.Errorf("readRatio 1.5: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *workloads.Spec)
		err    string
	}{
		{"default", func(s *workloads.Spec) {}, ""},
		{"no end", func(s *workloads.Spec) { s.Duration = 0 }, "duration 0s: the run needs a duration or an op count"},
		{"op count only", func(s *workloads.Spec) { s.Duration, s.Ops = 0, 10 }, ""},
		{"empty mix", func(s *workloads.Spec) { s.Mix = workloads.Mix{} }, "mix : no op has a weight"},
		{"zero clients", func(s *workloads.Spec) { s.Clients = 0 }, "clients 0: want 1..100000"},
		{"zipf without exponent", func(s *workloads.Spec) { s.KeyDist = workloads.KeyDist{Kind: "zipf"} }, "keyDist zipf:0"},
		{"no key dist", func(s *workloads.Spec) { s.KeyDist = workloads.KeyDist{} }, "keyDist"},
		{"inverted sizes", func(s *workloads.Spec) { s.Values = workloads.ValueSizes{Min: 10, Max: 5} }, "valueSize"},
		{"relative root", func(s *workloads.Spec) { s.Root = "zk" }, "root zk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := workloads.Default()
			tt.change(&s)
			err := s.Validate()
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

// Knobs carries result-schema.md's config names with their JSON types,
// and every key Set accepts.
func TestKnobs(t *testing.T) {
	s, _ := workloads.Named("mixed")
	s.Set("valueSize", "uniform:1KiB..3KiB")
	k := s.Knobs()
	for key, want := range map[string]any{
		"workload": "mixed", "clients": 16, "rate": 0.0, "valueSize": 2048, "keys": 1000,
		"valueSizes": "uniform:1KiB..3KiB", "duration": "30s", "keyDist": "uniform",
	} {
		if k[key] != want {
			t.Errorf("%s = %#v, want %#v", key, k[key], want)
		}
	}
	for _, key := range workloads.Keys() {
		if _, ok := k[key]; !ok {
			t.Errorf("Knobs lacks %s", key)
		}
	}
}
