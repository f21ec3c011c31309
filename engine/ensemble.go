package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"zkbench/engine/disk"
	"zkbench/engine/fourletter"
	"zkbench/engine/quorum"
	"zkbench/engine/snap"
	"zkbench/engine/transport"
)

// Errors about members.
var (
	ErrNoMember    = errors.New("engine: no such member")
	ErrMemberDown  = errors.New("engine: member is down")
	ErrMemberUp    = errors.New("engine: member is running")
	ErrNoPartition = errors.New("engine: partitions need the in-process transport")
	// ErrMemberFailed matches a *MemberError: a member that could not
	// start, or that stopped on its own (a write or sync of its log,
	// snapshot or epoch file failed, say on a full disk).
	ErrMemberFailed = errors.New("engine: member failed")
)

// DefaultSessionTimeout is what Client asks for (ZooKeeper clients
// commonly ask for 30 s; the server clamps it into its bounds).
const DefaultSessionTimeout = 30 * time.Second

// Ensemble is a running ZooKeeper-compatible ensemble inside this process.
type Ensemble struct {
	cfg    Config
	net    transport.Network
	inproc *transport.InProc // nil with TCP
	sink   Sink

	mu      sync.Mutex
	members map[uint64]*member // nil while a member is down
	added   []uint64           // AddMember's members, in order
	fs      map[uint64]disk.FS
	stopped bool

	ports portRegistry // ServeClients' listeners and connections
	words fourletter.Whitelist
	stats map[uint64]*serverStats // each member's, for the four-letter words

	expected map[uint64]bool // ExpectFailure's members

	failOnce sync.Once
	failed   chan struct{} // closed by the first member failure
	failure  error         // that failure; read after failed is closed

	// values is the pool every restore takes node data from. Members
	// started from one snapshot (engine.Initialize's) hold the same data,
	// and a member rebuilding its tree mostly reads data the others hold:
	// each value is in memory once rather than once per member, at the
	// cost of the pool's index and of keeping a value the trees have
	// since replaced.
	values *snap.Values

	giveBack []func() // the scheduler slots lent for the members' writers (procs.go)
}

// Start starts every member of cfg. It returns once they all run; use
// WaitServing to wait for a leader and synced learners.
func Start(cfg Config) (*Ensemble, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &Ensemble{cfg: cfg, sink: cfg.Events, members: map[uint64]*member{}, fs: map[uint64]disk.FS{},
		failed: make(chan struct{}), values: snap.NewValues(), words: fourletter.ParseWhitelist(cfg.FourLetterWords),
		stats: map[uint64]*serverStats{}}
	if e.sink == nil {
		e.sink = discardSink{}
	}
	if err := e.openNetwork(); err != nil {
		return nil, err
	}
	voters, observers := cfg.ids()
	ids := append(voters, observers...)
	e.giveBack = append(e.giveBack, lendProcs(len(ids)))
	for _, id := range ids {
		e.fs[id] = disk.OS
		e.stats[id] = newServerStats(time.Now())
		if cfg.FS != nil {
			e.fs[id] = cfg.FS(id)
		}
	}
	opened, err := e.openMembers(ids)
	if err != nil {
		e.Stop()
		return nil, err
	}
	for i, m := range opened {
		if err := e.run(m); err != nil {
			for _, rest := range opened[i+1:] {
				rest.st.close()
			}
			e.Stop()
			return nil, err
		}
	}
	for i := range cfg.SpareMembers {
		if err := e.AddMember(uint64(len(ids) + i + 1)); err != nil {
			e.Stop()
			return nil, err
		}
	}
	return e, nil
}

// openMembers restores every member's database at once, as the servers
// of an ensemble started together do: one after the other, the first
// members would elect a leader before the last is up (a large tree takes
// seconds to restore), and the late ones could split the vote. On error
// the members opened are closed again.
func (e *Ensemble) openMembers(ids []uint64) ([]*member, error) {
	ms := make([]*member, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			ms[i], errs[i] = openMember(&e.cfg, id, int(id) > e.cfg.Servers && int(id) <= e.cfg.Servers+e.cfg.Observers, e.Members, e.fs[id], e.publisher(id), e.values, e.stats[id])
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, m := range ms {
			if m != nil {
				m.st.close()
			}
		}
		return nil, err
	}
	return ms, nil
}

