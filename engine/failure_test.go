package engine

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
)

// A member whose disk fills mid-run fails on its own, as a ZooKeeper
// server whose log write fails shuts down: the ensemble reports which
// member and which file, its clients get ConnectionLoss at once however
// many calls they make, and the other members carry on.
func TestMemberWithAFullDiskFails(t *testing.T) {
	cases := []struct {
		name string
		full uint64 // the member whose disk fills
	}{
		{"follower", 1},
		{"leader", 3}, // a fresh ensemble elects its highest id
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, 3, 0)
			// faultfs charges a preallocated length at once: without
			// preallocation every append needs new space.
			cfg.PreallocMode = disk.PreallocNone
			fss := memFS(&cfg)
			e := start(t, cfg)
			if l := e.Leader(); l != 3 {
				t.Fatalf("leader %d, want 3", l)
			}
			c := client(t, e, tc.full)
			mustCreate(t, c, "/before", jute.FlagPersistent)
			if err := e.FirstFailure(); err != nil {
				t.Fatalf("failure before the disk filled: %v", err)
			}

			fss[tc.full].SetNoSpace(1)
			// The write the disk cannot take: its client cannot know
			// whether the others committed it.
			if _, err := c.Create("/after", nil, jute.FlagPersistent, OpenACL); err != nil && !errors.Is(err, ErrConnectionLoss) {
				t.Fatalf("write on the full member: %v, want success or ConnectionLoss", err)
			}
			waitFailure(t, e)
			dir, _ := e.Dirs(tc.full)
			checkDiskFull(t, e.FirstFailure(), tc.full, dir)
			if err := e.Failed(tc.full); !errors.Is(err, syscall.ENOSPC) {
				t.Errorf("Failed(%d) = %v", tc.full, err)
			}
			if st := e.Status(tc.full); st.Up || st.Serving {
				t.Errorf("status of the failed member: %+v", st)
			}
			// More calls than the member's inbox holds: none may wait
			// for a run loop that is gone.
			for i := range 2000 {
				if _, err := c.SetData("/before", nil, -1); !errors.Is(err, ErrConnectionLoss) {
					t.Fatalf("call %d on the failed member: %v, want ConnectionLoss", i, err)
				}
			}

			waitServing(t, e)
			if l := e.Leader(); l == tc.full || l == 0 {
				t.Fatalf("leader %d after member %d failed", l, tc.full)
			}
			mustCreate(t, client(t, e, 2), "/carry-on", jute.FlagPersistent)
		})
	}
}

// A member that cannot write its first files fails Start with the same
// error a running member fails with.
func TestStartOnAFullDisk(t *testing.T) {
	cfg := testConfig(t, 3, 0)
	fss := memFS(&cfg)
	fss[2].SetNoSpace(1) // not even myid fits
	e, err := Start(cfg)
	if err == nil {
		e.Stop()
		t.Fatal("Start succeeded on a full disk")
	}
	dir, _ := memberDirs(&cfg, 2)
	checkDiskFull(t, err, 2, dir)
}

// waitFailure waits for the ensemble to report a member failure. The
// limit is a watchdog against a hang, not a measurement.
func waitFailure(t *testing.T, e *Ensemble) {
	t.Helper()
	select {
	case <-e.Failure():
	case <-time.After(time.Minute):
		t.Fatal("no member failure reported")
	}
}

// checkDiskFull checks that err says member id failed writing a file in
// its folder dir with ENOSPC.
func checkDiskFull(t *testing.T, err error, id uint64, dir string) {
	t.Helper()
	var me *MemberError
	var pe *fs.PathError
	switch {
	case !errors.Is(err, ErrMemberFailed) || !errors.As(err, &me) || me.ID != id:
		t.Fatalf("%v: want member %d's *MemberError", err, id)
	case !errors.Is(err, syscall.ENOSPC) || !errors.As(err, &pe):
		t.Fatalf("%v: want a file operation that failed with ENOSPC", err)
	}
	if !strings.HasPrefix(pe.Path, dir+string(filepath.Separator)) {
		t.Errorf("%s is not in member %d's folder %s", pe.Path, id, dir)
	}
}
