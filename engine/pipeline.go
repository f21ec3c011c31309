package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
	"zkbench/engine/quorum"
	"zkbench/engine/server"
)

// pipeline is a member's request pipeline: on the leader it prepares
// writes into txns (PrepRequestProcessor) and proposes them, tracks every
// session (SessionTrackerImpl) and reaps containers; on a learner it
// forwards writes and syncs to the leader (Learner.request) and gathers
// its sessions' touches for the next PING. On every member it answers the
// calls waiting for a txn once the txn is applied, and the syncs the Peer
// releases (Ready.Syncs): the Peer, not the pipeline, knows when a sync
// may be answered. It belongs to the member's run goroutine.
type pipeline struct {
	id      uint64
	cfg     *Config
	publish func(Event)
	peer    *quorum.Peer
	tree    *atomic.Pointer[datatree.Tree] // the member's
	closed  func(session int64)            // a closeSession was applied
	// reconfig is the ensemble a reconfig is checked against; nil when
	// reconfigEnabled is off.
	reconfig func() server.Ensemble

	prep      *server.Preparer
	queue     txnQueue
	calls     map[callKey]*call // writes waiting for their txn to be applied
	syncs     []*call           // syncs waiting for Ready.Syncs, oldest first
	tracker   *sessionTracker   // leader only, while serving
	lastReap  int64             // ms: the container manager's last pass
	pendTouch map[int64]int32   // learner: touches not yet carried by a PING
	enc       *jute.Writer
	proposed  func(size int) // a proposal's txn bytes, for the leader's proposal sizes
}

type callKey struct {
	session int64
	cxid    int32
}

// call is one request on its way through a member's pipeline.
type call struct {
	req server.Request
	gen uint64 // the member's connection generation it was sent in
	ch  chan result
}

type result struct {
	hdr jute.ReplyHeader
	rec jute.Record
	err error
}

func newCall(req server.Request, gen uint64) *call {
	return &call{req: req, gen: gen, ch: make(chan result, 1)}
}

func (c *call) finish(hdr jute.ReplyHeader, rec jute.Record, err error) {
	select {
	case c.ch <- result{hdr, rec, err}:
	default: // answered already
	}
}

func (c *call) fail(err error) { c.finish(jute.ReplyHeader{}, nil, err) }

// read answers c from tree as a read: a sync, or a write that turned out
// not to change anything.
func (c *call) read(tree *datatree.Tree) {
	hdr, rec := server.Read(tree, c.req, nil)
	c.finish(hdr, rec, nil)
}

func newPipeline(m *member) *pipeline {
	var reconfig func() server.Ensemble
	if m.cfg.ReconfigEnabled {
		reconfig = m.reconfigView
	}
	p := &pipeline{reconfig: reconfig,
		id: m.id, cfg: m.cfg, publish: m.publish, peer: m.peer, tree: &m.tree, closed: m.sessionClosed,
		calls: map[callKey]*call{}, pendTouch: map[int64]int32{}, enc: jute.NewWriter(nil),
		proposed: func(int) {},
	}
	if m.stats != nil {
		p.proposed = m.stats.proposed
	}
	return p
}

// reset puts a Preparer over a new tree (a start, a truncation, a SNAP).
func (p *pipeline) reset(t *datatree.Tree) {
	p.prep = server.NewPreparer(t, server.Config{
		TickTime:          int32(p.cfg.TickTime.Milliseconds()),
		MinSessionTimeout: int32(p.cfg.MinSessionTimeout.Milliseconds()),
		MaxSessionTimeout: int32(p.cfg.MaxSessionTimeout.Milliseconds()),
		CheckSession: func(id int64) datatree.Code {
			if p.tracker == nil {
				return datatree.Ok
			}
			return p.tracker.check(id)
		},
		Reconfig: p.reconfig,
	})
	p.queue.reset()
}

// lead starts the leader's pipeline: every session of the tree tracked
// afresh, the Preparer's outstanding changes dropped.
func (p *pipeline) lead(now int64) {
	p.tracker = newSessionTracker(p.tree.Load().Sessions(), now)
	p.prep.Reset()
	p.lastReap = now
}

func (p *pipeline) leading() bool { return p.tracker != nil }

// busy: something waits in the pipeline, or it leads.
func (p *pipeline) busy() bool { return p.tracker != nil || len(p.calls) > 0 || len(p.syncs) > 0 }

// stop fails every call in flight: its outcome is unknown to its client
// (ConnectionLoss), as when a ZooKeeper server shuts its pipeline down.
func (p *pipeline) stop() {
	p.tracker = nil
	for k, c := range p.calls {
		c.fail(ErrConnectionLoss)
		delete(p.calls, k)
	}
	for _, c := range p.syncs {
		c.fail(ErrConnectionLoss)
	}
	p.syncs = nil
	clear(p.pendTouch)
}

