package engine

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkbench/engine/jute"
)

// rawSession is a client that writes frames by hand, for requests no
// client library sends the way a test needs.
type rawSession struct {
	t  testing.TB
	nc net.Conn
}

func dialRaw(t testing.TB, addr string) *rawSession {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	s := &rawSession{t: t, nc: nc}
	s.send(frame(&jute.ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16)}))
	var rsp jute.ConnectResponse
	if err := jute.DecodeRecord(s.read(), &rsp); err != nil || rsp.SessionID == 0 {
		t.Fatalf("handshake: %+v, %v", rsp, err)
	}
	return s
}

func (s *rawSession) send(b []byte) {
	s.t.Helper()
	if _, err := s.nc.Write(b); err != nil {
		s.t.Fatal(err)
	}
}

// read returns the next frame's body.
func (s *rawSession) read() []byte {
	s.t.Helper()
	var n [4]byte
	if _, err := io.ReadFull(s.nc, n[:]); err != nil {
		s.t.Fatalf("reading a frame: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint32(n[:]))
	if _, err := io.ReadFull(s.nc, b); err != nil {
		s.t.Fatalf("reading a frame: %v", err)
	}
	return b
}

// reply reads the next frame as a reply header and what follows it.
func (s *rawSession) reply() (jute.ReplyHeader, *jute.Reader) {
	r := jute.NewReader(s.read())
	var h jute.ReplyHeader
	h.Decode(r)
	return h, r
}

// A client that knows persistent watches sends setWatches with two more
// lists after the three of ZooKeeper 3.8's record. The member reads the
// three, ignores the rest, keeps the connection and re-registers the
// watches: a later create fires the exists watch.
func TestClientPortIgnoresTrailingBytes(t *testing.T) {
	e := start(t, testConfig(t, 1, 0))
	addrs := servePorts(t, e)
	s := dialRaw(t, addrs[1])
	w := jute.NewWriter(nil)
	w.Int(0)
	(&jute.RequestHeader{Xid: jute.XidSetWatches, Type: jute.OpSetWatches}).Encode(w)
	(&jute.SetWatches{ExistWatches: []string{"/late"}}).Encode(w)
	w.Int(0) // persistent watches: none
	w.Int(0) // persistent recursive watches: none
	b := w.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	s.send(b)
	if h, _ := s.reply(); h.Xid != jute.XidSetWatches || h.Err != 0 {
		t.Fatalf("setWatches answered %+v", h)
	}
	// getData with a byte after its watch flag: answered, not dropped.
	w.Reset()
	w.Int(0)
	(&jute.RequestHeader{Xid: 1, Type: jute.OpGetData}).Encode(w)
	(&jute.GetDataRequest{Path: "/zookeeper"}).Encode(w)
	w.Byte(7)
	b = w.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	s.send(b)
	if h, _ := s.reply(); h.Xid != 1 || h.Err != 0 {
		t.Fatalf("getData answered %+v", h)
	}

	c := zkConnect(t, addrs[1])
	if _, err := c.Create("/late", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	h, r := s.reply()
	var ev jute.WatcherEvent
	ev.Decode(r)
	if h.Xid != jute.XidNotification || ev.Type != int32(zk.EventNodeCreated) || ev.Path != "/late" {
		t.Fatalf("after the create: %+v %+v, want the exists watch on /late", h, ev)
	}
}
