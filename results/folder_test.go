package results

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWritten(t *testing.T) {
	for _, tc := range []struct {
		name        string
		files, dirs []string
		want        []string
	}{
		{"run",
			[]string{"setData.hlog", "fsync-10.hlog", "report.html", "fsync-2.hlog", "getData.hlog", "result.json", "fsync-1.hlog", ".zkbench-run"}, nil,
			[]string{"result.json", "report.html", "fsync-1.hlog", "fsync-2.hlog", "fsync-10.hlog", "getData.hlog", "setData.hlog"}},
		{"sweep", []string{"report.html", "sweep.json"}, []string{"snapCount=20000", "snapCount=5000"},
			[]string{"sweep.json", "report.html", "snapCount=5000/", "snapCount=20000/"}},
		{"probe", []string{"2-shm-fdatasync-zookeeper.hlog", "probe.json", "1-pr-fdatasync-zookeeper.hlog"}, nil,
			[]string{"probe.json", "1-pr-fdatasync-zookeeper.hlog", "2-shm-fdatasync-zookeeper.hlog"}},
		{"empty", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, d := range tc.dirs {
				if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Written(dir)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("Written = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := Written(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing folder lists without an error")
	}
}
