package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"zkbench/results"
	"zkbench/workloads"
	"zkbench/workloads/zktarget"
)

// externalTarget opens a real ZooKeeper ensemble named by a zk:// URL.
func externalTarget(ctx context.Context, url string) (*zktarget.Target, error) {
	t, err := zktarget.New(url)
	if err != nil {
		return nil, fmt.Errorf("--target %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, err := t.Connect(cctx)
	if err != nil {
		return nil, fmt.Errorf("--target %s: unreachable: %w", url, err)
	}
	c.Close()
	return t, nil
}

// mntrAtStart schedules the reading of every server's mntr at start, the
// beginning of the measured phase: ZooKeeper's counters run from each
// server's start, so what the run did is the difference to the end.
func (r *runner) mntrAtStart(start time.Time) {
	t := r.external
	ch := make(chan []zktarget.ServerStats, 1)
	r.mntrStart = ch
	time.AfterFunc(time.Until(start), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ch <- t.ServerStats(ctx)
	})
}

// baseline waits for the mntr read at the measured start, if the run got
// that far.
func (r *runner) baseline(measured bool) []zktarget.ServerStats {
	if r.mntrStart == nil || !measured {
		return nil
	}
	select {
	case b := <-r.mntrStart:
		return b
	case <-time.After(15 * time.Second):
		return nil
	}
}

// externalServers reads every server's mntr figures at the end (end, when
// read already, before the servers stopped): result.json
// gets each one's role and, as differences to the measured start, its
// fsync count and mean latency (ZooKeeper keeps only count, sum, min and
// max of its fsynctime, in ms) and slow-fsync count; mntr.json keeps all
// of both readings.
func (r *runner) externalServers(ctx context.Context, t *zktarget.Target, base, end []zktarget.ServerStats) []results.Server {
	stats := end
	if stats == nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		stats = t.ServerStats(cctx)
	}
	roles := r.rolesEnd
	if roles == nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		roles = endRoles(cctx, t.Servers(), stats)
	}
	// A server killed and started again during the run counts from its
	// restart: mntr's counters began again then.
	var restarted map[int]bool
	if r.sched != nil && r.managed != nil {
		restarted = r.sched.Restarted()
	}
	var out []results.Server
	raw := map[string]any{}
	for i, s := range stats {
		srv := results.Server{ID: i + 1, Role: "unknown", Fsync: results.Fsync{Source: results.SourceMntr}}
		var before map[string]string
		if i < len(base) && base[i].Err == nil && !restarted[i+1] {
			before = base[i].Stats
		}
		if s.Err != nil {
			raw[s.Addr] = map[string]any{"error": s.Err.Error(), "start": before}
		} else {
			raw[s.Addr] = map[string]any{"start": before, "end": s.Stats}
			srv.Fsync = mntrFsync(before, s.Stats)
		}
		if i < len(roles) {
			srv.Role = roles[i]
		}
		out = append(out, srv)
	}
	if b, err := json.MarshalIndent(raw, "", "  "); err == nil {
		os.WriteFile(filepath.Join(r.plan.Out, "mntr.json"), append(b, '\n'), 0o644)
	}
	return out
}

// mntrFsync is a server's fsyncs between two mntr readings. Without the
// first (the run ended before the measured phase, or the server did not
// answer then) the counts are since the server started.
func mntrFsync(before, after map[string]string) results.Fsync {
	delta := func(key string) int64 {
		b, _ := strconv.ParseInt(before[key], 10, 64)
		a, _ := strconv.ParseInt(after[key], 10, 64)
		return max(0, a-b)
	}
	f := results.Fsync{Source: results.SourceMntr, Count: delta("zk_cnt_fsynctime"),
		OverWarningThreshold: delta("zk_fsync_threshold_exceed_count")}
	if f.Count > 0 {
		f.Latency.Mean = float64(delta("zk_sum_fsynctime")) * 1000 / float64(f.Count)
	}
	// mntr's max is since the server started: the run's own only when
	// the run raised it.
	b, _ := strconv.ParseInt(before["zk_max_fsynctime"], 10, 64)
	if a, err := strconv.ParseInt(after["zk_max_fsynctime"], 10, 64); err == nil && before != nil && a > b {
		f.Latency.Max = a * 1000
	}
	return f
}

var _ workloads.Target = (*zktarget.Target)(nil)
