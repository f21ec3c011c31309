package main

import (
	"context"
	"encoding/json"
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
		return nil, usagef("--target %v", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, err := t.Connect(cctx)
	if err != nil {
		return nil, usagef("--target %s: unreachable: %v", url, err)
	}
	c.Close()
	return t, nil
}

// externalServers reads every server's mntr figures: result.json gets
// each one's role and slow-fsync count, mntr.json all of it.
func (r *runner) externalServers(ctx context.Context, t *zktarget.Target) []results.Server {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stats := t.ServerStats(cctx)
	var out []results.Server
	raw := map[string]any{}
	for i, s := range stats {
		srv := results.Server{ID: i + 1, Role: "unknown", Snapshots: []results.Snapshot{}}
		if s.Err != nil {
			raw[s.Addr] = map[string]string{"error": s.Err.Error()}
		} else {
			raw[s.Addr] = s.Stats
			if role, ok := s.Stats["zk_server_state"]; ok {
				srv.Role = role
			}
			if n, err := strconv.ParseInt(s.Stats["zk_fsync_threshold_exceed_count"], 10, 64); err == nil {
				srv.Fsync.OverWarningThreshold = n
			}
		}
		out = append(out, srv)
	}
	if b, err := json.MarshalIndent(raw, "", "  "); err == nil {
		os.WriteFile(filepath.Join(r.out, "mntr.json"), append(b, '\n'), 0o644)
	}
	return out
}

var _ workloads.Target = (*zktarget.Target)(nil)
