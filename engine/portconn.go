package engine

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"zkbench/engine/datatree"
	"zkbench/engine/fourletter"
	"zkbench/engine/jute"
	"zkbench/engine/server"
)

// maxFrame is the largest frame a connection accepts: jute's buffer limit
// (ZooKeeper closes a connection with "Len error" beyond jute.maxbuffer).
const maxFrame = jute.MaxLength

// maxConnectFrame is the largest ConnectRequest a connection may send
// before its handshake. A ConnectRequest is 45 bytes with its 16-byte
// password; ZooKeeper allows it jute.maxbuffer, so a connection that has
// proven nothing could make the server hold a megabyte for it, and a
// few hundred such connections gigabytes. A kilobyte leaves room for
// fields a newer client might add.
const maxConnectFrame = 1024

// portConn is the server side of one connection to a member's client port
// (ZooKeeper's ServerCnxn); the session it carries is a Client, the same
// that in-process callers use, attached to the member. Its reader
// goroutine answers requests one at a time, in order; replies and watch
// notifications are queued as frames in out and written by whoever
// flushes, so the order on the wire is the order they were queued in.
type portConn struct {
	e      *Ensemble
	member uint64
	nc     net.Conn
	rd     *bufio.Reader
	host   string    // the remote address, for maxClientCnxns
	opened time.Time // when it was accepted
	stats  *serverStats
	shard  *latencyShard // of stats, this connection's

	// The connection's own figures (cons, crst), and its session as
	// they show it: read by other connections' words, so not cc.c.
	smu      sync.Mutex
	cs       connStats
	sid      int64
	sTimeout int32

	// Set by the handshake, then only read.
	m    host
	c    *Client
	gen  uint64
	auth []jute.ID // ZooKeeper's authInfo: ip:<address> and digests, in its order (server.AddAuth)

	mu       sync.Mutex
	enc      *jute.Writer
	out      []byte       // frames not yet written
	reading  bool         // a read is being answered: notifications wait
	deferred []WatchEvent // notifications that fired during that read

	wmu   sync.Mutex // held while writing to nc
	spare []byte

	kick chan struct{} // notifications queued
	done chan struct{}
	once sync.Once
}

func newPortConn(e *Ensemble, id uint64, nc net.Conn) *portConn {
	cc := &portConn{e: e, member: id, nc: nc, rd: bufio.NewReader(nc), enc: jute.NewWriter(nil),
		kick: make(chan struct{}, 1), done: make(chan struct{}), opened: time.Now(), stats: e.statsOf(id)}
	cc.shard = cc.stats.shard()
	cc.cs.reset()
	if host, _, err := net.SplitHostPort(nc.RemoteAddr().String()); err == nil {
		cc.host = host
		cc.auth = server.AddAuth(nil, jute.ID{Scheme: "ip", ID: host})
	}
	return cc
}

func (cc *portConn) serve() {
	defer cc.close()
	if err := cc.handshake(); err != nil {
		return
	}
	go cc.push()
	for {
		if err := cc.nc.SetReadDeadline(time.Now().Add(cc.c.Timeout())); err != nil {
			return
		}
		f, err := cc.readFrame()
		if err != nil || !cc.answer(f) {
			return
		}
	}
}

// close ends the connection. The session stays (it expires unless the
// client resumes it elsewhere), its watches go.
func (cc *portConn) close() {
	cc.once.Do(func() {
		close(cc.done)
		// Unregistered first: a client that saw the close and connects
		// again is not refused for this connection (maxClientCnxns), nor
		// does it see it in cons.
		cc.e.ports.dropConn(cc)
		cc.nc.Close()
		if cc.c != nil {
			cc.c.detach()
			tree, _, _ := cc.m.state()
			tree.RemoveWatcher(cc)
		}
	})
}

