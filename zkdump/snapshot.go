package zkdump

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"sort"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/snap"
)

// Snapshot is a snapshot file held in memory: children counts and a
// session's ephemerals are only known once every node has been read.
type Snapshot struct {
	nodes      []snap.Node
	sessions   []snap.Session
	children   map[string]int32
	ephemerals map[int64]int
	lastZxid   int64
	digest     *snap.Digest
}

// ReadSnapshot reads the whole file. Like SnapshotFormatter it keeps what
// it could read even when the seals do not match: it returns a Snapshot
// and the *snap.Error then, unless no znode could be read.
func ReadSnapshot(p string) (*Snapshot, error) {
	d := &Snapshot{children: map[string]int32{}, ephemerals: map[int64]int{}}
	if z, _, ok := snap.ParseName(filepath.Base(p)); ok {
		d.lastZxid = z
	}
	info, err := snap.ReadFile(disk.OS, p, snap.Handler{
		Session: func(s snap.Session) error { d.sessions = append(d.sessions, s); return nil },
		Node:    func(n snap.Node) error { d.add(n); return nil },
	})
	d.digest = info.Digest
	var se *snap.Error
	if err != nil && (len(d.nodes) == 0 || errors.Is(err, snap.ErrBadMagic) || !errors.As(err, &se)) {
		return nil, err
	}
	return d, err
}

func (d *Snapshot) add(n snap.Node) {
	d.nodes = append(d.nodes, n)
	if n.Path != "" {
		d.children[parentOf(n.Path)]++
	}
	if owner := n.Stat.EphemeralOwner; isSessionOwner(owner) {
		d.ephemerals[owner]++
	}
	// SnapshotFormatter prints max(file name zxid, newest zxid in the tree):
	// a fuzzy snapshot holds changes newer than its name.
	d.lastZxid = max(d.lastZxid, n.Stat.Mzxid, n.Stat.Pzxid, n.Stat.Czxid)
}

// isSessionOwner tells a session id apart from the container and TTL
// markers that share the ephemeralOwner field.
func isSessionOwner(owner int64) bool {
	return owner != 0 && uint64(owner) != 1<<63 && uint64(owner)>>56 != 0xff
}

func parentOf(p string) string {
	dir := path.Dir(p)
	if dir == "/" {
		return ""
	}
	return dir
}

func (d *Snapshot) numChildren(p string) int32 { return d.children[p] }

func javaDate(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("Mon Jan 02 15:04:05 MST 2006")
}

// zxid14 is SnapshotFormatter's "0x%014x"-style zxid.
func zxid14(v int64) string { return fmt.Sprintf("0x%014x", uint64(v)) }

// WriteText prints the layout of ZooKeeper's SnapshotFormatter.
func (d *Snapshot) WriteText(w io.Writer, detail bool) {
	fmt.Fprintf(w, "ZNode Details (count=%d):\n", len(d.nodes))
	for i := range d.nodes {
		n := &d.nodes[i]
		name := n.Path
		if name == "" {
			name = "/"
		}
		s := &n.Stat
		fmt.Fprintf(w, "----\n%s\n", name)
		fmt.Fprintf(w, "  cZxid = %s\n  ctime = %s\n  mZxid = %s\n  mtime = %s\n  pZxid = %s\n",
			zxid14(s.Czxid), javaDate(s.Ctime), zxid14(s.Mzxid), javaDate(s.Mtime), zxid14(s.Pzxid))
		fmt.Fprintf(w, "  cversion = %d\n  dataVersion = %d\n  aclVersion = %d\n  ephemeralOwner = %s\n",
			s.Cversion, s.Version, s.Aversion, zxid14(s.EphemeralOwner))
		if detail {
			fmt.Fprintf(w, "  data = %s\n", base64.StdEncoding.EncodeToString(n.Data))
		} else {
			fmt.Fprintf(w, "  dataLength = %d\n", len(n.Data))
		}
	}
	fmt.Fprintln(w, "----\nSession Details (sid, timeout, ephemeralCount):")
	for _, s := range d.sortedSessions() {
		fmt.Fprintf(w, "%s, %d, %d\n", Hex(s.ID), s.Timeout, d.ephemerals[s.ID])
	}
	fmt.Fprintf(w, "----\nLast zxid: %s\n", Hex(d.lastZxid))
	if d.digest != nil {
		fmt.Fprintf(w, "Digest: version %d, zxid %s, value %d\n", d.digest.Version, Hex(d.digest.Zxid), d.digest.Value)
	}
}

func (d *Snapshot) sortedSessions() []snap.Session {
	s := append([]snap.Session(nil), d.sessions...)
	sort.Slice(s, func(i, j int) bool { return uint64(s[i].ID) < uint64(s[j].ID) })
	return s
}

type znodeJSON struct {
	Path           string `json:"path"`
	Czxid          string `json:"czxid"`
	Mzxid          string `json:"mzxid"`
	Pzxid          string `json:"pzxid"`
	Ctime          string `json:"ctime"`
	Mtime          string `json:"mtime"`
	Version        int32  `json:"version"`
	Cversion       int32  `json:"cversion"`
	Aversion       int32  `json:"aversion"`
	EphemeralOwner string `json:"ephemeralOwner"`
	DataLength     int    `json:"dataLength"`
	NumChildren    int32  `json:"numChildren"`
}

type sessionJSON struct {
	ID         string `json:"id"`
	Timeout    int32  `json:"timeout"`
	Ephemerals int    `json:"ephemerals"`
}

type digestJSON struct {
	Zxid    string `json:"zxid"`
	Version int32  `json:"version"`
	Value   int64  `json:"value"`
}

type snapshotTailJSON struct {
	Sessions []sessionJSON `json:"sessions"`
	LastZxid string        `json:"lastZxid"`
	Digest   *digestJSON   `json:"digest"`
}

// WriteJSON prints cli.md's --json form: one object per znode, then one
// object with sessions, lastZxid and digest.
func (d *Snapshot) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	for i := range d.nodes {
		n := &d.nodes[i]
		s := &n.Stat
		p := n.Path
		if p == "" {
			p = "/"
		}
		err := enc.Encode(znodeJSON{
			Path: p, Czxid: Hex(s.Czxid), Mzxid: Hex(s.Mzxid), Pzxid: Hex(s.Pzxid),
			Ctime: msTime(s.Ctime).Format(time.RFC3339Nano), Mtime: msTime(s.Mtime).Format(time.RFC3339Nano),
			Version: s.Version, Cversion: s.Cversion, Aversion: s.Aversion,
			EphemeralOwner: Hex(s.EphemeralOwner), DataLength: len(n.Data), NumChildren: d.numChildren(n.Path),
		})
		if err != nil {
			return err
		}
	}
	tail := snapshotTailJSON{Sessions: []sessionJSON{}, LastZxid: Hex(d.lastZxid)}
	for _, s := range d.sortedSessions() {
		tail.Sessions = append(tail.Sessions, sessionJSON{ID: Hex(s.ID), Timeout: s.Timeout, Ephemerals: d.ephemerals[s.ID]})
	}
	if d.digest != nil {
		tail.Digest = &digestJSON{Zxid: Hex(d.digest.Zxid), Version: d.digest.Version, Value: d.digest.Value}
	}
	return enc.Encode(tail)
}
