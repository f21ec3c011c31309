package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"zkbench/engine/jute"
)

// longTests reports whether ZKBENCH_LONG asks for the long versions of
// the fault-injection tests.
func longTests() bool { return os.Getenv("ZKBENCH_LONG") != "" && os.Getenv("ZKBENCH_LONG") != "0" }

// ---- the register model ----
//
// Every register is a znode holding (value, version). ZooKeeper's writes
// are linearizable; a read is linearizable when it is a Sync followed by a
// GetData on the same session (a plain read on a follower may be stale).

type regOpKind uint8

const (
	regWrite regOpKind = iota // SetData(path, v, -1) → new version
	regCAS                    // SetData(path, v, expect) → ok + new version, or ErrBadVersion
	regRead                   // Sync(path) + GetData(path) → (value, version)
)

type regInput struct {
	kind   regOpKind
	key    int
	value  string // write, cas
	expect int32  // cas
}

type regOutput struct {
	unknown    bool   // write/cas failed with ConnectionLoss: it may or may not have been applied
	badVersion bool   // cas refused
	value      string // read
	version    int32  // write, cas (new version), read
}

type regState struct {
	value   string
	version int32
}

// registerModel is the sequential specification of one register; the
// history is partitioned by key.
var registerModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[int][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(regInput).key
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, k := range slices.Sorted(maps.Keys(byKey)) {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return regState{} },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(regState), input.(regInput), output.(regOutput)
		switch in.kind {
		case regWrite:
			next := regState{in.value, s.version + 1}
			if out.unknown {
				// It returns at the end of the history: linearized early it
				// took effect (a read saw it), linearized last it changes
				// nothing anybody observed.
				return true, next
			}
			return out.version == next.version, next
		case regCAS:
			match := s.version == in.expect
			next := s
			if match {
				next = regState{in.value, s.version + 1}
			}
			switch {
			case out.unknown:
				return true, next
			case out.badVersion:
				return !match, s
			default:
				return match && out.version == next.version, next
			}
		default:
			return out.value == s.value && out.version == s.version, s
		}
	},
	Hash: func(state any) uint64 {
		s := state.(regState)
		h := fnv.New64a()
		fmt.Fprintf(h, "%s/%d", s.value, s.version)
		return h.Sum64()
	},
	DescribeOperation: func(input, output any) string {
		in, _ := input.(regInput)
		out, _ := output.(regOutput)
		res := fmt.Sprintf("v%d", out.version)
		switch {
		case out.unknown:
			res = "unknown"
		case out.badVersion:
			res = "BadVersion"
		}
		switch in.kind {
		case regWrite:
			return fmt.Sprintf("set(r%d, %s) → %s", in.key, in.value, res)
		case regCAS:
			return fmt.Sprintf("cas(r%d, %s, v%d) → %s", in.key, in.value, in.expect, res)
		default:
			return fmt.Sprintf("read(r%d) → %q v%d", in.key, out.value, out.version)
		}
	},
	DescribeState: func(state any) string {
		s := state.(regState)
		return fmt.Sprintf("%q v%d", s.value, s.version)
	},
}

// ---- the test ----

type linParams struct {
	seed             uint64
	history          time.Duration // how long clients run while the nemesis works
	keys             int
	clientsPerMember int
}

// TestLinearizability runs clients on every member — the voters and the
// observer — against a few registers (znodes) while a nemesis crashes and
// restarts the leader (its unsynced writes are lost) and cuts links, then
// checks the history with porcupine: writes (SetData with version -1),
// compare-and-set (SetData with an expected version) and Sync+GetData
// reads must be linearizable. A write that fails with ConnectionLoss may or
// may not have been applied. It also checks each session's own guarantees
// directly: FIFO order of its writes and reads never older than what the
// session wrote or read before, Sync or not, across reconnects.
func TestLinearizability(t *testing.T) {
	runs := []linParams{{seed: 1, history: 3 * time.Second, keys: 3, clientsPerMember: 2}}
	if testing.Short() {
		runs[0].history = 2 * time.Second
	}
	if longTests() {
		// Many histories of moderate length rather than one long one: the
		// checker's cost grows faster than the history.
		runs = nil
		for seed := uint64(1); seed <= 20; seed++ {
			runs = append(runs, linParams{seed: seed, history: 3 * time.Second,
				keys: 2 + int(seed%3), clientsPerMember: 2 + int(seed%2)})
		}
	}
	for _, p := range runs {
		t.Run(fmt.Sprintf("seed=%d", p.seed), func(t *testing.T) { testLinearizability(t, p) })
	}
}

func regPath(key int) string { return fmt.Sprintf("/lin/r%d", key) }

