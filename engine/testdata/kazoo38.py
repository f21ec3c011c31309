"""What kazoo (python3-kazoo) sees of the requests zkbench serve learned
from ZooKeeper 3.8: /zookeeper/config, and a digest identity's writes through the server it is connected to.
Prints one line per step; the Go test runs it against ZooKeeper 3.8 and
against a follower of the embedded ensemble and compares the lines."""
import re
import sys

from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

addr = sys.argv[1]


def step(name, fn):
    try:
        print(name, "ok", fn())
    except Exception as e:  # the exception's class is the answer
        print(name, "error", type(e).__name__)


zk = KazooClient(hosts=addr, timeout=10)
zk.start(timeout=30)
data, st = zk.get("/zookeeper/config")
shape = re.fullmatch(r"(server\.\d+=127\.0\.0\.1:\d+:\d+:(participant|observer)\n)+version=0", data.decode())
print("config shape", bool(shape))
print("config stat", st.version, st.aversion, st.czxid, st.mzxid, st.cversion, st.numChildren, st.ephemeralOwner)
# No reconfig: kazoo 2.8 has no exception for ZooKeeper's -123
# (ReconfigDisabled), its connection loop dies of "Invalid error code" and
# the call never returns, against ZooKeeper 3.8 as against zkbench.
step("set config", lambda: zk.set("/zookeeper/config", b"x"))

zk.add_auth("digest", "alice:secret")
acl = [make_digest_acl("alice", "secret", all=True)]
step("create private", lambda: zk.create("/kz-private", b"a", acl=acl))
step("set private", lambda: zk.set("/kz-private", b"b").version)
step("get private", lambda: zk.get("/kz-private")[0])

other = KazooClient(hosts=addr, timeout=10)
other.start(timeout=30)
step("stranger set", lambda: other.set("/kz-private", b"c"))
step("stranger get", lambda: other.get("/kz-private"))
other.stop()
zk.stop()
