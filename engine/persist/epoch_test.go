package persist

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"zkbench/engine/disk"
)

func TestLoadEpochs(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string // name → content before
		lastZxid int64
		want     Epochs
		wantErr  bool
		after    map[string]string // name → content after
	}{
		{
			name:     "fixture quorum1: both files say 2",
			files:    map[string]string{"currentEpoch": "2", "acceptedEpoch": "2"},
			lastZxid: 0x200000031,
			want:     Epochs{2, 2},
		},
		{
			name:     "missing files are created from the zxid's epoch",
			lastZxid: 0x300000005,
			want:     Epochs{3, 3},
			after:    map[string]string{"currentEpoch": "3", "acceptedEpoch": "3"},
		},
		{
			name:     "accepted ahead of current is normal after an election",
			files:    map[string]string{"currentEpoch": "4", "acceptedEpoch": "5"},
			lastZxid: 0x400000001,
			want:     Epochs{4, 5},
		},
		{
			name:     "accepted below current refuses to start",
			files:    map[string]string{"currentEpoch": "5", "acceptedEpoch": "4"},
			lastZxid: 0x500000001,
			wantErr:  true,
		},
		{
			name:     "current older than the data refuses to start",
			files:    map[string]string{"currentEpoch": "1", "acceptedEpoch": "2"},
			lastZxid: 0x200000001,
			wantErr:  true,
		},
		{
			name:     "current older than the data is repaired from currentEpoch.tmp",
			files:    map[string]string{"currentEpoch": "1", "currentEpoch.tmp": "2", "acceptedEpoch": "2"},
			lastZxid: 0x200000001,
			want:     Epochs{2, 2},
			after:    map[string]string{"currentEpoch": "2"},
		},
		{
			name:     "a trailing newline is accepted",
			files:    map[string]string{"currentEpoch": "7\n", "acceptedEpoch": "7\n"},
			lastZxid: 0x700000001,
			want:     Epochs{7, 7},
		},
		{
			name:     "garbage is an error naming the file",
			files:    map[string]string{"currentEpoch": "x", "acceptedEpoch": "1"},
			lastZxid: 0,
			wantErr:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// CheckEpochs decides the same through a read-only view, and
			// plans exactly the writes LoadEpochs then makes.
			c, cerr := CheckEpochs(disk.ReadOnly(disk.OS), dir, tt.lastZxid)
			if tt.wantErr != (cerr != nil) || (cerr == nil && c.Epochs != tt.want) {
				t.Errorf("CheckEpochs = %+v, %v", c, cerr)
			}
			planned := map[string]string{}
			for _, w := range c.Writes {
				planned[w.File] = strconv.FormatInt(w.Epoch, 10)
			}
			if len(planned) != len(tt.after) {
				t.Errorf("CheckEpochs plans %+v, LoadEpochs writes %v", c.Writes, tt.after)
			}
			for name, want := range tt.after {
				if planned[name] != want {
					t.Errorf("CheckEpochs plans %s = %q, want %q", name, planned[name], want)
				}
			}
			got, err := LoadEpochs(disk.OS, dir, tt.lastZxid)
			if tt.wantErr {
				if !errors.Is(err, ErrEpoch) {
					t.Fatalf("err = %v, want ErrEpoch", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("epochs = %+v, want %+v", got, tt.want)
			}
			for name, want := range tt.after {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || string(b) != want {
					t.Errorf("%s = %q (%v), want %q", name, b, err, want)
				}
			}
		})
	}
}

func TestWriteEpochFileHasNoNewline(t *testing.T) {
	p := filepath.Join(t.TempDir(), CurrentEpochFile)
	if err := WriteEpochFile(disk.OS, p, 12); err != nil {
		t.Fatal(err)
	}
	if err := WriteEpochFile(disk.OS, p, 13); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "13" {
		t.Errorf("content = %q", b)
	}
	if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temp file left behind: %v", err)
	}
}

func TestZxidEpoch(t *testing.T) {
	z := Zxid(5, 3)
	if z != 0x500000003 || EpochOf(z) != 5 {
		t.Errorf("Zxid(5,3) = %#x, epoch %d", z, EpochOf(z))
	}
}
