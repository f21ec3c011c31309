"""Asks a server its four-letter words through kazoo, as a kazoo user
would, after a few operations, and prints what came back as JSON.

usage: python3 kazoo_words.py HOST:PORT
"""
import json
import sys

from kazoo.client import KazooClient

zk = KazooClient(hosts=sys.argv[1], timeout=10)
zk.start(timeout=20)
zk.ensure_path("/kz")
zk.create("/kz/e", b"x", ephemeral=True)
zk.get("/kz", watch=lambda ev: None)
# kazoo's command reads one recv of at most 8192 bytes: a longer reply
# (ZooKeeper's own mntr is about 17 KB) arrives cut, its last line maybe
# in half.
mntr = zk.command(b"mntr")
lines = [l for l in mntr.splitlines() if "\t" in l]
if len(mntr.encode()) >= 8192:
    lines = lines[:-1]
out = {
    "server_version": list(zk.server_version()),
    "ruok": zk.command(b"ruok"),
    "isro": zk.command(b"isro"),
    "mntr": dict(l.split("\t", 1) for l in lines),
    "srvr_mode": [l for l in zk.command(b"srvr").splitlines() if l.startswith("Mode:")],
    "wchs": zk.command(b"wchs"),
}
zk.stop()
zk.close()
print(json.dumps(out))
