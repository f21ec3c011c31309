package zktarget_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"

	"zkbench/internal/zkref"
	"zkbench/workloads"
	"zkbench/workloads/zktarget"
)

// Into a real ZooKeeper 3.8, the multi preload builds the tree the
// create path builds, paths and data, in batches (many keys share a
// cZxid: one txn each); a second preload reuses what it finds, keeping
// a node's other data as the create path keeps it, and fills in what is
// missing.
func TestMultiPreloadRealZooKeeper(t *testing.T) {
	zkref.Need(t)
	t.Parallel()
	srv, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	tg, err := zktarget.New("zk://" + srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	zc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()

	specFor := func(root string) workloads.Spec {
		s := workloads.Default()
		for _, kv := range [][2]string{{"workload", "read"}, {"clients", "4"}, {"keys", "2000"}, {"depth", "2"},
			{"valueSize", "uniform:0..2KiB"}, {"warmup", "0s"}, {"duration", "0s"}, {"ops", "1"},
			{"cleanup", "false"}, {"root", root}} {
			if err := s.Set(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	created, multi := specFor("/by-create"), specFor("/by-multi")
	preloadZK(t, tg, created, workloads.PreloadCreate)
	preloadZK(t, tg, multi, workloads.PreloadMulti)

	want := treeZK(t, zc, created.Root)
	got := treeZK(t, zc, multi.Root)
	if len(got) != len(want) || len(want) != 1+45+2000+1+4 { // keys/, 45 folders, the keys, clients/ and 4 folders
		t.Fatalf("the multi preload made %d nodes, the create path %d", len(got), len(want))
	}
	zxids := map[int64]bool{}
	for rel, w := range want {
		g, ok := got[rel]
		if !ok || !bytes.Equal(g.data, w.data) {
			t.Errorf("%s: multi has %d bytes (present %v), create %d", rel, len(g.data), ok, len(w.data))
		}
		if strings.HasPrefix(rel, "/keys/d") {
			zxids[g.czxid] = true
		}
	}
	if len(zxids) > 2045/100 {
		t.Errorf("the multi preload's folders and keys have %d cZxids: not batched", len(zxids))
	}

	// Part of the tree goes, part changes: the next preload puts back
	// what went and leaves what changed.
	gone, changed := multi.Root+"/keys/d07/k03", multi.Root+"/keys/d11/k40"
	if err := zc.Delete(gone, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := zc.Set(changed, []byte("changed"), -1); err != nil {
		t.Fatal(err)
	}
	preloadZK(t, tg, multi, workloads.PreloadMulti)
	again := treeZK(t, zc, multi.Root)
	for rel, w := range want {
		wantData := w.data
		if multi.Root+rel == changed {
			wantData = []byte("changed")
		}
		if !bytes.Equal(again[rel].data, wantData) {
			t.Errorf("after a second preload %s has %d bytes, want %d", rel, len(again[rel].data), len(wantData))
		}
	}
	if _, ok := again[strings.TrimPrefix(gone, multi.Root)]; !ok {
		t.Errorf("%s was not created again", gone)
	}
}

func preloadZK(t *testing.T, tg workloads.Target, s workloads.Spec, m workloads.PreloadMethod) {
	t.Helper()
	d, err := workloads.NewDriver(s, tg)
	if err != nil {
		t.Fatal(err)
	}
	d.PreloadBy(m)
	if _, err := d.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type zkNode struct {
	data  []byte
	czxid int64
}

// treeZK is every node under root, by its path below root.
func treeZK(t *testing.T, c *zk.Conn, root string) map[string]zkNode {
	t.Helper()
	nodes := map[string]zkNode{}
	var walk func(string)
	walk = func(p string) {
		names, _, err := c.Children(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, n := range names {
			child := p + "/" + n
			data, st, err := c.Get(child)
			if err != nil {
				t.Fatalf("%s: %v", child, err)
			}
			nodes[strings.TrimPrefix(child, root)] = zkNode{data: data, czxid: st.Czxid}
			walk(child)
		}
	}
	walk(root)
	return nodes
}
