package server

import (
	"errors"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// multi prepares every op at the same zxid. The first op that fails rolls
// back the records of the ops before it and is logged as an error with its
// code; the ops after it are logged as errors with RuntimeInconsistency
// without being looked at. The multi's digest is the one after its records,
// i.e. unchanged when it failed.
func (o *prep) multi() error {
	m, ok := o.req.Record.(*jute.MultiRequest)
	if !ok {
		return errMarshal
	}
	p, zxid := o.p, o.zxid()
	pending := p.pendingChanges(m.Ops)
	ops := make([]jute.Op, 0, len(m.Ops))
	failed := false
	for _, mop := range m.Ops {
		if failed {
			ops = append(ops, jute.Op{Type: jute.OpError, Record: &jute.ErrorTxn{Err: int32(datatree.RuntimeInconsistency)}})
			continue
		}
		typ, rec := multiOp(mop)
		o.txn.Body = nil
		err := o.op(typ, rec)
		var code datatree.Code
		switch {
		case err == nil:
			ops = append(ops, jute.Op{Type: typ, Record: o.txn.Body})
		case errors.As(err, &code):
			failed = true
			p.rollback(zxid, pending)
			ops = append(ops, jute.Op{Type: jute.OpError, Record: &jute.ErrorTxn{Err: int32(code)}})
		default:
			// ZooKeeper leaves the records of the ops before this one in
			// place until the error txn is applied, so that writes
			// pipelined behind it see changes that never happen (a create
			// under a node the aborted multi would have made passes, then
			// fails when applied). We drop them now: the error txn is the
			// same bytes, what follows it is what should be.
			p.rollback(zxid, pending)
			return err
		}
	}
	o.txn.Body = &jute.MultiTxn{Ops: ops}
	o.setDigest(p.currentDigest())
	return nil
}

// multiOp is what MultiOperationRecord and Op.create make of an op as the
// client sent it: a create's type comes from its flags (a create2 becomes a
// create; a createTTL without TTL flags loses its ttl), so a CreateRequest
// with TTL flags becomes a createTTL without a ttl, which ZooKeeper fails to
// prepare (a MarshallingError). Read ops keep their type, which prepare
// does not know either.
func multiOp(op jute.Op) (int32, jute.Record) {
	fromFlags := func(flags int32) int32 {
		m := createMode(flags)
		if !validMode(flags) {
			m = createMode(jute.FlagPersistent)
		}
		switch {
		case m.ttl():
			return jute.OpCreateTTL
		case m.container():
			return jute.OpCreateContainer
		}
		return jute.OpCreate
	}
	switch r := op.Record.(type) {
	case *jute.CreateRequest:
		return fromFlags(r.Flags), r
	case *jute.CreateTTLRequest:
		typ := fromFlags(r.Flags)
		if typ == jute.OpCreateTTL {
			return typ, r
		}
		return typ, &jute.CreateRequest{Path: r.Path, Data: r.Data, ACL: r.ACL, Flags: r.Flags}
	case *jute.DeleteRequest:
		return jute.OpDelete, r
	case *jute.SetDataRequest:
		return jute.OpSetData, r
	case *jute.CheckVersionRequest:
		return jute.OpCheck, r
	}
	return op.Type, op.Record
}

// opPath is Op.getPath.
func opPath(r jute.Record) string {
	switch r := r.(type) {
	case *jute.CreateRequest:
		return r.Path
	case *jute.CreateTTLRequest:
		return r.Path
	case *jute.DeleteRequest:
		return r.Path
	case *jute.SetDataRequest:
		return r.Path
	case *jute.CheckVersionRequest:
		return r.Path
	case *jute.GetDataRequest:
		return r.Path
	case *jute.GetChildrenRequest:
		return r.Path
	}
	return ""
}

// pendingChanges is getPendingChanges: the outstanding records a failed
// multi must restore, those of its ops' paths and their parents (the
// parents so that a rolled-back sequential create frees its suffix).
func (p *Preparer) pendingChanges(ops []jute.Op) map[string]*change {
	pending := make(map[string]*change)
	for _, op := range ops {
		path := opPath(op.Record)
		if c, ok := p.byPath[path]; ok {
			pending[c.path] = c
		}
		parent, ok := parentOf(path)
		if !ok {
			continue
		}
		if c, ok := p.byPath[parent]; ok {
			pending[c.path] = c
		}
	}
	return pending
}

// rollback is rollbackPendingChanges: drop the records of the multi at
// zxid, then put back the pending records that are still outstanding.
func (p *Preparer) rollback(zxid int64, pending map[string]*change) {
	i := len(p.changes)
	for i > 0 && p.changes[i-1].zxid == zxid {
		i--
		delete(p.byPath, p.changes[i].path)
		p.changes[i] = nil
	}
	p.changes = p.changes[:i]
	if len(p.changes) == 0 {
		return
	}
	first := p.changes[0].zxid
	for _, c := range pending {
		if c.zxid >= first {
			p.byPath[c.path] = c
		}
	}
}
