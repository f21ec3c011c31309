package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/jute"
	"zkbench/engine/persist"
	"zkbench/engine/quorum"
	"zkbench/engine/server"
	"zkbench/engine/transport"
)

// member is one server's runtime: it owns a quorum.Peer and does what its
// Readys say — logging through the group-commit store, applying to the
// data tree, persisting epochs, sending jute frames — and runs the request
// pipeline around it (prepare on the leader, forward from learners, reply
// on commit). One goroutine (run) owns the Peer, the Preparer and the
// pending requests; clients reach it through inbox, the log's sync
// goroutine through logged.
type member struct {
	id       uint64
	observer bool
	cfg      *Config
	fs       disk.FS
	dirs     persist.Dirs
	publish  func(Event)
	ep       transport.Endpoint

	// Owned by the run goroutine.
	peer        *quorum.Peer
	st          *store
	prep        *server.Preparer
	queue       txnQueue
	calls       map[callKey]*call // local writes waiting for their txn to be applied
	fwdSyncs    []*call           // learner: syncs forwarded to the leader, in order
	ldSyncs     []leaderSync      // leader: local syncs waiting for a commit
	tracker     *sessionTracker   // leader only, while serving
	lastPropose int64
	lastReap    int64           // ms: the container manager's last pass
	pendTouch   map[int64]int32 // learner: touches not yet carried by a PING
	frame       []byte
	enc         *jute.Writer

	tree    atomic.Pointer[datatree.Tree]
	serving atomic.Bool
	leading atomic.Bool
	role    atomic.Int32  // quorum.Role of the last Ready
	gen     atomic.Uint64 // bumped whenever the member stops serving: its connections break

	clientsMu sync.Mutex
	clients   map[int64]*Client // sessions connected here
	nextSess  atomic.Int64

	inbox   chan *call
	logged  chan struct{}
	durable atomic.Int64
	logErr  atomic.Pointer[error]
	stopCh  chan struct{}
	done    chan struct{}
	err     error // why run ended, if it failed (read after done)
	// crashing: stop(crash) cut the disk's power. The run loop may still
	// hit the dead file handles before it sees stopCh; that error is the
	// crash, not a failure of the member.
	crashing atomic.Bool
}

type callKey struct {
	session int64
	cxid    int32
}

type leaderSync struct {
	zxid int64
	c    *call
}

// memberDirs returns member id's dataDir and dataLogDir.
func memberDirs(cfg *Config, id uint64) (dataDir, logDir string) {
	name := "server" + strconv.FormatUint(id, 10)
	dataDir = filepath.Join(cfg.DataDir, name)
	if cfg.DataLogDir != "" {
		logDir = filepath.Join(cfg.DataLogDir, name)
	}
	return dataDir, logDir
}

// startMember restores member id's database and starts its runtime.
func startMember(cfg *Config, id uint64, observer bool, fs disk.FS, net transport.Network, publish func(Event)) (*member, error) {
	dataDir, logDir := memberDirs(cfg, id)
	m := &member{
		id: id, observer: observer, cfg: cfg, fs: fs, dirs: persist.NewDirs(dataDir, logDir), publish: publish,
		calls: map[callKey]*call{}, pendTouch: map[int64]int32{}, clients: map[int64]*Client{},
		inbox: make(chan *call, 1024), logged: make(chan struct{}, 1),
		stopCh: make(chan struct{}), done: make(chan struct{}), enc: jute.NewWriter(nil),
	}
	m.durable.Store(-1)
	// Session ids as ZooKeeper makes them: server id in the top byte, then
	// the start time (SessionTrackerImpl.initializeNextSessionId).
	m.nextSess.Store(int64(id)<<56 | (time.Now().UnixMilli()<<24)>>8&(1<<56-1))
	if err := m.open(dataDir); err != nil {
		return nil, &MemberError{ID: id, Err: err}
	}
	ep, err := net.Endpoint(id)
	if err != nil {
		m.st.close()
		return nil, &MemberError{ID: id, Err: err}
	}
	m.ep = ep
	go m.run()
	publish(Event{Time: time.Now(), Member: id, Kind: EventMemberUp, Zxid: m.tree.Load().LastProcessedZxid()})
	return m, nil
}

