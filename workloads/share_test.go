package workloads_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"zkbench/workloads"
	"zkbench/workloads/memtarget"
)

func TestParseShare(t *testing.T) {
	for _, s := range []string{"1/1", "2/3", "10/10"} {
		if sh, err := workloads.ParseShare(s); err != nil || sh.String() != s {
			t.Errorf("%s: %v %v", s, sh, err)
		}
	}
	for _, s := range []string{"0/2", "3/2", "1", "a/b", "1/0", "-1/2"} {
		if _, err := workloads.ParseShare(s); err == nil {
			t.Errorf("%s: accepted", s)
		}
	}
}

// The N shares' parts cover [0, total) once, in order, as equal as
// whole numbers allow.
func TestShareSplit(t *testing.T) {
	for _, total := range []int64{1, 2, 7, 16, 1000, 1001} {
		for n := 1; n <= 5 && int64(n) <= total; n++ {
			var next int64
			for i := 1; i <= n; i++ {
				lo, hi := workloads.Share{I: i, N: n}.Split(total)
				if lo != next || hi-lo < total/int64(n) || hi-lo > total/int64(n)+1 {
					t.Errorf("total %d, %d/%d: [%d, %d) after %d", total, i, n, lo, hi, next)
				}
				next = hi
			}
			if next != total {
				t.Errorf("total %d over %d: parts end at %d", total, n, next)
			}
		}
	}
}

// recorder is a target that notes the keys each session sets.
type recorder struct {
	workloads.Target
	mu   sync.Mutex
	keys map[string]bool
}

func (r *recorder) Connect(ctx context.Context) (workloads.Conn, error) {
	c, err := r.Target.Connect(ctx)
	return &recordingConn{Conn: c, r: r}, err
}

type recordingConn struct {
	workloads.Conn
	r *recorder
}

func (c *recordingConn) SetData(path string, data []byte, version int32) error {
	c.r.mu.Lock()
	c.r.keys[path] = true
	c.r.mu.Unlock()
	return c.Conn.SetData(path, data, version)
}

// Two drivers share a workload on one target: each runs its half of the
// clients on its half of the keys, both measure from the same instant
// (the barrier), and their ops add up to what one driver alone does.
func TestSharedDrivers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg := memtarget.New(time.Millisecond)
		s := spec(t, "clients=4", "keys=10", "duration=1s", "warmup=100ms")
		var wg sync.WaitGroup
		res := make([]*workloads.Result, 2)
		recs := make([]*recorder, 2)
		for i := range 2 {
			recs[i] = &recorder{Target: tg, keys: map[string]bool{}}
			d, err := workloads.NewDriver(s, recs[i])
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Share(workloads.Share{I: i + 1, N: 2, Timeout: time.Minute}); err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				// The second driver comes late: the first waits for it.
				time.Sleep(time.Duration(i) * 3 * time.Second)
				r, err := d.Run(context.Background())
				if err != nil {
					t.Error(err)
				}
				res[i] = r
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		if !res[0].Start.Equal(res[1].Start) {
			t.Errorf("measured phases start at %v and %v", res[0].Start, res[1].Start)
		}
		for i, r := range res {
			// Two clients each, a 1 ms target: 2,000 setData in a second.
			if c := r.Ops[0].Count; c != 2000 {
				t.Errorf("driver %d: %d ops, want 2000", i+1, c)
			}
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range recs[i].keys {
					if !yield(k[strings.LastIndexByte(k, '/')+1:]) {
						return
					}
				}
			})
			want := [][]string{{"k0", "k1", "k2", "k3", "k4"}, {"k5", "k6", "k7", "k8", "k9"}}[i]
			if !slices.Equal(keys, want) {
				t.Errorf("driver %d set %v, want %v", i+1, keys, want)
			}
		}
	})
}

// Open loop: each driver takes its clients' share of the rate.
func TestSharedRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg := memtarget.New(0)
		s := spec(t, "clients=3", "rate=900", "duration=1s")
		var wg sync.WaitGroup
		counts := make([]int64, 3)
		for i := range 3 {
			d, _ := workloads.NewDriver(s, tg)
			if err := d.Share(workloads.Share{I: i + 1, N: 3, Timeout: time.Minute}); err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				r, err := d.Run(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				counts[i] = r.Ops[0].Count
			})
		}
		wg.Wait()
		if !slices.Equal(counts, []int64{300, 300, 300}) {
			t.Errorf("ops per driver %v, want 300 each", counts)
		}
	})
}

// A driver the others do not join gives up at the timeout, having
// measured nothing.
func TestBarrierTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, _ := workloads.NewDriver(spec(t, "clients=2", "duration=1s"), memtarget.New(0))
		if err := d.Share(workloads.Share{I: 1, N: 2, Timeout: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
		res, err := d.Run(context.Background())
		if !errors.Is(err, workloads.ErrBarrier) || res != nil {
			t.Fatalf("alone at the barrier: %v, %v", res, err)
		}
		if !strings.Contains(err.Error(), "/zkbench/drivers within 10s (driver 1/2)") {
			t.Errorf("error %q", err)
		}
	})
}

func TestShareRefusesTooSmallWorkloads(t *testing.T) {
	for _, tt := range []struct{ settings, want string }{
		{"clients=2", "2 clients cannot be split over 3 drivers"},
		{"keys=2", "2 keys cannot be split over 3 drivers"},
		{"ops=2", "an op limit of 2 cannot be split over 3 drivers"},
		{"ephemerals=10 ephemeralSessions=2", "owner sessions cannot be split over 3 drivers"},
	} {
		s := spec(t, append([]string{"clients=3"}, strings.Fields(tt.settings)...)...)
		d, _ := workloads.NewDriver(s, memtarget.New(0))
		if err := d.Share(workloads.Share{I: 1, N: 3, Timeout: time.Second}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v", tt.settings, err)
		}
	}
}

// Drivers that share a workload share its ephemerals' owners: each
// registers its own owners' znodes and churns only them.
func TestSharedEphemerals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg := &owned{Target: memtarget.New(time.Millisecond), owner: map[string]int{}}
		s := spec(t, "clients=2", "duration=4s", "ephemerals=90", "ephemeralSessions=3", "ephemeralChurn=1s")
		var wg sync.WaitGroup
		res := make([]*workloads.Result, 2)
		for i := range 2 {
			d, _ := workloads.NewDriver(s, tg)
			if err := d.Share(workloads.Share{I: i + 1, N: 2, Timeout: time.Minute}); err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				r, err := d.Run(context.Background())
				if err != nil {
					t.Error(err)
				}
				res[i] = r
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		for i, want := range []struct{ znodes, sessions int }{{30, 1}, {60, 2}} {
			st := res[i].Ephemerals
			if st.Znodes != want.znodes || st.Sessions != want.sessions || len(st.Churn) != 3 {
				t.Errorf("driver %d: %d ephemerals over %d sessions, %d churns; want %d over %d, 3 churns",
					i+1, st.Znodes, st.Sessions, len(st.Churn), want.znodes, want.sessions)
			}
			for _, c := range st.Churn {
				if c.Err != nil || c.Znodes != 30 {
					t.Errorf("driver %d: churn of %d znodes: %v", i+1, c.Znodes, c.Err)
				}
			}
		}
		if len(tg.owner) != 90 {
			t.Errorf("%d distinct ephemerals registered, want 90", len(tg.owner))
		}
	})
}
