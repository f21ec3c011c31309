# 99% getData, 1% setData: how far do reads scale when writes are rare,
# and do the few writes still meet their p99?
workload = mixed
readRatio = 0.99
clients = 64
warmup = 5s
duration = 30s
keys = 10000
valueSize = 1KiB
