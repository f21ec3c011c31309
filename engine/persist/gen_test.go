package persist

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// genT0 is the wall clock (ms) generated histories start at: Nov 2026, the
// month the fixtures were made in.
const genT0 int64 = 1795579235000

// txnKind is what a generated txn does.
type txnKind int

const (
	kindCreateSession txnKind = iota
	kindCloseSession
	kindCreate // create or create2: persistent, ephemeral, sequential or not
	kindCreateContainer
	kindCreateTTL
	kindSetData
	kindSetACL
	kindDelete
	kindMulti
	kindFailedMulti
	kindError
	kindReap // deleteContainer by the container/TTL reaper
	numTxnKinds
)

var txnKindNames = [numTxnKinds]string{
	"createSession", "closeSession", "create", "createContainer", "createTTL", "setData",
	"setACL", "delete", "multi", "failedMulti", "error", "reap",
}

func (k txnKind) String() string { return txnKindNames[k] }

// txnKindWeights are the relative frequencies of the kinds, among those
// possible in the current state. Creates outweigh deletes so that the tree
// grows, slowly.
var txnKindWeights = [numTxnKinds]int{
	kindCreateSession:   3,
	kindCloseSession:    2,
	kindCreate:          30,
	kindCreateContainer: 3,
	kindCreateTTL:       3,
	kindSetData:         22,
	kindSetACL:          4,
	kindDelete:          14,
	kindMulti:           6,
	kindFailedMulti:     2,
	kindError:           4,
	kindReap:            6,
}

// Session timeouts a server with ZooKeeper's default tickTime (2000 ms)
// can negotiate: 2 to 20 ticks.
var genTimeouts = []int32{4000, 6000, 10000, 30000, 40000}

// genNames are the stems of node names; some are outside ASCII (but inside
// the BMP: ZooKeeper's path validation refuses surrogates) so that the
// modified UTF-8 of jute, path ordering and UTF-16 lengths get exercised.
var genNames = []string{"n", "node", "lock", "data", "café", "ключ", "数据", "Ωmega", "naïve", "ü"}

// genDigestACL is a digest ACL as a client that ran addauth would set it.
// Every generated ACL grants world:anyone READ, so that a plain client can
// walk the whole tree on a real server.
var genDigestACL = []jute.ACL{
	{Perms: jute.PermAll, ID: jute.ID{Scheme: "digest", ID: "bench:Ox8LzD1xvlJOB3xKA7GsZ2iV1bM="}},
	{Perms: jute.PermRead, ID: jute.ID{Scheme: "world", ID: "anyone"}},
}

// resumedCxid is where a generator resumed on a restored tree starts the
// cxids of the sessions it finds: their clients kept counting xids while we
// were down, from a value nobody recorded, so start well above anything a
// short history uses.
const resumedCxid = 1 << 16

// txnGen plays ZooKeeper's request preparation (PrepRequestProcessor)
// against a live tree: each Next reads the tree, builds the txn exactly as
// a 3.8 leader would log it, applies it to the tree and attaches the tree
// digest after it. The tree therefore plays the role of ZooKeeper's tree
// plus its outstanding changes; a caller that must apply txns elsewhere only
// after they are durable (as ZooKeeper's FinalRequestProcessor does) keeps a
// second tree for that.
//
// The history is a pure function of the seed and the tree the generator
// starts from. It is not safe for concurrent use, and nothing but the
// generator may Apply to its tree (other goroutines may read it).
type txnGen struct {
	rng  *rand.Rand
	tree *datatree.Tree

	zxid int64 // the next zxid
	now  int64 // time of the last txn, ms

	sessions []int64         // open sessions, oldest first
	cxid     map[int64]int32 // the last cxid each session used
	nextSID  int64

	nodes []string       // every znode except the root and the /zookeeper subtree
	index map[string]int // a node's position in nodes
	names int            // makes every generated name unique

	// history maps each generated zxid, and the one before the first, to
	// the tree digest after it.
	history map[int64]int64
	counts  [numTxnKinds]int
}

