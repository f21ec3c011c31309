package engine

import (
	"net"
	"strconv"
	"strings"
	"time"

	"zkbench/engine/datatree"
)

// quorumConfig is the ensemble's membership as ZooKeeper 3.8 writes it
// into /zookeeper/config (QuorumMaj.toString of a static configuration,
// whose client ports come from clientPort and so are not listed): a
// line "server.<id>=<host>:<quorum port>:<election port>:<role>" per
// member in id order, then "version=0", the version of a configuration
// no reconfig has changed. addr gives a member's peer address: the
// embedded members carry election and quorum traffic over one
// connection, so both ports are that address's; a member without one
// (the in-process transport has no sockets) is listed at 127.0.0.1:0:0.
func quorumConfig(voters, observers []uint64, addr func(id uint64) string) []byte {
	var b strings.Builder
	line := func(id uint64, role string) {
		host, port := "127.0.0.1", "0"
		if a := addr(id); a != "" {
			if h, p, err := net.SplitHostPort(a); err == nil {
				host, port = h, p
			}
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]" // delimitedHostString
		}
		b.WriteString("server." + strconv.FormatUint(id, 10) + "=" + host + ":" + port + ":" + port + ":" + role + "\n")
	}
	for _, id := range voters {
		line(id, "participant")
	}
	for _, id := range observers {
		line(id, "observer")
	}
	b.WriteString("version=0")
	return []byte(b.String())
}

// initConfig is QuorumPeer.initConfigInZKDatabase: the member's own view
// of the configuration goes into its tree's /zookeeper/config, at start,
// when it starts leading and when it has synced with a leader (a SNAP
// brings the leader's). It runs where txns are applied.
func (m *member) initConfig(t *datatree.Tree) {
	voters, observers := m.cfg.ids()
	t.SetConfig(quorumConfig(voters, observers, m.peerAddr), 0, time.Now().UnixMilli())
}

// peerAddr is where the member's peers reach member id, "" when it has
// no socket.
func (m *member) peerAddr(id uint64) string {
	if a, ok := m.net.(interface{ Addr(uint64) string }); ok {
		return a.Addr(id)
	}
	return ""
}
