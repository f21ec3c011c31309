package server

import (
	"slices"
	"strings"
	"testing"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// threeVoters is a reconfig-enabled leader's view of a three-voter
// ensemble (standaloneEnabled, as 3.8's default) in which synced voters
// are in sync.
func threeVoters(synced ...int64) func() Ensemble {
	return func() Ensemble {
		var members []QuorumServer
		for id := int64(1); id <= 3; id++ {
			members = append(members, QuorumServer{ID: id, Host: "127.0.0.1", Port: int(1000 + id), ElectionPort: int(2000 + id)})
		}
		return Ensemble{Members: members, Version: 1 << 32, StandaloneEnabled: true,
			Synced: func(voters []int64) bool {
				n := 0
				for _, v := range voters {
					if slices.Contains(synced, v) {
						n++
					}
				}
				return n > len(voters)/2
			}}
	}
}

// The checks a one-voter ZooKeeper cannot show (TestReconfigChecksLikeZooKeeper38
// compares the rest with ZooKeeper 3.8 itself).
func TestReconfigChecks(t *testing.T) {
	super := jute.ID{Scheme: "super"}
	leave := func(ids string) *jute.ReconfigRequest {
		return &jute.ReconfigRequest{NullJoining: true, LeavingServers: ids, NullNewMembers: true, CurConfigID: -1}
	}
	for _, tc := range []struct {
		name   string
		view   func() Ensemble
		req    *jute.ReconfigRequest
		auth   []jute.ID
		want   datatree.Code
		inProg bool
	}{
		{"disabled", nil, leave("3"), nil, datatree.ReconfigDisabled, false},
		{"in progress", threeVoters(1, 2, 3), leave("3"), nil, datatree.ReconfigInProgress, true},
		{"one voter left with standaloneEnabled", threeVoters(1, 2, 3), leave("2,3"), []jute.ID{super}, datatree.BadArguments, false},
		{"remaining voters not synced", threeVoters(1, 3), leave("3"), []jute.ID{super}, datatree.NewConfigNoQuorum, false},
		{"remaining voters synced, not super", threeVoters(1, 2), leave("3"), []jute.ID{alice}, datatree.NoAuth, false},
		{"super, a change the ensemble cannot make", unsupported(threeVoters(1, 2)), leave("3"), []jute.ID{super}, datatree.Unimplemented, false},
		{"super: passes every check", threeVoters(1, 2), leave("3"), []jute.ID{super}, datatree.Ok, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			view := tc.view
			if view != nil && tc.inProg {
				inner := view
				view = func() Ensemble { e := inner(); e.InProgress = true; return e }
			}
			e := newEnv(t, Config{Reconfig: view})
			txn := e.prepare(Request{SessionID: sessA, Cxid: 1, Type: jute.OpReconfig, Record: tc.req, Auth: tc.auth})
			if tc.want == datatree.Ok {
				want := "server.1=127.0.0.1:1001:2001:participant\nserver.2=127.0.0.1:1002:2002:participant\nversion=1"
				sd, ok := txn.Body.(*jute.SetDataTxn)
				if txn.Header.Type != jute.OpReconfig || !ok || string(sd.Data) != want || sd.Path != datatree.ConfigPath || sd.Version != -1 {
					t.Fatalf("txn %s %+v, want a reconfig setting %s to\n%s", jute.OpName(txn.Header.Type), txn.Body, datatree.ConfigPath, want)
				}
				if r := e.apply(txn); r.Err != datatree.Ok || string(r.Data) != want {
					t.Errorf("applied: %v %q", r.Err, r.Data)
				}
				return
			}
			et, ok := txn.Body.(*jute.ErrorTxn)
			if txn.Header.Type != jute.OpError || !ok || datatree.Code(et.Err) != tc.want {
				t.Errorf("txn %s %+v, want an error txn %v", jute.OpName(txn.Header.Type), txn.Body, tc.want)
			}
		})
	}
}

