package server

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// gen produces random client requests over a small namespace, so that
// creates collide, parents go missing, versions go stale and sessions own
// ephemerals when they close.
type gen struct {
	rng      *rand.Rand
	tree     *datatree.Tree
	live     map[int64]bool // open as far as prepare knows (closing = closed)
	nextSess int64
	known    []string // paths prepared creates produced
	// rootAlias lets requests name the root "/", which makes ZooKeeper (and
	// so the Preparer) log a wrong digest now and then: see Preparer.record.
	rootAlias bool
}

func newGen(seed uint64, tree *datatree.Tree) *gen {
	return &gen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), tree: tree, live: make(map[int64]bool), nextSess: 0x100000a46010000}
}

// learn remembers the paths a prepared txn creates.
func (g *gen) learn(txn *jute.Txn) {
	ops := []jute.Op{{Type: txn.Header.Type, Record: txn.Body}}
	if m, ok := txn.Body.(*jute.MultiTxn); ok {
		ops = m.Ops
	}
	for _, op := range ops {
		switch op.Type {
		case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
			g.known = append(g.known, jute.BodyPath(op.Record))
		}
	}
}

var (
	genNames = []string{"a", "b", "c", "s-"}
	genACLs  = [][]jute.ACL{
		jute.OpenACL, jute.OpenACL, jute.OpenACL,
		{{Perms: jute.PermAll, ID: alice}},
		{{Perms: jute.PermRead | jute.PermWrite, ID: world}, {Perms: jute.PermAll, ID: bob}},
		{{Perms: jute.PermAll, ID: jute.ID{Scheme: "auth"}}},
		{{Perms: jute.PermAll, ID: jute.ID{Scheme: "ip", ID: "127.0.0.0/8"}}},
		{},
	}
	genAuths = [][]jute.ID{{localhost}, {localhost}, {localhost, alice}, {localhost, bob}, {{Scheme: "super"}}}
)

func (g *gen) path() string {
	switch g.rng.IntN(12) {
	case 0:
		return "/zookeeper/q"
	case 1:
		if g.rootAlias {
			return "/"
		}
	}
	if len(g.known) > 0 && g.rng.IntN(3) != 0 {
		return g.known[g.rng.IntN(len(g.known))]
	}
	p := ""
	for range 1 + g.rng.IntN(2) + g.rng.IntN(2) {
		p += "/" + genNames[g.rng.IntN(len(genNames))]
	}
	return p
}

func (g *gen) session() int64 {
	if g.rng.IntN(20) == 0 {
		return g.nextSess + 1 // never opened
	}
	for id := range g.live { // map order is random enough
		return id
	}
	return g.nextSess
}

func (g *gen) version() int32 {
	if g.rng.IntN(3) == 0 {
		return int32(g.rng.IntN(3))
	}
	return -1
}

func (g *gen) data() []byte {
	switch g.rng.IntN(4) {
	case 0:
		return nil
	case 1:
		return []byte{}
	}
	return []byte(fmt.Sprintf("d%d", g.rng.IntN(1000)))
}

// createOp returns a create of any flavour with flags that fit its op code
// (ZooKeeper itself would log a digest its tree disagrees with otherwise).
func (g *gen) createOp() jute.Op {
	path, data, acl := g.path(), g.data(), genACLs[g.rng.IntN(len(genACLs))]
	if g.rng.IntN(20) == 0 {
		path = "/a/" // sequential only, or BadArguments
	}
	switch g.rng.IntN(8) {
	case 0:
		return jute.Op{Type: jute.OpCreateContainer, Record: &jute.CreateRequest{Path: path, Data: data, ACL: acl, Flags: jute.FlagContainer}}
	case 1:
		flags := jute.FlagPersistentWithTTL + int32(g.rng.IntN(2))
		ttl := 1 + g.rng.Int64N(1_000_000)
		if g.rng.IntN(10) == 0 {
			ttl = -ttl // BadArguments
		}
		return jute.Op{Type: jute.OpCreateTTL, Record: &jute.CreateTTLRequest{Path: path, Data: data, ACL: acl, Flags: flags, TTL: ttl}}
	case 2:
		return jute.Op{Type: jute.OpCreate2, Record: &jute.CreateRequest{Path: path, Data: data, ACL: acl, Flags: int32(g.rng.IntN(4))}}
	}
	return jute.Op{Type: jute.OpCreate, Record: &jute.CreateRequest{Path: path, Data: data, ACL: acl, Flags: int32(g.rng.IntN(4))}}
}

func (g *gen) writeOp() jute.Op {
	switch g.rng.IntN(5) {
	case 0, 1:
		return g.createOp()
	case 2:
		return jute.Op{Type: jute.OpDelete, Record: &jute.DeleteRequest{Path: g.path(), Version: g.version()}}
	case 3:
		return jute.Op{Type: jute.OpSetData, Record: &jute.SetDataRequest{Path: g.path(), Data: g.data(), Version: g.version()}}
	}
	return jute.Op{Type: jute.OpCheck, Record: &jute.CheckVersionRequest{Path: g.path(), Version: g.version()}}
}