func (e *Ensemble) openNetwork() error {
	if e.cfg.Transport == TransportTCP {
		n, err := transport.NewTCP(transport.TCPOptions{})
		if err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		e.net = n
		return nil
	}
	opts := transport.InProcOptions{Jitter: e.cfg.PeerJitter, Seed: e.cfg.Seed}
	if d := e.cfg.PeerLatency; d > 0 {
		opts.Latency = func(_, _ uint64) time.Duration { return d }
	}
	e.inproc = transport.NewInProc(opts)
	e.net = e.inproc
	return nil
}

func (e *Ensemble) startMember(id uint64) error {
	st := e.statsOf(id)
	st.restart(time.Now()) // a restarted server's stats start again
	m, err := openMember(&e.cfg, id, int(id) > e.cfg.Servers && int(id) <= e.cfg.Servers+e.cfg.Observers, e.Members, e.FS(id), e.publisher(id), e.values, st)
	if err != nil {
		return err
	}
	return e.run(m)
}

// run starts an opened member and watches it.
func (e *Ensemble) run(m *member) error {
	if err := m.start(e.net); err != nil {
		return err
	}
	e.mu.Lock()
	e.members[m.id] = m
	e.mu.Unlock()
	go e.watch(m)
	return nil
}

// watch records m's failure once its run loop has ended. A failed member
// stays down, as a ZooKeeper server whose log cannot be written shuts
// down; whoever relies on the whole ensemble learns of it through Failure.
func (e *Ensemble) watch(m *member) {
	<-m.done
	if m.err == nil {
		return
	}
	e.mu.Lock()
	expected := e.expected[m.id]
	e.mu.Unlock()
	if expected {
		return
	}
	err := &MemberError{ID: m.id, Err: m.err}
	e.failOnce.Do(func() {
		e.failure = err
		close(e.failed)
	})
}

// ExpectFailure says whether member id stopping on its own is expected
// (its disk was filled on purpose): while it is, such a stop is published
// as a member-down event but is not the ensemble's Failure.
func (e *Ensemble) ExpectFailure(id uint64, expect bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.expected == nil {
		e.expected = map[uint64]bool{}
	}
	e.expected[id] = expect
}

// Failure returns a channel that is closed when a member first stops on
// its own (not by StopMember, CrashMember or Stop); FirstFailure then
// says which and why. The other members carry on.
func (e *Ensemble) Failure() <-chan struct{} { return e.failed }

// FirstFailure returns the first member failure, a *MemberError, or nil
// while no member has failed.
func (e *Ensemble) FirstFailure() error {
	select {
	case <-e.failed:
		return e.failure
	default:
		return nil
	}
}

// Config returns the effective configuration (defaults filled in).
func (e *Ensemble) Config() Config { return e.cfg }

// Members returns every member's id: the configured voters, then
// observers, then those AddMember added.
func (e *Ensemble) Members() []uint64 {
	v, o := e.cfg.ids()
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Concat(v, o, e.added)
}

// ErrNotAdded: AddMember cannot add the member.
var ErrNotAdded = errors.New("engine: cannot add the member")

// AddMember starts member id, one the ensemble was not started with, so
// that a reconfig can add it (ZooKeeper's joiner, started with a
// configuration that knows the leader): until a reconfig lists it, it is
// in no configuration and follows the leader without a vote (a
// non-voting follower, whose acknowledgements count for a reconfig that
// makes it a voter, as ZooKeeper's joiner's). Its
// data folder is DataDir/server<id>, as any member's. It needs
// reconfigEnabled; the ensemble can run 64 members in all.
func (e *Ensemble) AddMember(id uint64) error {
	if !e.cfg.ReconfigEnabled {
		return fmt.Errorf("%w %d: reconfigEnabled is off", ErrNotAdded, id)
	}
	members := e.Members()
	if id == 0 || slices.Contains(members, id) || len(members) >= quorum.MaxVoters {
		return fmt.Errorf("%w %d: id in use, 0, or 64 members already", ErrNotAdded, id)
	}
	fsys := disk.OS
	if e.cfg.FS != nil {
		fsys = e.cfg.FS(id)
	}
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return fmt.Errorf("%w %d: the ensemble is stopped", ErrNotAdded, id)
	}
	e.fs[id] = fsys
	e.stats[id] = newServerStats(time.Now())
	e.added = append(e.added, id)
	e.giveBack = append(e.giveBack, lendProcs(1))
	e.mu.Unlock()
	return e.startMember(id)
}