func unsupported(view func() Ensemble) func() Ensemble {
	return func() Ensemble {
		e := view()
		e.Supported = func([]QuorumServer) error { return datatree.Unimplemented }
		return e
	}
}

func TestParseQuorumServer(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want QuorumServer
		err  error
	}{
		{"127.0.0.1:5:6;7", QuorumServer{ID: 2, Host: "127.0.0.1", Port: 5, ElectionPort: 6, ClientHost: "0.0.0.0", ClientPort: 7, HasClient: true}, nil},
		{"h:5:6:Observer ;10.0.0.1:7", QuorumServer{ID: 2, Host: "h", Port: 5, ElectionPort: 6, Observer: true, ClientHost: "10.0.0.1", ClientPort: 7, HasClient: true}, nil},
		{"[::1]:5:6", QuorumServer{ID: 2, Host: "::1", Port: 5, ElectionPort: 6}, nil},
		{"h:5:6;", QuorumServer{ID: 2, Host: "h", Port: 5, ElectionPort: 6}, nil}, // Java's split drops the empty client part
		{"h:5:5;7", QuorumServer{}, errSpecFormat},
		{"h:5;7", QuorumServer{}, errSpecFormat},
		{"h:5:6:7:8", QuorumServer{}, errSpecFormat},
		{"h:5:6:x", QuorumServer{}, errSpecFormat},
		{"h:5:6;1;2", QuorumServer{}, errSpecFormat},
		{"a:1:2|b:3:4", QuorumServer{}, errSpecFormat},
		{"[::1:5:6", QuorumServer{}, errSpecFormat},
		{"h:5:65536", QuorumServer{}, errSpecUnchecked},
		{"h:-1:6", QuorumServer{}, errSpecUnchecked},
		{";", QuorumServer{}, errSpecUnchecked},
	} {
		got, err := ParseQuorumServer(2, tc.spec)
		if err != tc.err || (err == nil && got != tc.want) {
			t.Errorf("%q: %+v, %v; want %+v, %v", tc.spec, got, err, tc.want, tc.err)
		}
	}
}

func TestJavaProperties(t *testing.T) {
	got := javaProperties("# c\n  server.1 = a:1:2\n!x\nserver.2:b\nversion 100000000\nserver.1=c\n\nempty")
	want := [][2]string{{"server.1", "c"}, {"server.2", "b"}, {"version", "100000000"}, {"empty", ""}}
	if !slices.Equal(got, want) {
		t.Errorf("%q, want %q", got, want)
	}
}

// A spec that parses prints (QuorumServer.toString) as one that parses
// to the same server, unless a host holds what the format uses to
// delimit (ZooKeeper prints those as they are too).
func FuzzParseQuorumServer(f *testing.F) {
	for _, s := range []string{"127.0.0.1:5:6;7", "[::1]:5:6:observer;[::1]:7", "h:1:2", ";", "[", "a|b", "h:5:6;x:y:z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		q, err := ParseQuorumServer(3, spec)
		if err != nil || strings.ContainsAny(q.Host+q.ClientHost, "[]|;") {
			return
		}
		again, err := ParseQuorumServer(3, q.String())
		if err != nil || again != q {
			t.Fatalf("%q parsed to %+v, printed %q, parsed again to %+v, %v", spec, q, q.String(), again, err)
		}
	})
}

// Non-incremental membership strings: whatever they hold, parsing ends
// in members or one of the codes a reconfig fails with.
func FuzzParseMembers(f *testing.F) {
	for _, s := range []string{"server.1=127.0.0.1:5:6;7", "server.1=a:1:2,version=zz", "", "group.1=1", "server.x=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := parseMembers(s, true, true)
		if err == nil {
			for i := 1; i < len(ms); i++ {
				if ms[i-1].ID >= ms[i].ID {
					t.Fatalf("%q: members not in id order: %+v", s, ms)
				}
			}
			return
		}
		if err != errMarshal && err != datatree.BadArguments {
			t.Fatalf("%q: %v", s, err)
		}
	})
}
