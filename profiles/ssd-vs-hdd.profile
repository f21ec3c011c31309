# Capacity planning across two mounts: the same write workload with the
# members' data on each. Give the mounts with --vary dataDir=/mnt/a,/mnt/b
# (scripts/ssd-vs-hdd.sh does). 45 repeats a mount detect a 10% change of
# throughput (80% power) at the ±16.5% run-to-run noise measured on a
# shared 2-core machine (docs/noise.md); about an hour for two mounts.
workload = write
clients = 16
warmup = 5s
duration = 30s
keys = 1000
valueSize = 1KiB
repeat = 45
