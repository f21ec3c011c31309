package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
	"zkbench/engine/jute"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/persist"
	"zkbench/engine/quorum"
	"zkbench/engine/server"
	"zkbench/engine/snap"
	"zkbench/engine/transport"
)

// member is one server's runtime: it owns a quorum.Peer and does what its
// Readys say — logging through the group-commit store, applying to the
// data tree, persisting epochs, sending jute frames — and feeds the
// request pipeline (pipeline.go) what concerns it. One goroutine (run)
// owns the Peer and the pipeline; sessions reach it through inbox (see
// host), the log's sync goroutine through logged.
type member struct {
	id       uint64
	observer bool
	cfg      *Config
	fs       disk.FS
	dirs     persist.Dirs
	publish  func(Event)
	ep       transport.Endpoint
	net      transport.Network // set by start: where peerAddr looks

	// Owned by the run goroutine.
	peer    *quorum.Peer
	st      *store
	pl      *pipeline
	frame   []byte
	entries [][]byte // append's scratch

	tree    atomic.Pointer[datatree.Tree]
	serving atomic.Bool
	leading atomic.Bool
	role    atomic.Int32  // quorum.Role of the last Ready
	gen     atomic.Uint64 // bumped whenever the member stops serving: its connections break

	clients sessions // connected here
	stats   *serverStats
	// status is the Peer's, as of the last tick: the Peer belongs to the
	// run goroutine, the four-letter words read this copy.
	status   atomic.Pointer[quorum.Status]
	nextSess atomic.Int64

	inbox    chan *call
	logged   chan struct{}
	durable  atomic.Int64
	logErr   atomic.Pointer[error]
	stopCh   chan struct{}
	done     chan struct{}
	err      error          // why run ended, if it failed (read after done)
	opened   time.Time      // when its start began
	restored time.Duration  // how long the start took to restore its database
	phases   persist.Phases // the restore's steps
	snapIn   int64          // bytes of the last SNAP the leader sent (run goroutine)
	// cfgVersion is the version of the member's configuration (run
	// goroutine): 0 until a reconfig-enabled member serves an epoch.
	// dynamic is the configuration a reconfig made, nil while the static
	// one holds.
	cfgVersion int64
	dynamic    []server.QuorumServer
	// newLeaderQV is the configuration the last NEWLEADER carried (run
	// goroutine): a learner takes it at UPTODATE.
	newLeaderQV []byte
	running     func() []uint64 // the ids of the ensemble's members (openMember)
	// isObserver: the member's configuration lists it as an observer.
	isObserver atomic.Bool
	// crashing: stop(crash) cut the disk's power. The run loop may still
	// hit the dead file handles before it sees stopCh; that error is the
	// crash, not a failure of the member.
	crashing atomic.Bool

	// held are the learner packets waiting, per learner, behind a SNAP
	// whose tree is being serialized off the loop (run goroutine);
	// snapped is where the serializing goroutine hands the SNAP back.
	held    map[uint64]*learnerOut
	snapped chan encodedSnap
}

// MemberError says which member failed and why. It matches
// ErrMemberFailed and wraps the cause, so that errors.Is(err,
// syscall.ENOSPC) and errors.As(err, **fs.PathError) see through it.
type MemberError struct {
	ID  uint64
	Err error
}

func (e *MemberError) Error() string   { return fmt.Sprintf("member %d: %v", e.ID, e.Err) }
func (e *MemberError) Unwrap() []error { return []error{ErrMemberFailed, e.Err} }

// memberDirs returns member id's dataDir and dataLogDir.
func memberDirs(cfg *Config, id uint64) (dataDir, logDir string) {
	name := "server" + strconv.FormatUint(id, 10)
	dataDir = filepath.Join(cfg.DataDir, name)
	if cfg.DataLogDir != "" {
		logDir = filepath.Join(cfg.DataLogDir, name)
	}
	return dataDir, logDir
}

