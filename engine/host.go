package engine

import (
	"sync"

	"zkbench/engine/datatree"
)

// host is a member as the sessions connected to it see it. A Client, and
// through it a client-port connection, reaches its member only through
// these methods, and the member knows its sessions only as attached: a
// session moves between members (Reconnect, a client port's resume) and a
// member restarts as a new value, so neither side holds the other's type.
type host interface {
	memberID() uint64
	// state is what a session checks before a request: the tree its
	// reads see, the generation of the member's connections (bumped
	// whenever it stops serving: they all break) and whether it serves.
	state() (tree *datatree.Tree, gen uint64, serving bool)
	// submit queues a write or sync for the member's pipeline; the call
	// is answered, or failed once the member stops (down is closed).
	submit(c *call)
	down() <-chan struct{}
	newSessionID() int64
	attach(s attached)
	detach(s attached)
}

// attached is a session as the member it is connected to sees it.
type attached interface {
	sessionID() int64
	sessionTimeout() int32 // ms, negotiated
	// sessionClosed: the session's closeSession was applied (it expired
	// or was closed).
	sessionClosed()
}

// sessions are the sessions connected to one member. The member touches
// them every tick, as their client libraries' pings would.
type sessions struct {
	mu sync.Mutex
	m  map[int64]attached
}

func (s *sessions) add(a attached) {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[int64]attached{}
	}
	s.m[a.sessionID()] = a
	s.mu.Unlock()
}

func (s *sessions) remove(a attached) {
	s.mu.Lock()
	if s.m[a.sessionID()] == a {
		delete(s.m, a.sessionID())
	}
	s.mu.Unlock()
}

// take removes and returns session id's connection, if it has one here.
func (s *sessions) take(id int64) attached {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.m[id]
	delete(s.m, id)
	return a
}

func (s *sessions) each(fn func(attached)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.m {
		fn(a)
	}
}

// forget drops every session: they live on for Reconnect, this member
// (stopped) no longer holds them.
func (s *sessions) forget() {
	s.mu.Lock()
	clear(s.m)
	s.mu.Unlock()
}

// The member's side of host.

func (m *member) memberID() uint64 { return m.id }

func (m *member) state() (*datatree.Tree, uint64, bool) {
	return m.tree.Load(), m.gen.Load(), m.serving.Load() && !m.stopped()
}

func (m *member) down() <-chan struct{} { return m.done }

func (m *member) newSessionID() int64 { return m.nextSess.Add(1) }

func (m *member) attach(s attached) { m.clients.add(s) }

func (m *member) detach(s attached) { m.clients.remove(s) }

// submit queues a client call for the run goroutine.
func (m *member) submit(c *call) {
	select {
	case m.inbox <- c:
	case <-m.stopCh:
		c.fail(ErrConnectionLoss)
	case <-m.done: // failed on its own: the inbox has no reader any more
		c.fail(ErrConnectionLoss)
	}
}

// sessionClosed tells a connected session it is gone (expired or closed).
func (m *member) sessionClosed(id int64) {
	if a := m.clients.take(id); a != nil {
		a.sessionClosed()
	}
}
