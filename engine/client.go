package engine

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
	"zkbench/engine/server"
)

// Code is a ZooKeeper error code (KeeperException.Code). Every error a
// Client returns for a refused request is a Code, so callers compare
// with errors.Is(err, engine.ErrNoNode) or switch on it.
type Code = datatree.Code

// The codes a client commonly handles.
const (
	ErrConnectionLoss          = datatree.ConnectionLoss
	ErrNoNode                  = datatree.NoNode
	ErrNodeExists              = datatree.NodeExists
	ErrBadVersion              = datatree.BadVersion
	ErrNotEmpty                = datatree.NotEmpty
	ErrSessionExpired          = datatree.SessionExpired
	ErrNoChildrenForEphemerals = datatree.NoChildrenForEphemerals
	ErrBadArguments            = datatree.BadArguments
	ErrNoAuth                  = datatree.NoAuth
	ErrUnimplemented           = datatree.Unimplemented
)

// ErrClosed is returned by a Client after Close.
var ErrClosed = errors.New("engine: client closed")

// WatchEvent is a watch notification.
type WatchEvent = datatree.WatchedEvent

// Watch event types.
const (
	EventNodeCreated         = datatree.EventNodeCreated
	EventNodeDeleted         = datatree.EventNodeDeleted
	EventNodeDataChanged     = datatree.EventNodeDataChanged
	EventNodeChildrenChanged = datatree.EventNodeChildrenChanged
)

// OpenACL is world:anyone with every permission (ZooDefs.Ids.OPEN_ACL_UNSAFE).
var OpenACL = jute.OpenACL

// Client is one ZooKeeper session connected to one member, the way a
// ZooKeeper client library holds a session on a server: reads are
// answered from that member's tree, writes go through the leader.
// Requests of one Client are answered in the order they were issued (one
// at a time); use one Client per concurrent actor. If the member stops
// serving, requests fail with ErrConnectionLoss until it serves again
// (the session is then revalidated, as a client library reconnects) or
// until Reconnect moves the session to another member.
type Client struct {
	ens     *Ensemble
	session int64
	timeout int32 // negotiated, ms

	mu       sync.Mutex
	spare    *call // the last call, answered, for the next request
	m        host
	gen      uint64 // of m's connections when the session last checked
	cxid     int32
	lastZxid int64
	state    atomic.Int32 // clientOpen, clientClosed, clientExpired
	watcher  *watchQueue
}

const (
	clientOpen int32 = iota
	clientClosed
	clientExpired
)

// connect opens a session on m with the requested timeout.
func connect(e *Ensemble, m host, timeout time.Duration) (*Client, error) {
	_, gen, serving := m.state()
	if !serving {
		return nil, ErrConnectionLoss
	}
	ms := e.cfg.clampSessionTimeout(int32(min(timeout.Milliseconds(), 1<<31-1)))
	c := &Client{ens: e, session: m.newSessionID(), timeout: ms, m: m, gen: gen}
	req := server.Request{SessionID: c.session, Type: jute.OpCreateSession,
		Record: &jute.ConnectRequest{TimeOut: ms, Passwd: make([]byte, 16)}}
	if _, _, err := c.roundTrip(m, req); err != nil {
		return nil, err
	}
	m.attach(c)
	return c, nil
}

// SessionID returns the session's id.
func (c *Client) SessionID() int64 { return c.session }

// Timeout returns the negotiated session timeout.
func (c *Client) Timeout() time.Duration { return time.Duration(c.timeout) * time.Millisecond }

// Member returns the id of the member the session is connected to.
func (c *Client) Member() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m.memberID()
}

// LastZxid returns the newest zxid this session has seen in a reply.
func (c *Client) LastZxid() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastZxid
}

