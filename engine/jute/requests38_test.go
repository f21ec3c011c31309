package jute

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"
)

// fuzzRoundTrip is the property every request decoder keeps: whatever
// decodes re-encodes to bytes that decode again, and from there encoding
// and decoding are a fixed point.
func fuzzRoundTrip[R any, P interface {
	*R
	Record
}](f *testing.F, seeds ...P) {
	for _, s := range seeds {
		f.Add(encode(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rec := P(new(R))
		if err := DecodeRecord(in, rec); err != nil {
			return
		}
		b1 := encode(rec)
		rec2 := P(new(R))
		if err := DecodeRecord(b1, rec2); err != nil {
			t.Fatalf("%T: re-encoded record does not decode: %v", rec, err)
		}
		b2 := encode(rec2)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("%T: encoding is not stable:\n%x\n%x", rec, b1, b2)
		}
		rec3 := P(new(R))
		if err := DecodeRecord(b2, rec3); err != nil || !reflect.DeepEqual(rec2, rec3) {
			t.Fatalf("%T: round trip changed the record (%v):\n%+v\n%+v", rec, err, rec2, rec3)
		}
	})
}

func FuzzAddWatchRequest(f *testing.F) {
	fuzzRoundTrip(f, &AddWatchRequest{Path: "/a", Mode: AddWatchPersistentRecursive})
}

func FuzzCheckWatchesRequest(f *testing.F) {
	fuzzRoundTrip(f, &CheckWatchesRequest{Path: "/a", Type: WatcherAny})
}

func FuzzRemoveWatchesRequest(f *testing.F) {
	fuzzRoundTrip(f, &RemoveWatchesRequest{Path: "/a", Type: WatcherData})
}

func FuzzSetWatches2(f *testing.F) {
	fuzzRoundTrip(f, &SetWatches2{RelativeZxid: 7, DataWatches: []string{"/a"}, ExistWatches: []string{},
		PersistentRecursiveWatches: []string{"/"}})
}

func FuzzGetEphemeralsRequest(f *testing.F) {
	fuzzRoundTrip(f, &GetEphemeralsRequest{PrefixPath: "/app"})
}

func FuzzGetAllChildrenNumberRequest(f *testing.F) {
	fuzzRoundTrip(f, &GetAllChildrenNumberRequest{Path: "/"})
}

func FuzzGetSASLRequest(f *testing.F) {
	fuzzRoundTrip(f, &GetSASLRequest{Token: []byte{1, 2}}, &GetSASLRequest{})
}

func FuzzReconfigRequest(f *testing.F) {
	fuzzRoundTrip(f, &ReconfigRequest{JoiningServers: "server.4=127.0.0.1:2888:3888;2181", NullLeaving: true, NullNewMembers: true, CurConfigID: -1},
		&ReconfigRequest{NullJoining: true, LeavingServers: "3", NullNewMembers: true})
}

func FuzzWhoAmIResponse(f *testing.F) {
	fuzzRoundTrip(f, &WhoAmIResponse{ClientInfo: []ClientInfo{{"ip", "127.0.0.1"}, {"digest", "alice"}}})
}

// The records of the 3.6..3.8 requests in the bytes ZooKeeper's jute
// writes: the Java classes' serialize output, field by field.
func TestRequests38Bytes(t *testing.T) {
	for _, tc := range []struct {
		rec  Record
		want string
	}{
		{&AddWatchRequest{Path: "/a", Mode: 1}, "00000002" + "2f61" + "00000001"},
		{&CheckWatchesRequest{Path: "/", Type: 3}, "00000001" + "2f" + "00000003"},
		{&RemoveWatchesRequest{Path: "/", Type: 2}, "00000001" + "2f" + "00000002"},
		{&SetWatches2{RelativeZxid: 1, DataWatches: []string{}, ExistWatches: []string{}, ChildWatches: []string{},
			PersistentWatches: []string{"/"}, PersistentRecursiveWatches: []string{}},
			"0000000000000001" + "00000000" + "00000000" + "00000000" + "00000001" + "00000001" + "2f" + "00000000"},
		{&GetEphemeralsResponse{Ephemerals: []string{"/e"}}, "00000001" + "00000002" + "2f65"},
		{&GetAllChildrenNumberResponse{TotalNumber: 9}, "00000009"},
		{&WhoAmIResponse{ClientInfo: []ClientInfo{{"ip", "127.0.0.1"}}}, "00000001" + "00000002" + "6970" + "00000009" + "3132372e302e302e31"},
		{&SetSASLResponse{}, "ffffffff"},
		{&ReconfigRequest{NullJoining: true, LeavingServers: "3", NullNewMembers: true, CurConfigID: -1},
			"ffffffff" + "00000001" + "33" + "ffffffff" + "ffffffffffffffff"},
	} {
		if got := encodeHex(tc.rec); got != tc.want {
			t.Errorf("%T: %s, want %s", tc.rec, got, tc.want)
		}
	}
	if _, err := NewRequest(OpWhoAmI); err != nil {
		t.Error(err)
	}
	for _, op := range []int32{OpAddWatch, OpCheckWatches, OpRemoveWatches, OpSetWatches2, OpGetEphemerals,
		OpGetAllChildrenNumber, OpSASL, OpReconfig} {
		if rec, err := NewRequest(op); err != nil || rec == nil {
			t.Errorf("NewRequest(%s) = %v, %v", OpName(op), rec, err)
		}
	}
}

func encodeHex(rec Record) string { return hex.EncodeToString(encode(rec)) }
