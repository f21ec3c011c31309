// Package zktarget runs workloads against a real ZooKeeper ensemble, the
// --target zk://host:port,… of zkbench run, through the
// github.com/go-zookeeper/zk client: one client session per simulated
// client. It also reads the servers' own figures (mntr).
package zktarget

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"zkbench/workloads"
)

// Defaults of the URL's options.
const (
	// DefaultSessionTimeout is the session timeout asked for; the server
	// clamps it to [2, 20] × its tickTime.
	DefaultSessionTimeout = 10 * time.Second
	// DefaultConnectTimeout bounds how long Connect waits for a session, so
	// that an unreachable ensemble is an error in seconds, not a hang: the
	// client itself would retry forever.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultPort is ZooKeeper's client port, for a server given without one.
	DefaultPort = "2181"
)

// Target is an ensemble's connect string and session options.
type Target struct {
	servers        []string // host:port
	sessionTimeout time.Duration
	connectTimeout time.Duration
	sessions       atomic.Uint64 // sessions opened: where the next one starts
}

// New parses a target URL:
//
//	zk://host:port[,host:port...][?sessionTimeout=10s&connectTimeout=5s]
//
// A server without a port gets 2181. A path (chroot) is refused: the
// workload's root setting says where it writes.
func New(rawURL string) (*Target, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("target %q: %s", rawURL, fmt.Sprintf(format, a...))
	}
	rest, ok := strings.CutPrefix(rawURL, "zk://")
	if !ok {
		return nil, bad("want zk://host:port[,host:port...]")
	}
	hosts, query, _ := strings.Cut(rest, "?")
	if i := strings.IndexByte(hosts, '/'); i >= 0 {
		return nil, bad("a path (%s) is not supported; set the workload's root instead", hosts[i:])
	}
	t := &Target{sessionTimeout: DefaultSessionTimeout, connectTimeout: DefaultConnectTimeout}
	for _, h := range strings.Split(hosts, ",") {
		server, err := hostPort(strings.TrimSpace(h))
		if err != nil {
			return nil, bad("%v", err)
		}
		t.servers = append(t.servers, server)
	}
	if err := t.options(query); err != nil {
		return nil, bad("%v", err)
	}
	return t, nil
}

// hostPort checks one server of the list and adds the default port.
func hostPort(h string) (string, error) {
	if h == "" {
		return "", errors.New("empty server in the list")
	}
	host, port, err := net.SplitHostPort(h)
	var ae *net.AddrError
	switch {
	case errors.As(err, &ae) && ae.Err == "missing port in address":
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), DefaultPort
	case errors.As(err, &ae):
		return "", fmt.Errorf("server %q: %s", h, ae.Err)
	case err != nil:
		return "", fmt.Errorf("server %q: %v", h, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("server %q: port %q is not a number in 1..65535", h, port)
	}
	if host == "" {
		return "", fmt.Errorf("server %q: no host", h)
	}
	return net.JoinHostPort(host, port), nil
}

func (t *Target) options(query string) error {
	q, err := url.ParseQuery(query)
	if err != nil {
		return err
	}
	for key, vals := range q {
		var dst *time.Duration
		switch key {
		case "sessionTimeout":
			dst = &t.sessionTimeout
		case "connectTimeout":
			dst = &t.connectTimeout
		default:
			return fmt.Errorf("unknown option %q (want sessionTimeout or connectTimeout)", key)
		}
		d, err := time.ParseDuration(vals[len(vals)-1])
		if err != nil || d <= 0 {
			return fmt.Errorf("%s %q: want a positive duration such as 10s", key, vals[len(vals)-1])
		}
		*dst = d
	}
	return nil
}

// Servers are the host:port pairs of the ensemble.
func (t *Target) Servers() []string { return append([]string(nil), t.servers...) }

// String is the target as a URL: zk://host:port,….
func (t *Target) String() string { return "zk://" + strings.Join(t.servers, ",") }

// Connect opens a session with one of the servers, as the client picks
// them, and waits until the server has granted it, at most the connect
// timeout.
func (t *Target) Connect(ctx context.Context) (workloads.Conn, error) {
	var lastDial atomic.Pointer[error]
	dial := func(network, addr string, timeout time.Duration) (net.Conn, error) {
		c, err := net.DialTimeout(network, addr, timeout)
		if err != nil {
			lastDial.Store(&err)
		}
		return c, err
	}
	start := int(t.sessions.Add(1)-1) % len(t.servers)
	zc, events, err := zk.Connect(t.servers, t.sessionTimeout, zk.WithHostProvider(&turns{servers: t.servers, next: start}),
		zk.WithDialer(dial), zk.WithLogger(quiet{}), zk.WithLogInfo(false))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	timeout := time.NewTimer(t.connectTimeout)
	defer timeout.Stop()
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return &conn{zc: zc}, nil
			}
		case <-timeout.C:
			zc.Close()
			why := "no reply"
			if err := lastDial.Load(); err != nil {
				why = (*err).Error()
			}
			return nil, fmt.Errorf("%s: no session within %v: %s", t, t.connectTimeout, why)
		case <-ctx.Done():
			zc.Close()
			return nil, fmt.Errorf("%s: %w", t, ctx.Err())
		}
	}
}

// turns is the client's HostProvider: session k tries the servers in the
// connect string's order from server k mod n on, so a client population
// spreads evenly over the ensemble, as the embedded target's does. The
// client library's own provider shuffles them instead: 16 sessions on
// three servers as 8/5/3 is common, and a run's figures would depend on
// the draw.
type turns struct {
	mu      sync.Mutex
	servers []string
	next    int // the server Next returns
	tried   int // Next calls since the last connection
}

