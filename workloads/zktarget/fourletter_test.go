package zktarget_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkbench/engine"
	"zkbench/internal/zkref"
	"zkbench/workloads/zktarget"
)

// ask sends a four-letter word and returns the reply, read to the close.
func ask(t *testing.T, addr, word string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, word); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("%s: %v", word, err)
	}
	return string(b)
}

// embedded starts a one-member embedded ensemble (a leader, as the
// one-member quorum of zkref is) with the given whitelist and returns
// its client port.
func embedded(t *testing.T, whitelist string) string {
	t.Helper()
	cfg := engine.DefaultConfig(t.TempDir())
	cfg.Servers = 1
	cfg.TickTime = 500 * time.Millisecond
	cfg.PreAllocSize = 1 << 20
	cfg.FourLetterWords = whitelist
	e, err := engine.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	addrs, err := e.ListenClients("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	return addrs[0]
}

func connect(t *testing.T, addr string) (*zk.Conn, int64) {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for e := range ev {
		if e.State == zk.StateHasSession {
			go func() {
				for range ev {
				}
			}()
			return c, c.SessionID()
		}
	}
	t.Fatal("no session")
	return nil, 0
}

// exercise does the same things on either server: an ephemeral and a
// persistent node, a data watch, an exists watch and a child watch.
func exercise(t *testing.T, c *zk.Conn) {
	t.Helper()
	acl := zk.WorldACL(zk.PermAll)
	if _, err := c.Create("/w", []byte("x"), 0, acl); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/w/e", []byte("ee"), zk.FlagEphemeral, acl); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.GetW("/w"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ExistsW("/absent"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ChildrenW("/w"); err != nil {
		t.Fatal(err)
	}
}

