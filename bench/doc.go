// Package bench runs zkbench's benchmarks from Go, as the zkbench command
// does.
//
// A run starts as a Plan: a profile's settings (NewPlan), then any
// key = value (Plan.Set, the keys of profiles, of `zkbench run`'s flags
// and of --set alike, e.g. "snapCount" or "dataLogDir"), checked as a
// whole (Plan.Check). Run carries it out: it starts an embedded
// ZooKeeper-compatible ensemble in member folders it creates (or real
// ZooKeeper servers there, target zookeeper; or connects to a real
// ensemble at a zk:// target), runs the workload, and writes a
// result folder, result.json with its .hlog files and report.html, as
// docs/result-schema.md describes; it returns the result.json it wrote.
//
//	p, err := profiles.Load("quick")
//	...
//	plan, err := bench.NewPlan(p)
//	...
//	plan.Set("workload", "write")
//	plan.Set("dataLogDir", "/mnt/nvme")
//	if err := plan.Check(); err != nil { ... }
//	plan.Out = "zkbench-results/nvme"
//	res, err := bench.Run(ctx, plan, nil)
//	fmt.Printf("%.0f ops/s\n", res.Total.ThroughputOpsS)
//
// A Sweep runs a plan over the cross product of varied keys, one run
// folder each and a sweep.json indexing them; Serve keeps an embedded
// ensemble up for any ZooKeeper client. A Sink, when given, hears a run's
// progress about once a second and its notices.
//
// Nothing is overwritten: a run writes only into its output folder (new
// or empty) and the member folders it creates, and removes those
// afterwards unless the plan says keepData.
package bench
