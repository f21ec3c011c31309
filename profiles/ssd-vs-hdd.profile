# Capacity planning across two mounts: the same write workload with the
# members' data on each. Give the mounts with --vary dataDir=/mnt/a,/mnt/b
# (scripts/ssd-vs-hdd.sh does).
workload = write
clients = 16
warmup = 5s
duration = 30s
keys = 1000
valueSize = 1KiB
repeat = 3
