# What carries over from the embedded ensemble to real ZooKeeper on this
# machine? The same workload on both, one after the other: the embedded
# members, then three ZooKeeper 3.8 servers zkbench starts (target
# zookeeper, from Debian's zookeeper package). scripts/calibrate.sh runs
# it for write, read and mixed and prints the ratios; --vary
# workload=write,read,mixed does the three in one sweep.
clients = 16
warmup = 5s
duration = 20s
keys = 1000
valueSize = 1KiB
vary target = embedded, zookeeper