// handle takes a client's write or sync into the pipeline.
func (p *pipeline) handle(c *call) {
	key := callKey{c.req.SessionID, c.req.Cxid}
	switch {
	case c.req.Type == jute.OpSync:
		if err := p.sync(c); err != nil {
			c.fail(ErrConnectionLoss)
			return
		}
		p.syncs = append(p.syncs, c)
	case p.leading():
		p.calls[key] = c
		if c.req.Type == jute.OpCreateSession {
			p.tracker.add(c.req.SessionID, c.req.Record.(*jute.ConnectRequest).TimeOut, time.Now().UnixMilli())
		}
		p.propose(c.req, c)
	default:
		p.calls[key] = c
		if err := p.forward(c); err != nil {
			delete(p.calls, key)
			c.fail(ErrConnectionLoss)
		}
	}
}

// sync hands a sync to the Peer, which releases it (Ready.Syncs) once
// what the leader proposed before it is applied here.
func (p *pipeline) sync(c *call) error {
	if p.leading() {
		return p.peer.Sync(p.id)
	}
	return p.forward(c)
}

// answerSyncs answers the n oldest waiting syncs.
func (p *pipeline) answerSyncs(n int) {
	n = min(n, len(p.syncs))
	for _, c := range p.syncs[:n] {
		c.read(p.tree.Load())
	}
	clear(p.syncs[:n])
	p.syncs = p.syncs[n:]
}

// forward sends a learner's client request to the leader (Learner.request).
func (p *pipeline) forward(c *call) error {
	p.enc.Reset()
	switch r := c.req.Record.(type) {
	case *jute.ConnectRequest:
		// createSession carries only the negotiated timeout
		// (ZooKeeperServer.createSession's 4-byte buffer).
		p.enc.Int(r.TimeOut)
	case nil:
	default:
		r.Encode(p.enc)
	}
	lr := jute.LearnerRequest{SessionID: c.req.SessionID, Cxid: c.req.Cxid, Type: c.req.Type, Request: p.enc.Bytes()}
	w := jute.NewWriter(make([]byte, 0, 16+len(lr.Request))) // session id, cxid, type, body
	lr.Encode(w)
	return p.peer.Forward(w.Bytes(), c.req.Auth)
}

// forwarded handles a request a learner forwarded to this leader.
func (p *pipeline) forwarded(r quorum.Request) {
	if !p.leading() {
		return
	}
	// jute.LearnerRequest.Decode, except that the body aliases the packet
	// instead of being copied: decodeForwarded copies what it keeps out of
	// the body anyway, so the copy was one more allocation of the whole
	// request (1 KiB for a 1 KiB setData) per forwarded write.
	rd := jute.NewReader(r.Data)
	lr := jute.LearnerRequest{SessionID: rd.Long(), Cxid: rd.Int(), Type: rd.Int()}
	if rd.Err() != nil {
		return // a REQUEST too short to name its session: ZooKeeper drops it too
	}
	if len(r.Data) > 16 { // session id, cxid, type
		lr.Request = r.Data[16:]
	}
	req := server.Request{SessionID: lr.SessionID, Cxid: lr.Cxid, Type: lr.Type, Record: decodeForwarded(lr), Auth: r.Auth}
	now := time.Now().UnixMilli()
	switch {
	case lr.Type == jute.OpSync:
		_ = p.peer.Sync(r.From)
		return
	case lr.Type == jute.OpCreateSession:
		if cr, ok := req.Record.(*jute.ConnectRequest); ok {
			p.tracker.add(lr.SessionID, cr.TimeOut, now)
		}
	default:
		p.tracker.touch(lr.SessionID, now)
	}
	p.propose(req, nil)
}

// decodeForwarded decodes a forwarded request's body; nil makes the
// Preparer log a MarshallingError txn, as ZooKeeper does.
func decodeForwarded(lr jute.LearnerRequest) jute.Record {
	if lr.Type == jute.OpCreateSession {
		if len(lr.Request) != 4 {
			return nil
		}
		return &jute.ConnectRequest{TimeOut: int32(binary.BigEndian.Uint32(lr.Request))}
	}
	rec, err := jute.NewRequest(lr.Type)
	if err != nil || rec == nil || jute.DecodeRecord(lr.Request, rec) != nil {
		return nil
	}
	return rec
}

// propose prepares a write into its txn and proposes it (leader only).
// The txn is encoded here once: the PROPOSALs, the log and the committed
// window share those bytes.
func (p *pipeline) propose(req server.Request, c *call) {
	failed := func() {
		if c != nil {
			delete(p.calls, callKey{req.SessionID, req.Cxid})
			c.fail(ErrConnectionLoss)
		}
	}
	zxid, err := p.peer.NextZxid()
	if err != nil {
		failed()
		return
	}
	txn := p.prep.Prepare(req, zxid, time.Now().UnixMilli())
	if txn == nil {
		if c != nil { // not a write after all: answer like a read
			delete(p.calls, callKey{req.SessionID, req.Cxid})
			c.read(p.tree.Load())
		}
		return
	}
	if txn.Header.Type == jute.OpCloseSession {
		p.tracker.setClosing(req.SessionID)
	}
	p.enc.Reset()
	txn.Encode(p.enc)
	p.proposed(p.enc.Len())
	if _, err := p.peer.Propose(bytes.Clone(p.enc.Bytes())); err != nil {
		failed()
		return
	}
	p.queue.push(zxid, txn)
}

