# How often should members snapshot? Smaller snapCount means shorter
# restarts but more snapshot windows stealing disk bandwidth from the log.
workload = write
clients = 16
warmup = 2s
duration = 20s
keys = 10000
valueSize = 1KiB
vary snapCount = 2000, 20000, 100000