func (cc *portConn) readFrame() ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(cc.rd, n[:]); err != nil {
		return nil, err
	}
	return cc.readBody(int32(binary.BigEndian.Uint32(n[:])), maxFrame)
}

// readBody reads a frame of size bytes, at most limit.
func (cc *portConn) readBody(size, limit int32) ([]byte, error) {
	if size < 0 || size > limit {
		return nil, fmt.Errorf("frame of %d bytes", size)
	}
	// A fresh buffer: decoded requests keep slices of it (the data of a
	// setData ends up in the tree), as ZooKeeper keeps each request's
	// ByteBuffer.
	f := make([]byte, size)
	_, err := io.ReadFull(cc.rd, f)
	return f, err
}

// handshake answers the ConnectRequest: a new session, or an existing one
// resumed with its id and password.
func (cc *portConn) handshake() error {
	cfg := cc.e.cfg
	if err := cc.nc.SetReadDeadline(time.Now().Add(cfg.MaxSessionTimeout)); err != nil {
		return err
	}
	var n [4]byte
	if _, err := io.ReadFull(cc.rd, n[:]); err != nil {
		return err
	}
	if word, ok := fourletter.Word(n); ok {
		cc.stats.packetIn(false)
		cc.smu.Lock()
		cc.cs.received++
		cc.smu.Unlock()
		return cc.fourLetterWord(word)
	}
	f, err := cc.readBody(int32(binary.BigEndian.Uint32(n[:])), maxConnectFrame)
	if err != nil {
		return err
	}
	cc.stats.packetIn(false)
	var req jute.ConnectRequest
	if _, err := jute.DecodeRequest(f, &req); err != nil {
		return err
	}
	m := cc.e.member(cc.member)
	if m == nil {
		return ErrConnectionLoss
	}
	tree, gen, serving := m.state()
	if !serving {
		return ErrConnectionLoss
	}
	if req.LastZxidSeen > tree.LastProcessedZxid() {
		// "Refusing session request for client as it has seen zxid …":
		// the client must find a member that is not behind it.
		return ErrConnectionLoss
	}
	cc.m, cc.gen = m, gen
	if req.SessionID == 0 {
		c, err := connect(cc.e, m, time.Duration(req.TimeOut)*time.Millisecond)
		if err != nil {
			return err
		}
		cc.c = c
	} else if _, ok := tree.SessionTimeout(req.SessionID); ok && slices.Equal(req.Passwd, sessionPasswd(req.SessionID)) {
		cc.c = attach(cc.e, m, req.SessionID, cfg.clampSessionTimeout(req.TimeOut), req.LastZxidSeen)
	}
	// An unknown or expired session, or a wrong password, is answered with
	// timeout 0 (the client reports its session expired), then closed.
	rsp := jute.ConnectResponse{Passwd: make([]byte, 16)}
	if cc.c != nil {
		if old := cc.e.ports.holdSession(cc.c.session, cc); old != nil {
			old.close()
		}
		rsp.TimeOut, rsp.SessionID, rsp.Passwd = cc.c.timeout, cc.c.session, sessionPasswd(cc.c.session)
	}
	// A client that sent no readOnly flag (go-zookeeper) gets none back.
	oldClient := len(f) == 28+len(req.Passwd)
	cc.mu.Lock()
	cc.queue(func(w *jute.Writer) {
		rsp.Encode(w)
		if oldClient {
			w.Truncate(w.Len() - 1)
		}
	})
	cc.mu.Unlock()
	cc.stats.packetOut()
	cc.smu.Lock()
	cc.cs.received++
	cc.cs.sent++
	cc.cs.lastOp = "SESS"
	if cc.c != nil {
		cc.sid, cc.sTimeout = cc.c.session, cc.c.timeout
	}
	cc.smu.Unlock()
	if err := cc.flush(); err != nil {
		return err
	}
	if cc.c == nil {
		return ErrSessionExpired
	}
	return nil
}