// Dirs returns member id's dataDir and dataLogDir (empty: logs in dataDir).
func (e *Ensemble) Dirs(id uint64) (dataDir, dataLogDir string) { return e.cfg.MemberDirs(id) }

// statsOf is member id's figures for the four-letter words; AddMember
// adds to them while connections read them.
func (e *Ensemble) statsOf(id uint64) *serverStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats[id]
}

// FS returns the file system member id writes to.
func (e *Ensemble) FS(id uint64) disk.FS {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fs[id]
}

func (e *Ensemble) member(id uint64) *member {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.members[id]
}

// MemberStatus is what a member is doing.
type MemberStatus struct {
	ID uint64
	Up bool
	// Observer: its configuration lists it as an observer (the static
	// one, or the last a reconfig made).
	Observer bool
	Role     string // LOOKING, FOLLOWING, LEADING, OBSERVING
	Serving  bool
	Zxid     int64 // its tree's last processed zxid
	Nodes    int
	Digest   int64 // its tree's digest: members that applied the same txns agree
}

// Status describes member id.
func (e *Ensemble) Status(id uint64) MemberStatus {
	s := MemberStatus{ID: id, Observer: int(id) > e.cfg.Servers}
	m := e.member(id)
	if m == nil || m.stopped() {
		return s
	}
	t := m.tree.Load()
	s.Observer = m.isObserver.Load()
	s.Up, s.Role, s.Serving = true, quorum.Role(m.role.Load()).String(), m.serving.Load()
	s.Zxid, s.Nodes, s.Digest = t.LastProcessedZxid(), t.NodeCount(), t.Digest()
	return s
}

// Leader returns the id of the member that leads and serves, or 0.
func (e *Ensemble) Leader() uint64 {
	for _, id := range e.Members() {
		if m := e.member(id); m != nil && m.leading.Load() && m.serving.Load() {
			return id
		}
	}
	return 0
}

// WaitServing waits until a leader serves and every running member
// serves with it.
func (e *Ensemble) WaitServing(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if e.allServing() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("engine: waiting for the ensemble to serve: %w (%s)", ctx.Err(), e.describe())
		case <-t.C:
		}
	}
}

func (e *Ensemble) allServing() bool {
	if e.Leader() == 0 {
		return false
	}
	for _, id := range e.Members() {
		if m := e.member(id); m != nil && !m.stopped() && !m.serving.Load() {
			return false
		}
	}
	return true
}

func (e *Ensemble) describe() string {
	s := ""
	for _, id := range e.Members() {
		st := e.Status(id)
		s += fmt.Sprintf("%d:%s/serving=%v/0x%x ", id, st.Role, st.Serving, st.Zxid)
	}
	return s
}

// Client opens a session on member id with DefaultSessionTimeout.
func (e *Ensemble) Client(id uint64) (*Client, error) {
	return e.Connect(id, DefaultSessionTimeout)
}

// Connect opens a session on member id asking for the given timeout.
func (e *Ensemble) Connect(id uint64, sessionTimeout time.Duration) (*Client, error) {
	m := e.member(id)
	if m == nil {
		if e.FS(id) == nil {
			return nil, fmt.Errorf("%w: %d", ErrNoMember, id)
		}
		return nil, ErrConnectionLoss
	}
	return connect(e, m, sessionTimeout)
}

// StopMember shuts member id down cleanly (its log is committed).
func (e *Ensemble) StopMember(id uint64) error { return e.down(id, false) }

