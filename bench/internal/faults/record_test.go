package faults

import (
	"testing"
	"time"

	"zkbench/workloads"
)

// The gaps and errors of a fault's window, from writes alone: the gap in
// progress when it struck and the longest one after, errors counted in
// the window only, a gap to the end when no write succeeded since.
func TestRecorderGaps(t *testing.T) {
	sp, _ := Parse("kill:1@2s+1s")
	later, _ := Parse("partition:2@10s")
	s := NewSchedule([]Spec{sp, later})
	r := NewRecorder(s)
	t0 := time.Unix(1_000_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	r.Write(workloads.Write{End: at(-500), Key: "/a", Version: 1}) // warm-up: acked, no window
	s.Begin(t0)
	for _, w := range []workloads.Write{
		{End: at(1000), Err: workloads.ErrConnectionLoss}, // before the first fault
		{End: at(1900)},
		{End: at(2100), Err: workloads.ErrConnectionLoss},
		{End: at(2200), Err: workloads.ErrSessionExpired},
		{End: at(2500), Key: "/a", Version: 3},
		{End: at(2400)}, // overtaken: no gap of its own
		{End: at(3000)},
		{End: at(5000)},
		{End: at(5100)},
		{End: at(10500), Err: workloads.ErrConnectionLoss}, // the second fault's
	} {
		r.Write(w)
	}
	// Struck and healed on time (there is no ensemble to strike here).
	s.faults[0].at, s.faults[0].healed, s.faults[1].at = at(2000), at(3000), at(10000)
	res := r.Results(at(12000), noLatency)
	f := res[0]
	// In force from 2 s to 3 s: the gap from 1.9 s to 2.5 s.
	if f.InForceGapS != 0.6 || f.InForceGapFromS != 1.9 || f.InForceGapToS != 2.5 {
		t.Errorf("gap in force %v from %v to %v, want 0.6 s from 1.9 to 2.5", f.InForceGapS, f.InForceGapFromS, f.InForceGapToS)
	}
	// A gap is whole: the one from 5.1 s on lasts to the end, past the
	// window's end at 10 s.
	if f.UnavailableS != 6.9 || f.GapFromS != 5.1 || f.GapToS != 12 {
		t.Errorf("longest gap %v from %v to %v, want 6.9 s from 5.1 to the end at 12", f.UnavailableS, f.GapFromS, f.GapToS)
	}
	if len(f.WriteErrors) != 2 || f.WriteErrors["ConnectionLoss"] != 1 || f.WriteErrors["SessionExpired"] != 1 {
		t.Errorf("errors %v", f.WriteErrors)
	}
	g := res[1]
	if g.InForceGapS != 6.9 || g.UnavailableS != 6.9 || g.WriteErrors["ConnectionLoss"] != 1 || g.WindowEnd != 12 {
		t.Errorf("second fault %+v: no write since 5.1 s, a gap to the end", g)
	}
	if v := r.Acked()["/a"]; v != 3 {
		t.Errorf("acked /a version %d, want 3", v)
	}
}