// answer answers one request frame; false ends the connection.
func (cc *portConn) answer(f []byte) bool {
	var h jute.RequestHeader
	rd := jute.NewReader(f)
	h.Decode(rd)
	if rd.Err() != nil {
		return false
	}
	rec, err := jute.NewRequest(h.Type)
	if err != nil {
		// An op code no client request has: said plainly.
		return cc.reply(jute.ReplyHeader{Xid: h.Xid, Zxid: cc.c.LastZxid(), Err: int32(datatree.Unimplemented)}, nil)
	}
	if rec != nil {
		// Bytes after the fields rec knows are a newer client's and are
		// ignored, as ZooKeeper ignores them.
		if _, err := jute.DecodeRequest(f[rd.Offset():], rec); err != nil {
			return false // ZooKeeper drops a connection that sends a malformed packet
		}
	}
	switch rec := rec.(type) {
	case *jute.AuthPacket:
		cc.stats.packetIn(false)
		return cc.authenticate(h.Xid, rec)
	case *jute.GetSASLRequest:
		// A server without SASL configured has no SaslServer on the
		// connection: ZooKeeper 3.8 logs the NullPointerException its
		// processSasl meets and answers OK with a null token, at zxid 0,
		// and the connection stays. (A client that goes on with SASL then
		// fails on its side.)
		cc.stats.packetIn(false)
		return cc.reply(jute.ReplyHeader{Xid: h.Xid}, &jute.SetSASLResponse{})
	}
	req := server.Request{SessionID: cc.c.session, Cxid: h.Xid, Type: h.Type, Record: rec, Auth: cc.auth}
	// A read that leaves a watch holds back what fires meanwhile until
	// its reply is queued. setWatches and setWatches2 do not: ZooKeeper
	// sends the notifications of the watches they find stale before it
	// answers.
	read := server.IsRead(h.Type) && h.Type != jute.OpSetWatches && h.Type != jute.OpSetWatches2
	if read {
		cc.mu.Lock()
		cc.reading = true
		cc.mu.Unlock()
	}
	start := time.Now()
	cc.requested()
	hdr, rsp, err := cc.c.exchange(req, cc)
	cc.mu.Lock()
	if err == nil {
		before := len(cc.out)
		cc.queueReply(hdr, rsp)
		cc.answered(h, hdr.Zxid, time.Since(start), read, len(cc.out)-before)
	} else {
		cc.dropped()
	}
	if read {
		// What fired while the read was answered goes after its reply: the
		// client registers the watch when it sees the reply.
		for _, ev := range cc.deferred {
			cc.queueEvent(ev)
		}
		cc.deferred, cc.reading = cc.deferred[:0], false
	}
	cc.mu.Unlock()
	if err != nil {
		return false // the member stopped serving or the session is gone
	}
	return cc.flush() == nil && h.Type != jute.OpCloseSession
}

// authenticate adds a "digest" id to the connection (AuthPacket); any
// other scheme fails and closes the connection, as in ZooKeeper without
// further authentication providers.
func (cc *portConn) authenticate(xid int32, a *jute.AuthPacket) bool {
	cc.stats.packetOut()
	if a.Scheme != "digest" {
		cc.stats.authFailure()
		cc.reply(jute.ReplyHeader{Xid: xid, Err: int32(datatree.AuthFailed)}, nil)
		return false
	}
	id := server.DigestAuth(a.Auth)
	if sd := cc.e.cfg.SuperDigest; sd != "" && id.ID == sd {
		// DigestAuthenticationProvider: the super user gets "super" first.
		cc.auth = server.AddAuth(cc.auth, jute.ID{Scheme: "super"})
	}
	cc.auth = server.AddAuth(cc.auth, id)
	return cc.reply(jute.ReplyHeader{Xid: xid}, nil)
}

