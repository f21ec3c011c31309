package engine

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/quorum"
	"zkbench/engine/server"
)

// staticMembers is the ensemble's membership as a static configuration
// gives it: a member per id, voters then observers, in id order, without
// client addresses (those come from clientPort). addr gives a member's
// peer address: the embedded members carry election and quorum traffic
// over one connection, so both ports are that address's; a member
// without one (the in-process transport has no sockets) is listed at
// 127.0.0.1:0:0.
func staticMembers(voters, observers []uint64, addr func(id uint64) string) []server.QuorumServer {
	var out []server.QuorumServer
	add := func(id uint64, observer bool) {
		host, port := "127.0.0.1", 0
		if a := addr(id); a != "" {
			if h, p, err := net.SplitHostPort(a); err == nil {
				host = h
				port, _ = strconv.Atoi(p)
			}
		}
		out = append(out, server.QuorumServer{ID: int64(id), Host: host, Port: port, ElectionPort: port, Observer: observer})
	}
	for _, id := range voters {
		add(id, false)
	}
	for _, id := range observers {
		add(id, true)
	}
	slices.SortFunc(out, func(a, b server.QuorumServer) int { return int(a.ID - b.ID) })
	return out
}

// quorumConfig is QuorumMaj.toString, what ZooKeeper 3.8 writes into
// /zookeeper/config: a line "server.<id>=<spec>" per member in id order,
// then "version=<hex version>" (0 for a static configuration no
// reconfig and no reconfig-enabled leader has changed).
func quorumConfig(members []server.QuorumServer, version int64) []byte {
	var b strings.Builder
	for _, q := range members {
		b.WriteString("server." + strconv.FormatInt(q.ID, 10) + "=" + q.String() + "\n")
	}
	b.WriteString("version=" + strconv.FormatUint(uint64(version), 16))
	return []byte(b.String())
}

// dynamicConfig is the file QuorumPeerConfig.writeDynamicConfig writes
// for a configuration: its server lines without the version, sorted as
// strings, joined by line breaks, no break at the end.
func dynamicConfig(members []server.QuorumServer) []byte {
	var lines []string
	for _, q := range members {
		lines = append(lines, "server."+strconv.FormatInt(q.ID, 10)+"="+q.String())
	}
	slices.Sort(lines)
	return []byte(strings.Join(lines, "\n"))
}

// dynamicConfigPrefix names a member's dynamic configuration files,
// <prefix><hex version>. ZooKeeper puts them beside zoo.cfg; a member here
// has no zoo.cfg, so they are in its dataDir.
const dynamicConfigPrefix = "zoo.cfg.dynamic."

// members is the member's configuration.
func (m *member) members() []server.QuorumServer {
	voters, observers := m.cfg.ids()
	return staticMembers(voters, observers, m.peerAddr)
}

// initConfig is QuorumPeer.initConfigInZKDatabase: the member's own view
// of the configuration goes into its tree's /zookeeper/config, at start,
// when it starts leading and when it has synced with a leader (a SNAP
// brings the leader's). It runs where txns are applied.
func (m *member) initConfig(t *datatree.Tree) {
	t.SetConfig(quorumConfig(m.members(), m.cfgVersion), m.cfgVersion, time.Now().UnixMilli())
}

// establishConfig is what a 3.8 member with reconfigEnabled does once an
// epoch is established (Leader.lead, ZOOKEEPER-1783, then processReconfig
// at startZkServer and at UPTODATE): a configuration of version 0 takes
// the epoch's first zxid as its version and is written out as a dynamic
// configuration file. A learner takes the version from the NEWLEADER
// packet in ZooKeeper; here each member derives the same value from the
// epoch it serves in.
func (m *member) establishConfig() error {
	if !m.cfg.ReconfigEnabled || m.cfgVersion != 0 {
		return nil
	}
	v := m.peer.Status().CurrentEpoch << 32
	name := filepath.Join(filepath.Dir(m.dirs.Snap), dynamicConfigPrefix+strconv.FormatUint(uint64(v), 16))
	if err := disk.WriteFileAtomic(m.fs, name, dynamicConfig(m.members())); err != nil {
		return err
	}
	m.cfgVersion = v
	return nil
}

// loadConfigVersion finds the newest dynamic configuration file a
// reconfig-enabled member wrote in dataDir: its version is the member's.
func (m *member) loadConfigVersion(dataDir string) error {
	if !m.cfg.ReconfigEnabled {
		return nil
	}
	names, err := m.fs.ReadDir(dataDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, n := range names {
		hex, ok := strings.CutPrefix(n, dynamicConfigPrefix)
		if !ok {
			continue
		}
		if v, err := strconv.ParseUint(hex, 16, 64); err == nil && int64(v) > m.cfgVersion {
			m.cfgVersion = int64(v)
		}
	}
	return nil
}

// reconfigView is the ensemble a reconfig is checked against, on the
// leader (run goroutine).
func (m *member) reconfigView() server.Ensemble {
	return server.Ensemble{
		Members: m.members(),
		Version: m.cfgVersion,
		// A single voter runs as a one-member quorum (3.8 would run it
		// standalone unless standaloneEnabled=false).
		StandaloneEnabled: m.cfg.Servers > 1,
		Synced: func(voters []int64) bool {
			n := 0
			if slices.Contains(voters, int64(m.id)) && m.peer.Status().Role == quorum.RoleLeading {
				n++
			}
			for _, id := range m.peer.SyncedFollowers() {
				if slices.Contains(voters, int64(id)) {
					n++
				}
			}
			return n > len(voters)/2
		},
	}
}

// peerAddr is where the member's peers reach member id, "" when it has
// no socket.
func (m *member) peerAddr(id uint64) string {
	if a, ok := m.net.(interface{ Addr(uint64) string }); ok {
		return a.Addr(id)
	}
	return ""
}
