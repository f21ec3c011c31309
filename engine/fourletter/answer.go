package fourletter

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Answer is the reply to word, from f. crst and srst only say that they
// reset: the caller resets the counters. A word not in Answered gets "".
func Answer(word string, f *Figures) string {
	var b strings.Builder
	switch word {
	case "ruok":
		b.WriteString("imok")
	case "isro":
		if f.Serving {
			b.WriteString("rw")
		} else {
			b.WriteString("null")
		}
	case "envi":
		b.WriteString("Environment:\n")
		for _, e := range append([]Entry{{"zookeeper.version", Version()}}, f.Env...) {
			fmt.Fprintf(&b, "%s=%s\n", e.Key, e.Value)
		}
	default:
		if !slices.Contains(Answered, word) {
			return ""
		}
		if !f.Serving {
			return NotServing
		}
		serving(&b, word, f)
	}
	return b.String()
}

// serving writes the words that need a serving member.
func serving(b *strings.Builder, word string, f *Figures) {
	switch word {
	case "srvr", "stat":
		stat(b, f, word == "stat")
	case "conf":
		conf(b, f)
	case "cons":
		for _, c := range f.Conns {
			cons(b, c, false)
			b.WriteString("\n")
		}
		b.WriteString("\n")
	case "mntr":
		mntr(b, f)
	case "wchs":
		wchs(b, f.DataWatches)
		b.WriteString("\n")
	case "wchc":
		wchc(b, f.DataWatches)
		b.WriteString("\n")
	case "wchp":
		byPath := map[string][]int64{}
		var paths []string
		for _, w := range f.DataWatches {
			byPath[w.Path] = w.Sessions
			paths = append(paths, w.Path)
		}
		javaHashOrder(paths)
		for _, p := range paths {
			b.WriteString(p + "\n")
			for _, s := range byPath[p] {
				fmt.Fprintf(b, "\t0x%x\n", s)
			}
		}
		b.WriteString("\n")
	case "dirs":
		fmt.Fprintf(b, "datadir_size: %d\nlogdir_size: %d\n", f.DataDirSize, f.LogDirSize)
	case "crst":
		b.WriteString("Connection stats reset.\n")
	case "srst":
		b.WriteString("Server stats reset.\n")
	}
}