// open restores the database and builds the Peer (QuorumPeer.loadDataBase).
func (m *member) open(dataDir string) error {
	if err := m.dirs.Check(m.fs); err != nil {
		return err
	}
	if err := m.writeMyid(dataDir); err != nil {
		return err
	}
	m.st = newStore(m.id, m.fs, m.dirs, m.cfg, m.publish, func() *datatree.Tree { return m.tree.Load() })
	res, err := persist.Restore(m.fs, m.dirs, persist.RestoreOptions{RepairTornTail: true, KeepRecent: m.st.recentTxns()})
	if err != nil {
		return err
	}
	if res.Snapshot == "" {
		// A fresh server writes snapshot.0 before it serves, as ZooKeeper does.
		if err := m.st.snapshotNow(res.Tree, true); err != nil {
			return err
		}
	}
	d, err := m.st.durable(res)
	if err != nil {
		return err
	}
	voters, observers := m.cfg.ids()
	m.peer, err = quorum.New(quorum.Config{
		ID: m.id, Voters: voters, Observers: observers,
		TickMs: int(m.cfg.TickInterval.Milliseconds()), TickTimeMs: int(m.cfg.TickTime.Milliseconds()),
		InitLimit: m.cfg.InitLimit, SyncLimit: m.cfg.SyncLimit, CommitLogCount: m.cfg.CommitLogCount,
		Rand: rand.New(rand.NewPCG(m.cfg.Seed, m.id^0x2ab)),
	}, d)
	if err != nil {
		return err
	}
	m.installTree(res.Tree)
	return m.st.openLog()
}

func (m *member) writeMyid(dataDir string) error {
	path := filepath.Join(dataDir, "myid")
	if _, err := m.fs.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return disk.WriteFileAtomic(m.fs, path, []byte(strconv.FormatUint(m.id, 10)+"\n"))
}

// installTree makes t the member's tree, with a Preparer over it.
func (m *member) installTree(t *datatree.Tree) {
	m.tree.Store(t)
	m.prep = server.NewPreparer(t, server.Config{
		TickTime:          int32(m.cfg.TickTime.Milliseconds()),
		MinSessionTimeout: int32(m.cfg.MinSessionTimeout.Milliseconds()),
		MaxSessionTimeout: int32(m.cfg.MaxSessionTimeout.Milliseconds()),
		CheckSession: func(id int64) datatree.Code {
			if m.tracker == nil {
				return datatree.Ok
			}
			return m.tracker.check(id)
		},
	})
	m.queue.reset()
}

// ---- the run loop ----

func (m *member) run() {
	defer func() {
		if m.err != nil && m.crashing.Load() {
			m.err = nil // CrashMember's power loss broke the disk under us
		}
		if m.err != nil {
			m.publish(Event{Time: time.Now(), Member: m.id, Kind: EventMemberDown, Mode: "failed", Err: m.err})
		}
		// Nobody takes the calls in flight from here on: fail them now,
		// and stop looking like a server (or a leader) to new ones.
		m.stopServing()
		close(m.done)
	}()
	ticker := time.NewTicker(m.cfg.TickInterval)
	defer ticker.Stop()
	recv := m.ep.Recv()
	for {
		select {
		case <-m.stopCh:
			return
		case env, ok := <-recv:
			if !ok {
				return
			}
			m.receive(env)
		case c := <-m.inbox:
			m.handleCall(c)
		case <-m.logged:
			if err := m.logError(); err != nil {
				m.err = err
				return
			}
			m.peer.Logged(m.durable.Load())
		case <-ticker.C:
			m.tick()
		}
		m.gather(recv)
		if err := m.drain(); err != nil {
			m.err = err
			return
		}
	}
}

// gather takes in whatever else is already waiting, so that one Ready
// batches the work of many messages and requests (and the log gets them
// as one group commit).
func (m *member) gather(recv <-chan transport.Envelope) {
	for range 256 {
		select {
		case env, ok := <-recv:
			if !ok {
				return
			}
			m.receive(env)
		case c := <-m.inbox:
			m.handleCall(c)
		default:
			return
		}
	}
}

func (m *member) logError() error {
	if p := m.logErr.Load(); p != nil {
		return fmt.Errorf("txn log: %w", *p)
	}
	return nil
}