// reply queues and writes a frame of a header and an optional record.
func (cc *portConn) reply(hdr jute.ReplyHeader, rsp jute.Record) bool {
	cc.mu.Lock()
	cc.queueReply(hdr, rsp)
	cc.mu.Unlock()
	return cc.flush() == nil
}

// queueReply queues a reply frame: the header and, unless nil, the
// response. cc.mu is held.
func (cc *portConn) queueReply(hdr jute.ReplyHeader, rsp jute.Record) {
	cc.queue(func(w *jute.Writer) {
		hdr.Encode(w)
		if rsp != nil {
			rsp.Encode(w)
		}
	})
}

// queue appends one frame, its length and what enc writes, to out. cc.mu
// is held.
func (cc *portConn) queue(enc func(w *jute.Writer)) {
	cc.enc.Reset()
	cc.enc.Int(0)
	enc(cc.enc)
	b := cc.enc.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	cc.out = append(cc.out, b...)
}

// queueEvent queues a notification frame. As ZooKeeper 3.8 does, its
// header carries zxid -1. cc.mu is held.
func (cc *portConn) queueEvent(ev WatchEvent) {
	hdr := jute.ReplyHeader{Xid: jute.XidNotification, Zxid: -1}
	we := jute.WatcherEvent{Type: int32(ev.Type), State: int32(ev.State), Path: ev.Path}
	cc.queue(func(w *jute.Writer) { hdr.Encode(w); we.Encode(w) })
	cc.stats.packetOut()
	cc.smu.Lock()
	cc.cs.sent++
	cc.smu.Unlock()
}

// Process implements datatree.Watcher. It runs on the goroutine applying
// txns (or answering a setWatches), so it only queues: the push goroutine
// writes.
func (cc *portConn) Process(ev WatchEvent) {
	cc.mu.Lock()
	if cc.reading {
		cc.deferred = append(cc.deferred, ev)
	} else {
		cc.queueEvent(ev)
	}
	cc.mu.Unlock()
	select {
	case cc.kick <- struct{}{}:
	default:
	}
}

// flush writes every queued frame. Writers take turns, each writing all
// that is queued when its turn comes, so frames go out in queue order.
func (cc *portConn) flush() error {
	cc.wmu.Lock()
	defer cc.wmu.Unlock()
	cc.mu.Lock()
	buf := cc.out
	cc.out = cc.spare[:0]
	cc.mu.Unlock()
	if len(buf) == 0 {
		cc.spare = buf
		return nil
	}
	if cc.c != nil {
		if err := cc.nc.SetWriteDeadline(time.Now().Add(cc.c.Timeout())); err != nil {
			return err
		}
	}
	_, err := cc.nc.Write(buf)
	if cap(buf) > 1<<16 {
		buf = nil // do not keep a large reply's buffer for the connection's life
	}
	cc.spare = buf[:0]
	return err
}

// push writes notifications as they are queued, and closes the connection
// when its member stops serving, changes roles or the session ends, as
// ZooKeeper closes a server's connections when it shuts down: the client
// then resumes its session elsewhere and sets its watches again.
func (cc *portConn) push() {
	tick := time.NewTicker(cc.e.cfg.TickTime)
	defer tick.Stop()
	for {
		select {
		case <-cc.kick:
			if cc.flush() != nil {
				cc.close()
				return
			}
		case <-tick.C:
			if !cc.live() {
				cc.close()
				return
			}
		case <-cc.done:
			return
		}
	}
}

func (cc *portConn) live() bool {
	_, gen, serving := cc.m.state()
	return cc.e.member(cc.member) == cc.m && serving && gen == cc.gen && cc.c.checkOpen() == nil
}