// Create creates a node; flags is a jute.Flag* create mode (container
// included). It returns the node's path (with the sequence suffix).
func (c *Client) Create(path string, data []byte, flags int32, acl []jute.ACL) (string, error) {
	op := jute.OpCreate
	if flags == jute.FlagContainer {
		op = jute.OpCreateContainer
	}
	_, rec, err := c.write(op, &jute.CreateRequest{Path: path, Data: data, ACL: acl, Flags: flags})
	if err != nil {
		return "", err
	}
	switch r := rec.(type) {
	case *jute.CreateResponse:
		return r.Path, nil
	case *jute.Create2Response:
		return r.Path, nil
	}
	return path, nil
}

// CreateTTL creates a persistent node (flags FlagPersistentWithTTL or
// FlagPersistentSequentialWithTTL) that is removed after ttl without
// children or changes.
func (c *Client) CreateTTL(path string, data []byte, flags int32, acl []jute.ACL, ttl time.Duration) (string, error) {
	_, rec, err := c.write(jute.OpCreateTTL, &jute.CreateTTLRequest{Path: path, Data: data, ACL: acl, Flags: flags, TTL: ttl.Milliseconds()})
	if err != nil {
		return "", err
	}
	if r, ok := rec.(*jute.Create2Response); ok {
		return r.Path, nil
	}
	return path, nil
}

// Delete deletes a node if its version matches (-1 matches any).
func (c *Client) Delete(path string, version int32) error {
	_, _, err := c.write(jute.OpDelete, &jute.DeleteRequest{Path: path, Version: version})
	return err
}

// SetData replaces a node's data if its version matches (-1 matches any).
func (c *Client) SetData(path string, data []byte, version int32) (jute.Stat, error) {
	_, rec, err := c.write(jute.OpSetData, &jute.SetDataRequest{Path: path, Data: data, Version: version})
	if err != nil {
		return jute.Stat{}, err
	}
	return rec.(*jute.SetDataResponse).Stat, nil
}

// GetData reads a node; watch leaves a data watch on it. The data is the
// tree's own, which other members may share: do not modify it.
func (c *Client) GetData(path string, watch bool) ([]byte, jute.Stat, error) {
	rec, err := c.read(jute.OpGetData, &jute.GetDataRequest{Path: path, Watch: watch}, watch)
	if err != nil {
		return nil, jute.Stat{}, err
	}
	r := rec.(*jute.GetDataResponse)
	return r.Data, r.Stat, nil
}

// Exists reports whether a node exists; watch leaves a watch either way.
func (c *Client) Exists(path string, watch bool) (jute.Stat, bool, error) {
	rec, err := c.read(jute.OpExists, &jute.ExistsRequest{Path: path, Watch: watch}, watch)
	if errors.Is(err, ErrNoNode) {
		return jute.Stat{}, false, nil
	}
	if err != nil {
		return jute.Stat{}, false, err
	}
	return rec.(*jute.ExistsResponse).Stat, true, nil
}

// GetChildren lists a node's children; watch leaves a child watch.
func (c *Client) GetChildren(path string, watch bool) ([]string, error) {
	rec, err := c.read(jute.OpGetChildren, &jute.GetChildrenRequest{Path: path, Watch: watch}, watch)
	if err != nil {
		return nil, err
	}
	return rec.(*jute.GetChildrenResponse).Children, nil
}

// Multi runs ops atomically. It returns the per-op results (an OpError
// result carries a *jute.ErrorResponse) and, when the multi failed, the
// code of the op that failed it.
func (c *Client) Multi(ops ...jute.Op) ([]jute.Op, error) {
	_, rec, err := c.write(jute.OpMulti, &jute.MultiRequest{Ops: ops})
	if err != nil {
		return nil, err
	}
	res := rec.(*jute.MultiResponse).Results
	for _, r := range res {
		if e, ok := r.Record.(*jute.ErrorResponse); ok && r.Type == jute.OpError && e.Err != 0 &&
			Code(e.Err) != datatree.RuntimeInconsistency {
			return res, Code(e.Err)
		}
	}
	return res, nil
}

// Sync waits until the member this session reads from has applied every
// write the leader had committed when Sync was issued.
func (c *Client) Sync(path string) error {
	_, _, err := c.write(jute.OpSync, &jute.SyncRequest{Path: path})
	return err
}