// newTxnGen returns a generator that continues tree's history: its first
// txn gets firstZxid (the caller picks the epoch) and a time after startMs.
// The tree's sessions and nodes are taken over.
func newTxnGen(seed uint64, tree *datatree.Tree, firstZxid, startMs int64) *txnGen {
	g := &txnGen{
		rng:     rand.New(rand.NewPCG(seed, seed^0x7a6b62656e6368)),
		tree:    tree,
		zxid:    firstZxid,
		now:     startMs,
		cxid:    make(map[int64]int32),
		index:   make(map[string]int),
		history: map[int64]int64{firstZxid - 1: tree.Digest()},
	}
	// SessionTrackerImpl.initializeNextSessionId for server id 1: the id in
	// the top byte, below it the start time shifted left 24 and then
	// (unsigned) right 8, which drops its top bits; counted up from there.
	g.nextSID = int64(uint64(startMs)<<24>>8|1<<56) + 1
	for _, s := range tree.Sessions() {
		g.sessions = append(g.sessions, s.ID)
		g.cxid[s.ID] = resumedCxid
	}
	tree.Walk(func(v datatree.NodeView) error {
		if v.Path != "" && v.Path != datatree.ZookeeperPath && !strings.HasPrefix(v.Path, datatree.ZookeeperPath+"/") {
			g.add(v.Path)
			// Fresh names must not meet the ones already there: count on
			// from the highest number a name ends with.
			if i := strings.LastIndexByte(v.Path, '-'); i >= 0 {
				if n, err := strconv.Atoi(v.Path[i+1:]); err == nil && n > g.names {
					g.names = n
				}
			}
		}
		return nil
	})
	return g
}

// Next returns the next txn, already applied to the tree.
func (g *txnGen) Next() *jute.Txn {
	for {
		k := g.pick()
		if txn, want := g.make(k); txn != nil {
			g.counts[k]++
			return g.apply(txn, want)
		}
	}
}

// LastZxid returns the zxid of the last generated txn.
func (g *txnGen) LastZxid() int64 { return g.zxid - 1 }

// pick draws a kind; make may still find it impossible.
func (g *txnGen) pick() txnKind {
	if len(g.sessions) == 0 {
		return kindCreateSession // every client request needs a session
	}
	total := 0
	for _, w := range txnKindWeights {
		total += w
	}
	n := g.rng.IntN(total)
	for k, w := range txnKindWeights {
		if n < w {
			return txnKind(k)
		}
		n -= w
	}
	panic("unreachable")
}

// make builds a txn of kind k, or returns nil when the state allows none
// (no leaf to delete, no container to reap...). want is the code applying
// it must give: Ok, or the error an error txn or failed multi carries.
func (g *txnGen) make(k txnKind) (txn *jute.Txn, want datatree.Code) {
	switch k {
	case kindCreateSession:
		if len(g.sessions) >= 8 {
			return nil, 0
		}
		return g.createSession(), datatree.Ok
	case kindCloseSession:
		return g.closeSession(g.sessions[g.rng.IntN(len(g.sessions))], g.rng.IntN(4) == 0), datatree.Ok
	case kindCreate:
		return g.create(), datatree.Ok
	case kindCreateContainer:
		return g.createContainer(), datatree.Ok
	case kindCreateTTL:
		return g.createTTL(), datatree.Ok
	case kindSetData:
		return g.setData(), datatree.Ok
	case kindSetACL:
		return g.setACL(), datatree.Ok
	case kindDelete:
		return g.delete(), datatree.Ok
	case kindMulti:
		return g.multi(), datatree.Ok
	case kindFailedMulti:
		return g.failedMulti()
	case kindError:
		return g.errorTxn()
	case kindReap:
		return g.reap(), datatree.Ok
	}
	panic(fmt.Sprintf("txnGen: unknown kind %d", k))
}

