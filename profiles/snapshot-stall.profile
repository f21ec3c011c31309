# Writes on a tree large enough that snapshots take a while, with a small
# snapCount so that they happen often: how much do snapshots on the same
# disk hurt write p99 and fsync p99 (inside vs outside snapshot windows)?
workload = write
clients = 16
warmup = 2s
duration = 30s
keys = 20000
valueSize = 1KiB
snapCount = 2000