// openMember restores member id's database and builds its runtime,
// not yet running: the slow part of a start, which the members of an
// ensemble do at once.
// values is the pool of node data the members share (Ensemble.values).
// stats are its figures for the four-letter words; running lists the ids
// of every member the ensemble runs (those it started with and those added
// since): a reconfig may give any of them a role.
func openMember(cfg *Config, id uint64, observer bool, running func() []uint64, fs disk.FS, publish func(Event), values *snap.Values, stats *serverStats) (*member, error) {
	dataDir, logDir := memberDirs(cfg, id)
	m := &member{
		id: id, observer: observer, running: running, cfg: cfg, fs: fs, dirs: persist.NewDirs(dataDir, logDir), publish: publish, stats: stats,
		inbox: make(chan *call, 1024), logged: make(chan struct{}, 1),
		held: make(map[uint64]*learnerOut), snapped: make(chan encodedSnap),
		stopCh: make(chan struct{}), done: make(chan struct{}),
	}
	m.durable.Store(-1)
	m.nextSess.Store(sessionIDBase(id, time.Now()))
	m.opened = time.Now()
	if err := m.open(dataDir, values); err != nil {
		return nil, &MemberError{ID: id, Err: err}
	}
	m.restored = time.Since(m.opened)
	return m, nil
}

// start joins an opened member to the network and runs it.
func (m *member) start(net transport.Network) error {
	ep, err := net.Endpoint(m.id)
	if err != nil {
		m.st.close()
		return &MemberError{ID: m.id, Err: err}
	}
	m.ep, m.net = ep, net
	go m.run()
	if m.cfg.PurgeInterval > 0 {
		go m.autopurge()
	}
	t := m.tree.Load()
	m.publish(Event{Time: m.opened, Member: m.id, Kind: EventMemberUp, Duration: m.restored,
		Nodes: t.NodeCount(), Zxid: t.LastProcessedZxid(), Restore: &m.phases})
	return nil
}

// autopurge keeps the newest SnapRetainCount snapshots and the logs they
// need, at once and then every PurgeInterval until the member stops, as
// ZooKeeper's DatadirCleanupManager does when autopurge.purgeInterval >
// 0: its deletes are part of the disk's load. A round that fails is
// tried again at the next, as there.
func (m *member) autopurge() {
	_, _ = persist.Purge(m.fs, m.dirs, m.cfg.SnapRetainCount)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-m.stopCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	_ = persist.RunPurger(ctx, m.fs, m.dirs, m.cfg.SnapRetainCount, m.cfg.PurgeInterval, nil)
}

// sessionIDBase is a server's first session id, as ZooKeeper makes it:
// the server id in the top byte, then the start time
// (SessionTrackerImpl.initializeNextSessionId).
func sessionIDBase(server uint64, now time.Time) int64 {
	return int64(server)<<56 | (now.UnixMilli()<<24)>>8&(1<<56-1)
}

// open restores the database and builds the Peer (QuorumPeer.loadDataBase).
func (m *member) open(dataDir string, values *snap.Values) error {
	if err := m.dirs.Check(m.fs); err != nil {
		return err
	}
	if err := writeMyid(m.fs, dataDir, m.id); err != nil {
		return err
	}
	m.st = newStore(m.id, m.fs, m.dirs, m.cfg, m.publish, func() *datatree.Tree { return m.tree.Load() })
	m.st.values = values
	res, err := persist.Restore(m.fs, m.dirs, persist.RestoreOptions{RepairTornTail: true, KeepRecent: m.st.recentTxns(), Values: values})
	if err != nil {
		return err
	}
	m.isObserver.Store(m.observer)
	if err := m.loadConfig(dataDir); err != nil {
		return err
	}
	m.initConfig(res.Tree)
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
	m.phases = res.Phases
	voters, observers := m.ids()
	var others []uint64
	for _, id := range append(m.running(), m.id) {
		if !slices.Contains(voters, id) && !slices.Contains(observers, id) && !slices.Contains(others, id) {
			others = append(others, id)
		}
	}
	var membership func([]byte) ([]uint64, []uint64, bool)
	if m.cfg.ReconfigEnabled {
		membership = reconfigMembership
	}
	qc := quorum.Config{
		ID: m.id, Voters: voters, Observers: observers, Others: others, Membership: membership,
		TickMs: int(m.cfg.TickInterval.Milliseconds()), TickTimeMs: int(m.cfg.TickTime.Milliseconds()),
		InitLimit: m.cfg.InitLimit, SyncLimit: m.cfg.SyncLimit, CommitLogCount: m.cfg.CommitLogCount,
		Rand: rand.New(rand.NewPCG(m.cfg.Seed, m.id^0x2ab)),
	}
	if m.cfg.SnapshotSizeFactor >= 0 { // ZKDatabase.isTxnLogSyncEnabled
		qc.TxnLog = m.st
	}
	m.peer, err = quorum.New(qc, d)
	if err != nil {
		return err
	}
	m.pl = newPipeline(m)
	m.installTree(res.Tree)
	return m.st.openLog()
}

