package bench

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"zkbench/profiles"
)

// TestProfileKeysDocumented checks docs/profiles.md against the code both
// ways: every key a plan takes has a row, every row is a key a plan
// takes, once, and its default is the plan's.
func TestProfileKeysDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/profiles.md")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := NewPlan(&profiles.Profile{Name: "defaults"})
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| (`([^`]*)`|\\(none\\)) \\|")
	documented := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		key, def := m[1], m[3]
		if documented[key] {
			t.Errorf("%s is documented twice", key)
		}
		documented[key] = true
		if !KnownKey(key) {
			t.Errorf("docs/profiles.md documents %s, which no plan takes", key)
			continue
		}
		if got := plan.Value(key); got != def {
			t.Errorf("docs/profiles.md: %s defaults to %q, the code to %q", key, def, got)
		}
	}
	for _, k := range Keys() {
		if !documented[k] {
			t.Errorf("key %s is not in docs/profiles.md", k)
		}
	}
	if len(documented) == 0 || !slices.Contains(Keys(), "snapCount") {
		t.Fatal("no key rows found")
	}
}
