package fourletter

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// leaderFigures is a one-member quorum's leader after a session created
// an ephemeral node and set three watches, as in the fixtures.
func leaderFigures() *Figures {
	f := &Figures{Serving: true, Mode: "leader", PeerState: "leading - broadcast", ServerID: 1, Zxid: 0x100000004,
		Received: 11, Sent: 10, Nodes: 6, DataSize: 99, Watches: 3, Ephemerals: 1, GlobalSessions: 1,
		UptimeMs: 721, OpenFDs: 47, MaxFDs: 20000, QuorumSize: 1, ResponseSizes: Sizes{106, 16, 106},
		Leader:      &LeaderFigures{UptimeMs: 698, Proposals: Sizes{87, 48, 87}},
		DataWatches: []Watch{{"/a", []int64{0x100007b7f560001}}, {"/b", []int64{0x100007b7f560001}}},
		Conf: Conf{ClientPort: 46053, DataDir: "/var/lib/zookeeper/version-2", DataLogDir: "/var/lib/zookeeper/version-2",
			TickTimeMs: 500, MaxClientCnxns: 60, MinSessionTimeout: 1000, MaxSessionTimeout: 10000, InitLimit: 10, SyncLimit: 5,
			Members: []Member{{ID: 1, Host: "127.0.0.1", QuorumPort: 44159, ElectPort: 44397, ClientHost: "127.0.0.1", ClientPort: 46053}}},
		Conns: []Conn{{Remote: "127.0.0.1:51624", Received: 1},
			{Remote: "127.0.0.1:51608", Received: 5, Sent: 5, SessionID: 0x100007b7f560001, LastOp: "GETC", Established: 1796668617122,
				TimeoutMs: 4000, LastCxid: 4, LastZxid: 0x100000004, LastRespMs: 8093906}},
		DataDirSize: 67109391, LogDirSize: 67109391,
	}
	for _, v := range []int64{0, 1, 8, 0} {
		f.Requests.Add(v)
	}
	for _, k := range []string{"host.name", "java.version", "java.vendor", "java.home", "java.class.path", "java.library.path",
		"java.io.tmpdir", "java.compiler", "os.name", "os.arch", "os.version", "user.name", "user.home", "user.dir",
		"os.memory.free", "os.memory.max", "os.memory.total"} {
		f.Env = append(f.Env, Entry{k, "x"})
	}
	return f
}

// shape reduces a reply to what must match ZooKeeper's: each line's key,
// or for lines without one its form with numbers and the version masked.
func shape(reply string) []string {
	num := regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)
	var out []string
	for _, line := range strings.Split(reply, "\n") {
		switch {
		case strings.HasPrefix(line, "Zookeeper version: "), strings.HasPrefix(line, "zookeeper.version="):
			line = line[:strings.IndexAny(line, ":=")+1]
		case strings.Contains(line, "\t") && strings.HasPrefix(line, "zk_"):
			line = line[:strings.Index(line, "\t")]
		case strings.Contains(line, "=") && !strings.HasPrefix(line, " /") && !strings.HasPrefix(line, "server."):
			line = line[:strings.Index(line, "=")]
		default:
			line = num.ReplaceAllString(line, "N")
		}
		out = append(out, line)
	}
	return out
}

// Each reply has the lines of ZooKeeper 3.8's (testdata/zk-3.8.0), in
// its order; mntr has a subset of its keys (ZooKeeper's order is a hash
// map's), every one of the server's gauges among them.
func TestRepliesHaveZooKeepersShape(t *testing.T) {
	f := leaderFigures()
	for _, w := range []string{"srvr", "stat", "conf", "cons", "wchs", "wchc", "wchp", "dirs", "envi", "mntr"} {
		b, err := os.ReadFile(filepath.Join("testdata", "zk-3.8.0", w))
		if err != nil {
			t.Fatal(err)
		}
		got, want := shape(Answer(w, f)), shape(string(b))
		if w == "conf" {
			// Our membership lines add the client address after ';'.
			for i, l := range got {
				got[i], _, _ = strings.Cut(l, ";")
			}
		}
		if w != "mntr" {
			if !slices.Equal(got, want) {
				t.Errorf("%s:\n got  %q\n want %q", w, got, want)
			}
			continue
		}
		for _, k := range got {
			if k != "" && !slices.Contains(want, k) {
				t.Errorf("mntr key %s is not ZooKeeper's", k)
			}
		}
		for _, k := range []string{"zk_version", "zk_server_state", "zk_peer_state", "zk_avg_latency", "zk_max_latency",
			"zk_min_latency", "zk_packets_received", "zk_packets_sent", "zk_num_alive_connections", "zk_outstanding_requests",
			"zk_uptime", "zk_znode_count", "zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size",
			"zk_global_sessions", "zk_local_sessions", "zk_open_file_descriptor_count", "zk_max_file_descriptor_count",
			"zk_last_client_response_size", "zk_max_client_response_size", "zk_min_client_response_size",
			"zk_auth_failed_count", "zk_quorum_size", "zk_learners", "zk_synced_followers", "zk_synced_non_voting_followers",
			"zk_synced_observers", "zk_pending_syncs", "zk_leader_uptime", "zk_last_proposal_size", "zk_max_proposal_size",
			"zk_min_proposal_size"} {
			if !slices.Contains(got, k) {
				t.Errorf("mntr lacks the gauge %s", k)
			}
		}
	}
	// Numbers as ZooKeeper prints them.
	if srvr := Answer("srvr", f); !strings.Contains(srvr, "Latency min/avg/max: 0/2.25/8\n") ||
		!strings.Contains(srvr, "Proposal sizes last/min/max: 87/48/87\n") {
		t.Errorf("srvr:\n%s", srvr)
	}
}
