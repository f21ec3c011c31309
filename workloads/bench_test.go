package workloads_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"zkbench/engine"
	"zkbench/workloads"
	"zkbench/workloads/embedded"
	"zkbench/workloads/memtarget"
	"zkbench/workloads/zktarget"
)

// BenchmarkRecordingOverhead compares the driver's closed loop (clock
// read, op picked and issued, latency recorded into the shard's
// histogram) with the same ops issued bare, on two targets:
//
//   - memtarget with no latency, the cheapest target there is, so that the
//     overhead is as large a share as it can be: this is the driver's
//     own cost in ns per op;
//   - the embedded ensemble (3 members, logs in a temporary folder on the
//     test's disk) through its client ports, the target a run measures:
//     this is what recording costs a run's throughput;
//   - the same ensemble called in-process (clientTransport=direct), where
//     a read is a map lookup of a few hundred ns and recording's clock
//     reads are a large share of it.
//
// Bare and recorded run alternately: as many ops bare as the driver's
// loop ran in the last pair, then the loop for a slice (1 ms on
// memtarget, 20 ms on the ensemble, whose writes wait for a sync), as in
// a run's measured phase. The figures are medians over these pairs, so
// that a burst of noise (another process, a GC cycle) spoils a few pairs,
// not the result: ns per op of each, and the overhead in percent and in
// ns per op. One benchmark op is one op of either kind.
func BenchmarkRecordingOverhead(b *testing.B) {
	b.Run("memtarget", func(b *testing.B) {
		overheadByWorkload(b, memtarget.New(0), time.Millisecond)
	})
	b.Run("embedded", func(b *testing.B) {
		e := startEnsemble(b)
		addrs, err := e.ListenClients("127.0.0.1", 0)
		if err != nil {
			b.Fatal(err)
		}
		target, err := zktarget.New("zk://" + strings.Join(addrs, ","))
		if err != nil {
			b.Fatal(err)
		}
		overheadByWorkload(b, target, 20*time.Millisecond)
	})
	b.Run("embedded-direct", func(b *testing.B) {
		overheadByWorkload(b, embedded.New(startEnsemble(b)), 20*time.Millisecond)
	})
}

func startEnsemble(b *testing.B) *engine.Ensemble {
	e, err := engine.Start(engine.DefaultConfig(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.WaitServing(ctx); err != nil {
		b.Fatal(err)
	}
	return e
}

func overheadByWorkload(b *testing.B, target workloads.Target, slice time.Duration) {
	for _, name := range []string{"read", "write", "mixed"} {
		b.Run(name, func(b *testing.B) {
			s, err := workloads.Named(name)
			if err != nil {
				b.Fatal(err)
			}
			s.Clients = 1
			c, err := target.Connect(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			client, err := workloads.NewBenchClient(s, c)
			if err != nil {
				b.Fatal(err)
			}
			var bare, recorded, ratio, diff []float64
			b.ResetTimer()
			n := 100 // bare ops of the first pair; then as many as the last recorded slice ran
			for done := 0; done < b.N; {
				start := time.Now()
				client.Bare(n)
				tb := float64(time.Since(start)) / float64(n)
				start = time.Now()
				n = max(1, client.Recorded(slice))
				tr := float64(time.Since(start)) / float64(n)
				done += 2 * n
				bare = append(bare, tb)
				recorded = append(recorded, tr)
				ratio = append(ratio, tr/tb)
				diff = append(diff, tr-tb)
			}
			b.ReportMetric(median(bare), "bare-ns/op")
			b.ReportMetric(median(recorded), "recorded-ns/op")
			b.ReportMetric(100*(median(ratio)-1), "overhead-%")
			b.ReportMetric(median(diff), "overhead-ns/op")
		})
	}
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// BenchmarkClockRead is the clock read the driver makes per op, most of
// its overhead: its cost depends on the machine's clock source (a few ns
// with the TSC through the vDSO, far more on some virtual machines).
func BenchmarkClockRead(b *testing.B) {
	base := time.Now()
	var sink time.Duration
	for b.Loop() {
		sink += time.Since(base)
	}
	_ = sink
}