// Watches returns the channel watch notifications arrive on, in the order
// they fired. It is closed by Close.
func (c *Client) Watches() <-chan WatchEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.watches().out
}

// Close closes the session (a closeSession txn removes its ephemerals).
func (c *Client) Close() error {
	if c.state.Load() != clientOpen {
		return nil
	}
	_, _, err := c.write(jute.OpCloseSession, nil)
	c.state.Store(clientClosed)
	c.mu.Lock()
	c.m.detach(c)
	if c.watcher != nil {
		c.watcher.close()
	}
	c.mu.Unlock()
	if errors.Is(err, ErrSessionExpired) {
		return nil
	}
	return err
}

// Reconnect moves the session to another member, as a client library does
// when its server fails. The member must serve and have seen everything
// this session has seen (ZooKeeper refuses a server that is behind).
func (c *Client) Reconnect(member uint64) error {
	m := c.ens.member(member)
	if m == nil {
		return ErrConnectionLoss
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkOpen(); err != nil {
		return err
	}
	gen, err := c.revalidate(m)
	if err != nil {
		return err
	}
	c.m.detach(c)
	c.m, c.gen = m, gen
	m.attach(c)
	return nil
}

// Abandon drops the connection without closing the session, as a client
// that vanished: the session expires after its timeout and its ephemerals
// go with it.
func (c *Client) Abandon() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.Store(clientClosed)
	c.m.detach(c)
}

// ---- plumbing ----

func (c *Client) checkOpen() error {
	switch c.state.Load() {
	case clientClosed:
		return ErrClosed
	case clientExpired:
		return ErrSessionExpired
	}
	return nil
}

// conn returns the member to send to and the tree to read from,
// revalidating the session if the member broke its connections since the
// last request.
func (c *Client) conn() (host, *datatree.Tree, error) {
	if err := c.checkOpen(); err != nil {
		return nil, nil, err
	}
	m := c.m
	tree, gen, serving := m.state()
	if gen != c.gen || !serving {
		gen, err := c.revalidate(m)
		if err != nil {
			return nil, nil, err
		}
		c.gen = gen
		tree, _, _ = m.state()
	}
	return m, tree, nil
}

// revalidate checks that m may carry the session (as a server checks a
// reconnecting client) and returns the generation of its connections.
func (c *Client) revalidate(m host) (uint64, error) {
	tree, gen, serving := m.state()
	if !serving {
		return 0, ErrConnectionLoss
	}
	if _, ok := tree.SessionTimeout(c.session); !ok {
		c.state.CompareAndSwap(clientOpen, clientExpired)
		return 0, ErrSessionExpired
	}
	if tree.LastProcessedZxid() < c.lastZxid {
		return 0, ErrConnectionLoss // the member is behind what we saw
	}
	return gen, nil
}

func (c *Client) nextCxid() int32 {
	c.cxid++
	return c.cxid
}

func (c *Client) write(op int32, rec jute.Record) (jute.ReplyHeader, jute.Record, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, _, err := c.conn()
	if err != nil {
		return jute.ReplyHeader{}, nil, err
	}
	return c.roundTrip(m, server.Request{SessionID: c.session, Cxid: c.nextCxid(), Type: op, Record: rec})
}

// roundTrip sends a request into m's pipeline and waits for its answer.
func (c *Client) roundTrip(m host, req server.Request) (jute.ReplyHeader, jute.Record, error) {
	r := c.await(m, req)
	if r.err != nil {
		return r.hdr, nil, r.err
	}
	if r.hdr.Err != 0 {
		return r.hdr, nil, Code(r.hdr.Err)
	}
	return r.hdr, r.rec, nil
}

// await sends a request into m's pipeline and waits for its answer; err
// is set only when the connection or session was lost on the way.
func (c *Client) await(m host, req server.Request) result {
	cl := c.spare
	if cl == nil {
		cl = newCall(req, c.gen)
	}
	c.spare = nil
	cl.req, cl.gen = req, c.gen
	m.submit(cl)
	r, answered := result{}, true
	select {
	case r = <-cl.ch:
	case <-m.down():
		select {
		case r = <-cl.ch:
		default:
			r.err, answered = ErrConnectionLoss, false
		}
	}
	if answered {
		// The pipeline let go of the call when it answered it (one not
		// answered may still sit in the member's inbox): the next request
		// takes it instead of allocating its own.
		cl.req = server.Request{}
		c.spare = cl
	}
	if r.err == nil {
		c.lastZxid = max(c.lastZxid, r.hdr.Zxid)
	}
	return r
}

