package faults

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	good := []struct {
		in   string
		want Spec
	}{
		{"crash:leader@10s+5s", Spec{Kind: Crash, Who: Leader, At: 10 * time.Second, For: 5 * time.Second}},
		{"kill:follower@1m", Spec{Kind: Kill, Who: Follower, At: time.Minute}},
		{"partition:2@0s+1.5s", Spec{Kind: Partition, ID: 2, For: 1500 * time.Millisecond}},
		{"slow-disk=50ms:observer@3s", Spec{Kind: SlowDisk, Latency: 50 * time.Millisecond, Who: Observer, At: 3 * time.Second}},
		{"disk-full:leader@2s+2s", Spec{Kind: DiskFull, Who: Leader, At: 2 * time.Second, For: 2 * time.Second}},
	}
	for _, tc := range good {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if again, err := Parse(got.String()); err != nil || again != got {
			t.Errorf("Parse(%q.String() = %q) = %+v, %v", tc.in, got.String(), again, err)
		}
	}
	bad := []struct{ in, part string }{
		{"crash", "no ':'"},
		{"crash:leader", "no '@'"},
		{"crush:leader@1s", "KIND"},
		{"crash=5ms:leader@1s", "KIND"},
		{"slow-disk:leader@1s", "KIND"},
		{"slow-disk=0s:leader@1s", "KIND"},
		{"crash:boss@1s", "WHO"},
		{"crash:0@1s", "WHO"},
		{"crash:leader@soon", "AT"},
		{"crash:leader@-1s", "AT"},
		{"crash:leader@1s+", "FOR"},
		{"crash:leader@1s+0s", "FOR"},
	}
	for _, tc := range bad {
		_, err := Parse(tc.in)
		if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), tc.part) || !strings.Contains(err.Error(), tc.in) {
			t.Errorf("Parse(%q) = %v; want an error naming %s", tc.in, err, tc.part)
		}
	}
}

func TestParseList(t *testing.T) {
	specs, err := ParseList(" crash:leader@1s+1s, slow-disk=5ms:2@0s ,")
	if err != nil || len(specs) != 2 || FormatList(specs) != "crash:leader@1s+1s,slow-disk=5ms:2@0s" {
		t.Errorf("ParseList: %v %v (%s)", specs, err, FormatList(specs))
	}
	if specs, err := ParseList(""); err != nil || specs != nil {
		t.Errorf("ParseList(\"\") = %v, %v", specs, err)
	}
}

func TestCheck(t *testing.T) {
	e := Ensemble{Servers: 3, Partitions: false, Measured: 10 * time.Second}
	for _, tc := range []struct{ spec, want string }{
		{"crash:4@1s", "no member 4"},
		{"crash:observer@1s", "no observer"},
		{"partition:leader@1s", "transport=inproc"},
		{"crash:leader@10s", "not inside the measured"},
		{"crash:leader@9s+1h", ""},
	} {
		sp, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		err = Check([]Spec{sp}, e)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Check(%s) = %v; want %q", tc.spec, err, tc.want)
		}
	}
}

// Parse never panics, and what it accepts it writes back the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"crash:leader@10s+5s", "slow-disk=50ms:2@1s", "disk-full:observer@0s", "kill:follower@1m+1ns", "x:y@z+w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(sp.String())
		if err != nil || again != sp {
			t.Fatalf("%q parsed as %+v, written %q, read back %+v, %v", s, sp, sp.String(), again, err)
		}
	})
}