// CrashMember stops member id abruptly. With a file system that can
// simulate power loss (faultfs), everything it had not synced is lost,
// possibly with a torn last write.
func (e *Ensemble) CrashMember(id uint64) error { return e.down(id, true) }

func (e *Ensemble) down(id uint64, crash bool) error {
	e.mu.Lock()
	m, known := e.members[id]
	if !known {
		e.mu.Unlock()
		return fmt.Errorf("%w: %d", ErrNoMember, id)
	}
	if m == nil {
		e.mu.Unlock()
		return fmt.Errorf("%w: %d", ErrMemberDown, id)
	}
	e.members[id] = nil
	e.mu.Unlock()
	err := m.stop(crash)
	kind := "stopped"
	if crash {
		kind = "crashed"
	}
	e.sink.Publish(Event{Time: time.Now(), Member: id, Kind: EventMemberDown, Mode: kind, Err: err})
	return err
}

// RestartMember starts a stopped or crashed member from its disk.
func (e *Ensemble) RestartMember(id uint64) error {
	e.mu.Lock()
	m, known := e.members[id]
	e.mu.Unlock()
	switch {
	case !known:
		return fmt.Errorf("%w: %d", ErrNoMember, id)
	case m != nil:
		return fmt.Errorf("%w: %d", ErrMemberUp, id)
	}
	return e.startMember(id)
}

// Failed returns the error that stopped a member on its own (a disk
// error, a corrupt log), or nil.
func (e *Ensemble) Failed(id uint64) error {
	m := e.member(id)
	if m == nil || !m.stopped() {
		return nil
	}
	return m.err
}

// Partition cuts the links between a and b both ways.
func (e *Ensemble) Partition(a, b uint64) error {
	if e.inproc == nil {
		return ErrNoPartition
	}
	e.inproc.Partition(a, b)
	return nil
}

// Heal undoes Partition(a, b).
func (e *Ensemble) Heal(a, b uint64) error {
	if e.inproc == nil {
		return ErrNoPartition
	}
	e.inproc.Heal(a, b)
	return nil
}

// Isolate cuts member id off from every other member.
func (e *Ensemble) Isolate(id uint64) error {
	if e.inproc == nil {
		return ErrNoPartition
	}
	e.inproc.Isolate(id)
	return nil
}

// Rejoin undoes Isolate(id); partitions made with Partition stay.
func (e *Ensemble) Rejoin(id uint64) error {
	if e.inproc == nil {
		return ErrNoPartition
	}
	e.inproc.Rejoin(id)
	return nil
}

// HealAll removes every partition and isolation.
func (e *Ensemble) HealAll() error {
	if e.inproc == nil {
		return ErrNoPartition
	}
	e.inproc.HealAll()
	return nil
}

// Stop shuts every member down cleanly and closes the network.
func (e *Ensemble) Stop() error {
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return nil
	}
	e.stopped = true
	ids := slices.Sorted(func(yield func(uint64) bool) {
		for id, m := range e.members {
			if m != nil && !yield(id) {
				return
			}
		}
	})
	e.mu.Unlock()
	e.ports.close()
	var errs []error
	for _, id := range ids {
		if err := e.StopMember(id); err != nil {
			errs = append(errs, fmt.Errorf("member %d: %w", id, err))
		}
	}
	errs = append(errs, e.net.Close())
	e.mu.Lock()
	for _, give := range e.giveBack {
		give()
	}
	e.mu.Unlock()
	return errors.Join(errs...)
}

// publisher is member id's event sink: the ensemble's, and the member's
// figures for the four-letter words (its log syncs, its leadership).
func (e *Ensemble) publisher(id uint64) func(Event) {
	st := e.statsOf(id)
	return func(ev Event) {
		switch ev.Kind {
		case EventFsync:
			st.synced(ev.Duration)
		case EventLeaderElected:
			st.setLeading(ev.Time)
		case EventMemberDown:
			st.setLeading(time.Time{})
		}
		e.sink.Publish(ev)
	}
}