func (g *gen) request() Request {
	req := Request{SessionID: g.session(), Cxid: int32(g.rng.IntN(1000)), Auth: genAuths[g.rng.IntN(len(genAuths))]}
	switch n := g.rng.IntN(100); {
	case n < 45:
		op := g.writeOp()
		if op.Type == jute.OpCheck && g.rng.IntN(4) != 0 {
			op = g.createOp()
		}
		req.Type, req.Record = op.Type, op.Record
	case n < 58:
		ops := make([]jute.Op, 1+g.rng.IntN(4))
		for i := range ops {
			ops[i] = g.writeOp()
		}
		switch g.rng.IntN(30) {
		case 0: // TTL flags on a create: ZooKeeper cannot prepare it
			ops[0] = jute.Op{Type: jute.OpCreate, Record: &jute.CreateRequest{Path: g.path(), ACL: jute.OpenACL, Flags: jute.FlagPersistentWithTTL}}
		case 1: // reads sent as a multi
			ops = []jute.Op{{Type: jute.OpGetData, Record: &jute.GetDataRequest{Path: g.path()}}, {Type: jute.OpGetChildren, Record: &jute.GetChildrenRequest{Path: g.path()}}}
		}
		req.Type, req.Record = jute.OpMulti, &jute.MultiRequest{Ops: ops}
	case n < 63:
		req.Type, req.Record = jute.OpSetACL, &jute.SetACLRequest{Path: g.path(), ACL: genACLs[g.rng.IntN(len(genACLs))], Version: g.version()}
	case n < 70:
		g.nextSess++
		req.SessionID, req.Cxid = g.nextSess, 0
		req.Type, req.Record = jute.OpCreateSession, &jute.ConnectRequest{TimeOut: int32(g.rng.IntN(40000))}
	case n < 76:
		req.Type = jute.OpCloseSession
	case n < 80:
		req.SessionID, req.Cxid = 0, 0
		path := g.path()
		if cands := append(g.tree.Containers(), g.tree.TTLNodes()...); len(cands) > 0 && g.rng.IntN(4) != 0 {
			path = cands[g.rng.IntN(len(cands))]
		}
		req.Type, req.Record = jute.OpDeleteContainer, &jute.DeleteRequest{Path: path}
	default:
		// Ephemeral (sequential) creates, so that sessions close with some.
		flags := jute.FlagEphemeral + 2*int32(g.rng.IntN(2))
		req.Type, req.Record = jute.OpCreate, &jute.CreateRequest{Path: g.path(), Data: g.data(), ACL: jute.OpenACL, Flags: flags}
	}
	return req
}

// TestDigestProperty runs long random sequences of writes — every create
// flavour, delete, setData, setACL, check, multi (succeeding and failing),
// createSession, closeSession, the reaper's deleteContainer, with several
// writes prepared before the oldest is applied — and checks that every
// non-error txn carries exactly the tree digest the tree has after applying
// it, and that the tree never rejects what prepare accepted.
func TestDigestProperty(t *testing.T) {
	seeds := 8
	steps := 3000
	if testing.Short() {
		seeds, steps = 2, 500
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			e := newEnv(t, Config{TickTime: 500})
			g := newGen(uint64(seed), e.tree)
			// Prepare's view of sessions: ZooKeeper's tracker marks a session
			// closing as soon as its closeSession is prepared.
			e.p.cfg.CheckSession = func(id int64) datatree.Code {
				if g.live[id] {
					return datatree.Ok
				}
				return datatree.SessionExpired
			}
			var queue []*jute.Txn
			var reqs []Request
			stats := map[string]int{}
			applyOldest := func() {
				txn, req := queue[0], reqs[0]
				queue, reqs = queue[1:], reqs[1:]
				r := e.apply(txn)
				failedMulti := false
				if m, ok := txn.Body.(*jute.MultiTxn); ok && m.Failed() {
					failedMulti = true
					stats["failed multi"]++
				}
				switch {
				case txn.Header.Type == jute.OpError:
					stats["error"]++
					stats[datatree.Code(txn.Body.(*jute.ErrorTxn).Err).String()]++
				case failedMulti:
				case r.Err != datatree.Ok:
					t.Fatalf("zxid 0x%x %s %+v: prepared fine, the tree says %v", txn.Header.Zxid, jute.OpName(txn.Header.Type), txn.Body, r.Err)
				default:
					stats[jute.OpName(txn.Header.Type)]++
				}
				if c, ok := txn.Body.(*jute.CloseSessionTxn); ok && len(c.Paths2Delete) > 0 {
					stats["close with ephemerals"]++
				}
				hdr, _ := Reply(req, r, e.tree.LastProcessedZxid())
				if txn.Header.Type == jute.OpError && hdr.Err == 0 {
					t.Fatalf("error txn answered Ok")
				}
			}
			depth := 1
			for range steps {
				if g.rng.IntN(50) == 0 {
					depth = 1 + g.rng.IntN(6)
				}
				if len(queue) >= depth {
					applyOldest()
					continue
				}
				req := g.request()
				switch req.Type {
				case jute.OpCreateSession:
					g.live[req.SessionID] = true
				case jute.OpCloseSession:
					delete(g.live, req.SessionID)
				}
				txn := e.prepare(req)
				g.learn(txn)
				queue = append(queue, txn)
				reqs = append(reqs, req)
				if len(queue) > 1 {
					stats["pipelined"]++
				}
			}
			for len(queue) > 0 {
				applyOldest()
			}
			if n := e.p.Outstanding(); n != 0 {
				t.Errorf("%d change records left", n)
			}
			for _, k := range []string{"create", "create2", "createContainer", "createTtl", "delete", "deleteContainer",
				"setData", "setACL", "multi", "failed multi", "createSession", "closeSession", "close with ephemerals", "error", "pipelined"} {
				if stats[k] == 0 {
					t.Errorf("the sequence never produced a %s", k)
				}
			}
			t.Logf("%v", stats)
		})
	}
}
