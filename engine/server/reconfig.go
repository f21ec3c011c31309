package server

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// Ensemble is what the leader checks a reconfig against: its own view of
// the configuration (QuorumPeer's last seen and committed quorum
// verifiers) and of which followers are synced.
type Ensemble struct {
	// Members is the last seen configuration, in id order.
	Members []QuorumServer
	// Version is its version (the zxid that made it, or of the first
	// epoch it was established in).
	Version int64
	// InProgress: a reconfig was proposed and not yet committed (the last
	// seen configuration is newer than the committed one).
	InProgress bool
	// StandaloneEnabled is zoo.cfg's standaloneEnabled: a new
	// configuration then needs at least 2 voters, else at least 1.
	StandaloneEnabled bool
	// Synced is Leader.isQuorumSynced: whether the leader (if one of
	// voters) and the followers synced with it that are voters make a
	// majority of voters.
	Synced func(voters []int64) bool
	// Supported, when set, is asked last about a reconfig every check let
	// through: a change the ensemble cannot put into effect fails with
	// the code it returns.
	Supported func(next []QuorumServer) error
}

// reconfig is PrepRequestProcessor's reconfig case: every check in
// ZooKeeper 3.8's order, each failing with its code.
func (o *prep) reconfig(r *jute.ReconfigRequest) error {
	view := o.p.cfg.Reconfig
	if view == nil {
		return datatree.ReconfigDisabled
	}
	if err := o.checkSession(); err != nil {
		return err
	}
	ens := view()
	if ens.InProgress {
		return datatree.ReconfigInProgress
	}
	if r.CurConfigID != -1 && r.CurConfigID != ens.Version {
		return datatree.BadVersion
	}
	var next []QuorumServer
	var err error
	if !r.NullNewMembers {
		next, err = parseMembers(r.NewMembers, ens.StandaloneEnabled, true)
	} else {
		next, err = incremental(ens.Members, r)
	}
	if err != nil {
		return err
	}
	voters := votersOf(next)
	if (ens.StandaloneEnabled && len(voters) < 2) || len(voters) < 1 {
		return datatree.BadArguments
	}
	if ens.Synced == nil || !ens.Synced(voters) {
		return datatree.NewConfigNoQuorum
	}
	node, ok := o.p.record(datatree.ConfigPath)
	if !ok {
		return datatree.NoNode
	}
	if !checkACL(node.acl, jute.PermWrite, o.req.Auth) {
		return datatree.NoAuth
	}
	if ens.Supported != nil {
		if err := ens.Supported(next); err != nil {
			return err
		}
	}
	data := FormatConfig(next, o.zxid())
	o.txn.Body = &jute.SetDataTxn{Path: datatree.ConfigPath, Data: data, Version: -1}
	nc := node.dup(o.zxid())
	nc.stat.Version = -1
	nc.stat.Mtime = o.txn.Header.Time
	nc.stat.Mzxid = o.zxid()
	nc.data = data
	// The config node is outside the digest: the reconfig leaves it as
	// it stands (precalculateDigest NOOP).
	nc.treeDigest = o.p.currentDigest()
	o.setDigest(nc.treeDigest)
	o.p.add(nc)
	return nil
}

// FormatConfig is QuorumMaj.toString, what /zookeeper/config holds and a
// reconfig txn carries: "server.<id>=<spec>" per member in id order, then
// "version=<hex version>".
func FormatConfig(members []QuorumServer, version int64) []byte {
	var b strings.Builder
	for _, q := range members {
		b.WriteString("server." + strconv.FormatInt(q.ID, 10) + "=" + q.String() + "\n")
	}
	b.WriteString("version=" + strconv.FormatUint(uint64(version), 16))
	return []byte(b.String())
}

// ParseConfig reads what FormatConfig writes (a reconfig txn's data, a
// dynamic configuration file): the members in id order and the version
// (0 when none is given).
func ParseConfig(data []byte) ([]QuorumServer, int64, error) {
	var version int64
	for _, kv := range javaProperties(string(data)) {
		if kv[0] == "version" {
			v, err := strconv.ParseUint(kv[1], 16, 64)
			if err != nil {
				return nil, 0, fmt.Errorf("config version %q: %w", kv[1], err)
			}
			version = int64(v)
		}
	}
	ms, err := parseMembers(string(data), false, false)
	if err != nil {
		return nil, 0, fmt.Errorf("config %q: %w", data, err)
	}
	return ms, version, nil
}

