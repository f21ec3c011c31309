package faults

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"zkbench/engine"
)

// ErrLostWrites is the safety check's finding: a write the ensemble
// acknowledged is not on every member.
var ErrLostWrites = errors.New("acknowledged writes lost")

// Lost is one key whose acknowledged version a member does not hold.
type Lost struct {
	Key     string
	Member  uint64
	Acked   int32
	Version int32 // what the member holds; -1: no such node
}

func (l Lost) String() string {
	if l.Version < 0 {
		return fmt.Sprintf("%s (acknowledged version %d, member %d has no such node)", l.Key, l.Acked, l.Member)
	}
	return fmt.Sprintf("%s (acknowledged version %d, member %d has %d)", l.Key, l.Acked, l.Member, l.Version)
}

// CheckAcked waits until every member serves and has applied what the
// leader has, then reads every key of acked on every member: each must
// hold at least its acknowledged version (ZooKeeper's versions only
// grow). It returns the keys that do not, sorted by key then member.
func CheckAcked(ctx context.Context, ens *engine.Ensemble, acked map[string]int32) ([]Lost, error) {
	if err := caughtUp(ctx, ens); err != nil {
		return nil, fmt.Errorf("check the acknowledged writes: %w", err)
	}
	keys := slices.Sorted(maps.Keys(acked))
	var lost []Lost
	for _, id := range ens.Members() {
		c, err := ens.Client(id)
		if err != nil {
			return nil, fmt.Errorf("check the acknowledged writes on member %d: %w", id, err)
		}
		for _, k := range keys {
			st, ok, err := c.Exists(k, false)
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("check %s on member %d: %w", k, id, err)
			}
			v := int32(-1)
			if ok {
				v = st.Version
			}
			if v < acked[k] {
				lost = append(lost, Lost{Key: k, Member: id, Acked: acked[k], Version: v})
			}
		}
		c.Close()
	}
	slices.SortStableFunc(lost, func(a, b Lost) int { return strings.Compare(a.Key, b.Key) })
	return lost, nil
}

// caughtUp waits until a leader serves with every member, and every
// member has applied the leader's last zxid (writes have stopped).
func caughtUp(ctx context.Context, ens *engine.Ensemble) error {
	if err := ens.WaitServing(ctx); err != nil {
		return err
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		lead := ens.Leader()
		want := ens.Status(lead).Zxid
		behind := slices.ContainsFunc(ens.Members(), func(id uint64) bool {
			st := ens.Status(id)
			return !st.Up || st.Zxid < want
		})
		if lead != 0 && !behind {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for every member to apply the leader's txns: %w", ctx.Err())
		case <-t.C:
		}
	}
}
