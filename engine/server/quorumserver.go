package server

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// QuorumServer is one server.N line of a dynamic configuration, as
// ZooKeeper 3.8's QuorumPeer.QuorumServer parses it from
// "host:port:port[:role][;[clientHost:]clientPort]". Multiple addresses
// ("a|b") are refused, as with multiAddress.enabled off (3.8's default).
type QuorumServer struct {
	ID           int64
	Host         string
	Port         int // quorum port
	ElectionPort int
	Observer     bool
	// ClientHost and ClientPort are the client address after ';'; HasClient
	// is false when the spec has none (a static config's server line).
	ClientHost string
	ClientPort int
	HasClient  bool
}

// Why a spec fails, in the two ways ZooKeeper's parser fails: a
// ConfigException (the reconfig then fails with BadArguments) or an
// unchecked exception (a port out of range, an index past an empty
// split), which ZooKeeper's request processor turns into
// MarshallingError.
var (
	errSpecFormat    = errors.New("server spec: bad format")
	errSpecUnchecked = errors.New("server spec: port out of range or nothing to read")
)

// ParseQuorumServer is QuorumServer(sid, addressStr).
func ParseQuorumServer(id int64, spec string) (QuorumServer, error) {
	return parseQuorumServer(id, spec, true)
}

// parseQuorumServer: strict refuses a quorum port equal to the election
// port, as ZooKeeper does; the engine's own configurations list both of a
// member's ports as the one its peers reach it at, and are read with
// strict off.
func parseQuorumServer(id int64, spec string, strict bool) (QuorumServer, error) {
	qs := QuorumServer{ID: id}
	serverClient := javaSplit(spec, ';')
	if len(serverClient) == 0 {
		return qs, errSpecUnchecked
	}
	serverAddrs := javaSplit(serverClient[0], '|')
	if len(serverClient) == 2 {
		parts, err := hostAndPort(serverClient[1])
		if err != nil {
			return qs, err
		}
		if len(parts) > 2 {
			return qs, errSpecFormat
		}
		if len(parts) == 0 {
			return qs, errSpecUnchecked
		}
		qs.ClientHost = "0.0.0.0"
		if len(parts) == 2 {
			qs.ClientHost = parts[0]
		}
		if qs.ClientPort, err = javaPort(parts[len(parts)-1]); err != nil {
			return qs, err
		}
		qs.HasClient = true
	}
	if len(serverAddrs) != 1 {
		// Multiple addresses: the feature is off. (None at all, "|", is
		// not refused by ZooKeeper, but leaves a server without an
		// address; here it is refused.)
		return qs, errSpecFormat
	}
	parts, err := hostAndPort(serverAddrs[0])
	if err != nil {
		return qs, err
	}
	if len(serverClient) > 2 || len(parts) < 3 || len(parts) > 4 {
		return qs, errSpecFormat
	}
	qs.Host = parts[0]
	if qs.Port, err = javaPort(parts[1]); err != nil {
		return qs, err
	}
	if qs.ElectionPort, err = javaPort(parts[2]); err != nil {
		return qs, err
	}
	if strict && qs.Port == qs.ElectionPort {
		return qs, errSpecFormat // "Client and election port must be different!"
	}
	if len(parts) == 4 {
		switch strings.ToLower(strings.TrimSpace(parts[3])) {
		case "observer":
			qs.Observer = true
		case "participant":
		default:
			return qs, errSpecFormat // "Unrecognised peertype"
		}
	}
	return qs, nil
}

// javaPort is new InetSocketAddress(host, Integer.parseInt(s)): a number
// that does not parse is a ConfigException, one outside 0..65535 an
// IllegalArgumentException.
func javaPort(s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, errSpecFormat
	}
	if n < 0 || n > 0xffff {
		return 0, errSpecUnchecked
	}
	return int(n), nil
}

// hostAndPort is ConfigUtils.getHostAndPort: "[v6]:a:b" or "h:a:b".
func hostAndPort(s string) ([]string, error) {
	if !strings.HasPrefix(s, "[") {
		return javaSplit(s, ':'), nil
	}
	i := strings.Index(s, "]")
	switch {
	case i < 0, i+2 == len(s):
		return nil, errSpecFormat
	case i+2 < len(s):
		return append([]string{s[1:i]}, javaSplit(s[i+2:], ':')...), nil
	}
	return []string{strings.NewReplacer("[", "", "]", "").Replace(s)}, nil
}

// zkSplit is ZooKeeper's StringUtils.split: split, trim, drop the empty.
func zkSplit(s string, sep byte) []string {
	var out []string
	for _, p := range javaSplit(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// addrs are the addresses checkAddressDuplicate compares: quorum, client
// and election address, leaving out what Java leaves out — wildcard and
// loopback addresses, and host names it could not resolve. Host names are
// not resolved here: only IP literals count (a name that resolves to a
// non-loopback address would count in ZooKeeper).
func (q QuorumServer) addrs() []netip.AddrPort {
	var out []netip.AddrPort
	add := func(host string, port int) {
		a, err := netip.ParseAddr(strings.Trim(host, "[]"))
		if err != nil || a.IsUnspecified() || a.IsLoopback() {
			return
		}
		out = append(out, netip.AddrPortFrom(a.Unmap(), uint16(port)))
	}
	add(q.Host, q.Port)
	if q.HasClient {
		add(q.ClientHost, q.ClientPort)
	}
	add(q.Host, q.ElectionPort)
	return out
}

// conflicts is checkAddressDuplicate: q uses an address other uses.
func (q QuorumServer) conflicts(other QuorumServer) bool {
	theirs := other.addrs()
	for _, a := range q.addrs() {
		for _, b := range theirs {
			if a == b {
				return true
			}
		}
	}
	return false
}

// String is QuorumServer.toString as a dynamic config line's value:
// "host:port:port:role" then ";clientHost:clientPort" when the line has a
// client address.
func (q QuorumServer) String() string {
	host := delimitedHost(q.Host)
	role := "participant"
	if q.Observer {
		role = "observer"
	}
	s := host + ":" + strconv.Itoa(q.Port) + ":" + strconv.Itoa(q.ElectionPort) + ":" + role
	if q.HasClient {
		s += ";" + delimitedHost(q.ClientHost) + ":" + strconv.Itoa(q.ClientPort)
	}
	return s
}

// delimitedHost is delimitedHostString: an IPv6 literal in brackets.
func delimitedHost(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}
