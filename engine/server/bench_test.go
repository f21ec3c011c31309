package server

import (
	"fmt"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// benchTree is a tree with /bench and 1000 children, like a benchmark's
// key space.
func benchTree(b *testing.B) (*datatree.Tree, *Preparer, int64) {
	tree := datatree.New()
	p := NewPreparer(tree, Config{})
	zxid := int64(0)
	do := func(req Request) {
		zxid++
		if txn := p.Prepare(req, zxid, zxid); txn.Header.Type == jute.OpError {
			b.Fatalf("setup: %+v", txn.Body)
		} else {
			p.Apply(txn)
		}
	}
	do(sessionReq(sessA, 30000))
	do(createReq("/bench", "", jute.FlagPersistent))
	for i := range 1000 {
		do(createReq(fmt.Sprintf("/bench/k%07d", i), "", jute.FlagPersistent))
	}
	return tree, p, zxid
}

// BenchmarkPrepareSetData prepares a 1 KiB setData, the hot write of every
// zkbench workload. Each txn's records are dropped right away (Applied
// without applying), so every prepare reads its node from the tree, as an
// unpipelined write does.
func BenchmarkPrepareSetData(b *testing.B) {
	_, p, zxid := benchTree(b)
	data := make([]byte, 1024)
	reqs := make([]Request, 1000)
	for i := range reqs {
		reqs[i] = Request{SessionID: sessA, Cxid: int32(i), Type: jute.OpSetData,
			Record: &jute.SetDataRequest{Path: fmt.Sprintf("/bench/k%07d", i), Data: data, Version: -1}}
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	i := 0
	for b.Loop() {
		zxid++
		txn := p.Prepare(reqs[i%len(reqs)], zxid, zxid)
		if txn.Header.Type != jute.OpSetData {
			b.Fatalf("%+v", txn.Body)
		}
		p.Applied(zxid)
		i++
	}
}

// BenchmarkPrepareCreate prepares a persistent create under a parent with
// 1000 children.
func BenchmarkPrepareCreate(b *testing.B) {
	_, p, zxid := benchTree(b)
	data := make([]byte, 64)
	reqs := make([]Request, 1000)
	for i := range reqs {
		reqs[i] = Request{SessionID: sessA, Cxid: int32(i), Type: jute.OpCreate,
			Record: &jute.CreateRequest{Path: fmt.Sprintf("/bench/n%07d", i), Data: data, ACL: jute.OpenACL}}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		zxid++
		txn := p.Prepare(reqs[i%len(reqs)], zxid, zxid)
		if txn.Header.Type != jute.OpCreate {
			b.Fatalf("%+v", txn.Body)
		}
		p.Applied(zxid)
		i++
	}
}

// BenchmarkPrepareApplyPipelined prepares 8 setData ahead of applying them,
// through the Preparer's Apply: the pipeline's steady state.
func BenchmarkPrepareApplyPipelined(b *testing.B) {
	_, p, zxid := benchTree(b)
	data := make([]byte, 1024)
	var queue []*jute.Txn
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		zxid++
		queue = append(queue, p.Prepare(Request{SessionID: sessA, Type: jute.OpSetData,
			Record: &jute.SetDataRequest{Path: "/bench/k0000007", Data: data, Version: -1}}, zxid, zxid))
		if len(queue) == 8 {
			for _, txn := range queue {
				p.Apply(txn)
			}
			queue = queue[:0]
		}
	}
}