// apply applies txn, attaches the digest and keeps the generator's indexes
// in step. A result other than want means the generator built a txn
// ZooKeeper would not have logged, or the tree applied it wrongly; either
// way the history is worthless, so it panics.
func (g *txnGen) apply(txn *jute.Txn, want datatree.Code) *jute.Txn {
	r := g.tree.Apply(txn)
	if r.Err != want {
		panic(fmt.Sprintf("txnGen: %s zxid 0x%x %q applied with %v, want %v (generator or datatree bug)",
			jute.OpName(txn.Header.Type), txn.Header.Zxid, txn.Path(), r.Err, want))
	}
	d := g.tree.Digest()
	// The digest is attached at the end of request preparation, which a
	// failing request never reaches: top-level error txns carry none.
	if txn.Header.Type != jute.OpError {
		txn.Digest = &jute.TxnDigest{Version: jute.DigestVersion, TreeDigest: d}
	}
	g.history[txn.Header.Zxid] = d
	switch txn.Header.Type {
	case jute.OpCreateSession:
		g.sessions = append(g.sessions, txn.Header.ClientID)
	case jute.OpCloseSession:
		g.sessions = slices.DeleteFunc(g.sessions, func(id int64) bool { return id == txn.Header.ClientID })
		for _, p := range txn.Body.(*jute.CloseSessionTxn).Paths2Delete {
			g.remove(p)
		}
	case jute.OpMulti:
		for _, sub := range r.Multi {
			g.track(sub)
		}
	default:
		g.track(r)
	}
	return txn
}

func (g *txnGen) track(r datatree.Result) {
	if r.Err != datatree.Ok {
		return
	}
	switch r.Type {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
		g.add(r.Path)
	case jute.OpDelete, jute.OpDeleteContainer:
		g.remove(r.Path)
	}
}

func (g *txnGen) add(p string) {
	g.index[p] = len(g.nodes)
	g.nodes = append(g.nodes, p)
}

func (g *txnGen) remove(p string) {
	i, ok := g.index[p]
	if !ok {
		return
	}
	last := g.nodes[len(g.nodes)-1]
	g.nodes[i] = last
	g.index[last] = i
	g.nodes = g.nodes[:len(g.nodes)-1]
	delete(g.index, p)
}

// txn stamps a body with the next zxid and a later time.
func (g *txnGen) txn(session int64, cxid int32, op int32, body jute.Record) *jute.Txn {
	g.now += 1 + g.rng.Int64N(24)
	h := jute.TxnHeader{ClientID: session, Cxid: cxid, Zxid: g.zxid, Time: g.now, Type: op}
	g.zxid++
	return &jute.Txn{Header: h, Body: body}
}

// request picks the session a client request comes from and its cxid.
func (g *txnGen) request() (session int64, cxid int32) {
	session = g.sessions[g.rng.IntN(len(g.sessions))]
	c := g.cxid[session] + 1
	if g.rng.IntN(4) == 0 {
		c += int32(g.rng.IntN(3)) // reads in between took xids too
	}
	g.cxid[session] = c
	return session, c
}

func (g *txnGen) createSession() *jute.Txn {
	id := g.nextSID
	for _, taken := g.cxid[id]; taken; _, taken = g.cxid[id] {
		id++
	}
	g.nextSID = id + 1
	g.cxid[id] = 0
	// The connect request is submitted with cxid 0.
	return g.txn(id, 0, jute.OpCreateSession, &jute.CreateSessionTxn{TimeOut: genTimeouts[g.rng.IntN(len(genTimeouts))]})
}

// closeSession closes session id, removing its ephemerals (listed sorted;
// ZooKeeper lists them in hash-set order). A close by expiry is written by
// the server with cxid 0.
func (g *txnGen) closeSession(id int64, expired bool) *jute.Txn {
	cxid := int32(0)
	if !expired {
		cxid = g.cxid[id] + 1
		g.cxid[id] = cxid
	}
	paths := g.tree.Ephemerals(id)
	if paths == nil {
		paths = []string{} // an empty vector, not a null one
	}
	return g.txn(id, cxid, jute.OpCloseSession, &jute.CloseSessionTxn{Paths2Delete: paths})
}

// CloseSession closes an open session now, as its client would, and
// returns the txn (applied, like Next's).
func (g *txnGen) CloseSession(id int64) *jute.Txn {
	g.counts[kindCloseSession]++
	return g.apply(g.closeSession(id, false), datatree.Ok)
}

