package engine

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"zkbench/engine/jute"
)

// dialFrom connects to addr from the loopback address src.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	return nc
}

// closedAtOnce reports whether the member closed nc without a byte.
func closedAtOnce(t *testing.T, nc net.Conn) bool {
	t.Helper()
	var b [1]byte
	n, err := nc.Read(b[:])
	return n == 0 && err == io.EOF
}

// An address holding maxClientCnxns connections has its next one closed
// at once; its own connections and other addresses are still served, and
// once one of its connections closes it may connect again.
func TestClientPortMaxClientCnxns(t *testing.T) {
	cfg := testConfig(t, 1, 0)
	cfg.MaxClientCnxns = 3
	e := start(t, cfg)
	addr := servePorts(t, e)[1]
	var held []*rawSession
	for range cfg.MaxClientCnxns {
		held = append(held, dialRaw(t, addr))
	}
	if extra := dialFrom(t, "127.0.0.1", addr); !closedAtOnce(t, extra) {
		t.Fatal("a connection beyond maxClientCnxns was not closed")
	}
	// Another address is served.
	other := dialFrom(t, "127.0.0.2", addr)
	other.Write(frame(&jute.ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16)}))
	var n [4]byte
	if _, err := io.ReadFull(other, n[:]); err != nil {
		t.Fatalf("a connection from another address: %v", err)
	}
	// The held connections still answer.
	held[0].send(frame(&jute.RequestHeader{Xid: jute.XidPing, Type: jute.OpPing}))
	if h, _ := held[0].reply(); h.Xid != jute.XidPing {
		t.Fatalf("ping answered %+v", h)
	}
	// One closes: the address may connect again (its handshake answered).
	held[1].nc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc := dialFrom(t, "127.0.0.1", addr)
		nc.Write(frame(&jute.ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16)}))
		if _, err := io.ReadFull(nc, n[:]); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no connection accepted after one of the address's closed")
		}
		time.Sleep(10 * time.Millisecond) // the member notices the close
	}
}

// Before its handshake a connection may announce no more than a
// ConnectRequest needs: a larger frame closes it before any of its body
// is read, and a connection that sends a four-letter word is answered.
func TestClientPortBoundsTheConnectRequest(t *testing.T) {
	e := start(t, testConfig(t, 1, 0))
	addr := servePorts(t, e)[1]
	for _, size := range []uint32{maxConnectFrame + 1, maxFrame} {
		nc := dialFrom(t, "127.0.0.1", addr)
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], size)
		nc.Write(b[:])
		if !closedAtOnce(t, nc) {
			t.Errorf("a connect frame of %d bytes was not refused", size)
		}
	}
	s := dialRaw(t, addr) // a ConnectRequest within the bound
	s.send(frame(&jute.RequestHeader{Xid: jute.XidPing, Type: jute.OpPing}))
	if h, _ := s.reply(); h.Xid != jute.XidPing {
		t.Fatalf("ping answered %+v", h)
	}
}