// linClient is one concurrent actor: one session at a time (a new one only
// if the old expired), ops issued one after another.
type linClient struct {
	id   int
	e    *Ensemble
	home uint64
	rng  *rand.Rand
	c    *Client

	// The session's own view, for the session guarantees checked directly:
	// per key the newest version it has seen (own acknowledged writes and
	// reads: later reads must not go back, read-your-writes), the value it
	// wrote at a version, and the zxid of its last acknowledged write (a
	// session's acknowledged writes are applied in issue order: FIFO).
	seen      map[int]int32
	wrote     map[int]map[int32]string
	lastWrite int64

	ops        []porcupine.Operation
	violations []string
	errs       map[string]int // unexpected errors, by kind
}

func testLinearizability(t *testing.T, p linParams) {
	cfg := testConfig(t, 3, 1)
	cfg.Seed = p.seed
	// Sessions must outlive a member's absence: a client whose member is
	// down moves its session elsewhere, and the test wants to see its
	// guarantees hold across the move rather than a fresh session.
	cfg.MaxSessionTimeout = time.Minute
	memFS(&cfg)
	e := start(t, cfg)

	setup := linConnect(t, e, e.Leader())
	mustCreateData(t, setup, "/lin", nil)
	for k := range p.keys {
		mustCreateData(t, setup, regPath(k), nil)
	}

	// One shared clock: porcupine compares call and return times of all
	// clients.
	t0 := time.Now()
	clock := func() int64 { return int64(time.Since(t0)) }

	ctx, cancel := context.WithTimeout(context.Background(), p.history)
	defer cancel()
	var clients []*linClient
	for _, id := range e.Members() {
		for range p.clientsPerMember {
			n := len(clients)
			clients = append(clients, &linClient{
				id: n, e: e, home: id, c: linConnect(t, e, id),
				rng:  rand.New(rand.NewPCG(p.seed, uint64(n)+1000)),
				seen: map[int]int32{}, wrote: map[int]map[int32]string{}, errs: map[string]int{},
			})
		}
	}
	var wg sync.WaitGroup
	for _, lc := range clients {
		wg.Go(func() { lc.run(ctx, p.keys, clock) })
	}
	nem := &nemesis{t: t, e: e, rng: rand.New(rand.NewPCG(p.seed, 7))}
	nem.linRounds(ctx) // until the history's time is up; it leaves the ensemble serving
	// The workers finish their current op: a client request never blocks
	// forever (a member that stops serving fails what it holds), so a
	// worker still running long after the end is a hung request.
	waitGroupOrFail(t, &wg, 60*time.Second, e)

	var history []porcupine.Operation
	var unknown, writes, reads, cas, bad int
	for _, lc := range clients {
		for _, v := range lc.violations {
			t.Errorf("client %d (home %d): %s", lc.id, lc.home, v)
		}
		for k, n := range lc.errs {
			t.Errorf("client %d (home %d): %d× unexpected error %s", lc.id, lc.home, n, k)
		}
		history = append(history, lc.ops...)
	}
	// An op of unknown outcome returns at the end of the history: it may
	// take effect at any point after its call. The end is after every
	// call too: the last ops may all be of unknown outcome.
	end := int64(0)
	for _, op := range history {
		end = max(end, op.Call)
		if op.Return != math.MaxInt64 {
			end = max(end, op.Return)
		}
	}
	for i := range history {
		op := &history[i]
		in, out := op.Input.(regInput), op.Output.(regOutput)
		if op.Return == math.MaxInt64 {
			op.Return = end + 1
		}
		switch {
		case out.unknown:
			unknown++
		case in.kind == regRead:
			reads++
		case in.kind == regWrite:
			writes++
		case out.badVersion:
			bad++
		default:
			cas++
		}
	}
	t.Logf("history: %d ops (%d writes, %d cas ok, %d cas refused, %d sync reads, %d unknown outcome); nemesis: %s",
		len(history), writes, cas, bad, reads, unknown, nem.summary())
	if writes+cas == 0 || reads == 0 {
		t.Errorf("the clients made no progress: %d acknowledged writes, %d reads", writes+cas, reads)
	}

	checkHistory(t, history, fmt.Sprintf("seed%d", p.seed))
}

