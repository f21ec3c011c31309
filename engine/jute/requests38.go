package jute

// The requests of zookeeper.jute 3.8 beyond the basic data operations:
// watch management (addWatch, checkWatches, removeWatches, setWatches2),
// what a session may ask about itself (getEphemerals, whoAmI), the
// subtree count (getAllChildrenNumber), SASL's token exchange and
// reconfig.

// AddWatch modes (ZooDefs.AddWatchModes), the Mode of an AddWatchRequest.
const (
	AddWatchPersistent          int32 = 0
	AddWatchPersistentRecursive int32 = 1
)

// Watcher types (Watcher.WatcherType), the Type of checkWatches and
// removeWatches.
const (
	WatcherChildren int32 = 1
	WatcherData     int32 = 2
	WatcherAny      int32 = 3
)

// AddWatchRequest is the body of addWatch: a persistent watch on Path,
// recursive or not.
type AddWatchRequest struct {
	Path string
	Mode int32 // an AddWatch* mode
}

func (a *AddWatchRequest) Encode(w *Writer) { w.String(a.Path); w.Int(a.Mode) }
func (a *AddWatchRequest) Decode(r *Reader) { a.Path = r.String(); a.Mode = r.Int() }

// CheckWatchesRequest is the body of checkWatches.
type CheckWatchesRequest struct {
	Path string
	Type int32 // a Watcher* type
}

func (c *CheckWatchesRequest) Encode(w *Writer) { w.String(c.Path); w.Int(c.Type) }
func (c *CheckWatchesRequest) Decode(r *Reader) { c.Path = r.String(); c.Type = r.Int() }

// RemoveWatchesRequest is the body of removeWatches.
type RemoveWatchesRequest struct {
	Path string
	Type int32 // a Watcher* type
}

func (c *RemoveWatchesRequest) Encode(w *Writer) { w.String(c.Path); w.Int(c.Type) }
func (c *RemoveWatchesRequest) Decode(r *Reader) { c.Path = r.String(); c.Type = r.Int() }

// SetWatches2 is the body of setWatches2: SetWatches with the persistent
// and persistent recursive watches a reconnecting client re-registers.
type SetWatches2 struct {
	RelativeZxid               int64
	DataWatches                []string
	ExistWatches               []string
	ChildWatches               []string
	PersistentWatches          []string
	PersistentRecursiveWatches []string
}

func (s *SetWatches2) Encode(w *Writer) {
	w.Long(s.RelativeZxid)
	writeStrings(w, s.DataWatches)
	writeStrings(w, s.ExistWatches)
	writeStrings(w, s.ChildWatches)
	writeStrings(w, s.PersistentWatches)
	writeStrings(w, s.PersistentRecursiveWatches)
}

func (s *SetWatches2) Decode(r *Reader) {
	s.RelativeZxid = r.Long()
	s.DataWatches = readStrings(r)
	s.ExistWatches = readStrings(r)
	s.ChildWatches = readStrings(r)
	s.PersistentWatches = readStrings(r)
	s.PersistentRecursiveWatches = readStrings(r)
}

// GetEphemeralsRequest is the body of getEphemerals: the asking session's
// ephemeral nodes whose paths start with PrefixPath.
type GetEphemeralsRequest struct{ PrefixPath string }

func (g *GetEphemeralsRequest) Encode(w *Writer) { w.String(g.PrefixPath) }
func (g *GetEphemeralsRequest) Decode(r *Reader) { g.PrefixPath = r.String() }

// GetEphemeralsResponse answers getEphemerals.
type GetEphemeralsResponse struct{ Ephemerals []string }

func (g *GetEphemeralsResponse) Encode(w *Writer) { writeStrings(w, g.Ephemerals) }
func (g *GetEphemeralsResponse) Decode(r *Reader) { g.Ephemerals = readStrings(r) }

// GetAllChildrenNumberRequest is the body of getAllChildrenNumber.
type GetAllChildrenNumberRequest struct{ Path string }

func (g *GetAllChildrenNumberRequest) Encode(w *Writer) { w.String(g.Path) }
func (g *GetAllChildrenNumberRequest) Decode(r *Reader) { g.Path = r.String() }

// GetAllChildrenNumberResponse answers getAllChildrenNumber with the
// number of nodes below the path, at any depth.
type GetAllChildrenNumberResponse struct{ TotalNumber int32 }

func (g *GetAllChildrenNumberResponse) Encode(w *Writer) { w.Int(g.TotalNumber) }
func (g *GetAllChildrenNumberResponse) Decode(r *Reader) { g.TotalNumber = r.Int() }

// ClientInfo is one of a connection's identities in a WhoAmIResponse.
type ClientInfo struct {
	AuthScheme string
	User       string // the provider's user name: the address for ip, the user for digest
}

// WhoAmIResponse answers whoAmI (which has no request body).
type WhoAmIResponse struct{ ClientInfo []ClientInfo }

func (r *WhoAmIResponse) Encode(w *Writer) {
	if r.ClientInfo == nil {
		w.Int(-1)
		return
	}
	w.Int(int32(len(r.ClientInfo)))
	for _, ci := range r.ClientInfo {
		w.String(ci.AuthScheme)
		w.String(ci.User)
	}
}

func (r *WhoAmIResponse) Decode(rd *Reader) {
	n, null := rd.Count()
	r.ClientInfo = nil
	if null || rd.Err() != nil {
		return
	}
	r.ClientInfo = make([]ClientInfo, 0, n)
	for range n {
		r.ClientInfo = append(r.ClientInfo, ClientInfo{AuthScheme: rd.String(), User: rd.String()})
	}
}

// GetSASLRequest is the body of sasl: the client's SASL token.
type GetSASLRequest struct{ Token []byte }

func (g *GetSASLRequest) Encode(w *Writer) { w.Buffer(g.Token) }
func (g *GetSASLRequest) Decode(r *Reader) { g.Token = r.BufferCopy() }

// SetSASLResponse answers sasl with the server's token.
type SetSASLResponse struct{ Token []byte }

func (s *SetSASLResponse) Encode(w *Writer) { w.Buffer(s.Token) }
func (s *SetSASLResponse) Decode(r *Reader) { s.Token = r.BufferCopy() }

// ReconfigRequest is the body of reconfig. A null string (Null* true) is
// not an empty one: NewMembers present makes a non-incremental reconfig.
type ReconfigRequest struct {
	JoiningServers, LeavingServers, NewMembers string
	NullJoining, NullLeaving, NullNewMembers   bool
	CurConfigID                                int64 // -1: whatever the current config
}

func (c *ReconfigRequest) Encode(w *Writer) {
	writeNullable(w, c.JoiningServers, c.NullJoining)
	writeNullable(w, c.LeavingServers, c.NullLeaving)
	writeNullable(w, c.NewMembers, c.NullNewMembers)
	w.Long(c.CurConfigID)
}

func (c *ReconfigRequest) Decode(r *Reader) {
	c.JoiningServers, c.NullJoining = readNullable(r)
	c.LeavingServers, c.NullLeaving = readNullable(r)
	c.NewMembers, c.NullNewMembers = readNullable(r)
	c.CurConfigID = r.Long()
}

func writeNullable(w *Writer, s string, null bool) {
	if null {
		w.Int(-1)
		return
	}
	w.String(s)
}

func readNullable(r *Reader) (string, bool) {
	n, ok := r.length()
	if !ok || n < 0 {
		return "", ok
	}
	return string(r.take(n)), false
}
