package startup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zkbench/engine/disk"
)

// tree makes the files named (relative, "/"-separated) under a new folder.
func tree(t *testing.T, files ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f))
		if strings.HasSuffix(f, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestLocate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    []string
		data     string // under the tree
		log      string // under the tree; "" for none
		want     []string
		wantErr  error
		errNames string
	}{
		{name: "a dataDir", files: []string{"zk/version-2/snapshot.0", "zk/version-2/log.1"}, data: "zk",
			want: []string{"zk zk/version-2 zk/version-2"}},
		{name: "a bare version-2 folder", files: []string{"zk/version-2/snapshot.0"}, data: "zk/version-2",
			want: []string{"zk zk/version-2 zk/version-2"}},
		{name: "a bare folder of any name", files: []string{"copy/log.1", "copy/snapshot.0"}, data: "copy",
			want: []string{"copy copy copy"}},
		{name: "a dataDir and its dataLogDir", files: []string{"d/version-2/snapshot.0", "l/version-2/log.1"}, data: "d", log: "l",
			want: []string{"d d/version-2 l/version-2"}},
		{name: "a parent of server folders, in id order",
			files: []string{"p/server10/version-2/", "p/server2/version-2/snapshot.0", "p/server1/version-2/", "p/serverx/version-2/", "p/server3/"},
			data:  "p",
			want:  []string{"server1 p/server1/version-2 p/server1/version-2", "server2 p/server2/version-2 p/server2/version-2", "server10 p/server10/version-2 p/server10/version-2"}},
		{name: "parents pair by server id",
			files: []string{"p/server1/version-2/", "p/server2/version-2/", "l/server2/version-2/", "l/server1/version-2/"},
			data:  "p", log: "l",
			want: []string{"server1 p/server1/version-2 l/server1/version-2", "server2 p/server2/version-2 l/server2/version-2"}},
		{name: "a log parent missing a member", files: []string{"p/server1/version-2/", "p/server2/version-2/", "l/server1/version-2/"},
			data: "p", log: "l", wantErr: fs.ErrNotExist, errNames: "server2"},
		{name: "an empty folder", files: []string{"e/"}, data: "e", wantErr: ErrNoData, errNames: "e"},
		{name: "a file", files: []string{"f"}, data: "f", errNames: "not a folder"},
		{name: "nothing there", data: "missing", wantErr: fs.ErrNotExist, errNames: "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := tree(t, tc.files...)
			log := ""
			if tc.log != "" {
				log = filepath.Join(root, tc.log)
			}
			ms, err := Locate(disk.ReadOnly(disk.OS), filepath.Join(root, tc.data), log)
			if tc.errNames != "" {
				if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.errNames) {
					t.Fatalf("err = %v, want %v naming %q", err, tc.wantErr, tc.errNames)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				rel := func(p string) string { r, _ := filepath.Rel(root, p); return filepath.ToSlash(r) }
				got = append(got, m.Name+" "+rel(m.Dirs.Snap)+" "+rel(m.Dirs.Log))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
