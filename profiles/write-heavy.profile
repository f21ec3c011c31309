# Every op a 1 KiB setData: how many durable writes per second, at what
# p99, does the log's disk sustain? The number a capacity plan starts from.
workload = write
clients = 16
warmup = 5s
duration = 30s
keys = 1000
valueSize = 1KiB
