package bench

import (
	"context"
	"errors"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zkbench/bench/internal/faults"
	"zkbench/results"
)

// A run whose leader crashes and comes back: faults[0] has the gap, the
// election, the restart's restore and sync; every acknowledged write is
// on every member; the report has the fault's line.
func TestRunWithACrashedLeader(t *testing.T) {
	plan := quickPlan(t, "workload", "write", "clients", "4", "keys", "50", "rate", "300", "warmup", "0s",
		"duration", "3s", "snapCount", "200", "faults", "crash:leader@1s+1s")
	plan.Out = filepath.Join(t.TempDir(), "out")
	res, err := Run(context.Background(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Faults) != 1 {
		t.Fatalf("faults %+v", res.Faults)
	}
	f := res.Faults[0]
	if f.Error != "" || f.Role != "leader" || f.HealedS == nil || f.ElectionMs == nil {
		t.Errorf("fault %+v: want the leader crashed, healed and another elected", f)
	}
	if f.Restore == nil || f.Sync == nil || f.ServingAgainMs == nil || f.UnavailableS <= 0 {
		t.Errorf("fault %s: want a restore, a sync, serving again and a gap", f.Summary())
	}
	if res.LostAckedWrites == nil || *res.LostAckedWrites != 0 {
		t.Errorf("lost_acked_writes %v, want 0", res.LostAckedWrites)
	}
	back, err := results.ReadFile(filepath.Join(plan.Out, results.ResultFile))
	if err != nil || len(back.Faults) != 1 || back.Config.Other["faults"] != "crash:leader@1s+1s" {
		t.Fatalf("result.json: %v, faults %+v, config %v", err, back.Faults, back.Config.Other["faults"])
	}
	page, err := os.ReadFile(filepath.Join(plan.Out, "report.html"))
	if err != nil || !strings.Contains(html.UnescapeString(string(page)), "crash:leader@1s+1s: member") {
		t.Errorf("report.html has no line of the fault (%v)", err)
	}
}

// A fault a zk:// target cannot take is refused before anything starts.
func TestFaultsRefusedOnARealEnsemble(t *testing.T) {
	plan := quickPlan(t, "target", "zk://127.0.0.1:1", "faults", "kill:follower@1s")
	plan.Out = filepath.Join(t.TempDir(), "out")
	_, err := Run(context.Background(), plan, nil)
	if err == nil || !strings.Contains(err.Error(), "faults need the embedded ensemble") {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(plan.Out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused run created %s", plan.Out)
	}
}

// A loss the safety check found fails the run naming the keys.
func TestLostError(t *testing.T) {
	if err := lostError(&safety{}); err != nil {
		t.Errorf("no loss: %v", err)
	}
	var lost []faults.Lost
	for i := range 7 {
		lost = append(lost, faults.Lost{Key: "/zkbench/keys/k" + string(rune('0'+i)), Member: 2, Acked: 3, Version: 2})
	}
	err := lostError(&safety{lost: lost})
	if !errors.Is(err, ErrLostWrites) || !strings.Contains(err.Error(), "/zkbench/keys/k0 (acknowledged version 3, member 2 has 2)") ||
		!strings.Contains(err.Error(), "and 2 more") {
		t.Errorf("error %v", err)
	}
}

// --fault given twice keeps both; another flag keeps its last value.
func TestFlagValue(t *testing.T) {
	v := ""
	f := NewFlagValue("faults", &v)
	f.Set("crash:leader@1s")
	f.Set("kill:2@2s")
	if v != "crash:leader@1s,kill:2@2s" {
		t.Errorf("faults %q", v)
	}
	w := "16"
	g := NewFlagValue("clients", &w)
	g.Set("4")
	g.Set("8")
	if w != "8" {
		t.Errorf("clients %q", w)
	}
}