// exchange answers one request of a client-port connection as the member
// would: reads (and pings and setWatches) from its tree, with watches for
// w, writes and syncs through the pipeline. The request's own outcome is
// the header's Err; the error says the connection or session is gone.
func (c *Client) exchange(req server.Request, w datatree.Watcher) (jute.ReplyHeader, jute.Record, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, tree, err := c.conn()
	if err != nil {
		return jute.ReplyHeader{}, nil, err
	}
	if server.IsRead(req.Type) {
		hdr, rsp := server.Read(tree, req, w)
		c.lastZxid = max(c.lastZxid, hdr.Zxid)
		return hdr, rsp, nil
	}
	r := c.await(m, req)
	if r.err == nil && req.Type == jute.OpCloseSession {
		c.state.Store(clientClosed)
		m.detach(c)
	}
	return r.hdr, r.rec, r.err
}

// attach takes over an existing session on m for a client-port connection
// that reconnected with it: the session lives in the replicated tree, not
// in a Client, so any member can resume it.
func attach(e *Ensemble, m host, session int64, timeout int32, lastZxid int64) *Client {
	_, gen, _ := m.state()
	c := &Client{ens: e, session: session, timeout: timeout, m: m, gen: gen, lastZxid: lastZxid}
	m.attach(c)
	return c
}

// detach drops the connection but not the session (Abandon without the
// bookkeeping of a Client the caller still holds).
func (c *Client) detach() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m.detach(c)
}

func (c *Client) read(op int32, rec jute.Record, watch bool) (jute.Record, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, tree, err := c.conn()
	if err != nil {
		return nil, err
	}
	var w datatree.Watcher
	if watch {
		w = c.watches()
	}
	hdr, resp := server.Read(tree, server.Request{SessionID: c.session, Cxid: c.nextCxid(), Type: op, Record: rec}, w)
	c.lastZxid = max(c.lastZxid, hdr.Zxid)
	if hdr.Err != 0 {
		return nil, Code(hdr.Err)
	}
	return resp, nil
}

func (c *Client) watches() *watchQueue {
	if c.watcher == nil {
		c.watcher = newWatchQueue()
	}
	return c.watcher
}

// The session's side of attached.

func (c *Client) sessionID() int64      { return c.session }
func (c *Client) sessionTimeout() int32 { return c.timeout }

// sessionClosed: the member applied this session's closeSession.
func (c *Client) sessionClosed() {
	c.state.CompareAndSwap(clientOpen, clientExpired)
}

// watchQueue queues notifications without ever blocking the tree's apply
// goroutine and hands them to the client in order.
type watchQueue struct {
	mu     sync.Mutex
	queue  []WatchEvent
	signal chan struct{}
	out    chan WatchEvent
	quit   chan struct{}
	once   sync.Once
}

func newWatchQueue() *watchQueue {
	q := &watchQueue{signal: make(chan struct{}, 1), out: make(chan WatchEvent), quit: make(chan struct{})}
	go q.pump()
	return q
}

// Process implements datatree.Watcher.
func (q *watchQueue) Process(e WatchEvent) {
	q.mu.Lock()
	q.queue = append(q.queue, e)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *watchQueue) pump() {
	defer close(q.out)
	for {
		select {
		case <-q.signal:
		case <-q.quit:
			return
		}
		q.mu.Lock()
		batch := q.queue
		q.queue = nil
		q.mu.Unlock()
		for _, e := range batch {
			select {
			case q.out <- e:
			case <-q.quit:
				return
			}
		}
	}
}

func (q *watchQueue) close() { q.once.Do(func() { close(q.quit) }) }
