package main

import (
	"fmt"
	"io"

	"zkbench/bench"
)

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "zkbench %s\n", bench.Version())
	return nil
}
