package bench_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"zkbench/bench"
	"zkbench/profiles"
)

// A short write run on one embedded member, its result folder in a
// temporary directory.
func ExampleRun() {
	tmp, err := os.MkdirTemp("", "zkbench-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	p, err := profiles.Load("quick")
	if err != nil {
		log.Fatal(err)
	}
	plan, err := bench.NewPlan(p)
	if err != nil {
		log.Fatal(err)
	}
	for _, kv := range [][2]string{
		{"servers", "1"}, {"workload", "write"}, {"clients", "2"}, {"keys", "10"},
		{"warmup", "0s"}, {"duration", "200ms"}, {"clientTransport", "direct"},
	} {
		if err := plan.Set(kv[0], kv[1]); err != nil {
			log.Fatal(err)
		}
	}
	if err := plan.Check(); err != nil {
		log.Fatal(err)
	}
	plan.Out = filepath.Join(tmp, "run")
	res, err := bench.Run(context.Background(), plan, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, op := range res.Ops {
		fmt.Println(op.Op, op.Count > 0, op.Hlog)
	}
	fmt.Println(len(res.Servers), "server:", res.Servers[0].Role)
	// Output:
	// setData true setData.hlog
	// 1 server: leader
}
