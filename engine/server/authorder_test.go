package server

import (
	"slices"
	"strings"
	"testing"

	"zkbench/engine/jute"
)

// The orders are those of a ConcurrentHashMap-backed set in ZooKeeper
// 3.8's ServerCnxn: ip:127.0.0.1 then digest:alice lists alice first (what
// whoAmI answers on a real server; TestClientPortAnswersLikeZooKeeper38).
func TestAddAuthOrder(t *testing.T) {
	ip := jute.ID{Scheme: "ip", ID: "127.0.0.1"}
	alice := DigestAuth([]byte("alice:secret"))
	ids := AddAuth(nil, ip)
	ids = AddAuth(ids, alice)
	ids = AddAuth(ids, alice) // once only
	if want := []jute.ID{alice, ip}; !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	if got := int32(stringHash("digest")); got != -1331913276 { // jshell: "digest".hashCode()
		t.Errorf(`"digest".hashCode() = %d`, got)
	}

	// jshell over zookeeper-jute.jar, the same adds into
	// Collections.newSetFromMap(new ConcurrentHashMap<Id, Boolean>()).
	ids = nil
	for _, id := range []string{"ip 10.1.2.3", "digest bob:abc", "digest carol:xyz", "digest alice:q", "super ", "digest dave:1"} {
		scheme, v, _ := strings.Cut(id, " ")
		ids = AddAuth(ids, jute.ID{Scheme: scheme, ID: v})
	}
	var got []string
	for _, id := range ids {
		got = append(got, id.Scheme+":"+id.ID)
	}
	if want := "digest:alice:q digest:dave:1 digest:carol:xyz super: ip:10.1.2.3 digest:bob:abc"; strings.Join(got, " ") != want {
		t.Errorf("order %s\nJava's %s", strings.Join(got, " "), want)
	}
}
