package faults

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// CheckAckedServers is CheckAcked for real servers: it waits until each
// serves (one leads, every other answers srvr with its mode), then reads
// every key of acked from each server over its own client port, in a
// session with that server alone, after a sync (so that a follower has
// applied what the leader committed before it).
func (s *Schedule) CheckAckedServers(ctx context.Context, acked map[string]int32) ([]Lost, error) {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if err := s.waitServing(ctx, srv); err != nil {
		return nil, fmt.Errorf("check the acknowledged writes: %w", err)
	}
	keys := slices.Sorted(maps.Keys(acked))
	var lost []Lost
	for _, id := range srv.Members() {
		l, err := readVersions(ctx, srv.ClientAddr(id), keys, acked)
		if err != nil {
			return nil, fmt.Errorf("check the acknowledged writes on member %d (%s): %w", id, srv.ClientAddr(id), err)
		}
		for i := range l {
			l[i].Member = uint64(id)
		}
		lost = append(lost, l...)
	}
	slices.SortStableFunc(lost, func(a, b Lost) int { return strings.Compare(a.Key, b.Key) })
	return lost, nil
}

// waitServing polls the servers' modes (which the recorder hears: a
// server healed at the run's end is seen serving again here) until every
// one answers and one leads.
func (s *Schedule) waitServing(ctx context.Context, srv Servers) error {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		modes := s.poll(ctx)
		leaders := 0
		for _, m := range modes {
			if m == Leader {
				leaders++
			}
		}
		if len(modes) == len(srv.Members()) && leaders == 1 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for every server to serve (modes %v): %w", modes, ctx.Err())
		case <-t.C:
		}
	}
}

// readVersions opens a session with the server at addr alone, syncs it
// with the leader and reads each key's version, returning the keys whose
// version is below the acknowledged one.
func readVersions(ctx context.Context, addr string, keys []string, acked map[string]int32) ([]Lost, error) {
	conn, events, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogger(quietLog{}), zk.WithLogInfo(false))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	for connected := false; !connected; {
		select {
		case ev := <-events:
			connected = ev.State == zk.StateHasSession
		case <-ctx.Done():
			return nil, fmt.Errorf("no session: %w", ctx.Err())
		}
	}
	if _, err := conn.Sync("/"); err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	var lost []Lost
	for _, k := range keys {
		ok, st, err := conn.Exists(k)
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			return nil, fmt.Errorf("exists %s: %w", k, err)
		}
		v := int32(-1)
		if ok && st != nil {
			v = st.Version
		}
		if v < acked[k] {
			lost = append(lost, Lost{Key: k, Acked: acked[k], Version: v})
		}
	}
	return lost, nil
}

// quietLog drops go-zookeeper's log lines: the check's output is its
// finding.
type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
