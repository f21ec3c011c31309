package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkbench/engine/jute"
)

// askWord sends a four-letter word to addr and returns the reply.
func askWord(t testing.TB, addr, word string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, word)
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("%s: %v", word, err)
	}
	return string(b)
}

// mntrOf reads mntr's key<TAB>value lines.
func mntrOf(t testing.TB, addr string) map[string]string {
	t.Helper()
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(askWord(t, addr, "mntr")))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("mntr line %q", sc.Text())
		}
		m[k] = v
	}
	return m
}

// Each member reports its own role and figures: the leader its synced
// followers and observers, every member the same tree, the member a
// session writes through its requests and the txn log's syncs; srst and
// crst reset what they say they reset.
func TestFourLetterWordsReportEachMember(t *testing.T) {
	cfg := testConfig(t, 3, 1)
	cfg.FourLetterWords = "*"
	e := start(t, cfg)
	addrs := servePorts(t, e)
	leader := e.Leader()
	follower := uint64(1)
	if leader == 1 {
		follower = 2
	}
	c := zkConnect(t, addrs[follower])
	acl := zk.WorldACL(zk.PermAll)
	for i := range 5 {
		if _, err := c.Create(fmt.Sprintf("/n%d", i), []byte("12345"), zk.FlagEphemeral, acl); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, err := c.GetW("/n0"); err != nil {
		t.Fatal(err)
	}
	// Every member has applied the creates once its tick has passed.
	deadline := time.Now().Add(10 * time.Second)
	for e.Status(4).Zxid != e.Status(leader).Zxid && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(2 * cfg.TickInterval) // the members' status is a tick old

	want := map[uint64]string{leader: "leader", follower: "follower", 4: "observer"}
	for id, mode := range want {
		m := mntrOf(t, addrs[id])
		if m["zk_server_state"] != mode || m["zk_znode_count"] != "9" || m["zk_ephemerals_count"] != "5" ||
			m["zk_quorum_size"] != "3" {
			t.Errorf("member %d mntr: state %s znodes %s ephemerals %s quorum %s", id, m["zk_server_state"],
				m["zk_znode_count"], m["zk_ephemerals_count"], m["zk_quorum_size"])
		}
		if !strings.Contains(askWord(t, addrs[id], "srvr"), "\nMode: "+mode+"\n") {
			t.Errorf("member %d srvr is not %s", id, mode)
		}
	}
	lm := mntrOf(t, addrs[leader])
	if lm["zk_learners"] != "3" || lm["zk_synced_followers"] != "2" || lm["zk_synced_observers"] != "1" ||
		lm["zk_pending_syncs"] != "0" || lm["zk_last_proposal_size"] == "-1" {
		t.Errorf("leader mntr: learners %s synced followers %s observers %s pending syncs %s last proposal %s",
			lm["zk_learners"], lm["zk_synced_followers"], lm["zk_synced_observers"], lm["zk_pending_syncs"], lm["zk_last_proposal_size"])
	}
	if om := mntrOf(t, addrs[4]); om["zk_observer_master_id"] != fmt.Sprint(leader) {
		t.Errorf("observer follows %s, the leader is %d", om["zk_observer_master_id"], leader)
	}
	fm := mntrOf(t, addrs[follower])
	if fm["zk_cnt_updatelatency"] != "5" || fm["zk_cnt_readlatency"] != "1" || fm["zk_watch_count"] != "1" || fm["zk_cnt_fsynctime"] == "0" {
		t.Errorf("follower mntr: updates %s reads %s watches %s syncs %s", fm["zk_cnt_updatelatency"],
			fm["zk_cnt_readlatency"], fm["zk_watch_count"], fm["zk_cnt_fsynctime"])
	}
	if got := askWord(t, addrs[follower], "wchc"); got != fmt.Sprintf("0x%x\n\t/n0\n\n", c.SessionID()) {
		t.Errorf("wchc %q", got)
	}

	if got := askWord(t, addrs[follower], "srst"); got != "Server stats reset.\n" {
		t.Errorf("srst: %q", got)
	}
	if fm := mntrOf(t, addrs[follower]); fm["zk_cnt_updatelatency"] != "0" || fm["zk_cnt_fsynctime"] != "0" || fm["zk_znode_count"] != "9" {
		t.Errorf("after srst: updates %s syncs %s znodes %s", fm["zk_cnt_updatelatency"], fm["zk_cnt_fsynctime"], fm["zk_znode_count"])
	}
	if got := askWord(t, addrs[follower], "crst"); got != "Connection stats reset.\n" {
		t.Errorf("crst: %q", got)
	}
	if cons := askWord(t, addrs[follower], "cons"); !strings.Contains(cons, "recved=0,sent=0,sid=") || !strings.Contains(cons, ",lop=NONE,") {
		t.Errorf("cons after crst:\n%s", cons)
	}

	// A member cut off from the others does not serve and says so; ruok
	// still answers. A member that is down answers nothing.
	if err := e.Isolate(4); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); e.Status(4).Serving; {
		if time.Now().After(deadline) {
			t.Fatal("the isolated observer still serves")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := askWord(t, addrs[4], "mntr"); got != "This ZooKeeper instance is not currently serving requests\n" {
		t.Errorf("mntr of a member not serving: %q", got)
	}
	if got := askWord(t, addrs[4], "ruok"); got != "imok" {
		t.Errorf("ruok of a member not serving: %q", got)
	}
	if err := e.StopMember(follower); err != nil {
		t.Fatal(err)
	}
	if got := askWord(t, addrs[follower], "ruok"); got != "" {
		t.Errorf("ruok of a member that is down: %q", got)
	}
}

func BenchmarkServerStatsAnswered(b *testing.B) {
	s := newServerStats(time.Now())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		sh := s.shard()
		for pb.Next() {
			s.packetIn(true)
			s.answered(sh, 1500*time.Microsecond, true, 120)
		}
	})
}

// Words asked while sessions connect, watch and leave read every
// connection's figures safely (run with -race).
func TestFourLetterWordsWhileClientsComeAndGo(t *testing.T) {
	cfg := testConfig(t, 1, 0)
	cfg.FourLetterWords = "*"
	e := start(t, cfg)
	addr := servePorts(t, e)[1]
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 8 {
			s := dialRaw(t, addr)
			s.send(frame(&jute.RequestHeader{Xid: 1, Type: jute.OpExists}, &jute.ExistsRequest{Path: fmt.Sprintf("/x%d", i), Watch: true}))
			s.reply()
			s.nc.Close()
		}
	}()
	for _, w := range []string{"cons", "stat", "wchc", "wchp", "wchs", "mntr", "crst", "srst", "conf", "dirs", "envi"} {
		if got := askWord(t, addr, w); got == "" {
			t.Errorf("%s: no answer", w)
		}
	}
	<-done
}
