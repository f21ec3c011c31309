package zktarget

import (
	"context"
	"errors"
	"testing"
)

// The replies are ZooKeeper 3.8.0's, as a three-server ensemble's
// leader wrote them.
const (
	srvrReply = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2022-02-25 08:49 UTC\n" +
		"Latency min/avg/max: 0/0.4/12\nReceived: 20\nSent: 19\nConnections: 1\nOutstanding: 0\n" +
		"Zxid: 0x100000004\nMode: leader\nNode count: 5\nProposal sizes last/min/max: 48/48/90\n"
	confReply = "clientPort=2181\nsecureClientPort=-1\ndataDir=/tmp/d/server1/version-2\ndataDirSize=67108880\n" +
		"dataLogDir=/tmp/l/server1/version-2\ndataLogSize=67108880\ntickTime=2000\nmaxClientCnxns=60\n" +
		"minSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=1\n" +
		"initLimit=10\nsyncLimit=5\nelectionAlg=3\nelectionPort=3888\nquorumPort=2888\npeerType=0\n" +
		"membership: \nserver.1=127.0.0.1:2888:3888:participant\nserver.2=127.0.0.1:2889:3889:participant\n" +
		"server.3=127.0.0.1:2890:3890:observer\nversion=0\n"
)

func TestSrvrConf(t *testing.T) {
	ctx := context.Background()
	s, err := Srvr(ctx, fourLetterServer(t, srvrReply))
	if err != nil || s["Mode"] != "leader" || s["Zxid"] != "0x100000004" || s["Latency min/avg/max"] != "0/0.4/12" {
		t.Errorf("srvr: %v %v", s, err)
	}
	c, err := Conf(ctx, fourLetterServer(t, confReply))
	if err != nil || c["tickTime"] != "2000" || c["server.3"] != "127.0.0.1:2890:3890:observer" || c["dataLogDir"] != "/tmp/l/server1/version-2" {
		t.Errorf("conf: %v %v", c, err)
	}
	if _, ok := c["membership: "]; ok {
		t.Errorf("conf kept the heading: %v", c)
	}
	refused := fourLetterServer(t, "conf is not executed because it is not in the whitelist.\n")
	if _, err := Conf(ctx, refused); !errors.Is(err, ErrWordNotAllowed) {
		t.Errorf("refused conf: %v", err)
	}
}

func FuzzParsePairs(f *testing.F) {
	f.Add([]byte(srvrReply), ": ")
	f.Add([]byte(confReply), "=")
	f.Fuzz(func(t *testing.T, reply []byte, sep string) {
		if sep == "" {
			return
		}
		for k := range parsePairs(reply, sep) {
			if k == "" {
				t.Fatalf("empty key from %q", reply)
			}
		}
	})
}
