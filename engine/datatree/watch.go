package datatree

import (
	"slices"
	"strings"
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

// WatchKind selects the watch table(s) RemoveWatch and CheckWatch work on:
// ZooKeeper's WatcherType (on the wire 2, 1 and 3: jute.WatcherData,
// WatcherChildren, WatcherAny).
type WatchKind int

const (
	WatchData WatchKind = iota
	WatchChildren
	WatchAny
)

// WatchMode is how long a watch lives (ZooKeeper's WatcherMode).
type WatchMode int8

const (
	// WatchStandard fires once, on its node, and is gone.
	WatchStandard WatchMode = iota
	// WatchPersistent fires on every change of its node and stays.
	WatchPersistent
	// WatchPersistentRecursive fires on every change of its node and of
	// every node below it, except NodeChildrenChanged, and stays.
	WatchPersistentRecursive
)

type watchKey struct {
	w    Watcher
	path string
}

// WatchManager holds watches by path (ZooKeeper's WatchManager, the
// default implementation): a standard watch is removed when it fires, a
// persistent one stays, a recursive one also fires for the nodes below
// its path. Each (path, watcher) has one mode, the last one set: a
// getData watch over a persistent watch of the same connection makes it
// a standard one again, as in ZooKeeper 3.8. The tree keeps two
// managers, for data watches (getData, exists) and child watches
// (getChildren); a persistent watch is in both.
//
// Trigger on a manager without watches is one atomic load, so a tree nobody
// watches pays nothing on Apply.
type WatchManager struct {
	n         atomic.Int64 // number of (path, watcher) registrations
	recursive atomic.Int64 // how many of them are recursive
	mu        sync.Mutex
	byPath    map[string][]Watcher
	byW       map[Watcher]map[string]struct{}
	modes     map[watchKey]WatchMode // only the registrations that are not standard
}

// Add registers a standard watch of w on path; it reports false when w
// watched path already.
func (m *WatchManager) Add(path string, w Watcher) bool {
	return m.AddMode(path, w, WatchStandard)
}

// AddMode registers w on path with mode (replacing the mode of a watch w
// has there); it reports false when w watched path already.
func (m *WatchManager) AddMode(path string, w Watcher, mode WatchMode) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setMode(watchKey{w, path}, mode)
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

// setMode records k's mode and keeps the recursive count. m.mu is held.
func (m *WatchManager) setMode(k watchKey, mode WatchMode) {
	old := m.modes[k]
	if mode == WatchStandard {
		delete(m.modes, k)
	} else {
		if m.modes == nil {
			m.modes = make(map[watchKey]WatchMode)
		}
		m.modes[k] = mode
	}
	switch {
	case old == WatchPersistentRecursive && mode != WatchPersistentRecursive:
		m.recursive.Add(-1)
	case old != WatchPersistentRecursive && mode == WatchPersistentRecursive:
		m.recursive.Add(1)
	}
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

// Watched is what ZooKeeper 3.8's WatchManager.containsWatcher answers
// for checkWatches: whether any connection watches path, whichever asks.
// (Its loop looks at the asker's mode only for a recursive watch on path
// itself, which is then on path too.) Clients check their own watches
// before they send checkWatches or removeWatches, so only a raw client
// sees the difference.
func (m *WatchManager) Watched(path string) bool {
	if m.n.Load() == 0 {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byPath[path]) > 0
}

// Remove drops w's watch on path, whatever its mode; it reports whether
// there was one.
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
	m.setMode(watchKey{w, path}, WatchStandard)
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
		m.setMode(watchKey{w, path}, WatchStandard)
	}
	delete(m.byW, w)
}

// Count returns the number of (path, watcher) registrations.
func (m *WatchManager) Count() int { return int(m.n.Load()) }

// Trigger fires the watches an event of typ on path concerns and removes
// the standard ones among them: every watch on path itself, and, while
// any recursive watch exists, the recursive watches on path's ancestors
// unless typ is NodeChildrenChanged (ZooKeeper's triggerWatch with its
// PathParentIterator). A watcher is notified once even when several of
// its watches match; watchers in suppress are not notified (they were
// already, of the same change, through the other table). It returns
// every watcher that matched.
func (m *WatchManager) Trigger(path string, typ EventType, zxid int64, suppress []Watcher) []Watcher {
	if m.n.Load() == 0 {
		return nil
	}
	var fired []Watcher
	m.mu.Lock()
	parents := m.recursive.Load() > 0
	if !parents && len(m.modes) == 0 {
		fired = m.takeAll(path) // only standard watches: all of path's go
	} else {
		for p, atParent := path, false; ; p, atParent = parentWatchPath(p), true {
			if ws := m.byPath[p]; len(ws) > 0 {
				fired = m.triggerOn(p, ws, atParent, typ, fired)
			}
			if !parents || p == "/" || p == "" || !strings.Contains(p, "/") {
				break
			}
		}
	}
	m.mu.Unlock()
	if len(fired) == 0 {
		return nil
	}
	if parents {
		fired = unique(fired)
	}
	// Notify outside the lock so that a watcher may register again.
	e := WatchedEvent{Type: typ, State: StateSyncConnected, Path: path, Zxid: zxid}
	for _, w := range fired {
		if !slices.Contains(suppress, w) {
			w.Process(e)
		}
	}
	return fired
}

// takeAll removes every watch on path and returns its watchers (nil for
// none). m.mu is held.
func (m *WatchManager) takeAll(path string) []Watcher {
	ws := m.byPath[path]
	if len(ws) == 0 {
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
	return ws
}

// triggerOn collects into fired the watchers of p, the path of the event
// or (atParent) one of its ancestors, that the event concerns, and
// removes the standard ones. m.mu is held.
func (m *WatchManager) triggerOn(p string, ws []Watcher, atParent bool, typ EventType, fired []Watcher) []Watcher {
	kept := ws[:0]
	for _, w := range ws {
		mode := WatchStandard
		if len(m.modes) > 0 {
			mode = m.modes[watchKey{w, p}]
		}
		switch {
		case mode == WatchPersistentRecursive:
			if typ != EventNodeChildrenChanged {
				fired = append(fired, w)
			}
		case !atParent:
			fired = append(fired, w)
			if mode == WatchStandard {
				m.n.Add(-1)
				paths := m.byW[w]
				delete(paths, p)
				if len(paths) == 0 {
					delete(m.byW, w)
				}
				continue
			}
		}
		kept = append(kept, w)
	}
	clear(ws[len(kept):])
	if len(kept) == 0 {
		delete(m.byPath, p)
	} else {
		m.byPath[p] = kept
	}
	return fired
}

// unique drops the later repeats of a watcher from ws, keeping the order.
func unique(ws []Watcher) []Watcher {
	if len(ws) < 2 {
		return ws
	}
	seen := make(map[Watcher]struct{}, len(ws))
	out := ws[:0]
	for _, w := range ws {
		if _, ok := seen[w]; !ok {
			seen[w] = struct{}{}
			out = append(out, w)
		}
	}
	return out
}

// parentWatchPath is PathParentIterator's step: "/a/b" → "/a" → "/".
func parentWatchPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
