package bench

import (
	"slices"
	"strings"
	"testing"

	"zkbench/profiles"
)

// A profile's vary lines are the sweep's dimensions; --vary of the same
// key replaces the profile's values, of another key adds a dimension.
func TestSweepDimensions(t *testing.T) {
	p, err := profiles.Parse("p", "p.profile", strings.NewReader("workload = write\nvary snapCount = 2000, 20000\nvary preallocMode = zookeeper, none\n"))
	if err != nil {
		t.Fatal(err)
	}
	dims, err := Dimensions(p, []Dimension{{"preallocMode", []string{"fallocate"}}, {"preAllocSize", []string{"1MiB", "64MiB"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Dimension{
		{"snapCount", []string{"2000", "20000"}},
		{"preallocMode", []string{"fallocate"}},
		{"preAllocSize", []string{"1MiB", "64MiB"}},
	}
	if len(dims) != len(want) {
		t.Fatalf("dims %v", dims)
	}
	for i := range want {
		if dims[i].Key != want[i].Key || !slices.Equal(dims[i].Values, want[i].Values) {
			t.Errorf("dim %d: %v, want %v", i, dims[i], want[i])
		}
	}
	if n := len(crossProduct(dims)); n != 4 {
		t.Errorf("%d combinations, want 4", n)
	}
}

func TestRunDirName(t *testing.T) {
	cases := []struct {
		n, width    int
		c           []setting
		rep, repeat int
		want        string
	}{
		{3, 1, []setting{{"snapCount", "2000"}}, 1, 1, "3-snapCount=2000"},
		{3, 2, []setting{{"snapCount", "2000"}}, 2, 3, "03-snapCount=2000-r2"},
		{1, 1, []setting{{"dataLogDir", "/dev/shm"}, {"preAllocSize", "64MiB"}}, 1, 1, "1-dataLogDir=dev_shm-preAllocSize=64MiB"},
		{12, 2, []setting{{"target", "zk://a:2181,b:2181"}}, 1, 1, "12-target=zk___a_2181_b_2181"},
		{1, 1, nil, 4, 5, "1-r4"},
	}
	for _, tc := range cases {
		if got := runDirName(tc.n, tc.width, tc.c, tc.rep, tc.repeat); got != tc.want {
			t.Errorf("runDirName(%d, %v, #%d of %d) = %q, want %q", tc.n, tc.c, tc.rep, tc.repeat, got, tc.want)
		}
	}
}
