package engine

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// ServeClients answers ZooKeeper clients on l as member id's client port
// (ZooKeeper's clientPort). Connections speak ZooKeeper's client
// protocol: length-prefixed jute frames, a ConnectRequest first, then
// RequestHeader + request answered in order by ReplyHeader + response,
// with pings and watch notifications in between. So any ZooKeeper client
// library (go-zookeeper, the Java client, zkCli.sh) can use the embedded
// ensemble, and a benchmark through it pays what a real client pays:
// serialization, a socket per session, a server-side connection.
//
// Sessions live in the replicated tree: a client whose member fails
// resumes its session on another member's port with its id and password.
// While the member is down, connections are closed as soon as they are
// accepted, as a client sees a server that is not running. ServeClients
// returns nil once l is closed or the ensemble stops.
func (e *Ensemble) ServeClients(id uint64, l net.Listener) error {
	if e.FS(id) == nil {
		l.Close()
		return fmt.Errorf("%w: %d", ErrNoMember, id)
	}
	if !e.ports.addListener(l, id) {
		l.Close()
		return nil
	}
	defer e.ports.removeListener(l)
	backoff := time.Duration(0)
	for {
		nc, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || e.ports.isClosed() {
				return nil
			}
			// Out of file descriptors and the like: ZooKeeper logs and
			// goes on accepting, and so do we, without spinning.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		cc := newPortConn(e, id, nc)
		switch err := e.ports.addConn(cc, e.cfg.MaxClientCnxns); {
		case errors.Is(err, errTooManyConns):
			// "Too many connections from /ip - max is 60": closed at
			// once, nothing read, the address's other connections served.
			nc.Close()
			continue
		case err != nil:
			nc.Close()
			return nil
		}
		go cc.serve()
	}
}

// ListenClients opens a client port for every member on host, member
// number i (from 1, observers last) on basePort+i-1, or on ports the
// system picks when basePort is 0, and serves them (ServeClients) until
// the ensemble stops. It returns the ports' addresses in member order.
func (e *Ensemble) ListenClients(host string, basePort int) ([]string, error) {
	var ls []net.Listener
	for i := range e.Members() {
		port := 0
		if basePort != 0 {
			port = basePort + i
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			return nil, fmt.Errorf("client port: %w", err)
		}
		ls = append(ls, l)
	}
	addrs := make([]string, len(ls))
	for i, id := range e.Members() {
		addrs[i] = ls[i].Addr().String()
		go e.ServeClients(id, ls[i])
	}
	return addrs, nil
}

// portRegistry holds the listeners ServeClients serves and their
// connections, all closed when the ensemble stops, and which connection
// holds each session.
type portRegistry struct {
	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]uint64 // to the member they serve
	conns     map[*portConn]bool
	sessions  map[int64]*portConn // the connection holding each session
	perAddr   map[addrKey]int     // open connections by member and remote address
}

// addrKey is a member's client port and a remote address, what
// maxClientCnxns counts connections by (ZooKeeper counts per server).
type addrKey struct {
	member uint64
	host   string
}

// errTooManyConns: the address holds maxClientCnxns connections already.
var errTooManyConns = errors.New("too many connections from one address")
var errPortsClosed = errors.New("client ports closed")

func (p *portRegistry) addListener(l net.Listener, member uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	if p.listeners == nil {
		p.listeners, p.conns, p.sessions = map[net.Listener]uint64{}, map[*portConn]bool{}, map[int64]*portConn{}
		p.perAddr = map[addrKey]int{}
	}
	p.listeners[l] = member
	return true
}

func (p *portRegistry) removeListener(l net.Listener) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.listeners, l)
}

// addConn registers cc, unless its address holds limit connections to
// its member already (limit 0: no limit).
func (p *portRegistry) addConn(cc *portConn, limit int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errPortsClosed
	}
	k := addrKey{cc.member, cc.host}
	if limit > 0 && p.perAddr[k] >= limit {
		return errTooManyConns
	}
	p.perAddr[k]++
	p.conns[cc] = true
	return nil
}

// connsOf returns member id's connections, oldest first.
func (p *portRegistry) connsOf(id uint64) []*portConn {
	p.mu.Lock()
	var out []*portConn
	for cc := range p.conns {
		if cc.member == id {
			out = append(out, cc)
		}
	}
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b *portConn) int { return a.opened.Compare(b.opened) })
	return out
}

// addrs returns each member's client port address.
func (p *portRegistry) addrs() map[uint64]net.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[uint64]net.Addr{}
	for l, id := range p.listeners {
		out[id] = l.Addr()
	}
	return out
}

func (p *portRegistry) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// holdSession records that cc now holds session id and returns the
// connection that held it before, which the caller closes: a session
// lives on one connection, as ZooKeeper closes the old connection of a
// session that moved.
func (p *portRegistry) holdSession(id int64, cc *portConn) *portConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.sessions[id]
	p.sessions[id] = cc
	if old == cc {
		return nil
	}
	return old
}

func (p *portRegistry) dropConn(cc *portConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns[cc] {
		delete(p.conns, cc)
		k := addrKey{cc.member, cc.host}
		if p.perAddr[k]--; p.perAddr[k] <= 0 {
			delete(p.perAddr, k)
		}
	}
	if cc.c != nil && p.sessions[cc.c.session] == cc {
		delete(p.sessions, cc.c.session)
	}
}

// close closes every listener and connection; it is called when the
// ensemble stops, before the members do.
func (p *portRegistry) close() {
	p.mu.Lock()
	p.closed = true
	ls := make([]net.Listener, 0, len(p.listeners))
	for l := range p.listeners {
		ls = append(ls, l)
	}
	ccs := make([]*portConn, 0, len(p.conns))
	for cc := range p.conns {
		ccs = append(ccs, cc)
	}
	p.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
	for _, cc := range ccs {
		cc.close()
	}
}