// writeMyid writes dataDir/myid unless it exists.
func writeMyid(fsys disk.FS, dataDir string, id uint64) error {
	path := filepath.Join(dataDir, "myid")
	if _, err := fsys.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return disk.WriteFileAtomic(fsys, path, []byte(strconv.FormatUint(id, 10)+"\n"))
}

// installTree makes t the member's tree, with the pipeline over it.
func (m *member) installTree(t *datatree.Tree) {
	m.tree.Store(t)
	m.pl.reset(t)
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
			m.take(c)
		case <-m.logged:
			if err := m.logError(); err != nil {
				m.err = err
				return
			}
			m.peer.Logged(m.durable.Load())
		case <-ticker.C:
			m.tick()
		case r := <-m.snapped:
			if err := m.snapDone(r); err != nil {
				m.err = err
				return
			}
		}
		m.gather(recv)
		if err := m.drain(); err != nil {
			m.err = err
			return
		}
		if err := m.flushAllHeld(); err != nil {
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
			m.take(c)
		default:
			return
		}
	}
}

// failLog records the log's first failure. Taking err's address here, not
// in the callback, keeps the callback from allocating on every append.
func (m *member) failLog(err error) { m.logErr.CompareAndSwap(nil, &err) }

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
	if msg.Type == jute.PacketNewLeader && len(msg.Data) > 0 {
		m.newLeaderQV = bytes.Clone(msg.Data) // the leader's configuration (Learner.syncWithLeader)
	}
	_ = m.peer.Step(msg) // unknown or malformed messages are dropped, as a server logs and drops them
}

func (m *member) tick() {
	m.peer.Tick()
	st := m.peer.Status()
	m.status.Store(&st)
	if !m.serving.Load() {
		return
	}
	now := time.Now().UnixMilli()
	m.clients.each(func(a attached) { m.pl.touch(a.sessionID(), a.sessionTimeout(), now) })
	m.pl.tick(now)
}

// take hands a session's call to the pipeline, unless it was sent before
// the member last stopped serving (its connection broke since).
func (m *member) take(c *call) {
	if !m.serving.Load() || c.gen != m.gen.Load() {
		c.fail(ErrConnectionLoss)
		return
	}
	m.pl.handle(c)
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
	if err := m.append(rd.Append); err != nil {
		return err
	}
	for _, e := range rd.Commit {
		if err := m.pl.commit(e); err != nil {
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
		m.pl.forwarded(r)
	}
	m.pl.touched(rd.Touches)
	m.pl.answerSyncs(rd.Syncs)
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
		t, err := persist.DecodeSnapshot(bytes.NewReader(s.Data), s.Zxid, m.st.values)
		if err != nil {
			return fmt.Errorf("snapshot from the leader at 0x%x: %w", s.Zxid, err)
		}
		m.snapIn = int64(len(s.Data))
		m.installTree(t)
	}
	return nil
}

// append hands a Ready's entries to the group-commit log, as the bytes
// the Peer holds (the leader's own encoding, a learner's PROPOSALs as
// received), all at once: they may share one sync.
func (m *member) append(es []quorum.Entry) error {
	if len(es) == 0 {
		return nil
	}
	m.entries = m.entries[:0]
	for _, e := range es {
		m.entries = append(m.entries, e.Txn)
	}
	last := es[len(es)-1].Zxid
	err := m.st.log.SubmitGroup(m.entries, func(err error) {
		if err != nil {
			m.failLog(err)
		} else {
			m.durable.Store(last)
		}
		select {
		case m.logged <- struct{}{}:
		default:
		}
	})
	clear(m.entries)
	return err
}

