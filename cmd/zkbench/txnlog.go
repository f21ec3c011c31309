package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"zkbench/engine/disk"
	"zkbench/engine/txnlog"
	"zkbench/zkdump"
)

func runTxnlog(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("txnlog", stderr)
	detail := fs.Bool("detail", false, "show whole node data and each txn's digest")
	asJSON := fs.Bool("json", false, "one JSON object per txn, nothing else on stdout")
	verify := fs.Bool("verify", false, "check checksums only; exit 1 on corruption")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one log file, got %d arguments", fs.NArg())
	}
	path := fs.Arg(0)
	if *verify {
		return verifyLog(path, stdout)
	}
	r, err := openLog(path)
	if err != nil {
		return err
	}
	defer r.Close()
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	return problem(zkdump.WriteLog(r, out, *detail, *asJSON))
}

// openLog opens a log for dumping. A file that cannot be read, or is not
// a ZooKeeper log at all, is bad input (exit 2), not corruption.
func openLog(path string) (*txnlog.Reader, error) {
	r, err := txnlog.OpenReader(disk.OS, path)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return r, nil
}

// problem turns the first corruption found (or a later fatal error) into
// the command's exit-1 result.
func problem(first, fatal error) error {
	if first != nil {
		return &problemError{first}
	}
	if fatal != nil {
		return &problemError{fatal}
	}
	return nil
}

func verifyLog(path string, stdout io.Writer) error {
	res, err := txnlog.Verify(disk.OS, path)
	var ce *txnlog.CorruptError
	switch {
	case errors.As(err, &ce) && (errors.Is(err, txnlog.ErrBadMagic) || errors.Is(err, txnlog.ErrShortHeader)):
		return usagef("%v", err)
	case errors.As(err, &ce):
		return &problemError{err}
	case err != nil:
		return usagef("%v", err)
	}
	torn := ""
	if res.Torn {
		torn = fmt.Sprintf(", torn tail at offset %d dropped", res.End)
	}
	if res.Records == 0 {
		fmt.Fprintf(stdout, "%s: ok, no txns%s\n", path, torn)
		return nil
	}
	fmt.Fprintf(stdout, "%s: ok, %d txns, zxid %s to %s, log ends at offset %d%s\n",
		path, res.Records, zkdump.Hex(res.FirstZxid), zkdump.Hex(res.LastZxid), res.End, torn)
	return nil
}