// keys returns the keys of "key<sep>value" lines, sorted; lines that
// match skip are left out.
func keys(reply, sep string, skip *regexp.Regexp) []string {
	var ks []string
	for _, line := range strings.Split(strings.TrimRight(reply, "\n"), "\n") {
		if skip != nil && skip.MatchString(line) {
			continue
		}
		k, _, _ := strings.Cut(line, sep)
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

var sessionID = regexp.MustCompile(`0x[0-9a-f]+`)

// The four-letter words of a member against those of a real ZooKeeper
// 3.8 server after the same operations: the same keys and line shapes,
// the same counts where the two must agree, every reply parsed by the
// code that reads a real server's.
func TestFourLetterWordsMatchZooKeeper(t *testing.T) {
	zkref.Need(t)
	t.Parallel()
	srv, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{Quorum: true,
		Props: []string{"-Dzookeeper.4lw.commands.whitelist=*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	ours := embedded(t, "*")
	servers := map[string]string{"zookeeper": srv.Addr, "zkbench": ours}

	before := map[string]zktarget.Stats{}
	for name, addr := range servers {
		st, err := zktarget.Mntr(context.Background(), addr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		before[name] = st
	}
	sessions := map[string]int64{}
	for name, addr := range servers {
		c, sid := connect(t, addr)
		exercise(t, c)
		sessions[name] = sid
	}
	replies := map[string]map[string]string{}
	for name, addr := range servers {
		replies[name] = map[string]string{}
		for _, w := range []string{"ruok", "isro", "srvr", "stat", "conf", "envi", "cons", "wchs", "wchc", "wchp", "dirs", "mntr"} {
			replies[name][w] = ask(t, addr, w)
		}
	}
	zkr, our := replies["zookeeper"], replies["zkbench"]

	for _, w := range []string{"ruok", "isro", "wchs"} {
		if our[w] != zkr[w] {
			t.Errorf("%s: %q, ZooKeeper says %q", w, our[w], zkr[w])
		}
	}
	// One session watches: by connection and by path, the same lines.
	for _, w := range []string{"wchc", "wchp"} {
		if o, z := sessionID.ReplaceAllString(our[w], "SID"), sessionID.ReplaceAllString(zkr[w], "SID"); o != z {
			t.Errorf("%s:\n%s\nZooKeeper:\n%s", w, o, z)
		}
	}
	same := func(word string, a, b []string) {
		t.Helper()
		if !slices.Equal(a, b) {
			t.Errorf("%s keys:\n %v\nZooKeeper's:\n %v", word, a, b)
		}
	}
	same("srvr", keys(our["srvr"], ":", nil), keys(zkr["srvr"], ":", nil))
	client := regexp.MustCompile(`^ /`)
	same("stat", keys(our["stat"], ":", client), keys(zkr["stat"], ":", client))
	same("conf", keys(our["conf"], "=", nil), keys(zkr["conf"], "=", nil))
	same("envi", keys(our["envi"], "=", nil), keys(zkr["envi"], "=", nil))
	same("dirs", keys(our["dirs"], ":", nil), keys(zkr["dirs"], ":", nil))
	// cons: the watching session's line has every field, in order.
	fields := regexp.MustCompile(`^ /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+,sid=0x[0-9a-f]+,lop=[A-Z]+,est=\d+,to=\d+,lcxid=0x[0-9a-f]+,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)$`)
	for name, r := range replies {
		lines := strings.Split(r["cons"], "\n")
		if !slices.ContainsFunc(lines, fields.MatchString) || !strings.HasSuffix(r["cons"], ")\n\n") {
			t.Errorf("%s cons:\n%s", name, r["cons"])
		}
	}

	// mntr through the code that reads it from real servers.
	after := map[string]zktarget.Stats{}
	for name, addr := range servers {
		st, err := zktarget.Mntr(context.Background(), addr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		after[name] = st
	}
	for k := range after["zkbench"] {
		if _, ok := after["zookeeper"][k]; !ok {
			t.Errorf("mntr key %s: ZooKeeper 3.8 has no such key", k)
		}
	}
	for _, k := range []string{"zk_server_state", "zk_peer_state", "zk_avg_latency", "zk_max_latency", "zk_min_latency",
		"zk_packets_received", "zk_packets_sent", "zk_num_alive_connections", "zk_outstanding_requests", "zk_znode_count",
		"zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size", "zk_global_sessions", "zk_uptime",
		"zk_open_file_descriptor_count", "zk_max_file_descriptor_count", "zk_quorum_size", "zk_learners",
		"zk_synced_followers", "zk_synced_observers", "zk_pending_syncs", "zk_leader_uptime", "zk_last_proposal_size",
		"zk_avg_fsynctime", "zk_cnt_fsynctime", "zk_max_fsynctime", "zk_p99_readlatency", "zk_cnt_updatelatency"} {
		if _, ok := after["zkbench"][k]; !ok {
			t.Errorf("mntr: no %s", k)
		}
	}
	for _, k := range []string{"zk_server_state", "zk_peer_state", "zk_watch_count", "zk_ephemerals_count",
		"zk_global_sessions", "zk_num_alive_connections", "zk_outstanding_requests", "zk_quorum_size", "zk_learners"} {
		if o, z := after["zkbench"][k], after["zookeeper"][k]; o != z {
			t.Errorf("mntr %s = %s, ZooKeeper says %s", k, o, z)
		}
	}
	// Both grew by the same nodes and the same txns, synced each.
	for _, k := range []string{"zk_znode_count", "zk_cnt_fsynctime"} {
		grew := map[string]float64{}
		for name := range servers {
			b, _ := before[name].Number(k)
			a, _ := after[name].Number(k)
			grew[name] = a - b
		}
		if grew["zkbench"] != grew["zookeeper"] {
			t.Errorf("mntr %s grew by %v, ZooKeeper's by %v", k, grew["zkbench"], grew["zookeeper"])
		}
	}
	if f := after["zkbench"].Fsync(); f["zk_cnt_fsynctime"] == 0 {
		t.Errorf("no fsync figures: %v", f)
	}
}

// Without a whitelist only srvr is answered, as by ZooKeeper 3.8; the
// refusal of mntr is what zktarget reports as ErrMntrNotAllowed.
func TestFourLetterWordsWhitelist(t *testing.T) {
	t.Parallel()
	addr := embedded(t, engine.DefaultConfig("").FourLetterWords)
	if _, err := zktarget.Mntr(context.Background(), addr); err == nil || !strings.Contains(err.Error(), "whitelist") {
		t.Errorf("mntr without the whitelist: %v", err)
	}
	if got, want := ask(t, addr, "ruok"), "ruok is not executed because it is not in the whitelist.\n"; got != want {
		t.Errorf("ruok: %q, want %q", got, want)
	}
	if got := ask(t, addr, "srvr"); !strings.HasPrefix(got, "Zookeeper version: 3.8.0-") || !strings.Contains(got, "\nMode: leader\n") {
		t.Errorf("srvr:\n%s", got)
	}
	if got := ask(t, addr, "dump"); got != "dump is not executed because it is not in the whitelist.\n" {
		t.Errorf("dump: %q", got)
	}
}

// Three clients' own four-letter-word code against a member and a real
// ZooKeeper 3.8: go-zookeeper's FLW helpers, ZooKeeper's FourLetterWordMain
// (what zkServer.sh status runs) and kazoo's command and server_version
// (Debian's python3-kazoo) get the same answers from both.
func TestFourLetterWordsThroughClientLibraries(t *testing.T) {
	zkref.Need(t)
	t.Parallel()
	srv, err := zkref.StartServer(t.TempDir(), zkref.ServerOptions{Quorum: true,
		Props: []string{"-Dzookeeper.4lw.commands.whitelist=*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	servers := map[string]string{"zookeeper": srv.Addr, "zkbench": embedded(t, "*")}
	ids := map[string]int64{}
	for name, addr := range servers {
		c, sid := connect(t, addr)
		exercise(t, c)
		ids[name] = sid
	}

	type flw struct {
		Ruok, SrvrOK, ConsOK bool
		Watcher              zk.ServerClient // the exercising session's cons line, as go-zookeeper parses it
	}
	got := map[string]flw{}
	for name, addr := range servers {
		var f flw
		f.Ruok = zk.FLWRuok([]string{addr}, 5*time.Second)[0]
		// go-zookeeper's srvr parser expects ZooKeeper 3.4's "built on"
		// date: it fails on 3.8's own reply, and must on ours alike.
		_, f.SrvrOK = zk.FLWSrvr([]string{addr}, 5*time.Second)
		cons, ok := zk.FLWCons([]string{addr}, 5*time.Second)
		f.ConsOK = ok
		for _, c := range cons[0].Clients {
			if c.SessionID == ids[name] {
				f.Watcher = *c
			}
		}
		if f.Watcher.SessionID == 0 {
			t.Errorf("%s: go-zookeeper's cons found no line of session 0x%x: %+v", name, ids[name], cons[0])
		}
		got[name] = f
	}
	o, z := got["zkbench"], got["zookeeper"]
	if o.Ruok != z.Ruok || o.SrvrOK != z.SrvrOK || o.ConsOK != z.ConsOK {
		t.Errorf("go-zookeeper: ruok/srvr/cons %v/%v/%v, ZooKeeper's %v/%v/%v", o.Ruok, o.SrvrOK, o.ConsOK, z.Ruok, z.SrvrOK, z.ConsOK)
	}
	if ow, zw := o.Watcher, z.Watcher; ow.Queued != zw.Queued || ow.Timeout != zw.Timeout || ow.Received != zw.Received {
		t.Errorf("go-zookeeper's cons line: queued %d to %d recved %d, ZooKeeper's %d %d %d",
			ow.Queued, ow.Timeout, ow.Received, zw.Queued, zw.Timeout, zw.Received)
	}

	// ZooKeeper's own FourLetterWordMain, which zkServer.sh status runs
	// and reads the "Mode:" line of.
	for _, word := range []string{"srvr", "ruok", "isro"} {
		answers := map[string]string{}
		for name, addr := range servers {
			host, port, _ := net.SplitHostPort(addr)
			out, _, err := zkref.Run("org.apache.zookeeper.client.FourLetterWordMain", host, port, word)
			if err != nil {
				t.Fatalf("FourLetterWordMain %s against %s: %v", word, name, err)
			}
			if word == "srvr" {
				out = regexp.MustCompile(`(?m)^Mode: .*$`).FindString(out)
			}
			answers[name] = out
		}
		if answers["zkbench"] != answers["zookeeper"] || answers["zkbench"] == "" {
			t.Errorf("FourLetterWordMain %s: %q, ZooKeeper says %q", word, answers["zkbench"], answers["zookeeper"])
		}
	}

	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import kazoo").Run(); err != nil {
		if os.Getenv(zkref.RequireEnv) != "" {
			t.Fatalf("kazoo: %v (apt-get install -y python3-kazoo)", err)
		}
		t.Skipf("kazoo: %v (apt-get install -y python3-kazoo)", err)
	}
	kz := map[string]map[string]any{}
	for name, addr := range servers {
		cmd := exec.Command(python, "testdata/kazoo_words.py", addr)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("kazoo against %s: %v\n%s", name, err, stderr.String())
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("kazoo against %s: %v: %s", name, err, out)
		}
		kz[name] = m
	}
	for _, k := range []string{"server_version", "ruok", "isro", "srvr_mode", "wchs"} {
		if o, z := fmt.Sprint(kz["zkbench"][k]), fmt.Sprint(kz["zookeeper"][k]); o != z {
			t.Errorf("kazoo %s: %s, ZooKeeper says %s", k, o, z)
		}
	}
	// What kazoo read of ZooKeeper's mntr is its first 8 KiB: the keys
	// there and in ours agree in value where they must.
	ourMntr, zkMntr := kz["zkbench"]["mntr"].(map[string]any), kz["zookeeper"]["mntr"].(map[string]any)
	compared := 0
	for _, k := range []string{"zk_server_state", "zk_ephemerals_count", "zk_watch_count", "zk_num_alive_connections",
		"zk_global_sessions", "zk_outstanding_requests", "zk_quorum_size"} {
		z, ok := zkMntr[k]
		if !ok {
			continue // beyond kazoo's 8 KiB of ZooKeeper's reply
		}
		compared++
		if o := ourMntr[k]; o != z {
			t.Errorf("kazoo mntr %s: %v, ZooKeeper says %v", k, o, z)
		}
	}
	if compared == 0 {
		t.Error("kazoo read none of the compared mntr keys from ZooKeeper")
	}
	t.Logf("kazoo: %d mntr values compared; go-zookeeper: ruok %v, srvr parsed %v, cons parsed %v on both",
		compared, o.Ruok, o.SrvrOK, o.ConsOK)
}
