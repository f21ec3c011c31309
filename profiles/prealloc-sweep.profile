# What does preallocation buy on this mount? Every sync of an unextended
# log also persists the file's new length; ZooKeeper extends in
# preAllocSize steps to avoid that.
workload = write
clients = 1
warmup = 2s
duration = 15s
valueSize = 1KiB
vary preallocMode = zookeeper, fallocate, none