// commit applies one committed entry and answers whoever waits for it.
// The leader applies the txn it prepared; a learner decodes it here, the
// only time it does.
func (p *pipeline) commit(e quorum.Entry) error {
	txn := p.queue.take(e.Zxid)
	if txn == nil {
		var err error
		if txn, err = jute.DecodeTxn(e.Txn); err != nil {
			return fmt.Errorf("entry 0x%x: %w", e.Zxid, err)
		}
	}
	res := p.prep.Apply(txn)
	h := &txn.Header
	key := callKey{h.ClientID, h.Cxid}
	if c := p.calls[key]; c != nil {
		delete(p.calls, key)
		hdr, rec := server.Reply(c.req, res, p.tree.Load().LastProcessedZxid())
		c.finish(hdr, rec, nil)
	}
	if h.Type == jute.OpCloseSession {
		if p.tracker != nil {
			p.tracker.remove(h.ClientID)
		}
		p.closed(h.ClientID)
	}
	return nil
}

// tick expires sessions and reaps containers on the leader; a learner
// hands its touches to the Peer for the next PING.
func (p *pipeline) tick(now int64) {
	if p.tracker == nil {
		if len(p.pendTouch) > 0 {
			p.peer.SetPingData(encodeTouches(p.pendTouch))
		}
		return
	}
	for _, id := range p.tracker.expire(now) {
		p.publish(Event{Time: time.Now(), Member: p.id, Kind: EventSessionExpired, Zxid: id})
		p.propose(server.Request{SessionID: id, Type: jute.OpCloseSession}, nil)
	}
	p.reapContainers(now)
}

// reapContainers is the leader's ContainerManager: every check interval
// it deletes empty containers and expired TTL nodes with deleteContainer
// requests of session 0.
func (p *pipeline) reapContainers(now int64) {
	if now-p.lastReap < p.cfg.ContainerCheckInterval.Milliseconds() {
		return
	}
	p.lastReap = now
	for _, path := range p.tree.Load().ReapCandidates(now) {
		p.propose(server.Request{Type: jute.OpDeleteContainer, Record: &jute.DeleteRequest{Path: path, Version: -1}}, nil)
	}
}

// touch keeps a connected session alive, as its client library's pings
// would: on the leader directly, on a learner through the next PING.
func (p *pipeline) touch(session int64, timeout int32, now int64) {
	if p.tracker != nil {
		p.tracker.touch(session, now)
	} else {
		p.pendTouch[session] = timeout
	}
}

// touched takes the learners' PING reports (Ready.Touches).
func (p *pipeline) touched(ts []quorum.Request) {
	if p.tracker == nil {
		return // stopped leading in this Ready: the next leader's tracker starts afresh
	}
	now := time.Now().UnixMilli()
	for _, t := range ts {
		decodeTouches(t.Data, func(id int64, _ int32) { p.tracker.touch(id, now) })
	}
}

// pinged: a PING carried the pending touches.
func (p *pipeline) pinged() { clear(p.pendTouch) }

// txnQueue keeps the txns a leader prepared and has yet to apply, in zxid
// order, so that it never decodes what it encoded itself.
type txnQueue struct {
	zxids []int64
	txns  []*jute.Txn
	head  int
}

func (q *txnQueue) reset() {
	clear(q.txns)
	q.zxids, q.txns, q.head = q.zxids[:0], q.txns[:0], 0
}

func (q *txnQueue) push(z int64, t *jute.Txn) {
	if n := len(q.zxids); n > q.head && q.zxids[n-1] >= z {
		q.reset() // a new history (sync, truncation): older entries are void
	}
	q.zxids, q.txns = append(q.zxids, z), append(q.txns, t)
}

// take returns the txn for z and drops it and everything before it.
func (q *txnQueue) take(z int64) *jute.Txn {
	var t *jute.Txn
	for q.head < len(q.zxids) && q.zxids[q.head] <= z {
		if q.zxids[q.head] == z {
			t = q.txns[q.head]
		}
		q.txns[q.head] = nil
		q.head++
	}
	if q.head == len(q.zxids) {
		q.zxids, q.txns, q.head = q.zxids[:0], q.txns[:0], 0
	} else if q.head > 1024 && q.head > len(q.zxids)/2 {
		n := copy(q.zxids, q.zxids[q.head:])
		copy(q.txns, q.txns[q.head:])
		clear(q.txns[n:])
		q.zxids, q.txns, q.head = q.zxids[:n], q.txns[:n], 0
	}
	return t
}
