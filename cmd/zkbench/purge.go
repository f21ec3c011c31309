package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"zkbench/engine/disk"
	"zkbench/engine/persist"
	"zkbench/engine/txnlog"
	"zkbench/internal/runfolders"
	"zkbench/zkdump"
)

func runPurge(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("purge", stderr)
	dataDir := fs.String("data-dir", "", "ZooKeeper dataDir (the folder holding version-2 with the snapshots)")
	dataLogDir := fs.String("data-log-dir", "", "dataLogDir, when the logs are kept apart (default: --data-dir)")
	count := fs.Int("count", persist.MinRetain, "how many of the newest snapshots to keep (>= 3)")
	stale := fs.Bool("stale", false, "instead: remove the folders of runs and probes that did not finish (killed), and only those")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *stale {
		if *dataDir != "" || *dataLogDir != "" {
			return usagef("--stale takes no --data-dir or --data-log-dir: it finds the folders itself")
		}
		return purgeStale(stdout)
	}
	if *dataDir == "" {
		return usagef("--data-dir is required")
	}
	if *count < persist.MinRetain {
		return usagef("--count %d: must keep at least %d snapshots", *count, persist.MinRetain)
	}
	if err := needVersionDir("--data-dir", *dataDir); err != nil {
		return err
	}
	if *dataLogDir != "" {
		if err := needVersionDir("--data-log-dir", *dataLogDir); err != nil {
			return err
		}
	}
	p, err := persist.Purge(disk.OS, persist.NewDirs(*dataDir, *dataLogDir), *count)
	if err != nil && !errors.Is(err, persist.ErrIncomplete) {
		return err
	}
	if p.Oldest < 0 {
		fmt.Fprintln(stdout, "no valid snapshot found: nothing removed")
		return nil
	}
	// ZooKeeper's PurgeTxnLog carries on past what it cannot remove and
	// exits 0; a script should hear that the disk did not get its space back.
	listErr := listRemoved(stdout, append(p.Snapshots, p.Logs...), p.Left, "old snapshots and logs")
	fmt.Fprintf(stdout, "kept the newest %d snapshots (oldest kept: zxid %s) and the logs they need; removed %d snapshots and %d logs\n",
		*count, zkdump.Hex(p.Oldest), len(p.Snapshots), len(p.Logs))
	return listErr
}

// listRemoved prints a line for each path removed and each left with its
// reason; anything left is a problem (exit 1).
func listRemoved[L fmt.Stringer](w io.Writer, removed []string, left []L, what string) error {
	for _, r := range removed {
		fmt.Fprintf(w, "removed %s\n", r)
	}
	for _, l := range left {
		fmt.Fprintf(w, "not removed %v\n", l)
	}
	if len(left) > 0 {
		return &problemError{fmt.Errorf("could not remove %d of the %d %s (listed above)", len(left), len(left)+len(removed), what)}
	}
	return nil
}

// needVersionDir checks that dir is a ZooKeeper data folder, so that a
// mistyped path is reported rather than quietly purged of nothing.
func needVersionDir(flag, dir string) error {
	v := filepath.Join(dir, txnlog.VersionDir)
	fi, err := os.Stat(v)
	if err != nil || !fi.IsDir() {
		return usagef("%s %s: no %s folder there, not a ZooKeeper data directory", flag, dir, txnlog.VersionDir)
	}
	return nil
}

// purgeStale removes what runs and probes killed before their end left
// behind: the folders their records name that still carry their marker.
func purgeStale(stdout io.Writer) error {
	removed, left, err := runfolders.CleanStale()
	if err != nil {
		return err
	}
	if len(removed)+len(left) == 0 {
		fmt.Fprintln(stdout, "no unfinished run left anything behind")
	}
	return listRemoved(stdout, removed, left, "folders unfinished runs left")
}
