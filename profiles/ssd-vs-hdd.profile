# Capacity planning across two mounts: the same write workload with the
# members' data on each. Give the mounts with --vary dataDir=/mnt/a,/mnt/b
# (scripts/ssd-vs-hdd.sh does). 13 repeats a mount detect a 10% change of
# throughput (80% power) at the ±8.6% run-to-run noise measured on a
# 2-core machine with nothing else running (docs/noise.md); about 16
# minutes for two mounts.
workload = write
clients = 16
warmup = 5s
duration = 30s
keys = 1000
valueSize = 1KiB
repeat = 13
