package faults

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"zkbench/engine"
	"zkbench/results"
)

// serverModes takes one poll of real servers' modes: a member that now
// leads and did not at the last poll is an election's end, one that
// answers and did not is serving again. Both are known to within a
// poll (pollEvery) and srvr's round trip, late rather than early.
func (r *Recorder) serverModes(t time.Time, modes map[int]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, mode := range modes {
		prev := r.modes[id]
		if mode == Leader && prev != Leader {
			r.events = append(r.events, engine.Event{Kind: engine.EventLeaderElected, Member: uint64(id), Time: t})
		}
		if prev == "" {
			r.serving = append(r.serving, engine.Event{Kind: engine.EventMemberUp, Member: uint64(id), Time: t})
		}
	}
	r.modes = modes
}

// followServer fills in a killed real server's figures: the election
// and serving again from the polls, its restore and learner sync from
// what its log says after the restart (logPath, from f.logFrom on).
// What neither tells stays null.
func (r *Recorder) followServer(res *results.Fault, f struck, from, to time.Time, latency Latency, logPath string) {
	for _, e := range r.events {
		if e.Kind == engine.EventLeaderElected && e.Member != f.member && !e.Time.Before(from) && e.Time.Before(to) {
			res.ElectionMs, res.NewLeader = msOf(e.Time.Sub(from)), int(e.Member)
			break
		}
	}
	if f.healed.IsZero() {
		return
	}
	for _, e := range r.serving {
		if e.Member == f.member && !e.Time.Before(f.healed) {
			res.ServingAgainMs = msOf(e.Time.Sub(f.healed))
			break
		}
	}
	l, err := readServerLog(logPath, f.logFrom)
	if err != nil {
		if res.Error == "" {
			res.Error = fmt.Sprintf("its restore and sync: %v", err)
		}
		return
	}
	res.Restore = l.restore()
	if l.syncMode == "" || l.syncEnd.IsZero() {
		return
	}
	back := l.restoreEnd
	if back.IsZero() {
		back = f.healed
	}
	res.Sync = &results.FaultSync{Mode: l.syncMode, Ms: *msOf(l.syncEnd.Sub(back)), Leader: r.leaderAt(l.syncEnd, f.member)}
	if h := latency(back, l.syncEnd); h != nil {
		p := results.PercentilesOf(h)
		res.WritesDuringSync = &p
	}
}

// leaderAt is the member the polls last saw lead at t, other than not.
func (r *Recorder) leaderAt(t time.Time, not uint64) int {
	id := 0
	for _, e := range r.events {
		if e.Kind == engine.EventLeaderElected && e.Member != not && !e.Time.After(t) {
			id = int(e.Member)
		}
	}
	return id
}

func msOf(d time.Duration) *float64 { v := float64(d.Microseconds()) / 1000; return &v }

// readServerLog parses path from byte offset on.
func readServerLog(path string, offset int64) (serverLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return serverLog{}, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return serverLog{}, fmt.Errorf("%s: %w", path, err)
	}
	l, err := parseServerLog(f)
	if err != nil {
		return l, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// restore is the log's restore as result.json has it, nil when the log
// has no restore line. The snapshot's bytes are its file's size; the
// pick, load and epoch check apart, the znodes and the log files read
// are not in a real server's log, and stay null.
func (l serverLog) restore() *results.FaultRestore {
	if l.restoreEnd.IsZero() {
		return nil
	}
	out := &results.FaultRestore{Ms: l.restoreMs, Zxid: l.zxid, Skipped: []string{}}
	if n := len(l.snapshots); n > 0 {
		last := l.snapshots[n-1]
		out.Snapshot = filepath.Base(last)
		if st, err := os.Stat(last); err == nil {
			b := st.Size()
			out.SnapshotBytes = &b
		}
		for _, s := range l.snapshots[:n-1] {
			out.Skipped = append(out.Skipped, filepath.Base(s)+": not loaded (server.log says why)")
		}
	}
	if l.hasReplay {
		n, ms := l.replayed, l.replayMs
		out.ReplayedTxns, out.ReplayMs = &n, &ms
	}
	return out
}
