package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"zkbench/engine/datatree"
	"zkbench/engine/disk"
	"zkbench/engine/jute"
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
	return server.FormatConfig(members, version)
}

// reconfigMembership is quorum.Config.Membership: a txn whose header says
// reconfig carries the new configuration as its SetDataTxn's data. The
// header's type is read in place (TxnHeader: clientId, cxid, zxid, time,
// type) so that other txns cost a comparison.
func reconfigMembership(txn []byte) (voters, observers []uint64, ok bool) {
	const typeAt = 8 + 4 + 8 + 8
	if len(txn) < typeAt+4 || int32(binary.BigEndian.Uint32(txn[typeAt:])) != jute.OpReconfig {
		return nil, nil, false
	}
	t, err := jute.DecodeTxn(txn)
	if err != nil {
		return nil, nil, false
	}
	sd, isSet := t.Body.(*jute.SetDataTxn)
	if !isSet {
		return nil, nil, false
	}
	ms, _, err := server.ParseConfig(sd.Data)
	if err != nil {
		return nil, nil, false
	}
	for _, q := range ms {
		if q.Observer {
			observers = append(observers, uint64(q.ID))
		} else {
			voters = append(voters, uint64(q.ID))
		}
	}
	return voters, observers, true
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

// members is the member's configuration: the last a reconfig made, else
// the static one.
func (m *member) members() []server.QuorumServer {
	if m.dynamic != nil {
		return m.dynamic
	}
	voters, observers := m.cfg.ids()
	return staticMembers(voters, observers, m.peerAddr)
}

// reconfigured takes the configuration a committed reconfig (zxid) put
// into effect from the tree's /zookeeper/config, where applying the txn
// put it, and writes it out as ZooKeeper writes it
// (zoo.cfg.dynamic.<version>).
func (m *member) reconfigured(zxid int64) error {
	n, ok := m.tree.Load().Lookup(datatree.ConfigPath)
	if !ok {
		return errors.New("no " + datatree.ConfigPath)
	}
	ms, version, err := server.ParseConfig(n.Data)
	if err != nil {
		return err
	}
	if version != zxid {
		return fmt.Errorf("%s has version 0x%x after the reconfig of 0x%x", datatree.ConfigPath, version, zxid)
	}
	if err := m.writeDynamic(ms, version); err != nil {
		return err
	}
	m.dynamic, m.cfgVersion = ms, version
	m.isObserver.Store(slices.ContainsFunc(ms, func(q server.QuorumServer) bool { return q.ID == int64(m.id) && q.Observer }))
	return nil
}

func (m *member) writeDynamic(ms []server.QuorumServer, version int64) error {
	name := filepath.Join(filepath.Dir(m.dirs.Snap), dynamicConfigPrefix+strconv.FormatUint(uint64(version), 16))
	return disk.WriteFileAtomic(m.fs, name, dynamicConfig(ms))
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
	if err := m.writeDynamic(m.members(), v); err != nil {
		return err
	}
	m.cfgVersion = v
	return nil
}

// adoptLeaderConfig: at UPTODATE a learner takes the configuration the
// leader sent in NEWLEADER if it is newer than its own, as ZooKeeper's
// does (processReconfig of newLeaderQV): one a reconfig made while it
// was away that no txn replayed to it (a SNAP brings none), or the
// version the ensemble's static configuration took.
func (m *member) adoptLeaderConfig() {
	qv := m.newLeaderQV
	m.newLeaderQV = nil
	if !m.cfg.ReconfigEnabled || qv == nil {
		return
	}
	ms, version, err := server.ParseConfig(qv)
	if err != nil || version <= m.cfgVersion {
		return // no newer configuration than the member's own
	}
	if err := m.writeDynamic(ms, version); err != nil {
		m.failLog(fmt.Errorf("dynamic config: %w", err))
		return
	}
	m.dynamic, m.cfgVersion = ms, version
	m.isObserver.Store(slices.ContainsFunc(ms, func(q server.QuorumServer) bool { return q.ID == int64(m.id) && q.Observer }))
	var voters, observers []uint64
	for _, q := range ms {
		if q.Observer {
			observers = append(observers, uint64(q.ID))
		} else {
			voters = append(voters, uint64(q.ID))
		}
	}
	m.peer.Reconfigured(version, voters, observers)
}

// loadConfig finds the newest dynamic configuration file a
// reconfig-enabled member wrote in dataDir: its version and members are
// the member's.
func (m *member) loadConfig(dataDir string) error {
	if !m.cfg.ReconfigEnabled {
		return nil
	}
	names, err := m.fs.ReadDir(dataDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	newest := ""
	for _, n := range names {
		hex, ok := strings.CutPrefix(n, dynamicConfigPrefix)
		if !ok {
			continue
		}
		if v, err := strconv.ParseUint(hex, 16, 64); err == nil && int64(v) > m.cfgVersion {
			m.cfgVersion, newest = int64(v), n
		}
	}
	if newest == "" {
		return nil
	}
	path := filepath.Join(dataDir, newest)
	b, err := disk.ReadFile(m.fs, path)
	if err != nil {
		return err
	}
	ms, _, err := server.ParseConfig(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !slices.EqualFunc(ms, m.members(), func(a, b server.QuorumServer) bool { return a.ID == b.ID && a.Observer == b.Observer }) {
		m.dynamic = ms
		m.isObserver.Store(slices.ContainsFunc(ms, func(q server.QuorumServer) bool { return q.ID == int64(m.id) && q.Observer }))
	}
	return nil
}

// ids are the voters' and observers' ids of the member's configuration.
func (m *member) ids() (voters, observers []uint64) {
	for _, q := range m.members() {
		if q.Observer {
			observers = append(observers, uint64(q.ID))
		} else {
			voters = append(voters, uint64(q.ID))
		}
	}
	return voters, observers
}

// reconfigView is the ensemble a reconfig is checked against, on the
// leader (run goroutine).
func (m *member) reconfigView() server.Ensemble {
	return server.Ensemble{
		Members:    m.members(),
		Version:    m.cfgVersion,
		InProgress: m.peer.ReconfigPending(),
		Supported:  m.supported,
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

// supported refuses, with ZUNIMPLEMENTED, the reconfigs the engine
// cannot put into effect: one that adds a server the ensemble does not
// run (Ensemble.AddMember starts one).
func (m *member) supported(next []server.QuorumServer) error {
	running := m.running()
	for _, q := range next {
		if !slices.Contains(running, uint64(q.ID)) {
			return datatree.Unimplemented
		}
	}
	return nil
}

// peerAddr is where the member's peers reach member id, "" when it has
// no socket.
func (m *member) peerAddr(id uint64) string {
	if a, ok := m.net.(interface{ Addr(uint64) string }); ok {
		return a.Addr(id)
	}
	return ""
}
