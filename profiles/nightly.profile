# The nightly regression run: a fixed write-heavy mix, repeated so that
# `zkbench compare` can test the difference to the baseline. 22 repeats
# detect a 10% change of throughput (80% power) at the ±11.5% run-to-run
# noise measured on a 2-core machine with nothing else running
# (docs/noise.md); about 10 minutes.
workload = mixed
readRatio = 0.5
clients = 16
warmup = 5s
duration = 20s
keys = 1000
valueSize = 1KiB
snapCount = 20000
repeat = 22
