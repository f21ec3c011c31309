package bench

import (
	"errors"
	"strings"
	"testing"

	"zkbench/profiles"
)

// TestCheckKey: an unknown key is refused with the key meant, from
// --set, a profile line and a profile's vary line alike.
func TestCheckKey(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"snapCount", ""},
		{"snapcount", "snapcount: unknown key; did you mean snapCount?"},
		{"snap-count", "snap-count: unknown key; did you mean snapCount?"},
		{"readratio", "readratio: unknown key; did you mean readRatio?"},
		{"multisize", "multisize: unknown key; did you mean multiSize?"},
		{"cleints", "cleints: unknown key; did you mean clients?"},
		{"bogus", "bogus: unknown key (docs/profiles.md lists every key)"},
	} {
		err := CheckKey(tc.key)
		if tc.want == "" {
			if err != nil {
				t.Errorf("CheckKey(%q) = %v", tc.key, err)
			}
			continue
		}
		if err == nil || err.Error() != tc.want || !errors.Is(err, ErrUnknownKey) {
			t.Errorf("CheckKey(%q) = %v, want %q", tc.key, err, tc.want)
		}
	}

	p, err := profiles.Parse("p", "p.profile", strings.NewReader("workload = write\nsnapcount = 10\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewPlan(p); err == nil || !strings.Contains(err.Error(), "p.profile:2: snapcount: unknown key; did you mean snapCount?") {
		t.Errorf("profile line: %v", err)
	}
	p, err = profiles.Parse("p", "p.profile", strings.NewReader("vary snapcount = 10, 20\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Dimensions(p, nil); err == nil || err.Error() != "p.profile:1: vary snapcount: unknown key; did you mean snapCount?" {
		t.Errorf("vary line: %v", err)
	}
}

// TestValue: every key's value reads back as Set takes it, so that help
// and docs can show a plan's defaults in the form a profile writes them.
func TestValue(t *testing.T) {
	empty := &profiles.Profile{Name: "empty"}
	p, err := NewPlan(empty)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys() {
		p, _ := NewPlan(empty) // setting mix makes the workload custom
		v := p.Value(k)
		if err := p.Set(k, v); err != nil {
			t.Errorf("%s: Set(Value() = %q): %v", k, v, err)
		} else if again := p.Value(k); again != v {
			t.Errorf("%s: %q reads back as %q", k, v, again)
		}
	}
	for k, want := range map[string]string{"preAllocSize": "64MiB", "duration": "30s", "snapCount": "100000", "valueSize": "1KiB", "tickTime": "2s", "forceSync": "true", "snapshotSizeFactor": "0.33"} {
		if got := p.Value(k); got != want {
			t.Errorf("default %s = %q, want %q", k, got, want)
		}
	}
	// zookeeper.snapshotSizeFactor: negative turns the txn-log DIFF off;
	// above 1 ZooKeeper takes its default instead, we refuse.
	if err := p.Set("snapshotSizeFactor", "-1"); err != nil || p.Value("snapshotSizeFactor") != "-1" {
		t.Errorf("snapshotSizeFactor=-1: %v, reads %q", err, p.Value("snapshotSizeFactor"))
	}
	for _, bad := range []string{"1.5", "a third"} {
		if err := p.Set("snapshotSizeFactor", bad); err == nil {
			t.Errorf("snapshotSizeFactor=%s accepted", bad)
		}
	}
}