func (m *member) send(msg *quorum.Message) error {
	if msg.Type == jute.PacketPing && len(msg.Data) > 0 {
		m.pl.pinged()
	}
	if msg.Type == jute.PacketNewLeader && m.cfg.ReconfigEnabled {
		// LearnerHandler sends the leader's configuration in NEWLEADER;
		// one of version 0 takes the new epoch's first zxid (Leader.lead,
		// ZOOKEEPER-1783).
		v := m.cfgVersion
		if v == 0 {
			v = msg.Zxid
		}
		msg.Data = quorumConfig(m.members(), v)
	}
	if msg.Type != quorum.MsgNotification {
		if o := m.held[msg.To]; o != nil {
			// Behind a SNAP on the learner's connection: Leader's
			// startForwarding queue, sent once the snapshot is.
			o.q = append(o.q, m.holdPacket(msg))
			return nil
		}
		if msg.Type == jute.PacketSnap && msg.Data == nil {
			m.held[msg.To] = &learnerOut{encoding: true}
			m.encodeSnap(*msg)
			return nil
		}
	}
	return m.sendFrame(msg.To, encodeFrame(m.frame[:0], msg))
}

// sendFrame hands a frame to the transport; a closed endpoint means the
// member is stopping.
func (m *member) sendFrame(to uint64, frame []byte) error {
	m.frame = frame
	return m.transmit(to, frame)
}

func (m *member) transmit(to uint64, frame []byte) error {
	if err := m.ep.Send(to, frame); err != nil && !errors.Is(err, transport.ErrClosed) {
		return err
	}
	return nil
}

// ---- SNAP serialized off the loop ----
//
// ZooKeeper's LearnerHandler decides a SNAP under the database's log lock,
// has the leader queue every later proposal and commit for that learner
// (startForwarding), releases the lock and serializes the data tree on its
// own thread while the leader goes on committing: a fuzzy snapshot whose
// txns after the SNAP's zxid the learner replays, idempotently, from the
// queued packets. The Peer has already planned all of that and put the
// packets in its Readys; the member keeps them, in order, behind the
// snapshot while a goroutine walks the tree (the walk that background
// snapshots use, safe while Apply runs), then feeds them to the transport
// as fast as the learner takes them: a burst of seconds of packets would
// overflow the link's queue, where ZooKeeper's socket write would block.

// heldBacklog is how many frames the member lets wait on a learner's link
// while it still holds more for it: well under transport.DefaultQueueLen.
const heldBacklog = 1024

// learnerOut is what waits to be sent to one learner behind a SNAP.
type learnerOut struct {
	encoding bool // the head SNAP's tree is being serialized
	q        []heldPacket
}

// heldPacket is a learner packet waiting behind a SNAP: its frame, or a
// further SNAP that still needs its tree serialized.
type heldPacket struct {
	frame []byte
	snap  *quorum.Message
}

// encodedSnap is the frame of a SNAP for learner to (or why there is none).
type encodedSnap struct {
	to    uint64
	frame []byte
	err   error
}

func (m *member) holdPacket(msg *quorum.Message) heldPacket {
	if msg.Type == jute.PacketSnap && msg.Data == nil {
		c := *msg
		return heldPacket{snap: &c}
	}
	return heldPacket{frame: encodeFrame(nil, msg)}
}

// encodeSnap serializes the current tree for msg in a goroutine that
// hands it back to the run loop through snapped.
func (m *member) encodeSnap(msg quorum.Message) {
	tree := m.tree.Load()
	hook := m.cfg.snapEncodeHook
	size := m.st.newestSnapshotSize()
	go func() {
		if hook != nil {
			hook(m.id, msg.To)
		}
		frame, err := snapFrame(&msg, tree, size)
		select {
		case m.snapped <- encodedSnap{to: msg.To, frame: frame, err: err}:
		case <-m.stopCh:
		}
	}()
}

