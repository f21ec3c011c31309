# Does a separate dataLogDir device pay off? The same write workload with
# the txn log next to the snapshots (dataLogDir = same), then on its own
# mount (/dev/shm stands in for a fast device; --vary dataLogDir=same,DIR
# names another).
workload = write
clients = 16
warmup = 2s
duration = 20s
keys = 5000
valueSize = 1KiB
snapCount = 5000
vary dataLogDir = same, /dev/shm
