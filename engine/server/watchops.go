package server

import (
	"strings"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// readMore answers the requests ZooKeeper 3.6 and later added to the
// ones every member answers itself, as FinalRequestProcessor does; ok is
// false for a record it does not know (or one that does not go with
// req.Type).
func readMore(t *datatree.Tree, req Request, w datatree.Watcher) (jute.Record, datatree.Code, bool) {
	switch r := req.Record.(type) {
	case *jute.SetWatches2:
		if req.Type != jute.OpSetWatches2 {
			break
		}
		if w != nil {
			t.SetWatches(r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches,
				r.PersistentWatches, r.PersistentRecursiveWatches, w)
		}
		return nil, datatree.Ok, true
	case *jute.AddWatchRequest:
		if req.Type != jute.OpAddWatch {
			break
		}
		rsp, c := addWatch(t, r, w)
		return rsp, c, true
	case *jute.CheckWatchesRequest:
		if req.Type != jute.OpCheckWatches {
			break
		}
		kind, ok := watchKind(r.Type)
		switch {
		case !ok:
			return nil, datatree.MarshallingError, true
		case !t.CheckWatch(r.Path, kind):
			return nil, datatree.NoWatcher, true
		}
		return nil, datatree.Ok, true
	case *jute.RemoveWatchesRequest:
		if req.Type != jute.OpRemoveWatches {
			break
		}
		kind, ok := watchKind(r.Type)
		switch {
		case !ok:
			return nil, datatree.MarshallingError, true
		case w == nil || !t.RemoveWatch(r.Path, kind, w):
			return nil, datatree.NoWatcher, true
		}
		return nil, datatree.Ok, true
	case *jute.GetEphemeralsRequest:
		if req.Type != jute.OpGetEphemerals {
			break
		}
		return getEphemerals(t, req.SessionID, r.PrefixPath), datatree.Ok, true
	case *jute.GetAllChildrenNumberRequest:
		if req.Type != jute.OpGetAllChildrenNumber {
			break
		}
		m, ok := t.Lookup(r.Path)
		if !ok {
			return nil, datatree.NoNode, true
		}
		if !checkACL(m.ACL, jute.PermRead, req.Auth) {
			return nil, datatree.NoAuth, true
		}
		return &jute.GetAllChildrenNumberResponse{TotalNumber: int32(t.AllChildrenNumber(r.Path))}, datatree.Ok, true
	}
	return nil, 0, false
}

// addWatch registers a persistent watch without looking at the node: it
// need not exist and its ACL is not checked (ZooKeeper 3.8 does neither).
// The reply's body is an ErrorResponse of 0; a mode ZooKeeper does not
// know is a MarshallingError (its IllegalArgumentException).
func addWatch(t *datatree.Tree, r *jute.AddWatchRequest, w datatree.Watcher) (jute.Record, datatree.Code) {
	if r.Mode != jute.AddWatchPersistent && r.Mode != jute.AddWatchPersistentRecursive {
		return nil, datatree.MarshallingError
	}
	if w != nil {
		t.AddWatch(r.Path, w, r.Mode == jute.AddWatchPersistentRecursive)
	}
	return &jute.ErrorResponse{Err: 0}, datatree.Ok
}

// watchKind maps a WatcherType; ZooKeeper fails other values with a
// RuntimeException, which reaches the client as a MarshallingError.
func watchKind(typ int32) (datatree.WatchKind, bool) {
	switch typ {
	case jute.WatcherChildren:
		return datatree.WatchChildren, true
	case jute.WatcherData:
		return datatree.WatchData, true
	case jute.WatcherAny:
		return datatree.WatchAny, true
	}
	return 0, false
}

// getEphemerals lists the session's ephemeral nodes under prefix, a plain
// string prefix as in ZooKeeper ("/a" also matches "/ab"); a prefix that
// is blank or "/" lists them all. The order is ZooKeeper's: that of the
// clone of the session's HashSet DataTree.getEphemerals returns.
func getEphemerals(t *datatree.Tree, session int64, prefix string) *jute.GetEphemeralsResponse {
	all := ephemeralSet(t, session).list()
	if p := strings.TrimFunc(prefix, func(r rune) bool { return r <= ' ' }); p == "" || p == "/" {
		return &jute.GetEphemeralsResponse{Ephemerals: all}
	}
	out := all[:0]
	for _, p := range all {
		if strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	return &jute.GetEphemeralsResponse{Ephemerals: out}
}

// whoAmI lists the connection's identities as AuthUtil.getClientInfos
// does: the scheme and the provider's user name, for digest the part of
// the id before the colon, for the others the id itself.
func whoAmI(auth []jute.ID) *jute.WhoAmIResponse {
	out := &jute.WhoAmIResponse{ClientInfo: make([]jute.ClientInfo, 0, len(auth))}
	for _, id := range auth {
		user := id.ID
		if id.Scheme == "digest" {
			user, _, _ = strings.Cut(id.ID, ":")
		}
		out.ClientInfo = append(out.ClientInfo, jute.ClientInfo{AuthScheme: id.Scheme, User: user})
	}
	return out
}
