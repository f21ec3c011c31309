package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"

	"zkbench/engine/disk"
	"zkbench/engine/snap"
	"zkbench/zkdump"
)

func runSnapshot(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("snapshot", stderr)
	detail := fs.Bool("detail", false, "show each node's data (base64), as SnapshotFormatter -d")
	asJSON := fs.Bool("json", false, "one JSON object per znode, then one with sessions, nothing else on stdout")
	verify := fs.Bool("verify", false, "check the seals only; exit 1 on corruption")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one snapshot file, got %d arguments", fs.NArg())
	}
	p := fs.Arg(0)
	if *verify {
		return verifySnapshot(p, stdout)
	}
	dump, readErr := zkdump.ReadSnapshot(p)
	if dump == nil {
		return snapshotError(readErr)
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	if *asJSON {
		if err := dump.WriteJSON(out); err != nil {
			return err
		}
	} else {
		dump.WriteText(out, *detail)
	}
	return snapshotError(readErr)
}

func verifySnapshot(p string, stdout io.Writer) error {
	info, err := snap.Verify(disk.OS, p)
	if err != nil {
		return snapshotError(err)
	}
	digest := "no digest block"
	if info.Digest != nil {
		digest = "digest zxid " + zkdump.Hex(info.Digest.Zxid) + " value " + strconv.FormatInt(info.Digest.Value, 10)
	}
	fmt.Fprintf(stdout, "%s: ok, %d znodes, %d sessions, %d ACL entries, %s, %d bytes\n",
		p, info.Nodes, info.Sessions, info.ACLs, digest, info.Size)
	return nil
}

// snapshotError is corruption (exit 1) where the seals of a snapshot do
// not match, bad input (exit 2) where the file is no snapshot at all.
func snapshotError(err error) error {
	var se *snap.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, snap.ErrBadMagic), !errors.As(err, &se):
		return usagef("%v", err)
	}
	return &problemError{err}
}
