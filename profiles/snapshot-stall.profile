# How much does a snapshot of a production-size tree hurt the writes and
# log syncs beside it: write p99 and fsync p99 inside vs outside the
# snapshot windows, on a million 1 KiB znodes (a 1.1 GB snapshot per
# member)? Writes come at a fixed rate (open loop), so a stall shows as
# the latency of every write it delayed rather than as fewer writes, and
# snapCount 30000 (randomized: a snapshot every 15,001 to 30,000 txns)
# gives each member three to six snapshots in the measured phase. Under
# two minutes on a 2-core VM, a tenth of it preload and start-up restore.
workload = write
clients = 32
rate = 1000
warmup = 5s
duration = 90s
keys = 1000000
valueSize = 1KiB
snapCount = 30000