// checkHistory checks a history against registerModel. On failure it
// writes what porcupine can show of the failing register to a file that
// outlives the test (porcupine's HTML visualization, or a plain listing
// when that cannot be computed in time) and logs its path.
func checkHistory(t *testing.T, history []porcupine.Operation, name string) {
	t.Helper()
	checkStart := time.Now()
	res := porcupine.CheckOperationsTimeout(registerModel, history, 3*time.Minute)
	t.Logf("porcupine: %s in %v", res, time.Since(checkStart).Round(time.Millisecond))
	if res == porcupine.Ok {
		return
	}
	// Find the register(s) that fail and show the first.
	var failing []porcupine.Operation
	for _, part := range registerModel.Partition(history) {
		if porcupine.CheckOperationsTimeout(registerModel, part, 3*time.Minute) != porcupine.Ok {
			failing = part
			break
		}
	}
	if failing == nil {
		failing = history
	}
	key := failing[0].Input.(regInput).key
	f, err := os.CreateTemp("", fmt.Sprintf("zkbench-linearizability-%s-r%d-*.html", name, key))
	if err != nil {
		t.Fatalf("history not linearizable (%s); writing the visualization: %v", res, err)
	}
	defer f.Close()
	vres, info := porcupine.CheckOperationsVerbose(registerModel, failing, 2*time.Minute)
	if vres == porcupine.Illegal {
		err = porcupine.Visualize(registerModel, info, f)
	} else {
		// No visualization in time: list the register's history instead.
		slices.SortFunc(failing, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
		fmt.Fprintf(f, "<pre>register r%d, %d ops, by call time (ns since start)\n", key, len(failing))
		for _, op := range failing {
			fmt.Fprintf(f, "client %2d [%12d, %12d] %s\n", op.ClientId, op.Call, op.Return,
				registerModel.DescribeOperation(op.Input, op.Output))
		}
	}
	if err != nil {
		t.Logf("writing the visualization: %v", err)
	}
	what := "not linearizable"
	if res == porcupine.Unknown {
		what = "not decided in time by the checker"
	}
	t.Fatalf("history %s (register r%d); visualization: %s", what, key, f.Name())
}

func linConnect(t *testing.T, e *Ensemble, id uint64) *Client {
	t.Helper()
	c, err := e.Connect(id, time.Minute)
	if err != nil {
		t.Fatalf("connect to %d: %v", id, err)
	}
	return c
}

func mustCreateData(t *testing.T, c *Client, path string, data []byte) {
	t.Helper()
	if _, err := c.Create(path, data, jute.FlagPersistent, OpenACL); err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
}

func (lc *linClient) run(ctx context.Context, keys int, clock func() int64) {
	for seq := 0; ctx.Err() == nil; seq++ {
		if lc.c == nil && !lc.reconnect(ctx) {
			return
		}
		key := lc.rng.IntN(keys)
		value := fmt.Sprintf("c%d.%d", lc.id, seq)
		var err error
		switch r := lc.rng.IntN(10); {
		case r < 3:
			err = lc.write(key, value, clock)
		case r < 5:
			err = lc.cas(key, value, clock)
		case r < 9:
			err = lc.syncRead(key, clock)
		default:
			err = lc.plainRead(key)
		}
		// Think time keeps the history small enough to check in seconds
		// (the checker's cost grows fast with its length) while faults hit
		// it often.
		time.Sleep(time.Duration(lc.rng.IntN(2000)) * time.Microsecond)
		switch {
		case err == nil:
		case errors.Is(err, ErrConnectionLoss):
			lc.reconnect(ctx)
		case errors.Is(err, ErrSessionExpired):
			lc.expired()
		default:
			lc.errs[err.Error()]++
		}
	}
	if lc.c != nil {
		lc.c.Abandon()
	}
}

// reconnect gets the client a served session again: its old one through
// moveSession, or a new one on its home member if that one expired. It
// gives up only when ctx ends.
func (lc *linClient) reconnect(ctx context.Context) bool {
	for ctx.Err() == nil {
		if lc.c == nil {
			if c, err := lc.e.Connect(lc.home, time.Minute); err == nil {
				lc.c = c
				return true
			}
			sleepCtx(ctx, time.Duration(5+lc.rng.IntN(20))*time.Millisecond)
			continue
		}
		if err := moveSession(ctx, lc.e, lc.c, lc.rng); err == nil {
			return true
		} else if errors.Is(err, ErrSessionExpired) {
			lc.expired()
		}
	}
	return false
}

// expired forgets a session that expired: its guarantees end with it.
func (lc *linClient) expired() {
	lc.c = nil
	lc.seen, lc.wrote, lc.lastWrite = map[int]int32{}, map[int]map[int32]string{}, 0
}

// moveSession gets c's session served again, as a client library does
// after a connection loss: by its member if that still (or again) serves,
// else by any other member that serves and has seen what the session saw
// (Reconnect refuses one that is behind). It returns nil once the session
// is served, ErrSessionExpired if it is gone, or ctx's error.
func moveSession(ctx context.Context, e *Ensemble, c *Client, rng *rand.Rand) error {
	ids := e.Members()
	for ctx.Err() == nil {
		order := append([]uint64{c.Member()}, ids...)
		rng.Shuffle(len(order)-1, func(i, j int) { order[i+1], order[j+1] = order[j+1], order[i+1] })
		for _, id := range order {
			if !e.Status(id).Serving {
				continue
			}
			switch err := c.Reconnect(id); {
			case err == nil:
				return nil
			case errors.Is(err, ErrSessionExpired):
				return err
			}
		}
		sleepCtx(ctx, time.Duration(5+rng.IntN(20))*time.Millisecond)
	}
	return ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (lc *linClient) record(in regInput, out regOutput, call, ret int64) {
	lc.ops = append(lc.ops, porcupine.Operation{ClientId: lc.id, Input: in, Output: out, Call: call, Return: ret})
}

func (lc *linClient) violation(format string, a ...any) {
	lc.violations = append(lc.violations, fmt.Sprintf("session 0x%x: ", lc.c.SessionID())+fmt.Sprintf(format, a...))
}

// acked checks and records an acknowledged write of value at st.
func (lc *linClient) acked(key int, value string, st jute.Stat) {
	if st.Mzxid <= lc.lastWrite {
		lc.violation("FIFO: write of r%d acknowledged at zxid 0x%x, after a write at 0x%x", key, st.Mzxid, lc.lastWrite)
	}
	lc.lastWrite = st.Mzxid
	if st.Version <= lc.seen[key] {
		lc.violation("write of r%d acknowledged at version %d, but the session saw version %d already", key, st.Version, lc.seen[key])
	}
	lc.seen[key] = max(lc.seen[key], st.Version)
	if lc.wrote[key] == nil {
		lc.wrote[key] = map[int32]string{}
	}
	lc.wrote[key][st.Version] = value
}

// observed checks a read against what the session saw before.
func (lc *linClient) observed(key int, kind string, value string, version int32) {
	if version < lc.seen[key] {
		lc.violation("%s of r%d returned version %d, older than version %d the session saw (read-your-writes/monotonic reads)",
			kind, key, version, lc.seen[key])
	}
	if w, ok := lc.wrote[key][version]; ok && w != value {
		lc.violation("%s of r%d at version %d returned %q, the session wrote %q there", kind, key, version, value, w)
	}
	lc.seen[key] = max(lc.seen[key], version)
}

func (lc *linClient) write(key int, value string, clock func() int64) error {
	in := regInput{kind: regWrite, key: key, value: value}
	call := clock()
	st, err := lc.c.SetData(regPath(key), []byte(value), -1)
	ret := clock()
	switch {
	case err == nil:
		lc.acked(key, value, st)
		lc.record(in, regOutput{version: st.Version}, call, ret)
	case errors.Is(err, ErrConnectionLoss):
		lc.record(in, regOutput{unknown: true}, call, math.MaxInt64)
	}
	// Other errors (an expired session) mean the write was not applied:
	// it is left out of the history.
	return err
}

func (lc *linClient) cas(key int, value string, clock func() int64) error {
	// Mostly the version the session knows (which may be stale: a
	// BadVersion then), sometimes one that is surely wrong or just ahead.
	expect := lc.seen[key] + int32(lc.rng.IntN(3)) - 1
	expect = max(expect, 0)
	in := regInput{kind: regCAS, key: key, value: value, expect: expect}
	call := clock()
	st, err := lc.c.SetData(regPath(key), []byte(value), expect)
	ret := clock()
	switch {
	case err == nil:
		if st.Version != expect+1 {
			lc.violation("cas of r%d expecting version %d returned version %d", key, expect, st.Version)
		}
		lc.acked(key, value, st)
		lc.record(in, regOutput{version: st.Version}, call, ret)
		return nil
	case errors.Is(err, ErrBadVersion):
		lc.record(in, regOutput{badVersion: true}, call, ret)
		return nil
	case errors.Is(err, ErrConnectionLoss):
		lc.record(in, regOutput{unknown: true}, call, math.MaxInt64)
	}
	return err
}

func (lc *linClient) syncRead(key int, clock func() int64) error {
	call := clock()
	if err := lc.c.Sync(regPath(key)); err != nil {
		return err
	}
	data, st, err := lc.c.GetData(regPath(key), false)
	ret := clock()
	if err != nil {
		return err // a read that returned nothing constrains nothing
	}
	lc.observed(key, "sync+read", string(data), st.Version)
	lc.record(regInput{kind: regRead, key: key}, regOutput{value: string(data), version: st.Version}, call, ret)
	return nil
}

// plainRead is a read without Sync: it may be stale, but never older than
// what the session has seen.
func (lc *linClient) plainRead(key int) error {
	data, st, err := lc.c.GetData(regPath(key), false)
	if err != nil {
		return err
	}
	lc.observed(key, "plain read", string(data), st.Version)
	return nil
}

// ---- faults ----

// nemesis injects the faults and reports what goes wrong with t.Errorf.
type nemesis struct {
	t   *testing.T
	e   *Ensemble
	rng *rand.Rand
	log []string
}

func (n *nemesis) summary() string {
	counts := map[string]int{}
	for _, s := range n.log {
		counts[strings.Fields(s)[0]]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d× %s", counts[k], k))
	}
	return strings.Join(parts, ", ")
}

func (n *nemesis) sleep(ctx context.Context, lo, hi time.Duration) {
	sleepCtx(ctx, lo+time.Duration(n.rng.Int64N(int64(hi-lo)+1)))
}

// linRounds alternates between crashing and restarting the leader and
// cutting links, waiting for the ensemble to serve again after each
// round, until ctx ends. Whatever it did is undone when it returns.
func (n *nemesis) linRounds(ctx context.Context) {
	defer n.e.HealAll()
	for round := 0; ctx.Err() == nil; round++ {
		n.sleep(ctx, 100*time.Millisecond, 300*time.Millisecond)
		if round%2 == 0 {
			n.crashLeader(ctx)
		} else {
			n.partition(ctx)
		}
		if !n.waitServing() {
			return
		}
	}
}

func (n *nemesis) crashLeader(ctx context.Context) {
	l := n.e.Leader()
	if l == 0 {
		return
	}
	n.crashRestart(ctx, l, "crash-leader")
}

// crashRestart crashes member id (its unsynced writes are lost, the last
// one possibly torn), keeps it down a while and restarts it from its disk.
func (n *nemesis) crashRestart(ctx context.Context, id uint64, what string) {
	n.log = append(n.log, fmt.Sprintf("%s %d", what, id))
	if err := n.e.CrashMember(id); err != nil {
		n.t.Errorf("crash %d: %v", id, err)
	}
	n.sleep(ctx, 50*time.Millisecond, 400*time.Millisecond)
	if err := n.e.RestartMember(id); err != nil {
		n.t.Errorf("restart %d after a crash: %v", id, err)
	}
}

func (n *nemesis) partition(ctx context.Context) {
	l := n.e.Leader()
	ids := n.e.Members()
	switch r := n.rng.IntN(4); {
	case r == 0 && l != 0:
		n.log = append(n.log, fmt.Sprintf("isolate-leader %d", l))
		n.e.Isolate(l)
	case r == 1 && l != 0:
		// The leader loses one follower (it keeps its quorum) and the
		// observer.
		other := l%3 + 1
		n.log = append(n.log, fmt.Sprintf("cut-leader %d-%d,%d", l, other, ids[len(ids)-1]))
		n.e.Partition(l, other)
		n.e.Partition(l, ids[len(ids)-1])
	default:
		a := ids[n.rng.IntN(len(ids))]
		b := ids[n.rng.IntN(len(ids))]
		if a == b {
			n.log = append(n.log, fmt.Sprintf("isolate %d", a))
			n.e.Isolate(a)
		} else {
			n.log = append(n.log, fmt.Sprintf("cut %d-%d", a, b))
			n.e.Partition(a, b)
		}
	}
	n.sleep(ctx, 200*time.Millisecond, 800*time.Millisecond)
	n.e.HealAll()
}

// waitServing waits (the deadline is only a guard against a hang) for a
// leader and every running member to serve again.
func (n *nemesis) waitServing() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.e.WaitServing(ctx); err != nil {
		last := "start"
		if len(n.log) > 0 {
			last = n.log[len(n.log)-1]
		}
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 2)
		where := "(goroutines not saved)"
		if f, ferr := os.CreateTemp("", "zkbench-stuck-goroutines-*.txt"); ferr == nil {
			f.WriteString(b.String())
			f.Close()
			where = "goroutines: " + f.Name()
		}
		n.t.Errorf("the ensemble did not recover after %s: %v; %s", last, err, where)
		return false
	}
	return true
}

// waitGroupOrFail waits for wg; a wait beyond d is a hang: it fails the
// test with every goroutine's stack.
func waitGroupOrFail(t *testing.T, wg *sync.WaitGroup, d time.Duration, e *Ensemble) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 2)
		t.Fatalf("clients still blocked %v after the end (%s):\n%s", d, e.describe(), b.String())
	}
}
