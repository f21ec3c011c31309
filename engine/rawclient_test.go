package engine

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"zkbench/engine/jute"
)

// rawClient speaks the client protocol frame by frame, so that a test can
// send what no client library sends and see every byte a server answers,
// ours and ZooKeeper's alike.
type rawClient struct {
	t       testing.TB
	nc      net.Conn
	session int64
	xid     int32
	zxid    int64
	// events are the notifications read so far, "type path" each.
	events []string
}

// rawConnect opens a session on addr.
func rawConnect(t testing.TB, addr string) *rawClient {
	t.Helper()
	return rawResume(t, addr, 0, 0)
}

// rawResume takes session (0: a new one) to addr, as a client does that
// lost its server, having seen lastZxid.
func rawResume(t testing.TB, addr string, session, lastZxid int64) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawClient{t: t, nc: nc, zxid: lastZxid}
	w := jute.NewWriter(nil)
	passwd := make([]byte, 16)
	if session != 0 {
		passwd = sessionPasswd(session)
	}
	(&jute.ConnectRequest{TimeOut: 10000, SessionID: session, LastZxidSeen: lastZxid, Passwd: passwd}).Encode(w)
	c.write(w.Bytes())
	f, err := c.frame()
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	var rsp jute.ConnectResponse
	if err := jute.DecodeRecord(f, &rsp); err != nil || rsp.TimeOut == 0 {
		t.Fatalf("connect to %s: %+v, %v", addr, rsp, err)
	}
	c.session = rsp.SessionID
	return c
}

func (c *rawClient) write(b []byte) {
	c.t.Helper()
	f := binary.BigEndian.AppendUint32(nil, uint32(len(b)))
	if _, err := c.nc.Write(append(f, b...)); err != nil {
		c.t.Fatal(err)
	}
}

// frame reads one frame; io.EOF (or a reset) when the server closed.
func (c *rawClient) frame() ([]byte, error) {
	if err := c.nc.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		return nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(c.nc, n[:]); err != nil {
		return nil, err
	}
	f := make([]byte, binary.BigEndian.Uint32(n[:]))
	_, err := io.ReadFull(c.nc, f)
	return f, err
}

// call sends a request of type op (rec nil: no body) and returns its
// reply's error code and body, collecting the notifications that come
// before it. closed reports that the server closed the connection
// instead of answering.
func (c *rawClient) call(op int32, rec jute.Record) (code int32, body []byte, closed bool) {
	c.t.Helper()
	c.xid++
	return c.callAs(c.xid, op, rec)
}

// callAs is call with the given xid, such as XidSetWatches.
func (c *rawClient) callAs(xid, op int32, rec jute.Record) (code int32, body []byte, closed bool) {
	c.t.Helper()
	w := jute.NewWriter(nil)
	(&jute.RequestHeader{Xid: xid, Type: op}).Encode(w)
	if rec != nil {
		rec.Encode(w)
	}
	c.write(w.Bytes())
	for {
		f, err := c.frame()
		if err != nil {
			return 0, nil, true
		}
		r := jute.NewReader(f)
		var h jute.ReplyHeader
		h.Decode(r)
		if r.Err() != nil {
			c.t.Fatalf("reply to %s: %v", jute.OpName(op), r.Err())
		}
		switch h.Xid {
		case jute.XidNotification:
			var ev jute.WatcherEvent
			ev.Decode(r)
			c.events = append(c.events, fmt.Sprintf("%d %s", ev.Type, ev.Path))
		case xid:
			if h.Zxid != 0 {
				c.zxid = h.Zxid
			}
			return h.Err, f[r.Offset():], false
		default:
			c.t.Fatalf("reply with xid %d to request %d", h.Xid, xid)
		}
	}
}

// takeEvents returns the notifications read so far and forgets them.
func (c *rawClient) takeEvents() []string {
	ev := c.events
	c.events = nil
	return ev
}