// incremental applies joining and leaving servers to the last seen
// configuration (a majority quorum system).
func incremental(members []QuorumServer, r *jute.ReconfigRequest) ([]QuorumServer, error) {
	next := slices.Clone(members)
	if !r.NullLeaving {
		for _, s := range zkSplit(r.LeavingServers, ',') {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, errMarshal // NumberFormatException escapes the checks
			}
			next = slices.DeleteFunc(next, func(q QuorumServer) bool { return q.ID == id })
		}
	}
	if r.NullJoining {
		return next, nil
	}
	for _, j := range zkSplit(r.JoiningServers, ',') {
		parts := zkSplit(j, '=')
		if len(parts) != 2 {
			return nil, datatree.BadArguments // "Wrong format of server string"
		}
		id, err := strconv.ParseInt(parts[0][strings.LastIndex(parts[0], ".")+1:], 10, 64)
		if err != nil {
			return nil, errMarshal
		}
		qs, err := ParseQuorumServer(id, parts[1])
		if err != nil {
			return nil, specError(err)
		}
		if !qs.HasClient {
			return nil, datatree.BadArguments // "each server should have 3 ports specified"
		}
		for _, other := range next {
			if other.ID != qs.ID && qs.conflicts(other) {
				return nil, datatree.BadArguments
			}
		}
		next = slices.DeleteFunc(next, func(q QuorumServer) bool { return q.ID == id })
		next = append(next, qs)
	}
	slices.SortFunc(next, func(a, b QuorumServer) int { return cmp.Compare(a.ID, b.ID) })
	return next, nil
}

// specError maps a spec failure to what the reconfig fails with.
func specError(err error) error {
	if errors.Is(err, errSpecUnchecked) {
		return errMarshal
	}
	return datatree.BadArguments
}

// parseMembers is the non-incremental path: the new membership given
// whole, commas standing for line breaks, read as java.util.Properties
// and then as QuorumPeerConfig.parseDynamicConfig reads a dynamic file.
func parseMembers(s string, standaloneEnabled, strict bool) ([]QuorumServer, error) {
	props := javaProperties(strings.ReplaceAll(s, ",", "\n"))
	var next []QuorumServer
	for _, kv := range props {
		k := strings.TrimSpace(kv[0])
		switch {
		case strings.HasPrefix(k, "group"), strings.HasPrefix(k, "weight"):
			// A hierarchical quorum system: not modelled.
			return nil, datatree.BadArguments
		case !strings.HasPrefix(k, "server.") && k != "version":
			return nil, datatree.BadArguments // "Unrecognised parameter"
		}
	}
	for _, kv := range props {
		k, v := kv[0], kv[1]
		switch {
		case strings.HasPrefix(k, "server."):
			id, err := strconv.ParseInt(k[strings.Index(k, ".")+1:], 10, 64)
			if err != nil {
				return nil, errMarshal
			}
			qs, err := parseQuorumServer(id, v, strict)
			if err != nil {
				return nil, specError(err)
			}
			next = slices.DeleteFunc(next, func(q QuorumServer) bool { return q.ID == id })
			next = append(next, qs)
		case k == "version":
			if _, err := strconv.ParseInt(v, 16, 64); err != nil {
				return nil, errMarshal
			}
		}
	}
	voters, observers := len(votersOf(next)), len(next)-len(votersOf(next))
	if (voters == 0 && (observers > 0 || !standaloneEnabled)) || (voters == 1 && standaloneEnabled && observers > 0) {
		// "Observers w/o participants/quorum", "number of participants
		// should be >0": IllegalArgumentException.
		return nil, errMarshal
	}
	slices.SortFunc(next, func(a, b QuorumServer) int { return cmp.Compare(a.ID, b.ID) })
	return next, nil
}

func votersOf(qs []QuorumServer) []int64 {
	var ids []int64
	for _, q := range qs {
		if !q.Observer {
			ids = append(ids, q.ID)
		}
	}
	return ids
}

// javaProperties reads key/value pairs as java.util.Properties.load does
// for the simple forms a membership string uses: one pair a line,
// comments (# or !) and blank lines skipped, the key ending at the first
// '=', ':' or blank, then blanks and one separator skipped. Backslash
// escapes and continued lines are not interpreted. A key given twice
// keeps its last value, in its first place.
func javaProperties(s string) [][2]string {
	var out [][2]string
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimLeft(line, " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		end := strings.IndexAny(line, "=: \t\f")
		if end < 0 {
			end = len(line)
		}
		key, rest := line[:end], strings.TrimLeft(line[end:], " \t\f")
		if rest != "" && (rest[0] == '=' || rest[0] == ':') {
			rest = strings.TrimLeft(rest[1:], " \t\f")
		}
		if i := slices.IndexFunc(out, func(kv [2]string) bool { return kv[0] == key }); i >= 0 {
			out[i][1] = rest
			continue
		}
		out = append(out, [2]string{key, rest})
	}
	return out
}