func (m *member) receive(env transport.Envelope) {
	if env.Down {
		m.peer.Step(quorum.Message{Type: quorum.MsgLinkDown, From: env.From, To: m.id})
		return
	}
	msg, err := decodeFrame(env.From, m.id, env.Frame)
	if err != nil {
		// A garbled connection is a broken one.
		m.peer.Step(quorum.Message{Type: quorum.MsgLinkDown, From: env.From, To: m.id})
		return
	}
	_ = m.peer.Step(msg) // unknown or malformed messages are dropped, as a server logs and drops them
}

func (m *member) tick() {
	m.peer.Tick()
	if !m.serving.Load() {
		return
	}
	now := time.Now().UnixMilli()
	m.touchConnected(now)
	if m.tracker != nil {
		for _, id := range m.tracker.expire(now) {
			m.publish(Event{Time: time.Now(), Member: m.id, Kind: EventSessionExpired, Zxid: id})
			m.propose(server.Request{SessionID: id, Type: jute.OpCloseSession}, nil)
		}
		m.reapContainers(now)
	} else if len(m.pendTouch) > 0 {
		m.peer.SetPingData(encodeTouches(m.pendTouch))
	}
}

// reapContainers is the leader's ContainerManager: every check interval
// it deletes empty containers and expired TTL nodes with deleteContainer
// requests of session 0.
func (m *member) reapContainers(now int64) {
	if now-m.lastReap < m.cfg.ContainerCheckInterval.Milliseconds() {
		return
	}
	m.lastReap = now
	for _, path := range m.tree.Load().ReapCandidates(now) {
		m.propose(server.Request{Type: jute.OpDeleteContainer, Record: &jute.DeleteRequest{Path: path, Version: -1}}, nil)
	}
}

// touchConnected keeps the sessions of connected clients alive, as their
// client libraries' pings would.
func (m *member) touchConnected(now int64) {
	m.clientsMu.Lock()
	defer m.clientsMu.Unlock()
	for id, c := range m.clients {
		if m.tracker != nil {
			m.tracker.touch(id, now)
		} else {
			m.pendTouch[id] = c.timeout
		}
	}
}

// drain does every Ready the Peer has.
func (m *member) drain() error {
	for m.peer.HasReady() {
		if err := m.do(m.peer.Ready()); err != nil {
			return err
		}
		m.peer.Advance()
	}
	return nil
}

// do carries out one Ready in the order quorum.Ready prescribes.
func (m *member) do(rd quorum.Ready) error {
	m.role.Store(int32(rd.Role))
	if stopsServing(rd.Events) {
		m.stopServing()
	}
	if err := m.rebuild(rd); err != nil {
		return err
	}
	for _, e := range rd.Append {
		if err := m.append(e); err != nil {
			return err
		}
	}
	for _, e := range rd.Commit {
		if err := m.commit(e); err != nil {
			return err
		}
	}
	tree := m.tree.Load()
	if rd.LastProcessedZxid != nil {
		tree.SetLastProcessedZxid(*rd.LastProcessedZxid)
	}
	if rd.TakeSnapshot != nil {
		if err := m.st.snapshotNow(tree, rd.TakeSnapshot.Sync); err != nil {
			return err
		}
	}
	if rd.SaveAcceptedEpoch != nil {
		if err := m.st.saveEpoch(persist.AcceptedEpochFile, *rd.SaveAcceptedEpoch); err != nil {
			return err
		}
	}
	if rd.SaveCurrentEpoch != nil {
		if err := m.st.saveEpoch(persist.CurrentEpochFile, *rd.SaveCurrentEpoch); err != nil {
			return err
		}
	}
	for i := range rd.Messages {
		if err := m.send(&rd.Messages[i]); err != nil {
			return err
		}
	}
	for _, e := range rd.Events {
		m.event(e)
	}
	for _, r := range rd.Requests {
		m.forwarded(r)
	}
	for _, t := range rd.Touches {
		if m.tracker == nil {
			break // stopped leading in this Ready: the next leader's tracker starts afresh
		}
		now := time.Now().UnixMilli()
		decodeTouches(t.Data, func(id int64, _ int32) { m.tracker.touch(id, now) })
	}
	m.answerSyncs(rd.Syncs)
	return nil
}