// name returns a fresh node name.
func (g *txnGen) name() string {
	g.names++
	return genNames[g.rng.IntN(len(genNames))] + "-" + strconv.Itoa(g.names)
}

func genJoin(parent, name string) string { return parent + "/" + name }

// parent picks a node new children may go under: the root, or a
// persistent, container or TTL node at most three levels deep (ZooKeeper
// refuses children of ephemerals with NoChildrenForEphemerals; the depth
// bound keeps paths short). Containers are favoured so that some get
// children, lose them and become the reaper's.
func (g *txnGen) parent() string {
	if cs := g.tree.Containers(); len(cs) > 0 && g.rng.IntN(4) == 0 {
		if c := cs[g.rng.IntN(len(cs))]; strings.Count(c, "/") <= 3 {
			return c
		}
	}
	for range 8 {
		if len(g.nodes) == 0 || g.rng.IntN(6) == 0 {
			break
		}
		p := g.nodes[g.rng.IntN(len(g.nodes))]
		if strings.Count(p, "/") > 3 {
			continue
		}
		if m, ok := g.tree.Lookup(p); ok && datatree.EphemeralTypeOf(m.Stat.EphemeralOwner) != datatree.EphemeralNormal {
			return p
		}
	}
	return "" // the root
}

// meta looks a node up that the generator knows to exist.
func (g *txnGen) meta(p string) datatree.NodeMeta {
	m, ok := g.tree.Lookup(p)
	if !ok {
		panic(fmt.Sprintf("txnGen: node %q is in the index but not in the tree", p))
	}
	return m
}

// node picks an existing node, or "" when there is none.
func (g *txnGen) node() string {
	if len(g.nodes) == 0 {
		return ""
	}
	return g.nodes[g.rng.IntN(len(g.nodes))]
}

// leaf picks an existing node without children, or "" when a few draws
// find none.
func (g *txnGen) leaf(exclude map[string]bool) string {
	for range 8 {
		p := g.node()
		if p == "" {
			return ""
		}
		if !exclude[p] && g.meta(p).NumChildren == 0 {
			return p
		}
	}
	return ""
}

// data returns node data: empty, small or up to 2 KiB; mostly text, some
// of it non-ASCII, sometimes binary.
func (g *txnGen) data() []byte {
	var n int
	switch r := g.rng.IntN(10); {
	case r < 2:
		return []byte{} // an empty buffer; ZooKeeper clients send no null data here
	case r < 6:
		n = 1 + g.rng.IntN(64)
	default:
		n = 1 + g.rng.IntN(2048)
	}
	b := make([]byte, n)
	if g.rng.IntN(5) == 0 {
		for i := range b {
			b[i] = byte(g.rng.Uint32())
		}
		return b
	}
	for i := range b {
		b[i] = byte(' ' + g.rng.IntN(95))
	}
	if g.rng.IntN(3) == 0 {
		copy(b, "ключ-数据 ") // cut anywhere: data is bytes, not text
	}
	return b
}

// acl returns a fresh ACL list (Apply keeps the slice it is given).
func (g *txnGen) acl() []jute.ACL {
	if g.rng.IntN(4) == 0 {
		return slices.Clone(genDigestACL)
	}
	return slices.Clone(jute.OpenACL)
}

// createPath returns the path and parentCVersion of a create under parent:
// for a sequential node the suffix is the parent's cversion before the
// create, %010d; parentCVersion is that cversion + 1.
func (g *txnGen) createPath(parent string, sequential bool) (string, int32) {
	cv := g.meta(parent).Stat.Cversion
	if sequential {
		return datatree.SequentialName(genJoin(parent, genNames[g.rng.IntN(len(genNames))]+"-"), cv), cv + 1
	}
	return genJoin(parent, g.name()), cv + 1
}

func (g *txnGen) create() *jute.Txn {
	session, cxid := g.request()
	path, pcv := g.createPath(g.parent(), g.rng.IntN(4) == 0)
	op := jute.OpCreate
	if g.rng.IntN(3) == 0 {
		op = jute.OpCreate2 // the same body; only clients differ
	}
	// An ephemeral is owned by the session in the header.
	body := &jute.CreateTxn{Path: path, Data: g.data(), ACL: g.acl(), Ephemeral: g.rng.IntN(4) == 0, ParentCVersion: pcv}
	return g.txn(session, cxid, op, body)
}

