# The nightly regression run: a fixed write-heavy mix, repeated so that
# `zkbench compare` can test the difference to the baseline. 68 repeats
# detect a 10% change of throughput (80% power) at the ±20% run-to-run
# noise measured on a shared 2-core machine (docs/noise.md); about 32
# minutes.
workload = mixed
readRatio = 0.5
clients = 16
warmup = 5s
duration = 20s
keys = 1000
valueSize = 1KiB
snapCount = 20000
repeat = 68
