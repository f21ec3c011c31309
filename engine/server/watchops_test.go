package server

import (
	"reflect"
	"slices"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// The requests of ZooKeeper 3.6..3.8 that a member answers from its own
// tree, with the connection's watcher w (nil: a caller without one).
func TestReadMore(t *testing.T) {
	e := readTree(t)
	w := &recorder{}
	e.mustDo(createReq("/p/e1", "", jute.FlagEphemeral))
	e.mustDo(createReq("/pe", "", jute.FlagEphemeral))
	tests := []struct {
		name    string
		req     Request
		w       datatree.Watcher
		wantErr datatree.Code
		want    jute.Record
	}{
		{"addWatch", readReq(jute.OpAddWatch, &jute.AddWatchRequest{Path: "/p", Mode: jute.AddWatchPersistent}), w, 0, &jute.ErrorResponse{}},
		{"addWatch on a missing, locked node", readReq(jute.OpAddWatch, &jute.AddWatchRequest{Path: "/locked/x", Mode: 1}), w, 0, &jute.ErrorResponse{}},
		{"addWatch bad mode", readReq(jute.OpAddWatch, &jute.AddWatchRequest{Path: "/p", Mode: 2}), w, datatree.MarshallingError, nil},
		{"checkWatches", readReq(jute.OpCheckWatches, &jute.CheckWatchesRequest{Path: "/p", Type: jute.WatcherData}), nil, 0, nil},
		{"checkWatches none", readReq(jute.OpCheckWatches, &jute.CheckWatchesRequest{Path: "/a", Type: jute.WatcherAny}), w, datatree.NoWatcher, nil},
		{"removeWatches without a watcher", readReq(jute.OpRemoveWatches, &jute.RemoveWatchesRequest{Path: "/p", Type: jute.WatcherAny}), nil, datatree.NoWatcher, nil},
		{"removeWatches children", readReq(jute.OpRemoveWatches, &jute.RemoveWatchesRequest{Path: "/p", Type: jute.WatcherChildren}), w, 0, nil},
		{"removeWatches bad type", readReq(jute.OpRemoveWatches, &jute.RemoveWatchesRequest{Path: "/p", Type: 4}), w, datatree.MarshallingError, nil},
		{"getEphemerals", readReq(jute.OpGetEphemerals, &jute.GetEphemeralsRequest{PrefixPath: "/"}), nil, 0, nil},
		{"getEphemerals prefix", readReq(jute.OpGetEphemerals, &jute.GetEphemeralsRequest{PrefixPath: "/p/"}), nil, 0,
			&jute.GetEphemeralsResponse{Ephemerals: []string{"/p/e1"}}},
		{"getAllChildrenNumber", readReq(jute.OpGetAllChildrenNumber, &jute.GetAllChildrenNumberRequest{Path: "/p"}), nil, 0,
			&jute.GetAllChildrenNumberResponse{TotalNumber: 5}},
		{"getAllChildrenNumber no READ", readReq(jute.OpGetAllChildrenNumber, &jute.GetAllChildrenNumberRequest{Path: "/locked"}, bob), nil, datatree.NoAuth, nil},
		{"getAllChildrenNumber missing", readReq(jute.OpGetAllChildrenNumber, &jute.GetAllChildrenNumberRequest{Path: "/none"}), nil, datatree.NoNode, nil},
		{"whoAmI", readReq(jute.OpWhoAmI, nil, localhost, alice), nil, 0,
			&jute.WhoAmIResponse{ClientInfo: []jute.ClientInfo{{AuthScheme: "ip", User: localhost.ID}, {AuthScheme: "digest", User: "alice"}}}},
		{"setWatches2", readReq(jute.OpSetWatches2, &jute.SetWatches2{PersistentWatches: []string{"/a"}}), w, 0, nil},
		{"a record of another request", readReq(jute.OpAddWatch, &jute.CheckWatchesRequest{Path: "/p"}), w, datatree.MarshallingError, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr, rsp := Read(e.tree, tt.req, tt.w)
			if hdr.Xid != 42 || datatree.Code(hdr.Err) != tt.wantErr {
				t.Fatalf("header %+v, want err %v", hdr, tt.wantErr)
			}
			if tt.want != nil && !reflect.DeepEqual(rsp, tt.want) {
				t.Errorf("response\n got %+v\nwant %+v", rsp, tt.want)
			}
		})
	}
	// What is left: /p's persistent data watch, /locked/x's recursive
	// pair, /a's persistent pair.
	if n := e.tree.WatchCount(); n != 5 {
		t.Errorf("%d watches left, want 5", n)
	}
	e.mustDo(setDataReq("/p", "x", -1))
	e.mustDo(createReq("/p/n", "", jute.FlagPersistent))
	e.mustDo(setDataReq("/p", "y", -1))
	if got := w.got(); !slices.Equal(got, []datatree.EventType{datatree.EventNodeDataChanged, datatree.EventNodeDataChanged}) {
		t.Errorf("events %v: want /p's data changes only, its child watch removed", got)
	}
}
