// Command zkbench is a benchmarking and disk-tuning workbench for
// ZooKeeper-style coordination services. See docs in README.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"zkbench/bench"
	"zkbench/results/compare"
)

// Exit codes, the same for every command.
const (
	exitOK      = 0
	exitProblem = 1 // the command ran and found what it was asked to find
	exitUsage   = 2 // bad usage or input
	// exitInconclusive: compare's data cannot tell a regression the
	// size of the threshold from noise.
	exitInconclusive = 3
	// exitInterrupted is the shell's 128+SIGINT: stopped by a signal,
	// what was measured written and marked interrupted.
	exitInterrupted = 130
)

// usageError is bad usage or input: one line on stderr, exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// problemError is a finding (a corrupt file, a regression): exit 1.
type problemError struct{ err error }

func (e *problemError) Error() string { return e.err.Error() }
func (e *problemError) Unwrap() error { return e.err }

// commands run with the arguments after their name.
var commands = map[string]func(args []string, stdout, stderr io.Writer) error{
	"capacity": runCapacity, "compare": runCompare, "merge": runMerge, "probe": runProbe, "purge": runPurge, "report": runReport,
	"restore": runRestore, "run": runRun, "sweep": runSweep, "serve": runServe, "snapshot": runSnapshot, "txnlog": runTxnlog,
	"version": runVersion,
}

// helps are the commands' usage lines and summaries, for zkbench help
// and each command's -h.
var helps = map[string]struct{ synopsis, summary string }{
	"capacity": {"zkbench capacity [run flags] [--max-p99 10ms] [--percentile 99|99.9] [--step 5s] [--warmup 2s] [--start-rate 500] [--predict-from PROBE_DIR] [--out DIR]",
		"the highest open-loop rate that meets a latency SLA, and what limits it"},
	"compare": {"zkbench compare BASELINE CANDIDATE [flags]",
		"compare a candidate's runs with a baseline's; exit 1 on a regression"},
	"merge": {"zkbench merge DIR... --out DIR", "add up the runs of the drivers of one shared workload (run --driver I/N)"},
	"probe": {"zkbench probe --dir DIR [--dir DIR ...] [flags]",
		"measure whether a directory is good enough for a ZooKeeper log"},
	"purge": {"zkbench purge --data-dir DIR [--data-log-dir DIR] [--count 3]",
		"keep the newest N snapshots and the logs they need"},
	"report": {"zkbench report DIR [DIR ...] [--out FILE.html] | --trend DIR...",
		"render run, sweep, probe and capacity folders as one HTML report; --trend: a history of runs"},
	"restore": {"zkbench restore DATADIR [--data-log-dir DIR] [--json]",
		"time a server's start-up restore of a dataDir, phase by phase, changing nothing in it"},
	"run": {"zkbench run [--profile NAME|FILE] [--out DIR] [flags] [--set key=value ...]",
		"start an ensemble (or use a real one), run a workload, write results"},
	"sweep": {"zkbench sweep [--profile NAME|FILE] --vary key=v1,v2,... [--vary ...] [flags]",
		"run the cross product of varied knobs, one run folder each, and compare them"},
	"serve":    {"zkbench serve [flags]", "run the embedded ensemble for any ZooKeeper client until interrupted"},
	"snapshot": {"zkbench snapshot FILE [--detail] [--json] [--verify]", "dump or verify a ZooKeeper snapshot file"},
	"txnlog":   {"zkbench txnlog FILE [--detail] [--json] [--verify]", "dump or verify a ZooKeeper transaction log file"},
	"version":  {"zkbench version", "print the version"},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	name := args[0]
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "zkbench: unknown command %q (try zkbench help)\n", name)
		return exitUsage
	}
	err := cmd(args[1:], stdout, stderr)
	return report(stderr, name, err)
}

func report(stderr io.Writer, name string, err error) int {
	if err == nil || errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	// One line: what went wrong and where, never a stack.
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(stderr, "zkbench %s: %s\n", name, msg)
	var pe *problemError
	switch {
	case errors.Is(err, bench.ErrInterrupted):
		return exitInterrupted
	case errors.Is(err, compare.ErrInconclusive):
		return exitInconclusive
	case errors.As(err, &pe):
		return exitProblem
	}
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: zkbench <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, helps[n].summary)
	}
}

// newFlags returns a flag set whose errors come back as usage errors
// instead of exiting, with usage text on stderr for -h.
func newFlags(name string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("zkbench "+name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	return fs
}

// parseFlags parses args, turning pflag's errors into usage errors; for
// -h it writes the command's help where newFlags said.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	help := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		c := helps[strings.TrimPrefix(fs.Name(), "zkbench ")]
		fmt.Fprintf(help, "usage: %s\n\n%s\n\nflags:\n%s", c.synopsis, c.summary, fs.FlagUsages())
		return err
	}
	if err != nil {
		return usagef("%v", err)
	}
	return nil
}