func (g *txnGen) createContainer() *jute.Txn {
	session, cxid := g.request()
	path, pcv := g.createPath(g.parent(), false) // containers cannot be sequential
	body := &jute.CreateContainerTxn{Path: path, Data: g.data(), ACL: g.acl(), ParentCVersion: pcv}
	return g.txn(session, cxid, jute.OpCreateContainer, body)
}

func (g *txnGen) createTTL() *jute.Txn {
	session, cxid := g.request()
	path, pcv := g.createPath(g.parent(), g.rng.IntN(3) == 0)
	ttl := int64(3600000) // 1 h, as in the fixtures
	if g.rng.IntN(2) == 0 {
		ttl = 100 + g.rng.Int64N(3000) // short enough to expire during the history
	}
	body := &jute.CreateTTLTxn{Path: path, Data: g.data(), ACL: g.acl(), ParentCVersion: pcv, TTL: ttl}
	return g.txn(session, cxid, jute.OpCreateTTL, body)
}

func (g *txnGen) setData() *jute.Txn {
	p := g.node()
	if p == "" {
		return nil
	}
	session, cxid := g.request()
	// The logged version is the one after the update.
	body := &jute.SetDataTxn{Path: p, Data: g.data(), Version: g.meta(p).Stat.Version + 1}
	return g.txn(session, cxid, jute.OpSetData, body)
}

func (g *txnGen) setACL() *jute.Txn {
	p := g.node()
	if p == "" {
		return nil
	}
	session, cxid := g.request()
	body := &jute.SetACLTxn{Path: p, ACL: g.acl(), Version: g.meta(p).Stat.Aversion + 1}
	return g.txn(session, cxid, jute.OpSetACL, body)
}

func (g *txnGen) delete() *jute.Txn {
	p := g.leaf(nil)
	if p == "" {
		return nil
	}
	session, cxid := g.request()
	return g.txn(session, cxid, jute.OpDelete, &jute.DeleteTxn{Path: p})
}

// reap is the container/TTL reaper (ContainerManager): a deleteContainer
// from session 0 with cxid 0 for an empty container that had children, or
// an expired TTL node without children.
func (g *txnGen) reap() *jute.Txn {
	cands := g.tree.ReapCandidates(g.now)
	if len(cands) == 0 {
		return nil
	}
	return g.txn(0, 0, jute.OpDeleteContainer, &jute.DeleteTxn{Path: cands[g.rng.IntN(len(cands))]})
}

// multiOps prepares the sub-ops of a multi that succeeds, in order: one or
// two creates, then maybe a setData, a check and a delete. Each is prepared
// against the state the ops before it leave, as ZooKeeper's change records
// make it: a second create under the same parent gets the next
// parentCVersion, a create may go under the node the first one made, a
// setData may hit that new node, and a check sees the version a setData
// before it set (and logs it + 1, as checkAndIncVersion does).
func (g *txnGen) multiOps() []jute.Op {
	type state struct{ version, cversion int32 }
	pending := map[string]*state{}
	get := func(p string) *state {
		if s := pending[p]; s != nil {
			return s
		}
		m := g.meta(p)
		s := &state{m.Stat.Version, m.Stat.Cversion}
		pending[p] = s
		return s
	}
	touched := map[string]bool{}
	var ops []jute.Op
	create := func(parent string) string {
		ps := get(parent)
		ps.cversion++
		path := genJoin(parent, g.name())
		pending[path] = &state{}
		touched[parent], touched[path] = true, true
		// Inside a multi, clients send creates as opcode create.
		ops = append(ops, jute.Op{Type: jute.OpCreate, Record: &jute.CreateTxn{
			Path: path, Data: g.data(), ACL: g.acl(), ParentCVersion: ps.cversion}})
		return path
	}
	first := create(g.parent())
	if g.rng.IntN(2) == 0 {
		if g.rng.IntN(2) == 0 {
			create(first)
		} else {
			create(g.parent())
		}
	}
	if p := g.node(); p != "" && g.rng.IntN(3) != 0 {
		if g.rng.IntN(4) == 0 {
			p = first
		}
		s := get(p)
		s.version++
		touched[p] = true
		ops = append(ops, jute.Op{Type: jute.OpSetData, Record: &jute.SetDataTxn{Path: p, Data: g.data(), Version: s.version}})
	}
	if p := g.node(); p != "" && g.rng.IntN(2) == 0 {
		touched[p] = true
		ops = append(ops, jute.Op{Type: jute.OpCheck, Record: &jute.CheckVersionTxn{Path: p, Version: get(p).version + 1}})
	}
	// A leaf nothing else in the multi touches: it has no pending children.
	if p := g.leaf(touched); p != "" && g.rng.IntN(3) != 0 {
		ops = append(ops, jute.Op{Type: jute.OpDelete, Record: &jute.DeleteTxn{Path: p}})
	}
	return ops
}

