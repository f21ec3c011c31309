package bench

import (
	"testing"

	"zkbench/results"
)

// The run's fsyncs on a real server are the differences between the mntr
// readings at the measured start and at the end.
func TestMntrFsync(t *testing.T) {
	before := map[string]string{"zk_cnt_fsynctime": "100", "zk_sum_fsynctime": "40", "zk_fsync_threshold_exceed_count": "1"}
	after := map[string]string{"zk_cnt_fsynctime": "300", "zk_sum_fsynctime": "140", "zk_fsync_threshold_exceed_count": "3"}
	cases := []struct {
		name          string
		before, after map[string]string
		count, over   int64
		meanUs        float64
	}{
		{"both readings", before, after, 200, 2, 500},
		{"no start reading", nil, after, 300, 3, 140e3 / 300},
		{"no fsync metrics", nil, map[string]string{"zk_server_state": "leader"}, 0, 0, 0},
		{"counter reset (restart)", after, before, 0, 0, 0},
	}
	for _, tc := range cases {
		f := mntrFsync(tc.before, tc.after)
		if f.Count != tc.count || f.OverWarningThreshold != tc.over || f.Latency.Mean != tc.meanUs {
			t.Errorf("%s: %+v, want count %d, over %d, mean %v µs", tc.name, f, tc.count, tc.over, tc.meanUs)
		}
	}
	// mntr's max is since the server started: the run's only when it rose.
	for _, tc := range []struct {
		before, after string
		want          int64
	}{{"5", "9", 9000}, {"9", "9", 0}, {"", "9", 0}} {
		b := map[string]string{"zk_max_fsynctime": tc.before}
		if tc.before == "" {
			b = nil
		}
		if f := mntrFsync(b, map[string]string{"zk_max_fsynctime": tc.after}); f.Latency.Max != tc.want || f.Source != results.SourceMntr {
			t.Errorf("max %s → %s: %+v, want %d µs", tc.before, tc.after, f, tc.want)
		}
	}
}

// What conf says a server runs with goes into the config; its server.N
// lines count the voters and observers.
func TestConfKnobs(t *testing.T) {
	conf := map[string]string{"tickTime": "2000", "initLimit": "10", "syncLimit": "5", "minSessionTimeout": "4000",
		"maxSessionTimeout": "40000", "server.1": "127.0.0.1:2888:3888:participant",
		"server.2": "127.0.0.1:2889:3889:participant", "server.3": "127.0.0.1:2890:3890:observer", "serverId": "1"}
	c := results.Config{Other: map[string]any{}}
	voters, observers := confKnobs(&c, []map[string]string{nil, conf})
	if voters != 2 || observers != 1 {
		t.Errorf("%d voters, %d observers", voters, observers)
	}
	for k, want := range map[string]int64{"tickTimeMs": 2000, "initLimit": 10, "syncLimit": 5, "minSessionTimeoutMs": 4000, "maxSessionTimeoutMs": 40000} {
		if c.Other[k] != want {
			t.Errorf("%s = %v, want %d", k, c.Other[k], want)
		}
	}
	if v, o := confKnobs(&c, []map[string]string{nil}); v != 0 || o != 0 {
		t.Errorf("no answer: %d, %d", v, o)
	}
}