// stopsServing: the member leaves service in this Ready; its commits are a
// fast-forward of txns nobody may have been promised.
func stopsServing(es []quorum.Event) bool {
	for _, e := range es {
		if e.Kind == quorum.EventLooking || e.Kind == quorum.EventFastForward || e.Kind == quorum.EventRollback {
			return true
		}
	}
	return false
}

// rebuild does a Ready's Truncate, Reload and LoadSnapshot.
func (m *member) rebuild(rd quorum.Ready) error {
	if rd.Truncate != nil {
		res, err := m.st.truncate(*rd.Truncate)
		if err != nil {
			return fmt.Errorf("truncate to 0x%x: %w", *rd.Truncate, err)
		}
		res.Tree.SetLastProcessedZxid(*rd.Truncate)
		m.installTree(res.Tree)
	}
	if rd.Reload {
		res, err := m.st.reload()
		if err != nil {
			return fmt.Errorf("reload: %w", err)
		}
		m.installTree(res.Tree)
	}
	if s := rd.LoadSnapshot; s != nil {
		t, err := persist.DecodeSnapshot(bytes.NewReader(s.Data), s.Zxid)
		if err != nil {
			return fmt.Errorf("snapshot from the leader at 0x%x: %w", s.Zxid, err)
		}
		m.installTree(t)
	}
	return nil
}

// append hands one entry to the group-commit log as the bytes the peer
// holds: the leader's own encoding, a learner's PROPOSAL as received.
func (m *member) append(e quorum.Entry) error {
	zxid := e.Zxid
	return m.st.log.Submit(e.Txn, func(err error) {
		if err != nil {
			m.logErr.CompareAndSwap(nil, &err)
		} else {
			m.durable.Store(zxid)
		}
		select {
		case m.logged <- struct{}{}:
		default:
		}
	})
}

// commit applies one committed entry and answers whoever waits for it.
// The leader applies the txn it prepared; a learner decodes it here, the
// only time it does.
func (m *member) commit(e quorum.Entry) error {
	txn := m.queue.take(e.Zxid)
	if txn == nil {
		var err error
		if txn, err = jute.DecodeTxn(e.Txn); err != nil {
			return fmt.Errorf("entry 0x%x: %w", e.Zxid, err)
		}
	}
	res := m.prep.Apply(txn)
	h := &txn.Header
	if c := m.calls[callKey{h.ClientID, h.Cxid}]; c != nil {
		delete(m.calls, callKey{h.ClientID, h.Cxid})
		hdr, rec := server.Reply(c.req, res, m.tree.Load().LastProcessedZxid())
		c.finish(hdr, rec, nil)
	}
	if h.Type == jute.OpCloseSession {
		if m.tracker != nil {
			m.tracker.remove(h.ClientID)
		}
		m.sessionClosed(h.ClientID)
	}
	m.releaseLeaderSyncs(e.Zxid)
	return nil
}

func (m *member) send(msg *quorum.Message) error {
	if msg.Type == quorum.PacketSnap && msg.Data == nil {
		var b bytes.Buffer
		if err := persist.EncodeSnapshot(&b, m.tree.Load()); err != nil {
			return fmt.Errorf("SNAP for %d: %w", msg.To, err)
		}
		msg.Data = b.Bytes()
	}
	if msg.Type == quorum.PacketPing && len(msg.Data) > 0 {
		clear(m.pendTouch) // this PING carries them
	}
	m.frame = encodeFrame(m.frame[:0], msg)
	if err := m.ep.Send(msg.To, m.frame); err != nil && !errors.Is(err, transport.ErrClosed) {
		return err
	}
	return nil
}

func (m *member) event(e quorum.Event) {
	now := time.Now()
	switch e.Kind {
	case quorum.EventEstablished:
		m.tracker = newSessionTracker(m.tree.Load().Sessions(), now.UnixMilli())
		m.prep.Reset()
		m.lastPropose = e.Zxid
		m.lastReap = now.UnixMilli()
		m.leading.Store(true)
		m.serving.Store(true)
		m.publish(Event{Time: now, Member: m.id, Kind: EventLeaderElected, Peer: m.id, Zxid: e.Zxid})
	case quorum.EventSynced:
		if m.peer.Status().Role == quorum.RoleLeading {
			return // the learner reports its own sync
		}
		m.serving.Store(true)
		m.publish(Event{Time: now, Member: m.id, Kind: EventLearnerSynced, Peer: e.Peer,
			Mode: e.Mode.String(), Txns: e.Txns, Zxid: e.Zxid})
	}
}