func (g *txnGen) multi() *jute.Txn {
	ops := g.multiOps()
	session, cxid := g.request()
	return g.txn(session, cxid, jute.OpMulti, &jute.MultiTxn{Ops: ops})
}

// failedMulti is a multi the leader rejected, logged as ZooKeeper does: the
// header stays multi, the ops before the failing one keep their type and
// prepared record, the failing one is an error with its code and every later
// one an error with RuntimeInconsistency (-2). Nothing is applied, but the
// txn carries a digest like any non-error txn.
func (g *txnGen) failedMulti() (*jute.Txn, datatree.Code) {
	good := g.multiOps()
	at := g.rng.IntN(len(good) + 1)
	codes := []datatree.Code{datatree.NoNode, datatree.BadVersion, datatree.NodeExists, datatree.NotEmpty}
	code := codes[g.rng.IntN(len(codes))]
	ops := append([]jute.Op(nil), good[:at]...)
	ops = append(ops, jute.Op{Type: jute.OpError, Record: &jute.ErrorTxn{Err: int32(code)}})
	for range good[at:] {
		ops = append(ops, jute.Op{Type: jute.OpError, Record: &jute.ErrorTxn{Err: int32(datatree.RuntimeInconsistency)}})
	}
	session, cxid := g.request()
	return g.txn(session, cxid, jute.OpMulti, &jute.MultiTxn{Ops: ops}), code
}

// errorTxn is a request that failed in preparation: the header keeps the
// client's session and cxid, the body is the KeeperException code. The code
// matches the state (the path really is missing, or there, or has children).
func (g *txnGen) errorTxn() (*jute.Txn, datatree.Code) {
	code := datatree.NoNode // setData or delete of a path that is not there
	switch p := g.node(); {
	case p == "":
	case g.rng.IntN(3) == 0:
		code = datatree.NodeExists // create of an existing path
	case g.rng.IntN(2) == 0:
		code = datatree.BadVersion // setData with a stale expected version
	case g.meta(p).NumChildren > 0:
		code = datatree.NotEmpty // delete of a node with children
	}
	session, cxid := g.request()
	return g.txn(session, cxid, jute.OpError, &jute.ErrorTxn{Err: int32(code)}), code
}

// --- tests of the generator itself ---------------------------------------

// genHistory generates n txns on a fresh tree.
func genHistory(seed uint64, n int) (*txnGen, []*jute.Txn) {
	g := newTxnGen(seed, datatree.New(), Zxid(1, 1), genT0)
	txns := make([]*jute.Txn, n)
	for i := range txns {
		txns[i] = g.Next()
	}
	return g, txns
}

func genEncode(t *jute.Txn) []byte {
	var w jute.Writer
	t.Encode(&w)
	return slices.Clone(w.Bytes())
}