// snapFrame is encodeFrame of a SNAP whose data is tree's snapshot,
// serialized straight into the frame (sized for about size bytes of
// snapshot): a copy of a tree of 100 MB and more is garbage the leader's
// collector would have to keep up with while it commits.
func snapFrame(msg *quorum.Message, tree *datatree.Tree, size int64) ([]byte, error) {
	empty := *msg
	empty.Data = []byte{}
	head := encodeFrame(nil, &empty)
	// The data's length field ends the packet's fixed part: frame kind,
	// connection, type, zxid; the auth infos follow the data.
	auth := jute.NewWriter(nil)
	jute.EncodeIDs(auth, msg.Auth)
	at := len(head) - auth.Len() - 4
	var b bytes.Buffer
	b.Grow(int(size) + len(head) + 4096)
	b.Write(head[:at+4])
	if err := persist.EncodeSnapshot(&b, tree); err != nil {
		return nil, err
	}
	b.Write(head[at+4:])
	f := b.Bytes()
	n := len(f) - len(head)
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("snapshot of %d bytes: more than a jute buffer holds", n)
	}
	binary.BigEndian.PutUint32(f[at:], uint32(n))
	return f, nil
}

// snapDone puts a serialized SNAP at the head of its learner's queue and
// starts sending.
func (m *member) snapDone(r encodedSnap) error {
	to := r.to
	if r.err != nil {
		return fmt.Errorf("SNAP for %d: %w", to, r.err)
	}
	o := m.held[to]
	o.encoding = false
	o.q = append([]heldPacket{{frame: r.frame}}, o.q...)
	return m.flushHeld(to, o)
}

// flushHeld sends what waits for learner to while its link takes it, up
// to the next SNAP, whose serialization it starts.
func (m *member) flushHeld(to uint64, o *learnerOut) error {
	for !o.encoding && len(o.q) > 0 {
		room := heldBacklog - m.ep.Backlog(to)
		if room <= 0 {
			return nil // the next turn of the loop tries again
		}
		for ; room > 0 && len(o.q) > 0; room-- {
			p := o.q[0]
			o.q[0] = heldPacket{}
			o.q = o.q[1:]
			if p.snap != nil {
				o.encoding = true
				m.encodeSnap(*p.snap)
				return nil
			}
			if err := m.transmit(to, p.frame); err != nil {
				return err
			}
		}
	}
	if !o.encoding {
		delete(m.held, to)
	}
	return nil
}

// flushAllHeld gives every learner's held packets another chance.
func (m *member) flushAllHeld() error {
	for to, o := range m.held {
		if err := m.flushHeld(to, o); err != nil {
			return err
		}
	}
	return nil
}

func (m *member) event(e quorum.Event) {
	now := time.Now()
	switch e.Kind {
	case quorum.EventEstablished:
		if err := m.establishConfig(); err != nil {
			m.failLog(fmt.Errorf("dynamic config: %w", err))
		}
		m.initConfig(m.tree.Load())
		m.pl.lead(now.UnixMilli())
		m.leading.Store(true)
		m.serving.Store(true)
		m.publish(Event{Time: now, Member: m.id, Kind: EventLeaderElected, Peer: m.id, Zxid: e.Zxid})
	case quorum.EventReconfig:
		if err := m.reconfigured(e.Zxid); err != nil {
			m.failLog(fmt.Errorf("reconfig 0x%x: %w", e.Zxid, err))
		}
	case quorum.EventSynced:
		if m.peer.Status().Role == quorum.RoleLeading {
			return // the learner reports its own sync
		}
		m.adoptLeaderConfig()
		if err := m.establishConfig(); err != nil {
			m.failLog(fmt.Errorf("dynamic config: %w", err))
		}
		m.initConfig(m.tree.Load())
		m.serving.Store(true)
		var snapBytes int64
		if e.Mode == quorum.SyncSnap {
			snapBytes = m.snapIn
		}
		m.publish(Event{Time: now, Member: m.id, Kind: EventLearnerSynced, Peer: e.Peer,
			Mode: e.Mode.String(), Txns: e.Txns, Zxid: e.Zxid, Bytes: snapBytes})
	}
}

// stopServing breaks every connection and the pipeline's pending work.
func (m *member) stopServing() {
	if !m.serving.Load() && !m.pl.busy() {
		return
	}
	m.serving.Store(false)
	m.leading.Store(false)
	m.gen.Add(1)
	m.pl.stop()
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
	m.clients.forget()
	return errors.Join(m.err, err)
}
