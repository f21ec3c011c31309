package device

import (
	"strings"
	"testing"
	"time"
)

func TestDurability(t *testing.T) {
	yes, no := true, false
	ssd := Facts{Device: "nvme0n1p2", Disk: "nvme0n1", FSType: "xfs", Rotational: &no}
	hdd := Facts{Device: "sdb1", Disk: "sdb", FSType: "ext4", Rotational: &yes}
	withOpts := func(f Facts, opts ...string) Facts { f.MountOptions = opts; return f }
	for _, tc := range []struct {
		name       string
		facts      Facts
		median     time.Duration
		notDurable string // a word NotDurable says, "" for none
		doubt      string // a word FlushDoubt says, "" for none
	}{
		{"tmpfs", Facts{Device: "tmpfs", FSType: "tmpfs", Virtual: true}, 300 * time.Nanosecond, "tmpfs keeps its files in memory", ""},
		{"ramfs", Facts{Device: "ramfs", FSType: "ramfs", Virtual: true}, time.Microsecond, "ramfs", ""},
		{"ext4 on zram", Facts{Device: "zram0", Disk: "zram0", FSType: "ext4"}, 2 * time.Microsecond, "zram0 (a RAM-backed device)", ""},
		{"overlay, no block device", Facts{Device: "overlay", FSType: "overlay", Virtual: true}, 40 * time.Microsecond, "", ""},
		{"ssd, plausible", ssd, 40 * time.Microsecond, "", ""},
		{"ssd, at the floor", ssd, 10 * time.Microsecond, "", ""},
		{"ssd, faster than any device", ssd, 3 * time.Microsecond, "", "3.0 µs is faster than stable storage completes a write (10 µs at least)"},
		{"overlay, faster than any device", Facts{Device: "overlay", FSType: "overlay", Virtual: true}, 500 * time.Nanosecond, "", "0.5 µs"},
		{"hdd, a revolution", hdd, 8 * time.Millisecond, "", ""},
		{"hdd, faster than it turns", hdd, 200 * time.Microsecond, "", "200 µs is faster than a rotating disk turns (1 ms at least"},
		{"rotational unknown", Facts{Device: "sdc", FSType: "ext4"}, 200 * time.Microsecond, "", ""},
		{"nobarrier", withOpts(ssd, "rw", "nobarrier"), time.Millisecond, "", "mounted nobarrier"},
		{"barrier=0", withOpts(hdd, "rw", "barrier=0"), 8 * time.Millisecond, "", "mounted barrier=0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nd, doubt := tc.facts.NotDurable(), tc.facts.FlushDoubt(tc.median)
			if (nd == "") != (tc.notDurable == "") || !strings.Contains(nd, tc.notDurable) {
				t.Errorf("NotDurable = %q, want it to say %q", nd, tc.notDurable)
			}
			if tc.facts.Volatile() != (tc.notDurable != "") {
				t.Errorf("Volatile = %v", tc.facts.Volatile())
			}
			if (doubt == "") != (tc.doubt == "") || !strings.Contains(doubt, tc.doubt) {
				t.Errorf("FlushDoubt(%v) = %q, want it to say %q", tc.median, doubt, tc.doubt)
			}
		})
	}
}
