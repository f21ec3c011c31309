# Does an ensemble serve a production-size tree of a million 1 KiB
# znodes? Every member restores it at start-up (the setup line has the
# preload and restore times), then a read-mostly mix comes at a fixed rate
# (open loop) and its writes bring snapshots of the whole tree, a 1.1 GB
# file per member, two to four each in the measured phase: the report's
# lanes show the snapshot windows, the stall line what they cost the
# writes inside them. About a minute and a half on a 2-core VM.
workload = mixed
readRatio = 0.75
clients = 32
rate = 4000
warmup = 5s
duration = 60s
keys = 1000000
valueSize = 1KiB
snapCount = 30000