func (p *turns) Init([]string) error { return nil } // the shuffled list: ours is in order
func (p *turns) Len() int            { return len(p.servers) }

// Next returns the next server; retryStart says a whole round failed, so
// the client pauses before the next one.
func (p *turns) Next() (server string, retryStart bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	server = p.servers[p.next]
	p.next = (p.next + 1) % len(p.servers)
	p.tried++
	return server, p.tried > len(p.servers) && (p.tried-1)%len(p.servers) == 0
}

func (p *turns) Connected() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tried = 0
}

// quiet drops go-zookeeper's log lines, which go to stdout by default: a
// benchmark's output is its own, and every reconnect attempt would
// otherwise be printed.
type quiet struct{}

func (quiet) Printf(string, ...any) {}

// conn adapts a go-zookeeper session. The session's event channel is not
// read after Connect: the client drops the events nobody reads, and the
// watches have channels of their own.
type conn struct{ zc *zk.Conn }

// openACL is world:anyone with every permission, ZooKeeper's
// OPEN_ACL_UNSAFE: a benchmark's nodes need no protection.
var openACL = zk.WorldACL(zk.PermAll)

func (c *conn) Create(path string, data []byte, mode workloads.CreateMode) (string, error) {
	var name string
	var err error
	if mode == workloads.Container {
		name, err = c.zc.CreateContainer(path, data, int32(mode), openACL)
	} else {
		name, err = c.zc.Create(path, data, int32(mode), openACL)
	}
	return name, mapErr(err)
}

func (c *conn) Delete(path string, version int32) error {
	return mapErr(c.zc.Delete(path, version))
}

func (c *conn) SetData(path string, data []byte, version int32) error {
	_, err := c.SetDataVersion(path, data, version)
	return err
}

// SetDataVersion is SetData with the version it gave the node.
func (c *conn) SetDataVersion(path string, data []byte, version int32) (int32, error) {
	st, err := c.zc.Set(path, data, version)
	if err != nil {
		return -1, mapErr(err)
	}
	return st.Version, nil
}

func (c *conn) GetData(path string) ([]byte, error) {
	data, _, err := c.zc.Get(path)
	return data, mapErr(err)
}

// GetDataW turns the client's event channel into the one-value error
// channel of workloads.Conn.
func (c *conn) GetDataW(path string) ([]byte, <-chan error, error) {
	data, _, events, err := c.zc.GetW(path)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	fired := make(chan error, 1)
	go func() {
		ev := <-events
		switch {
		case ev.Err != nil:
			fired <- mapErr(ev.Err)
		case ev.Type == zk.EventNotWatching:
			fired <- workloads.ErrConnectionLoss
		default:
			fired <- nil
		}
	}()
	return data, fired, nil
}

func (c *conn) Exists(path string) (bool, error) {
	ok, _, err := c.zc.Exists(path)
	return ok, mapErr(err)
}

func (c *conn) GetChildren(path string) ([]string, error) {
	names, _, err := c.zc.Children(path)
	return names, mapErr(err)
}

func (c *conn) Multi(ops ...workloads.MultiOp) error {
	reqs := make([]any, len(ops))
	for i, op := range ops {
		switch op.Kind {
		case workloads.MultiCreate:
			reqs[i] = &zk.CreateRequest{Path: op.Path, Data: op.Data, Acl: openACL, Flags: int32(op.Mode)}
		case workloads.MultiDelete:
			reqs[i] = &zk.DeleteRequest{Path: op.Path, Version: op.Version}
		case workloads.MultiSetData:
			reqs[i] = &zk.SetDataRequest{Path: op.Path, Data: op.Data, Version: op.Version}
		case workloads.MultiCheck:
			reqs[i] = &zk.CheckVersionRequest{Path: op.Path, Version: op.Version}
		default:
			return fmt.Errorf("multi op %d: kind %d: %w", i, op.Kind, workloads.ErrBadArguments)
		}
	}
	_, err := c.zc.Multi(reqs...)
	return mapErr(err)
}

// Close closes the session. The client waits up to a second for the
// server's acknowledgement.
func (c *conn) Close() error {
	c.zc.Close()
	return nil
}

// errs maps go-zookeeper's errors onto the workloads sentinels. The
// client's own failures: ErrConnectionClosed and ErrNoServer are a lost
// connection, ErrClosing a session the caller closed, ErrInvalidPath a
// path the server would refuse.
var errs = map[error]error{
	zk.ErrNoNode:                  workloads.ErrNoNode,
	zk.ErrNodeExists:              workloads.ErrNodeExists,
	zk.ErrBadVersion:              workloads.ErrBadVersion,
	zk.ErrNotEmpty:                workloads.ErrNotEmpty,
	zk.ErrNoChildrenForEphemerals: workloads.ErrNoChildrenForEphemerals,
	zk.ErrNoAuth:                  workloads.ErrNoAuth,
	zk.ErrSessionExpired:          workloads.ErrSessionExpired,
	zk.ErrSessionMoved:            workloads.ErrSessionMoved,
	zk.ErrBadArguments:            workloads.ErrBadArguments,
	zk.ErrInvalidPath:             workloads.ErrBadArguments,
	zk.ErrConnectionClosed:        workloads.ErrConnectionLoss,
	zk.ErrNoServer:                workloads.ErrConnectionLoss,
	zk.ErrClosing:                 workloads.ErrClosed,
}

func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if mapped, ok := errs[err]; ok {
		return mapped
	}
	return err
}