// stopServing breaks every client connection's pending work: the outcome
// of a write in flight is unknown to its client (ConnectionLoss), as when
// a ZooKeeper server shuts its request pipeline down.
func (m *member) stopServing() {
	if !m.serving.Load() && m.tracker == nil && len(m.calls) == 0 {
		return
	}
	m.serving.Store(false)
	m.leading.Store(false)
	m.gen.Add(1)
	m.tracker = nil
	for k, c := range m.calls {
		c.fail(ErrConnectionLoss)
		delete(m.calls, k)
	}
	for _, c := range m.fwdSyncs {
		c.fail(ErrConnectionLoss)
	}
	m.fwdSyncs = nil
	for _, s := range m.ldSyncs {
		s.c.fail(ErrConnectionLoss)
	}
	m.ldSyncs = nil
	clear(m.pendTouch)
}

// ---- the request pipeline ----

// handleCall takes a client's write or sync into the pipeline.
func (m *member) handleCall(c *call) {
	if !m.serving.Load() || c.gen != m.gen.Load() {
		c.fail(ErrConnectionLoss)
		return
	}
	leading := m.tracker != nil
	switch {
	case c.req.Type == jute.OpSync && leading:
		m.leaderSync(c)
	case c.req.Type == jute.OpSync:
		if err := m.forward(c); err != nil {
			c.fail(ErrConnectionLoss)
			return
		}
		m.fwdSyncs = append(m.fwdSyncs, c)
	case leading:
		m.calls[callKey{c.req.SessionID, c.req.Cxid}] = c
		if c.req.Type == jute.OpCreateSession {
			m.tracker.add(c.req.SessionID, c.req.Record.(*jute.ConnectRequest).TimeOut, time.Now().UnixMilli())
		}
		m.propose(c.req, c)
	default:
		m.calls[callKey{c.req.SessionID, c.req.Cxid}] = c
		if err := m.forward(c); err != nil {
			delete(m.calls, callKey{c.req.SessionID, c.req.Cxid})
			c.fail(ErrConnectionLoss)
		}
	}
}

// forward sends a learner's client request to the leader (Learner.request).
func (m *member) forward(c *call) error {
	m.enc.Reset()
	switch r := c.req.Record.(type) {
	case *jute.ConnectRequest:
		// createSession carries only the negotiated timeout
		// (ZooKeeperServer.createSession's 4-byte buffer).
		m.enc.Int(r.TimeOut)
	case nil:
	default:
		r.Encode(m.enc)
	}
	lr := jute.LearnerRequest{SessionID: c.req.SessionID, Cxid: c.req.Cxid, Type: c.req.Type, Request: m.enc.Bytes()}
	w := jute.NewWriter(nil)
	lr.Encode(w)
	return m.peer.Forward(w.Bytes(), c.req.Auth)
}

