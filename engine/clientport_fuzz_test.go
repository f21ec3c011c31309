package engine

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"zkbench/engine/jute"
)

// frame is one client-protocol frame: length, then the records.
func frame(recs ...jute.Record) []byte {
	w := jute.NewWriter(nil)
	w.Int(0)
	for _, r := range recs {
		r.Encode(w)
	}
	b := w.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// FuzzClientPort sends a session's handshake and then arbitrary bytes to
// a member's client port. Whatever comes in, the member neither panics
// nor hangs, and everything it sends back is whole frames: a
// ConnectResponse, then replies, pings and notifications.
func FuzzClientPort(f *testing.F) {
	req := func(xid, op int32, rec jute.Record) []byte {
		if rec == nil {
			return frame(&jute.RequestHeader{Xid: xid, Type: op})
		}
		return frame(&jute.RequestHeader{Xid: xid, Type: op}, rec)
	}
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	f.Add(req(1, jute.OpGetData, &jute.GetDataRequest{Path: "/", Watch: true}))
	f.Add(cat(req(1, jute.OpCreate, &jute.CreateRequest{Path: "/f", Data: []byte("x"), ACL: jute.OpenACL}),
		req(2, jute.OpSetData, &jute.SetDataRequest{Path: "/f", Data: []byte("y"), Version: -1}),
		req(3, jute.OpDelete, &jute.DeleteRequest{Path: "/f", Version: -1})))
	f.Add(req(jute.XidSetWatches, jute.OpSetWatches, &jute.SetWatches{DataWatches: []string{"/a"}, ChildWatches: []string{"/"}}))
	f.Add(req(1, jute.OpMulti, &jute.MultiRequest{Ops: []jute.Op{{Type: jute.OpCheck, Record: &jute.CheckVersionRequest{Path: "/", Version: 9}}}}))
	f.Add(cat(req(jute.XidPing, jute.OpPing, nil), req(jute.XidAuth, jute.OpAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte("a:b")})))
	sw5 := req(jute.XidSetWatches, jute.OpSetWatches, &jute.SetWatches{ExistWatches: []string{"/x"}})
	sw5 = append(sw5, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff) // two more lists, as newer clients send
	binary.BigEndian.PutUint32(sw5, uint32(len(sw5)-4))
	f.Add(sw5)
	f.Add(append(req(1, jute.OpGetData, &jute.GetDataRequest{Path: "/"}), 9)) // a byte past the frame: the next length's
	f.Add(cat(req(1, jute.OpAddWatch, &jute.AddWatchRequest{Path: "/", Mode: jute.AddWatchPersistentRecursive}),
		req(2, jute.OpCreate, &jute.CreateRequest{Path: "/r", ACL: jute.OpenACL, Flags: jute.FlagEphemeral}),
		req(3, jute.OpCheckWatches, &jute.CheckWatchesRequest{Path: "/", Type: jute.WatcherAny}),
		req(4, jute.OpRemoveWatches, &jute.RemoveWatchesRequest{Path: "/", Type: jute.WatcherData}),
		req(5, jute.OpGetEphemerals, &jute.GetEphemeralsRequest{PrefixPath: "/"}),
		req(6, jute.OpGetAllChildrenNumber, &jute.GetAllChildrenNumberRequest{Path: "/"}),
		req(7, jute.OpWhoAmI, nil)))
	f.Add(req(jute.XidSetWatches, jute.OpSetWatches2, &jute.SetWatches2{PersistentRecursiveWatches: []string{"/"}}))
	f.Add(cat(req(1, jute.OpSASL, &jute.GetSASLRequest{Token: []byte{}}),
		req(2, jute.OpReconfig, &jute.ReconfigRequest{NullJoining: true, NullLeaving: true, NewMembers: "server.1=h:1:2", CurConfigID: -1})))
	f.Add(req(1, 199, nil))                     // no such request: unimplemented
	f.Add(req(1, jute.OpCloseSession, nil))     // then nothing more is read
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff, 0, 0}) // a frame far beyond jute.maxbuffer
	f.Add([]byte{0, 0, 0, 12, 0, 0, 0, 1})      // cut short

	e := start(f, testConfig(f, 1, 0))
	addrs, err := e.ListenClients("127.0.0.1", 0)
	if err != nil {
		f.Fatal(err)
	}
	hello := frame(&jute.ConnectRequest{TimeOut: 2000, Passwd: make([]byte, 16)})
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := net.Dial("tcp", addrs[0])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(append(hello, in...)); err != nil {
			return // the member closed early: fine
		}
		c.(*net.TCPConn).CloseWrite() // the member reads EOF after in and closes
		got, err := io.ReadAll(c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("no end of the connection within 10 s (%d bytes read)", len(got))
		}
		for off := 0; off < len(got); {
			if len(got)-off < 4 {
				t.Fatalf("%d stray bytes at offset %d", len(got)-off, off)
			}
			n := int(binary.BigEndian.Uint32(got[off:]))
			if n < 16 || off+4+n > len(got) {
				t.Fatalf("frame of %d bytes at offset %d of %d", n, off, len(got))
			}
			off += 4 + n
		}
	})
}
