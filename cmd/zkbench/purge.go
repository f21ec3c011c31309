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
	"zkbench/internal/fserr"
	"zkbench/zkdump"
)

func runPurge(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("purge", stderr)
	dataDir := fs.String("data-dir", "", "ZooKeeper dataDir (the folder holding version-2 with the snapshots)")
	dataLogDir := fs.String("data-log-dir", "", "dataLogDir, when the logs are kept apart (default: --data-dir)")
	count := fs.Int("count", persist.MinRetain, "how many of the newest snapshots to keep (>= 3)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
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
	for _, f := range append(p.Snapshots, p.Logs...) {
		fmt.Fprintf(stdout, "removed %s\n", f)
	}
	for _, l := range p.Left {
		fmt.Fprintf(stdout, "not removed %s: %v\n", l.Path, fserr.Reason(l.Err))
	}
	fmt.Fprintf(stdout, "kept the newest %d snapshots (oldest kept: zxid %s) and the logs they need; removed %d snapshots and %d logs\n",
		*count, zkdump.Hex(p.Oldest), len(p.Snapshots), len(p.Logs))
	if len(p.Left) > 0 {
		// ZooKeeper's PurgeTxnLog carries on the same way but exits 0;
		// a script should hear that the disk did not get its space back.
		return &problemError{fmt.Errorf("could not remove %d of the %d old snapshots and logs (listed above)",
			len(p.Left), len(p.Left)+len(p.Snapshots)+len(p.Logs))}
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
