# How long do writes stop when the leader loses power, and how long does
# it take to come back on this disk? Three members hold a tree of 200,000
# 1 KiB znodes; writes come at a fixed rate (open loop, so the outage
# shows as the latency of every write it delayed); the leader crashes at
# 10 s (its unsynced writes lost) and restarts 10 s later. result.json's
# faults[0] has the longest gap without a successful write and the errors
# in it, the time to elect a new leader, the restarted member's restore
# and learner sync (mode, txns or bytes, ms), when it serves again, the
# write latency while it synced; lost_acked_writes must be 0. About a
# minute on a 2-core VM.
workload = write
clients = 16
rate = 1000
warmup = 5s
duration = 40s
keys = 200000
valueSize = 1KiB
snapCount = 20000
faults = crash:leader@10s+10s
