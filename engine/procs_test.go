package engine

import (
	"errors"
	"runtime"
	"testing"
)

// Not parallel: GOMAXPROCS is the process's, and parallel tests start
// ensembles of their own.

func TestLendProcsSumsAndGivesBack(t *testing.T) {
	t.Setenv("GOMAXPROCS", "") // lending is skipped only when it is set
	base := runtime.GOMAXPROCS(0)
	first := lendProcs(3)
	second := lendProcs(2)
	if got := runtime.GOMAXPROCS(0); got != base+5 {
		t.Fatalf("two lendings of 3 and 2: GOMAXPROCS %d, want %d", got, base+5)
	}
	first()
	first() // a second call gives nothing back twice
	if got := runtime.GOMAXPROCS(0); got != base+2 {
		t.Fatalf("after the first gave back: GOMAXPROCS %d, want %d", got, base+2)
	}
	second()
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("after both gave back: GOMAXPROCS %d, want %d", got, base)
	}
}

func TestLendProcsLeavesAnExplicitSettingAlone(t *testing.T) {
	base := runtime.GOMAXPROCS(0)
	t.Setenv("GOMAXPROCS", "1")
	give := lendProcs(3)
	defer give()
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("GOMAXPROCS set in the environment: lending changed it from %d to %d", base, got)
	}
}

func TestEnsembleLendsAProcPerMember(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	base := runtime.GOMAXPROCS(0)
	cfg := testConfig(t, 3, 1)
	memFS(&cfg)
	e := start(t, cfg)
	if got := runtime.GOMAXPROCS(0); got != base+4 {
		t.Fatalf("3 voters and an observer running: GOMAXPROCS %d, want %d", got, base+4)
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("stopped: GOMAXPROCS %d, want %d again", got, base)
	}
}

// A member added to a stopped ensemble would never give its slot back.
func TestAddMemberAfterStop(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	base := runtime.GOMAXPROCS(0)
	cfg := testConfig(t, 3, 0)
	memFS(&cfg)
	cfg.ReconfigEnabled = true
	e := start(t, cfg)
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := e.AddMember(4); !errors.Is(err, ErrNotAdded) {
		t.Errorf("AddMember after Stop: %v, want ErrNotAdded", err)
	}
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Errorf("GOMAXPROCS %d after the refused member, want %d", got, base)
	}
}
