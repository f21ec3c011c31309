package datatree

import (
	"slices"
	"sync"
	"sync/atomic"
)

// EventType is the type of a watch notification (Watcher.Event.EventType).
type EventType int32

const (
	EventNone                EventType = -1
	EventNodeCreated         EventType = 1
	EventNodeDeleted         EventType = 2
	EventNodeDataChanged     EventType = 3
	EventNodeChildrenChanged EventType = 4
)

// KeeperState is the connection state carried by a notification.
type KeeperState int32

// StateSyncConnected is the state of every notification the tree fires.
const StateSyncConnected KeeperState = 3

// WatchedEvent is one notification (WatchedEvent / WatcherEvent on the
// wire). Zxid is the txn that fired it; ZooKeeper 3.8 does not send it to
// clients.
type WatchedEvent struct {
	Type  EventType
	State KeeperState
	Path  string
	Zxid  int64
}

// Watcher receives notifications, typically a client connection that queues
// them for sending. Process is called synchronously on the goroutine that
// runs Apply, so it must not block and must not call Apply. Watchers are
// used as map keys: implement Watcher on a pointer type.
type Watcher interface {
	Process(e WatchedEvent)
}

// WatchKind selects the watch table(s) RemoveWatch works on.
type WatchKind int

const (
	WatchData WatchKind = iota
	WatchChildren
	WatchAny
)

// WatchManager holds one-shot watches by path (ZooKeeper's WatchManager in
// STANDARD mode): a trigger removes every watch on the path and notifies its
// watchers once. The tree keeps two, for data watches (getData, exists) and
// child watches (getChildren).
//
// Trigger on a manager without watches is one atomic load, so a tree nobody
// watches pays nothing on Apply.
type WatchManager struct {
	n      atomic.Int64 // number of (path, watcher) registrations
	mu     sync.Mutex
	byPath map[string][]Watcher
	byW    map[Watcher]map[string]struct{}
}

// Add registers w on path; it reports false when it was already there.
func (m *WatchManager) Add(path string, w Watcher) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if slices.Contains(m.byPath[path], w) {
		return false
	}
	if m.byPath == nil {
		m.byPath = make(map[string][]Watcher)
		m.byW = make(map[Watcher]map[string]struct{})
	}
	m.byPath[path] = append(m.byPath[path], w)
	paths := m.byW[w]
	if paths == nil {
		paths = make(map[string]struct{})
		m.byW[w] = paths
	}
	paths[path] = struct{}{}
	m.n.Add(1)
	return true
}

// Contains reports whether w watches path.
func (m *WatchManager) Contains(path string, w Watcher) bool {
	if m.n.Load() == 0 {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.byPath[path], w)
}

// Remove drops w's watch on path; it reports whether there was one.
func (m *WatchManager) Remove(path string, w Watcher) bool {
	if m.n.Load() == 0 {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ws := m.byPath[path]
	i := slices.Index(ws, w)
	if i < 0 {
		return false
	}
	m.removeAt(path, ws, i)
	paths := m.byW[w]
	delete(paths, path)
	if len(paths) == 0 {
		delete(m.byW, w)
	}
	return true
}

func (m *WatchManager) removeAt(path string, ws []Watcher, i int) {
	ws = slices.Delete(ws, i, i+1)
	if len(ws) == 0 {
		delete(m.byPath, path)
	} else {
		m.byPath[path] = ws
	}
	m.n.Add(-1)
}

// RemoveWatcher drops every watch of w, as when its connection closes.
func (m *WatchManager) RemoveWatcher(w Watcher) {
	if m.n.Load() == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for path := range m.byW[w] {
		ws := m.byPath[path]
		if i := slices.Index(ws, w); i >= 0 {
			m.removeAt(path, ws, i)
		}
	}
	delete(m.byW, w)
}

// Count returns the number of (path, watcher) registrations.
func (m *WatchManager) Count() int { return int(m.n.Load()) }

// Trigger fires and removes every watch on path, skipping watchers in
// suppress (they were already notified of the same change through the other
// table), and returns the watchers it removed.
func (m *WatchManager) Trigger(path string, typ EventType, zxid int64, suppress []Watcher) []Watcher {
	if m.n.Load() == 0 {
		return nil
	}
	m.mu.Lock()
	ws := m.byPath[path]
	if len(ws) == 0 {
		m.mu.Unlock()
		return nil
	}
	delete(m.byPath, path)
	m.n.Add(-int64(len(ws)))
	for _, w := range ws {
		paths := m.byW[w]
		delete(paths, path)
		if len(paths) == 0 {
			delete(m.byW, w)
		}
	}
	m.mu.Unlock()
	// Notify outside the lock so that a watcher may register again.
	e := WatchedEvent{Type: typ, State: StateSyncConnected, Path: path, Zxid: zxid}
	for _, w := range ws {
		if !slices.Contains(suppress, w) {
			w.Process(e)
		}
	}
	return ws
}
