package bench

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zkbench/profiles"
	"zkbench/zoocfg"
)

// TestZooCfgSetsThePlan: a production-style zoo.cfg (three servers,
// dataLogDir, snapCount, autopurge) gives the plan ZooKeeper would run,
// in zkbench's units, and its keys zkbench does not model are named.
func TestZooCfgSetsThePlan(t *testing.T) {
	p, err := NewPlan(&profiles.Profile{Name: "t", Settings: []profiles.Setting{
		{Key: "snapCount", Value: "2000"}, {Key: "preAllocSize", Value: "1MiB"}, {Key: "maxBatchSize", Value: "7"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Set("zooCfg", "testdata/zoo.cfg"); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata/zoo.cfg")
	want := map[string]string{
		"servers": "3", "observers": "0",
		"dataDir": "/var/lib/zookeeper/data", "dataLogDir": "/var/lib/zookeeper/txlog",
		"snapCount": "50000", "preAllocSize": "128MiB", "snapSizeLimit": "4GiB", "forceSync": "true",
		"snapRetainCount": "5", "purgeInterval": "24h0m0s",
		"tickTime": "2s", "initLimit": "10", "syncLimit": "5",
		"maxBatchSize": "1000", // ZooKeeper's default: the file has none, the profile's 7 goes
		"zooCfg":       abs,
	}
	for k, v := range want {
		if got := p.Value(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	wantNotes := []string{abs + ": not modelled, so not applied: 4lw.commands.whitelist, admin.enableServer, clientPort, maxClientCnxns, metricsProvider.className"}
	if got := p.ZooCfgNotes(); !slices.Equal(got, wantNotes) {
		t.Errorf("notes:\n got %q\nwant %q", got, wantNotes)
	}
	// Keys set after it win, as command-line flags do.
	if err := p.Set("snapCount", "3000"); err != nil || p.Value("snapCount") != "3000" {
		t.Errorf("snapCount after zooCfg: %s %v", p.Value("snapCount"), err)
	}
}

func TestZooCfgReadsAsZooKeeper(t *testing.T) {
	tests := []struct {
		name, cfg string
		want      map[string]string
		notes     []string
	}{
		{"observers and the 3.5 client form", "server.1=a:1:2;2181\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2:observer;0.0.0.0:2181\nserver.5=e:1:2:observer",
			map[string]string{"servers": "3", "observers": "2"}, nil},
		{"standalone", "dataDir=/d\ntickTime=500", map[string]string{"servers": "1", "observers": "0", "tickTime": "500ms", "dataLogDir": ""},
			[]string{"no server lines: ZooKeeper runs it standalone, the plan one voting member"}},
		{"forceSync only no turns it off", "server.1=a:1:2\nforceSync=no\nsnapSizeLimitInKb=-1\nautopurge.purgeInterval=0",
			map[string]string{"forceSync": "false", "snapSizeLimit": "0", "purgeInterval": "0s"}, nil},
		{"reconfigEnabled in any case", "server.1=a:1:2\nreconfigEnabled=TRUE",
			map[string]string{"reconfigEnabled": "true"}, nil},
		{"forceSync false syncs in ZooKeeper", "server.1=a:1:2\nforceSync=false\nautopurge.snapRetainCount=1",
			map[string]string{"forceSync": "true", "snapRetainCount": "3"},
			[]string{`forceSync=false: ZooKeeper syncs unless the value is exactly "no", and so does the plan`,
				"autopurge.snapRetainCount=1: ZooKeeper keeps 3 at least, and so does the plan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "zoo.cfg")
			if err := os.WriteFile(path, []byte(tt.cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			p, _ := NewPlan(&profiles.Profile{})
			if err := p.Set("zooCfg", path); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if got := p.Value(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			var notes []string
			for _, n := range p.ZooCfgNotes() {
				notes = append(notes, strings.TrimPrefix(n, path+": "))
			}
			if !slices.Equal(notes, tt.notes) {
				t.Errorf("notes %q, want %q", notes, tt.notes)
			}
		})
	}
}

// TestZooCfgBadFiles: every bad file is refused in one line naming the
// file and, for its content, the line.
func TestZooCfgBadFiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, cfg, want string }{
		{"bad value", "tickTime=2000\nsnapCount=lots", "FILE:2: snapCount=lots: not a whole number"},
		{"bad server line", "server.1=a:1:2\nserver.2=b:1", "FILE:2: malformed: server.2=b:1: want host:port:port[:participant|:observer][;[host:]clientPort]"},
		{"value the engine refuses", "\nautopurge.purgeInterval=x", "FILE:2: autopurge.purgeInterval=x: not a whole number of hours"},
		{"reconfigEnabled neither true nor false", "reconfigEnabled=yes", "FILE:1: reconfigEnabled=yes: not true or false"},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".cfg")
		if err := os.WriteFile(path, []byte(tt.cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		p, _ := NewPlan(&profiles.Profile{})
		err := p.Set("zooCfg", path)
		if want := strings.ReplaceAll(tt.want, "FILE", path); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", tt.name, err, want)
		}
		var zerr *zoocfg.Error
		if !errors.As(err, &zerr) {
			t.Errorf("%s: %v is no zoocfg.Error", tt.name, err)
		}
	}
	p, _ := NewPlan(&profiles.Profile{})
	missing := filepath.Join(dir, "missing.cfg")
	if err := p.Set("zooCfg", missing); err == nil || err.Error() != missing+": open: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}

// A 3.5+ zoo.cfg may keep its server lines in its dynamicConfigFile;
// ZooKeeper refuses server lines in both places, and so does the plan.
func TestZooCfgDynamicFile(t *testing.T) {
	dir := t.TempDir()
	dyn := filepath.Join(dir, "zoo.cfg.dynamic.100000000")
	os.WriteFile(dyn, []byte("server.1=a:1:2:participant;2181\nserver.2=b:1:2;2181\nserver.3=c:1:2;2181\nserver.4=d:1:2:observer;2181\n"), 0o644)
	cfg := filepath.Join(dir, "zoo.cfg")
	os.WriteFile(cfg, []byte("dataDir=/d\ndynamicConfigFile="+dyn+"\n"), 0o644)
	p, _ := NewPlan(&profiles.Profile{})
	if err := p.Set("zooCfg", cfg); err != nil {
		t.Fatal(err)
	}
	if p.Value("servers") != "3" || p.Value("observers") != "1" || len(p.ZooCfgNotes()) != 0 {
		t.Errorf("servers %s observers %s notes %q", p.Value("servers"), p.Value("observers"), p.ZooCfgNotes())
	}
	both := filepath.Join(dir, "both.cfg")
	os.WriteFile(both, []byte("dynamicConfigFile="+dyn+"\nserver.1=a:1:2\n"), 0o644)
	want := both + ":2: server lines beside dynamicConfigFile: ZooKeeper takes them from one place only"
	if err := p.Set("zooCfg", both); err == nil || err.Error() != want {
		t.Errorf("server lines in both places: %v", err)
	}
}
