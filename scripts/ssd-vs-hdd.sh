#!/usr/bin/env bash
# ssd-vs-hdd.sh MOUNT_A MOUNT_B [OUT] — which of two mounts should hold
# the ensemble's data, and what does it buy?
#
# End to end, on this machine:
#   1. `zkbench probe` on both mounts: the log's fdatasync latency, what
#      preallocation buys, the device facts (rotational, scheduler, fs) and
#      the verdict against the usual guidance (p99 under 10 ms);
#   2. the `ssd-vs-hdd` profile (a write workload, 16 clients, repeated)
#      as a sweep with the members' dataDirs on MOUNT_A, then MOUNT_B, the
#      repeats interleaved so that a drift of the machine hits both;
#   3. `zkbench compare` of the two sides (MOUNT_A is the baseline),
#      with a significance test across the repeats;
#   4. one report: OUT/report.html (probe spectra, runs overlaid,
#      throughput and latency against the mount).
#
# OUT defaults to zkbench-results/ssd-vs-hdd-<UTC time>. Each mount must be a
# writable folder with room for the probe's scratch file and three members'
# logs; zkbench creates its own folders there and removes them afterwards.
# Environment: ZKBENCH (a zkbench binary; default: built from this
# checkout), SWEEP_ARGS (more `zkbench sweep` flags, e.g. "--repeat 5
# --duration 60s"), PROBE_ARGS (more `zkbench probe` flags).
#
# Exit status: 0 when everything ran (whichever mount won), 2 on bad
# usage or a step that failed.
set -euo pipefail

usage() { echo "usage: $0 MOUNT_A MOUNT_B [OUT]" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage
a=${1%/} b=${2%/}
out=${3:-zkbench-results/ssd-vs-hdd-$(date -u +%Y%m%dT%H%M%SZ)}
read -r -a sweep_args <<<"${SWEEP_ARGS:-}"
read -r -a probe_args <<<"${PROBE_ARGS:-}"
fail() { echo "$0: $*" >&2; exit 2; }
for m in "$a" "$b"; do
  [ -d "$m" ] || fail "$m is not a folder"
  [[ $m != *,* ]] || fail "$m: a comma would split the sweep's value list"
done
[ "$(realpath "$a")" != "$(realpath "$b")" ] || fail "MOUNT_A and MOUNT_B are the same folder"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zkbench=${ZKBENCH:-}
if [ -z "$zkbench" ]; then
  zkbench=$work/zkbench
  (cd "$(dirname "$0")/.." && go build -o "$zkbench" ./cmd/zkbench) || fail "cannot build zkbench"
fi

echo "== 1. sync latency of each mount"
"$zkbench" probe --dir "$a" --dir "$b" --out "$out/probe" "${probe_args[@]}" || fail "the probe failed"

echo "== 2. the write workload with the data on each mount"
"$zkbench" sweep --profile ssd-vs-hdd --vary "dataDir=$a,$b" --out "$out/sweep" "${sweep_args[@]}" ||
  fail "the runs failed"

echo "== 3. $b compared with $a"
verdict=0
"$zkbench" compare "$out/sweep" --format markdown >"$out/compare.md" || verdict=$?
[ "$verdict" -le 1 ] || [ "$verdict" -eq 3 ] || fail "compare failed (exit $verdict)" # 3: inconclusive
cat "$out/compare.md"

"$zkbench" report "$out/probe" "$out/sweep" --out "$out/report.html" || fail "the report failed"
echo "== report: $out/report.html"