// The generator's history must be one ZooKeeper could have logged and a
// second tree must replay it to the same state, digest by digest.
func TestTxnGen(t *testing.T) {
	const n = 3000
	g, txns := genHistory(1, n)

	t.Run("every kind", func(t *testing.T) {
		for k, c := range g.counts {
			if c == 0 {
				t.Errorf("no %v txn in %d", txnKind(k), n)
			}
		}
		t.Logf("kinds: %v; %d nodes, %d sessions at the end", g.counts, len(g.nodes), len(g.sessions))
	})

	t.Run("deterministic", func(t *testing.T) {
		_, again := genHistory(1, n)
		for i := range txns {
			if a, b := genEncode(txns[i]), genEncode(again[i]); !bytes.Equal(a, b) {
				t.Fatalf("txn %d differs between two runs with the same seed", i)
			}
		}
	})

	t.Run("header rules", func(t *testing.T) {
		lastCxid := map[int64]int32{}
		prev := txns[0].Header
		for i, txn := range txns {
			h := txn.Header
			if i > 0 && (h.Zxid != prev.Zxid+1 || h.Time <= prev.Time) {
				t.Fatalf("txn %d: zxid 0x%x time %d after zxid 0x%x time %d", i, h.Zxid, h.Time, prev.Zxid, prev.Time)
			}
			prev = h
			if EpochOf(h.Zxid) != 1 {
				t.Fatalf("txn %d: zxid 0x%x not in epoch 1", i, h.Zxid)
			}
			switch {
			case h.Type == jute.OpCreateSession, h.ClientID == 0:
				if h.Cxid != 0 {
					t.Errorf("txn %d: %s with cxid %d, want 0", i, jute.OpName(h.Type), h.Cxid)
				}
			case h.Cxid != 0: // 0 is a close by expiry
				if h.Cxid <= lastCxid[h.ClientID] {
					t.Errorf("txn %d: session 0x%x cxid %d after %d", i, h.ClientID, h.Cxid, lastCxid[h.ClientID])
				}
				lastCxid[h.ClientID] = h.Cxid
			}
			if (txn.Digest == nil) != (h.Type == jute.OpError) {
				t.Errorf("txn %d (%s): digest %v; only error txns go without", i, jute.OpName(h.Type), txn.Digest)
			}
			if h.Type == jute.OpDeleteContainer && h.ClientID != 0 {
				t.Errorf("txn %d: deleteContainer from session 0x%x, want the reaper's 0", i, h.ClientID)
			}
		}
		// ZooKeeper's fresh tree digest, carried by the first createSession
		// of every fixture log (docs/zk-disk-format.md §4.6).
		if d := txns[0].Digest; txns[0].Header.Type != jute.OpCreateSession || d == nil || d.TreeDigest != 1371985504 {
			t.Errorf("first txn %s digest %v, want createSession with 1371985504", jute.OpName(txns[0].Header.Type), d)
		}
	})

	t.Run("replay", func(t *testing.T) {
		// Through the codec, as a restore would see the txns.
		tree := datatree.New()
		for i, txn := range txns {
			dec, err := jute.DecodeTxn(genEncode(txn))
			if err != nil {
				t.Fatalf("txn %d: %v", i, err)
			}
			if r := tree.Apply(dec); r.DigestMismatch {
				t.Fatalf("txn %d (%s zxid 0x%x): digest mismatch on replay", i, jute.OpName(dec.Header.Type), dec.Header.Zxid)
			}
			if got, want := tree.Digest(), g.history[txn.Header.Zxid]; got != want {
				t.Fatalf("txn %d: replayed digest %d, history %d", i, got, want)
			}
		}
		if tree.NodeCount() != g.tree.NodeCount() || !slices.Equal(tree.Sessions(), g.tree.Sessions()) {
			t.Errorf("replayed tree: %d nodes, sessions %v; generator's: %d, %v",
				tree.NodeCount(), tree.Sessions(), g.tree.NodeCount(), g.tree.Sessions())
		}
	})

	t.Run("resume", func(t *testing.T) {
		// A generator taking over a tree continues it validly.
		g2 := newTxnGen(2, g.tree, g.zxid, g.now)
		if len(g2.nodes) != len(g.nodes) || !slices.Equal(g2.sessions, slices.Sorted(slices.Values(g.sessions))) {
			t.Fatalf("resumed with %d nodes, sessions %v; had %d, %v", len(g2.nodes), g2.sessions, len(g.nodes), g.sessions)
		}
		for range 500 {
			g2.Next()
		}
	})
}
