package engine

import (
	"errors"
	"fmt"
	"net"
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
	if !e.ports.addListener(l) {
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
		if !e.ports.addConn(cc) {
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
	listeners map[net.Listener]bool
	conns     map[*portConn]bool
	sessions  map[int64]*portConn // the connection holding each session
}

func (p *portRegistry) addListener(l net.Listener) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	if p.listeners == nil {
		p.listeners, p.conns, p.sessions = map[net.Listener]bool{}, map[*portConn]bool{}, map[int64]*portConn{}
	}
	p.listeners[l] = true
	return true
}

func (p *portRegistry) removeListener(l net.Listener) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.listeners, l)
}

func (p *portRegistry) addConn(cc *portConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[cc] = true
	return true
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
	delete(p.conns, cc)
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
