// Package workloads defines what load zkbench puts on a ZooKeeper-style
// service and drives it there.
//
// A Spec says what to run: the op mix (create, createSequential,
// createEphemeral, delete, setData, getData, exists, getChildren, multi,
// watch), value sizes, how many keys and how they are picked (uniform,
// zipf, sequential), how deep the tree is, whether the keys are created
// first, the clients, the rate (open loop) or none (closed loop), warm-up
// and the length of the measured phase. Named gives the built-in
// workloads; Spec.Set reads key=value settings, so a profile can define
// its own.
//
// A Target is where it runs: the embedded ensemble (workloads/embedded),
// a real ZooKeeper (workloads/zktarget) or an in-memory tree
// (workloads/memtarget). Each simulated client gets its own session, a
// Conn, whose synchronous methods mirror ZooKeeper's ops; every client is
// a goroutine, so thousands need no more threads than a few.
//
// A Driver runs a Spec on a Target and returns a Result: per op, the
// count, the errors by kind and an HDR latency histogram per second of
// the measured phase (microseconds, hlog's range and precision),
// ready to be written as .hlog files. Driver.Live is a cheap progress
// snapshot while it runs.
//
// The tree a run uses, under Spec.Root (default /zkbench):
//
//	/zkbench/keys/k000 … k999         the keys: getData, setData, exists, multi, watch
//	/zkbench/keys/d00/…/k00           the same with depth > 1: getChildren lists a folder
//	/zkbench/clients/c0000/n1, s-…    client 0's creates, deleted oldest first
package workloads
