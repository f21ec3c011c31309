package engine

import (
	"sort"
	"sync"

	"zkbench/engine/datatree"
)

// sessionTracker is the leader's SessionTrackerImpl: every global session
// with its deadline, refreshed by touches (its own clients' traffic and
// the learners' PING reports), expired when a deadline passes. Times are
// wall-clock milliseconds.
type sessionTracker struct {
	mu       sync.Mutex
	sessions map[int64]*tracked
}

type tracked struct {
	timeout  int32 // ms
	deadline int64 // ms
	closing  bool  // a closeSession was prepared
}

// newSessionTracker starts tracking the sessions a new leader's tree
// holds, each with a full timeout ahead of it (LeaderSessionTracker is
// built from the database's sessions when the leader starts serving).
func newSessionTracker(sessions []datatree.Session, now int64) *sessionTracker {
	t := &sessionTracker{sessions: make(map[int64]*tracked, len(sessions))}
	for _, s := range sessions {
		t.sessions[s.ID] = &tracked{timeout: s.Timeout, deadline: now + int64(s.Timeout)}
	}
	return t
}

func (t *sessionTracker) add(id int64, timeout int32, now int64) {
	t.mu.Lock()
	t.sessions[id] = &tracked{timeout: timeout, deadline: now + int64(timeout)}
	t.mu.Unlock()
}

func (t *sessionTracker) touch(id int64, now int64) {
	t.mu.Lock()
	if s := t.sessions[id]; s != nil && !s.closing {
		s.deadline = max(s.deadline, now+int64(s.timeout))
	}
	t.mu.Unlock()
}

func (t *sessionTracker) setClosing(id int64) {
	t.mu.Lock()
	if s := t.sessions[id]; s != nil {
		s.closing = true
	}
	t.mu.Unlock()
}

func (t *sessionTracker) remove(id int64) {
	t.mu.Lock()
	delete(t.sessions, id)
	t.mu.Unlock()
}

// check is what PrepRequestProcessor asks before a write: is the session
// alive (SessionTrackerImpl.checkSession)?
func (t *sessionTracker) check(id int64) datatree.Code {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sessions[id]
	switch {
	case s == nil:
		return datatree.UnknownSession
	case s.closing:
		return datatree.SessionExpired
	}
	return datatree.Ok
}

// expire marks every session whose deadline passed as closing and returns
// their ids, oldest deadline first.
func (t *sessionTracker) expire(now int64) []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ids []int64
	for id, s := range t.sessions {
		if !s.closing && s.deadline <= now {
			s.closing = true
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := t.sessions[ids[i]], t.sessions[ids[j]]
		return a.deadline < b.deadline || (a.deadline == b.deadline && ids[i] < ids[j])
	})
	return ids
}
