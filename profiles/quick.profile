# A short mixed run (90% reads) on three members: does this machine work,
# and roughly how fast is it? The default of `zkbench run`.
workload = mixed
clients = 16
warmup = 2s
duration = 10s
keys = 1000
valueSize = 1KiB
snapCount = 10000
