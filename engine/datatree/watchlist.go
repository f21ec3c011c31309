package datatree

import (
	"cmp"
	"slices"
)

// PathWatchers is one path of a watch table and who watches it.
type PathWatchers struct {
	Path     string
	Watchers []Watcher
}

// list copies the table, sorted by path.
func (m *WatchManager) list() []PathWatchers {
	if m.n.Load() == 0 {
		return nil
	}
	m.mu.Lock()
	out := make([]PathWatchers, 0, len(m.byPath))
	for p, ws := range m.byPath {
		out = append(out, PathWatchers{Path: p, Watchers: slices.Clone(ws)})
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b PathWatchers) int { return cmp.Compare(a.Path, b.Path) })
	return out
}

// DataWatches lists the data-watch table (getData and exists watches),
// the table ZooKeeper's wchs, wchc and wchp report.
func (t *Tree) DataWatches() []PathWatchers { return t.dataWatches.list() }