// stat is StatCommand: srvr, and stat with the connections.
func stat(b *strings.Builder, f *Figures, clients bool) {
	fmt.Fprintf(b, "Zookeeper version: %s\n", Version())
	if clients {
		b.WriteString("Clients:\n")
		for _, c := range f.Conns {
			cons(b, c, true)
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "Latency min/avg/max: %d/%s/%d\n", f.Requests.Min, javaDouble(f.Requests.Avg()), f.Requests.Max)
	fmt.Fprintf(b, "Received: %d\nSent: %d\nConnections: %d\nOutstanding: %d\n", f.Received, f.Sent, len(f.Conns), f.Outstanding)
	fmt.Fprintf(b, "Zxid: 0x%x\nMode: %s\nNode count: %d\n", f.Zxid, f.Mode, f.Nodes)
	if l := f.Leader; l != nil {
		fmt.Fprintf(b, "Proposal sizes last/min/max: %d/%d/%d\n", l.Proposals.Last, l.Proposals.Min, l.Proposals.Max)
	}
}

// cons is ServerCnxn.dumpConnectionInfo. The interest ops are 1 (read),
// what an idle NIO connection shows.
func cons(b *strings.Builder, c Conn, brief bool) {
	fmt.Fprintf(b, " /%s[1](queued=%d,recved=%d,sent=%d", c.Remote, c.Outstanding, c.Received, c.Sent)
	if !brief && c.SessionID != 0 {
		fmt.Fprintf(b, ",sid=0x%x,lop=%s,est=%d,to=%d", c.SessionID, c.LastOp, c.Established, c.TimeoutMs)
		if c.LastCxid >= 0 {
			fmt.Fprintf(b, ",lcxid=0x%x", c.LastCxid)
		}
		avg := int64(0) // ServerCnxn.getAvgLatency: whole ms, truncated
		if c.Latency.Count > 0 {
			avg = c.Latency.Sum / c.Latency.Count
		}
		fmt.Fprintf(b, ",lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d", c.LastZxid, c.LastRespMs,
			c.LastLatency, c.Latency.Min, avg, c.Latency.Max)
	}
	b.WriteString(")")
}

// conf is ZooKeeperServer.dumpConf and QuorumZooKeeperServer's additions.
func conf(b *strings.Builder, f *Figures) {
	c := f.Conf
	fmt.Fprintf(b, "clientPort=%d\nsecureClientPort=-1\n", c.ClientPort)
	fmt.Fprintf(b, "dataDir=%s\ndataDirSize=%d\ndataLogDir=%s\ndataLogSize=%d\n", c.DataDir, f.DataDirSize, c.DataLogDir, f.LogDirSize)
	fmt.Fprintf(b, "tickTime=%d\nmaxClientCnxns=%d\nminSessionTimeout=%d\nmaxSessionTimeout=%d\n",
		c.TickTimeMs, c.MaxClientCnxns, c.MinSessionTimeout, c.MaxSessionTimeout)
	fmt.Fprintf(b, "clientPortListenBacklog=-1\nserverId=%d\n", f.ServerID)
	fmt.Fprintf(b, "initLimit=%d\nsyncLimit=%d\nelectionAlg=3\n", c.InitLimit, c.SyncLimit)
	self := slices.IndexFunc(c.Members, func(m Member) bool { return m.ID == f.ServerID })
	if self >= 0 {
		fmt.Fprintf(b, "electionPort=%d\nquorumPort=%d\n", c.Members[self].ElectPort, c.Members[self].QuorumPort)
	}
	fmt.Fprintf(b, "peerType=%d\nmembership: \n", c.PeerType)
	for _, m := range c.Members {
		kind := "participant"
		if m.Observer {
			kind = "observer"
		}
		fmt.Fprintf(b, "server.%d=%s:%d:%d:%s;%s:%d\n", m.ID, m.Host, m.QuorumPort, m.ElectPort, kind, m.ClientHost, m.ClientPort)
	}
	b.WriteString("version=0")
}

// wchs is WatchManager.toString: connections, paths and registrations of
// the data-watch table.
func wchs(b *strings.Builder, ws []Watch) {
	conns, total := map[int64]bool{}, 0
	for _, w := range ws {
		for _, s := range w.Sessions {
			conns[s] = true
		}
		total += len(w.Sessions)
	}
	fmt.Fprintf(b, "%d connections watching %d paths\nTotal watches:%d", len(conns), len(ws), total)
}

// wchc is WatchManager.dumpWatches by connection. ZooKeeper's order of
// connections is their identity hashes': here, session order.
func wchc(b *strings.Builder, ws []Watch) {
	paths := map[int64][]string{}
	var order []int64
	for _, w := range ws {
		for _, s := range w.Sessions {
			if _, ok := paths[s]; !ok {
				order = append(order, s)
			}
			paths[s] = append(paths[s], w.Path)
		}
	}
	slices.Sort(order)
	for _, s := range order {
		javaHashOrder(paths[s])
		fmt.Fprintf(b, "0x%x\n", s)
		for _, p := range paths[s] {
			b.WriteString("\t" + p + "\n")
		}
	}
}

// mntr is MonitorCommand: the server's gauges and the metrics the engine
// measures, "zk_" key TAB value per line. Numbers print as Java prints
// them (a Long as is, a Double with Double.toString).
func mntr(b *strings.Builder, f *Figures) {
	put := func(k string, v any) {
		var s string
		switch v := v.(type) {
		case float64:
			s = javaDouble(v)
		case string:
			s = v
		default:
			s = fmt.Sprint(v)
		}
		b.WriteString("zk_" + k + "\t" + s + "\n")
	}
	put("version", Version())
	put("server_state", f.Mode)
	put("peer_state", f.PeerState)
	if f.Mode == "observer" {
		put("observer_master_id", f.ObserverMasterID)
	}
	put("avg_latency", f.Requests.Avg())
	put("max_latency", f.Requests.Max)
	put("min_latency", f.Requests.Min)
	put("packets_received", f.Received)
	put("packets_sent", f.Sent)
	put("num_alive_connections", len(f.Conns))
	put("outstanding_requests", f.Outstanding)
	put("uptime", f.UptimeMs)
	put("znode_count", f.Nodes)
	put("watch_count", f.Watches)
	put("ephemerals_count", f.Ephemerals)
	put("approximate_data_size", f.DataSize)
	put("global_sessions", f.GlobalSessions)
	put("local_sessions", 0) // localSessionsEnabled is off, as by default in ZooKeeper
	put("open_file_descriptor_count", f.OpenFDs)
	put("max_file_descriptor_count", f.MaxFDs)
	put("last_client_response_size", f.ResponseSizes.Last)
	put("max_client_response_size", f.ResponseSizes.Max)
	put("min_client_response_size", f.ResponseSizes.Min)
	put("auth_failed_count", f.AuthFailed)
	put("quorum_size", f.QuorumSize)
	if l := f.Leader; l != nil {
		put("learners", l.Learners)
		put("synced_followers", l.SyncedFollowers)
		put("synced_non_voting_followers", l.SyncedNonVoting)
		put("synced_observers", l.SyncedObservers)
		put("pending_syncs", l.PendingSyncs)
		put("leader_uptime", l.UptimeMs)
		put("last_proposal_size", l.Proposals.Last)
		put("max_proposal_size", l.Proposals.Max)
		put("min_proposal_size", l.Proposals.Min)
	}
	summary(put, "fsynctime", f.Fsync)
	summary(put, "readlatency", f.Reads)
	summary(put, "updatelatency", f.Updates)
}

// summary writes a metric summary's keys (AvgMinMaxCounter.values, and
// AvgMinMaxPercentileCounter's percentiles).
func summary(put func(string, any), name string, s Summary) {
	put("avg_"+name, s.Avg())
	put("min_"+name, s.Min)
	put("max_"+name, s.Max)
	put("cnt_"+name, s.Count)
	put("sum_"+name, s.Sum)
	if s.HasPercentiles {
		for _, p := range []struct {
			name string
			v    int64
		}{{"p50", s.P50}, {"p95", s.P95}, {"p99", s.P99}, {"p999", s.P999}} {
			put(p.name+"_"+name, strconv.FormatInt(p.v, 10))
		}
	}
}

// javaHashOrder sorts paths in the order a java.util.HashMap (or
// HashSet) of them iterates, as ZooKeeper's watch tables print: by
// bucket of String.hashCode spread over a table grown from 16 at a load
// of 0.75. Paths in one bucket iterate in insertion order, which is not
// known here; they keep path order.
func javaHashOrder(paths []string) {
	capacity := 16
	for float64(len(paths)) > 0.75*float64(capacity) {
		capacity *= 2
	}
	bucket := func(s string) int {
		var h int32
		for _, u := range utf16.Encode([]rune(s)) {
			h = 31*h + int32(u)
		}
		return int(uint32(h)^(uint32(h)>>16)) & (capacity - 1)
	}
	slices.SortStableFunc(paths, func(a, b string) int {
		if c := bucket(a) - bucket(b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
}