// forwarded handles a request a learner forwarded to this leader.
func (m *member) forwarded(r quorum.Request) {
	if m.tracker == nil {
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
		_ = m.peer.Sync(r.From)
		return
	case lr.Type == jute.OpCreateSession:
		if cr, ok := req.Record.(*jute.ConnectRequest); ok {
			m.tracker.add(lr.SessionID, cr.TimeOut, now)
		}
	default:
		m.tracker.touch(lr.SessionID, now)
	}
	m.propose(req, nil)
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
func (m *member) propose(req server.Request, c *call) {
	zxid, err := m.peer.NextZxid()
	if err != nil {
		if c != nil {
			delete(m.calls, callKey{req.SessionID, req.Cxid})
			c.fail(ErrConnectionLoss)
		}
		return
	}
	txn := m.prep.Prepare(req, zxid, time.Now().UnixMilli())
	if txn == nil {
		if c != nil { // not a write after all: answer like a read
			delete(m.calls, callKey{req.SessionID, req.Cxid})
			hdr, rec := server.Read(m.tree.Load(), req, nil)
			c.finish(hdr, rec, nil)
		}
		return
	}
	if txn.Header.Type == jute.OpCloseSession {
		m.tracker.setClosing(req.SessionID)
	}
	m.enc.Reset()
	txn.Encode(m.enc)
	entry := bytes.Clone(m.enc.Bytes())
	if _, err := m.peer.Propose(entry); err != nil {
		if c != nil {
			delete(m.calls, callKey{req.SessionID, req.Cxid})
			c.fail(ErrConnectionLoss)
		}
		return
	}
	m.lastPropose = zxid
	m.queue.push(zxid, txn)
}

// leaderSync answers a sync on the leader once everything proposed before
// it is applied.
func (m *member) leaderSync(c *call) {
	if m.tree.Load().LastProcessedZxid() >= m.lastPropose {
		hdr, rec := server.Read(m.tree.Load(), c.req, nil)
		c.finish(hdr, rec, nil)
		return
	}
	m.ldSyncs = append(m.ldSyncs, leaderSync{zxid: m.lastPropose, c: c})
}

func (m *member) releaseLeaderSyncs(applied int64) {
	n := 0
	for n < len(m.ldSyncs) && m.ldSyncs[n].zxid <= applied {
		c := m.ldSyncs[n].c
		hdr, rec := server.Read(m.tree.Load(), c.req, nil)
		c.finish(hdr, rec, nil)
		n++
	}
	m.ldSyncs = m.ldSyncs[n:]
}

// answerSyncs answers the n oldest forwarded syncs (the leader's SYNC
// packets arrived behind the commits they wait for).
func (m *member) answerSyncs(n int) {
	for ; n > 0 && len(m.fwdSyncs) > 0; n-- {
		c := m.fwdSyncs[0]
		m.fwdSyncs = m.fwdSyncs[1:]
		hdr, rec := server.Read(m.tree.Load(), c.req, nil)
		c.finish(hdr, rec, nil)
	}
}

// ---- connections ----

func (m *member) connect(c *Client) {
	m.clientsMu.Lock()
	m.clients[c.session] = c
	m.clientsMu.Unlock()
}

func (m *member) disconnect(c *Client) {
	m.clientsMu.Lock()
	if m.clients[c.session] == c {
		delete(m.clients, c.session)
	}
	m.clientsMu.Unlock()
}

// sessionClosed tells a connected client its session is gone (expired or
// closed).
func (m *member) sessionClosed(id int64) {
	m.clientsMu.Lock()
	c := m.clients[id]
	delete(m.clients, id)
	m.clientsMu.Unlock()
	if c != nil {
		c.sessionClosed()
	}
}

// submit queues a client call for the run goroutine.
func (m *member) submit(c *call) {
	select {
	case m.inbox <- c:
	case <-m.stopCh:
		c.fail(ErrConnectionLoss)
	case <-m.done: // failed on its own: the inbox has no reader any more
		c.fail(ErrConnectionLoss)
	}
}

func (m *member) stopped() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// stop ends the runtime. A crash loses what the member's disk had not
// synced (when its FS can simulate that); a clean stop commits the log.
func (m *member) stop(crash bool) error {
	select {
	case <-m.stopCh:
	default:
		close(m.stopCh)
	}
	if crash {
		if c, ok := m.fs.(interface{ Crash(tear bool) }); ok {
			m.crashing.Store(true) // before the handles die: see run
			c.Crash(true)
		}
	}
	<-m.done
	m.ep.Close()
	m.stopServing()
	err := m.st.close()
	if crash {
		err = nil // the disk is gone mid-write; nothing to report
		// Our goroutines ran on after the cut: a background snapshot may
		// have created its file since and written all of it, unsynced, to
		// the rebooted disk, where a restart would take it for good and a
		// later crash tear it (its txns in no log). Cut the power again
		// now that nothing runs: only what was synced survives.
		if c, ok := m.fs.(interface{ Crash(tear bool) }); ok {
			c.Crash(true)
		}
	}
	// Sessions live on for Reconnect; this member forgets them.
	m.clientsMu.Lock()
	m.clients = map[int64]*Client{}
	m.clientsMu.Unlock()
	return errors.Join(m.err, err)
}

// ---- txns between append and apply ----

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
