# The nightly regression run: a fixed write-heavy mix, repeated so that
# `zkbench compare` can test the difference to the baseline.
workload = mixed
readRatio = 0.5
clients = 16
warmup = 5s
duration = 20s
keys = 1000
valueSize = 1KiB
snapCount = 20000
repeat = 5