// sessionPasswd is ZooKeeperServer.generatePasswd: 16 bytes from
// java.util.Random seeded with the session id ^ 0xB3415C00, so every
// member derives the same password and a client can take its session to
// any of them.
func sessionPasswd(id int64) []byte {
	const mult, mask = 0x5DEECE66D, 1<<48 - 1
	seed := (uint64(id^0xB3415C00) ^ mult) & mask
	p := make([]byte, 16)
	for i := 0; i < len(p); {
		seed = (seed*mult + 0xB) & mask
		rnd := int32(seed >> 16)
		for n := min(len(p)-i, 4); n > 0; n-- {
			p[i] = byte(rnd)
			rnd >>= 8
			i++
		}
	}
	return p
}

// fourLetterWord answers a connection whose first four bytes are a
// four-letter word, then closes it (NIOServerCnxn.checkFourLetterWord):
// the reply, or nothing for a word known but not answered here.
func (cc *portConn) fourLetterWord(word string) error {
	reply := cc.e.answerWord(cc.member, word, cc.nc.LocalAddr())
	if reply != "" {
		if err := cc.nc.SetWriteDeadline(time.Now().Add(cc.e.cfg.MaxSessionTimeout)); err != nil {
			return err
		}
		if _, err := io.WriteString(cc.nc, reply); err != nil {
			return err
		}
	}
	return errFourLetterWord
}

// errFourLetterWord ends a connection that asked a four-letter word.
var errFourLetterWord = errors.New("four-letter word answered")

// connStats are one connection's figures, as ServerCnxn keeps them.
type connStats struct {
	received, sent, outstanding int64
	lastOp                      string
	lastCxid, lastZxid          int64
	lastResp                    time.Time
	lastLatency                 int64 // ms
	latency                     fourletter.Summary
}

// reset is ServerCnxn.resetStats (crst).
func (s *connStats) reset() {
	*s = connStats{lastOp: "NONE", lastCxid: -1, lastZxid: -1}
}

func (cc *portConn) resetStats() {
	cc.smu.Lock()
	cc.cs.reset()
	cc.smu.Unlock()
}

// requested counts a request received and outstanding.
func (cc *portConn) requested() {
	cc.stats.packetIn(true)
	cc.smu.Lock()
	cc.cs.received++
	cc.cs.outstanding++
	cc.smu.Unlock()
}

// answered counts a request answered after d with a reply of size bytes.
func (cc *portConn) answered(h jute.RequestHeader, zxid int64, d time.Duration, read bool, size int) {
	cc.stats.answered(cc.shard, d, read, size)
	ms := d.Milliseconds()
	cc.smu.Lock()
	defer cc.smu.Unlock()
	s := &cc.cs
	s.outstanding--
	s.sent++
	s.lastOp, s.lastZxid, s.lastResp, s.lastLatency = lastOpName(h.Type), zxid, time.Now(), ms
	if h.Xid >= 0 {
		s.lastCxid = int64(h.Xid)
	}
	s.latency.Add(ms)
}

// dropped is a request that got no reply: the connection ends.
func (cc *portConn) dropped() {
	cc.stats.dropped()
	cc.smu.Lock()
	cc.cs.outstanding--
	cc.smu.Unlock()
}

// figures is the connection as cons prints it.
func (cc *portConn) figures() fourletter.Conn {
	cc.smu.Lock()
	s, sid, timeout := cc.cs, cc.sid, cc.sTimeout
	cc.smu.Unlock()
	c := fourletter.Conn{SessionID: sid, TimeoutMs: timeout, Remote: cc.nc.RemoteAddr().String(), Outstanding: s.outstanding, Received: s.received,
		Sent: s.sent, LastOp: s.lastOp, Established: cc.opened.UnixMilli(), LastCxid: s.lastCxid,
		LastZxid: s.lastZxid, Latency: s.latency, LastLatency: s.lastLatency}
	if !s.lastResp.IsZero() {
		c.LastRespMs = s.lastResp.UnixMilli()
	}
	return c
}

// shownSession is the connection's session id for other connections'
// words (0 before its handshake).
func (cc *portConn) shownSession() int64 {
	cc.smu.Lock()
	defer cc.smu.Unlock()
	return cc.sid
}
