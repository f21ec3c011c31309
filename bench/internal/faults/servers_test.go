package faults

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// fakeServers answers srvr from a table the test sets, and keeps what
// was killed and launched.
type fakeServers struct {
	mu       sync.Mutex
	modes    map[int]string
	killed   []int
	launched []int
	log      string
}

func (f *fakeServers) Members() []int { return []int{1, 2, 3} }
func (f *fakeServers) Modes(context.Context) map[int]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int]string{}
	for id, m := range f.modes {
		out[id] = m
	}
	return out
}
func (f *fakeServers) set(id int, mode string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if mode == "" {
		delete(f.modes, id)
		return
	}
	f.modes[id] = mode
}
func (f *fakeServers) Kill(id int) error {
	f.killed = append(f.killed, id)
	f.set(id, "")
	return nil
}
func (f *fakeServers) Launch(id int) error   { f.launched = append(f.launched, id); return nil }
func (f *fakeServers) ClientAddr(int) string { return "127.0.0.1:1" }
func (f *fakeServers) LogFile(int) string    { return f.log }

// A killed leader of real servers: the schedule resolves it by its
// mode, kills it, starts it again at its time; the recorder takes the
// election and the serving again from the polls, and the restore and
// sync from the log lines written after the restart only.
func TestScheduleKillsARealLeader(t *testing.T) {
	dir := t.TempDir()
	srv := &fakeServers{modes: map[int]string{1: Follower, 2: Follower, 3: Leader}, log: filepath.Join(dir, "server.log")}
	old := "2026-12-07 18:00:00,000 INFO  [main:ZKDatabase@289] - Snapshot loaded in 5 ms, highest zxid is 0x1, digest is 1\n"
	if err := os.WriteFile(srv.log, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, _ := Parse("kill:leader@1s+2s")
	sched := NewSchedule([]Spec{sp})
	rec := NewRecorder(sched)
	sched.AttachServers(srv)
	ctx := context.Background()
	// The run's clock is behind the polls' (time.Now), so that every
	// poll comes after the strike and the healing it follows.
	t0 := time.Now().Add(-time.Minute)
	sched.poll(ctx)
	sched.Begin(t0)
	sched.Step(t0.Add(999 * time.Millisecond))
	if len(srv.killed) != 0 {
		t.Fatal("struck early")
	}
	sched.Step(t0.Add(time.Second))
	if len(srv.killed) != 1 || srv.killed[0] != 3 {
		t.Fatalf("killed %v, want the leader 3", srv.killed)
	}
	sched.poll(ctx) // no leader yet
	srv.set(2, Leader)
	sched.poll(ctx)
	sched.Step(t0.Add(3 * time.Second))
	if len(srv.launched) != 1 || srv.launched[0] != 3 {
		t.Fatalf("launched %v", srv.launched)
	}
	fh, _ := os.OpenFile(srv.log, os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString(restartNow(t))
	fh.Close()
	srv.set(3, Follower)
	sched.poll(ctx)
	res := rec.Results(t0.Add(5*time.Second), func(from, to time.Time) *hdrhistogram.Histogram { return nil })
	f := res[0]
	if f.Error != "" || f.Member != 3 || f.Role != Leader || f.NewLeader != 2 || f.ElectionMs == nil || f.ServingAgainMs == nil {
		t.Errorf("fault %+v", f)
	}
	if f.Restore == nil || f.Restore.Zxid != "0x2000000d3" || f.Sync == nil || f.Sync.Mode != "DIFF" || f.Sync.Leader != 2 || f.Sync.Txns != nil {
		t.Errorf("restore %+v sync %+v, want the lines after the restart", f.Restore, f.Sync)
	}
}

func TestResolveMode(t *testing.T) {
	modes := map[int]string{1: Follower, 2: Leader, 4: Observer}
	members := []int{1, 2, 3, 4}
	cases := []struct {
		spec string
		want int
		err  bool
	}{
		{"kill:leader@0s", 2, false},
		{"kill:follower@0s", 1, false},
		{"kill:observer@0s", 4, false},
		{"kill:4@0s", 4, false},
		{"kill:3@0s", 0, true}, // down, or not serving
	}
	for _, tc := range cases {
		sp, _ := Parse(tc.spec)
		id, err := resolveMode(sp, members, modes)
		if id != tc.want || (err != nil) != tc.err {
			t.Errorf("%s: %d %v, want %d (error %v)", tc.spec, id, err, tc.want, tc.err)
		}
	}
	if _, err := resolveMode(Spec{Kind: Kill, Who: Leader}, members, map[int]string{1: Follower}); err == nil {
		t.Error("a leader resolved where none serves")
	}
}

func TestCheckServers(t *testing.T) {
	e := Ensemble{Servers: 3, Measured: 10 * time.Second}
	for _, s := range []string{"crash:leader@1s", "partition:1@1s", "slow-disk=5ms:follower@1s", "disk-full:2@1s"} {
		sp, _ := Parse(s)
		if err := CheckServers([]Spec{sp}, e); err == nil {
			t.Errorf("%s taken by a real server", s)
		}
	}
	sp, _ := Parse("kill:follower@1s+2s")
	if err := CheckServers([]Spec{sp}, e); err != nil {
		t.Error(err)
	}
	sp, _ = Parse("kill:observer@1s")
	if err := CheckServers([]Spec{sp}, e); err == nil {
		t.Error("an observer killed in an ensemble without one")
	}
}

// restartNow is testdata/restart.log with its lines dated from now on,
// as a server restarted now writes them, a second apart each.
func restartNow(t *testing.T) string {
	b, err := os.ReadFile("testdata/restart.log")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	next := time.Now().UTC()
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if _, err := time.Parse(logTime, line[:min(len(line), len(logTime))]); err == nil {
			next = next.Add(time.Second)
			line = next.Format(logTime) + line[len(logTime):]
		}
		out.WriteString(line)
	}
	return out.String()
}
