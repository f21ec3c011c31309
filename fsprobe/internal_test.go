package fsprobe

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"zkbench/engine/disk"
)

// TestPadTo checks the extension rule against ZooKeeper's
// FilePadding.calculateFileSizeWithPadding.
func TestPadTo(t *testing.T) {
	const step = 64 << 10
	for _, tc := range []struct {
		position, padded, step, want int64
	}{
		{0, 0, step, step},                         // a new log is extended at its first append
		{step - 4097, step, step, step},            // more than 4 KiB left: nothing
		{step - 4096, step, step, 2 * step},        // 4 KiB left: one step
		{step - 1, step, step, 2 * step},           //
		{step, step, step, 2 * step},               // at the end
		{step + 4464, step, step, 2 * step},        // past the end: next multiple above
		{3*step + 1, step, step, 4 * step},         //
		{100, 0, 0, 0},                             // step 0: preallocation off
		{100, 0, -1, 0},                            //
		{10_000, 8192, 1000, 11_000},               // a step smaller than the margin
		{10_000, 12_000, 1000, 13_000},             //
		{123, 5000, 100_000_000, 5000},             //
		{0, 0, 1, 1},                               //
		{1 << 40, 1 << 40, 1 << 30, 1<<40 + 1<<30}, //
	} {
		if got := padTo(tc.position, tc.padded, tc.step); got != tc.want {
			t.Errorf("padTo(%d, %d, %d) = %d, want %d", tc.position, tc.padded, tc.step, got, tc.want)
		}
	}
}

func TestChunkSize(t *testing.T) {
	for rate, want := range map[int64]int{
		1:         4096,
		64 << 10:  4096,
		1 << 20:   64 << 10,
		10 << 20:  640 << 10,
		16 << 20:  1 << 20,
		512 << 20: 1 << 20,
	} {
		if got := chunkSize(rate); got != want {
			t.Errorf("chunkSize(%d) = %d, want %d", rate, got, want)
		}
	}
}

// TestScratchNeverOverwrites: a name that is taken is skipped, and the file
// that holds it is left alone.
func TestScratchNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	taken := filepath.Join(dir, scratchName(scratchSeq.Load()+1))
	if err := os.WriteFile(taken, []byte("not ours"), 0o644); err != nil {
		t.Fatal(err)
	}
	name, f, err := createScratch(osFS(), dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if name == taken {
		t.Fatalf("createScratch reused %s", taken)
	}
	if err := closeAndRemove(osFS(), f, name); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(taken); err != nil || string(b) != "not ours" {
		t.Errorf("taken file now %q, %v", b, err)
	}
	if _, err := os.Stat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("scratch file %s left behind: %v", name, err)
	}
}

func osFS() disk.FS { return disk.OS }
