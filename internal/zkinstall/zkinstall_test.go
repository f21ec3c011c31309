package zkinstall

import (
	"slices"
	"testing"
)

// The ports are distinct: all are held until the last is found.
func TestFreePortsAreDistinct(t *testing.T) {
	ps, err := FreePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ps)
	if len(slices.Compact(ps)) != 5 || ps[0] <= 0 {
		t.Fatalf("ports %v, want 5 distinct", ps)
	}
	if !slices.Contains(DebianJars(), "zookeeper.jar") {
		t.Error("the class path lacks zookeeper.jar")
	}
}
