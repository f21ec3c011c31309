package server

import (
	"strings"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// Reply builds what FinalRequestProcessor sends a client once its write's
// txn has been applied: the ReplyHeader (xid = cxid, zxid = lastZxid, the
// tree's last applied zxid, and the error code) and the response record, nil
// when the reply has no body. r is the result of applying the txn the
// request was prepared into.
//
// As in ZooKeeper, a failed write (an error txn) is only a header, and a
// multi always answers Ok in the header and reports per-op results, every op
// of a failed multi as an error result (Ok for those before the failing op,
// RuntimeInconsistency after it). createSession is answered with a
// ConnectResponse by the connection layer instead, so Reply returns no body
// for it.
func Reply(req Request, r datatree.Result, lastZxid int64) (jute.ReplyHeader, jute.Record) {
	hdr := jute.ReplyHeader{Xid: req.Cxid, Zxid: lastZxid}
	if r.Type == jute.OpError {
		hdr.Err = int32(r.Err)
		return hdr, nil
	}
	if req.Type == jute.OpMulti {
		res, ok := multiResults(r.Multi)
		if !ok {
			hdr.Err = int32(datatree.MarshallingError)
			return hdr, nil
		}
		return hdr, res
	}
	hdr.Err = int32(r.Err)
	switch req.Type {
	case jute.OpCreate:
		return hdr, &jute.CreateResponse{Path: r.Path}
	case jute.OpCreate2, jute.OpCreateTTL, jute.OpCreateContainer:
		return hdr, &jute.Create2Response{Path: r.Path, Stat: r.Stat}
	case jute.OpSetData, jute.OpCheck:
		// ZooKeeper answers a top-level check with a SetDataResponse too.
		return hdr, &jute.SetDataResponse{Stat: r.Stat}
	case jute.OpSetACL:
		return hdr, &jute.SetACLResponse{Stat: r.Stat}
	case jute.OpReconfig:
		// The new configuration and the config node's Stat.
		return hdr, &jute.GetDataResponse{Data: r.Data, Stat: r.Stat}
	}
	// delete, deleteContainer, closeSession, createSession: header only.
	return hdr, nil
}

// multiResults maps a multi's per-op results to a MultiResponse the way
// FinalRequestProcessor does: createContainer and createTTL results travel
// as create2 results.
func multiResults(rs []datatree.Result) (*jute.MultiResponse, bool) {
	out := &jute.MultiResponse{Results: make([]jute.Op, 0, len(rs))}
	for _, r := range rs {
		var res jute.Op
		switch r.Type {
		case jute.OpCheck:
			res = jute.Op{Type: jute.OpCheck}
		case jute.OpCreate:
			res = jute.Op{Type: jute.OpCreate, Record: &jute.CreateResponse{Path: r.Path}}
		case jute.OpCreate2, jute.OpCreateTTL, jute.OpCreateContainer:
			res = jute.Op{Type: jute.OpCreate2, Record: &jute.Create2Response{Path: r.Path, Stat: r.Stat}}
		case jute.OpDelete, jute.OpDeleteContainer:
			res = jute.Op{Type: jute.OpDelete}
		case jute.OpSetData:
			res = jute.Op{Type: jute.OpSetData, Record: &jute.SetDataResponse{Stat: r.Stat}}
		case jute.OpError:
			res = jute.Op{Type: jute.OpError, Record: &jute.ErrorResponse{Err: int32(r.Err)}}
		default:
			return nil, false // "Invalid type of op"
		}
		out.Results = append(out.Results, res)
	}
	return out, true
}

// IsRead reports whether a request of type op is answered by Read from
// the member's own tree rather than through the write pipeline. sync is
// not: it is ordered behind the leader's commits.
func IsRead(op int32) bool {
	switch op {
	case jute.OpExists, jute.OpGetData, jute.OpGetChildren, jute.OpGetChildren2, jute.OpGetACL,
		jute.OpPing, jute.OpSetWatches, jute.OpMultiRead, jute.OpSetWatches2, jute.OpAddWatch,
		jute.OpCheckWatches, jute.OpRemoveWatches, jute.OpGetEphemerals, jute.OpGetAllChildrenNumber,
		jute.OpWhoAmI:
		return true
	}
	return false
}

// Read answers a read request from t, as FinalRequestProcessor does on
// every member: exists, getData, getChildren, getChildren2, getACL, sync,
// ping, setWatches and multiRead, the requests about watches (addWatch,
// checkWatches, removeWatches, setWatches2) and about the session
// (getEphemerals, whoAmI), and getAllChildrenNumber. Reads of data and
// children need READ on the node (getAllChildrenNumber too; getACL needs
// READ or ADMIN, and shows digest hashes only to ADMIN); exists needs
// nothing, nor do the watch requests. w, when not nil, receives the watches the
// request asks for (the client's connection). The ReplyHeader's zxid is
// the tree's last applied zxid; a failed read is a header with the error
// code and no body. Response records share data slices with the tree.
func Read(t *datatree.Tree, req Request, w datatree.Watcher) (jute.ReplyHeader, jute.Record) {
	hdr := jute.ReplyHeader{Xid: req.Cxid, Zxid: t.LastProcessedZxid()}
	rsp, err := read(t, req, w)
	if err != datatree.Ok {
		hdr.Err = int32(err)
		return hdr, nil
	}
	if req.Type == jute.OpPing {
		hdr.Xid = jute.XidPing
	}
	return hdr, rsp
}

func read(t *datatree.Tree, req Request, w datatree.Watcher) (jute.Record, datatree.Code) {
	watcher := func(watch bool) datatree.Watcher {
		if watch {
			return w
		}
		return nil
	}
	switch r := req.Record.(type) {
	case *jute.ExistsRequest:
		if req.Type != jute.OpExists {
			break
		}
		if strings.IndexByte(r.Path, 0) >= 0 {
			return nil, datatree.BadArguments
		}
		st, err := t.Exists(r.Path, watcher(r.Watch))
		if err != nil {
			return nil, code(err)
		}
		return &jute.ExistsResponse{Stat: st}, datatree.Ok
	case *jute.GetDataRequest:
		if req.Type != jute.OpGetData {
			break
		}
		data, st, c := getData(t, r.Path, req.Auth, watcher(r.Watch))
		if c != datatree.Ok {
			return nil, c
		}
		return &jute.GetDataResponse{Data: data, Stat: st}, datatree.Ok
	case *jute.GetChildrenRequest:
		if req.Type != jute.OpGetChildren {
			break
		}
		names, _, c := getChildren(t, r.Path, req.Auth, watcher(r.Watch))
		if c != datatree.Ok {
			return nil, c
		}
		return &jute.GetChildrenResponse{Children: names}, datatree.Ok
	case *jute.GetChildren2Request:
		if req.Type != jute.OpGetChildren2 {
			break
		}
		names, st, c := getChildren(t, r.Path, req.Auth, watcher(r.Watch))
		if c != datatree.Ok {
			return nil, c
		}
		return &jute.GetChildren2Response{Children: names, Stat: st}, datatree.Ok
	case *jute.GetACLRequest:
		if req.Type != jute.OpGetACL {
			break
		}
		m, ok := t.Lookup(r.Path)
		if !ok {
			return nil, datatree.NoNode
		}
		if !checkACL(m.ACL, jute.PermRead|jute.PermAdmin, req.Auth) {
			return nil, datatree.NoAuth
		}
		acl, st, err := t.GetACL(r.Path)
		if err != nil {
			return nil, code(err)
		}
		if !checkACL(m.ACL, jute.PermAdmin, req.Auth) {
			acl = redactACL(acl)
		}
		return &jute.GetACLResponse{ACL: acl, Stat: st}, datatree.Ok
	case *jute.SyncRequest:
		if req.Type != jute.OpSync {
			break
		}
		return &jute.SyncResponse{Path: r.Path}, datatree.Ok
	case *jute.SetWatches:
		if req.Type != jute.OpSetWatches {
			break
		}
		if w != nil {
			t.SetWatches(r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches, nil, nil, w)
		}
		return nil, datatree.Ok
	case *jute.MultiRequest:
		if req.Type != jute.OpMultiRead {
			break
		}
		return multiRead(t, r, req.Auth)
	case nil:
		switch req.Type {
		case jute.OpPing:
			return nil, datatree.Ok
		case jute.OpWhoAmI:
			return whoAmI(req.Auth), datatree.Ok
		}
	default:
		if rsp, c, ok := readMore(t, req, w); ok {
			return rsp, c
		}
	}
	return nil, datatree.MarshallingError
}

// multiRead answers each op without watches; an op that fails becomes an
// error result, and a write op makes the whole request fail.
func multiRead(t *datatree.Tree, m *jute.MultiRequest, auth []jute.ID) (jute.Record, datatree.Code) {
	out := &jute.MultiResponse{Results: make([]jute.Op, 0, len(m.Ops))}
	for _, op := range m.Ops {
		var res jute.Op
		switch r := op.Record.(type) {
		case *jute.GetDataRequest:
			data, st, c := getData(t, r.Path, auth, nil)
			res = jute.Op{Type: jute.OpGetData, Record: &jute.GetDataResponse{Data: data, Stat: st}}
			if c != datatree.Ok {
				res = jute.Op{Type: jute.OpError, Record: &jute.ErrorResponse{Err: int32(c)}}
			}
		case *jute.GetChildrenRequest:
			names, _, c := getChildren(t, r.Path, auth, nil)
			res = jute.Op{Type: jute.OpGetChildren, Record: &jute.GetChildrenResponse{Children: names}}
			if c != datatree.Ok {
				res = jute.Op{Type: jute.OpError, Record: &jute.ErrorResponse{Err: int32(c)}}
			}
		default:
			return nil, datatree.MarshallingError // "Invalid type of readOp"
		}
		out.Results = append(out.Results, res)
	}
	return out, datatree.Ok
}

// getData checks READ before it reads, so a reader without it leaves no
// watch behind.
func getData(t *datatree.Tree, path string, auth []jute.ID, w datatree.Watcher) ([]byte, jute.Stat, datatree.Code) {
	m, ok := t.Lookup(path)
	if !ok {
		return nil, jute.Stat{}, datatree.NoNode
	}
	if !checkACL(m.ACL, jute.PermRead, auth) {
		return nil, jute.Stat{}, datatree.NoAuth
	}
	data, st, err := t.GetData(path, w)
	if err != nil {
		return nil, jute.Stat{}, code(err)
	}
	return data, st, datatree.Ok
}

func getChildren(t *datatree.Tree, path string, auth []jute.ID, w datatree.Watcher) ([]string, jute.Stat, datatree.Code) {
	m, ok := t.Lookup(path)
	if !ok {
		return nil, jute.Stat{}, datatree.NoNode
	}
	if !checkACL(m.ACL, jute.PermRead, auth) {
		return nil, jute.Stat{}, datatree.NoAuth
	}
	names, st, err := t.GetChildren(path, w)
	if err != nil {
		return nil, jute.Stat{}, code(err)
	}
	return orderChildren(t, path, names), st, datatree.Ok
}

// orderChildren puts names in ZooKeeper's order (childOrder), taking
// creation order from the children's czxid. The lookups cost one shard read
// per child; a child deleted meanwhile sorts first.
func orderChildren(t *datatree.Tree, parent string, names []string) []string {
	if len(names) < 2 {
		return names
	}
	prefix := parent
	if prefix != "/" {
		prefix += "/"
	}
	czxid := make(map[string]int64, len(names))
	for _, n := range names {
		m, _ := t.Lookup(prefix + n)
		czxid[n] = m.Stat.Czxid
	}
	sortByCzxid(names, czxid)
	return childOrder(names)
}

// code turns an error from the tree's read API into a KeeperException code.
func code(err error) datatree.Code {
	if c, ok := err.(datatree.Code); ok {
		return c
	}
	return datatree.SystemError
}
