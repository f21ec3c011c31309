package main

import (
	"encoding/json"
	"io"

	"zkbench/bench"
	"zkbench/startup"
)

func runRestore(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	logDir := fs.String("data-log-dir", "", "the dataLogDir (or a parent of server<id> ones) when the logs live apart")
	asJSON := fs.Bool("json", false, "print one JSON object (docs/result-schema.md), nothing else on stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one DATADIR, got %d arguments", fs.NArg())
	}
	res, err := startup.Run(fs.Arg(0), *logDir, startup.Options{Version: bench.Version()})
	if err != nil {
		return usagef("%v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	res.WriteText(stdout)
	return nil
}
