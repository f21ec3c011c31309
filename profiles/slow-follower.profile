# Does one slow follower move the write p99? Each sync of one follower's
# log takes 50 ms longer (through the disk seam) for the whole measured
# phase, against the same run without it. A write needs a majority: the
# leader and the fast follower, so the p99 should not move while they are
# fast; what does move is the slow member's own fsync figures. Writes at a
# fixed rate (open loop); three repeats of each, interleaved, about three
# minutes on a 2-core VM.
workload = write
clients = 16
rate = 1000
warmup = 5s
duration = 20s
keys = 10000
valueSize = 1KiB
repeat = 3
vary faults = none, slow-disk=50ms:follower@0s
