#!/usr/bin/env bash
# calibrate.sh [OUT] — what carries over from the embedded ensemble to
# real ZooKeeper on this machine: the write, read and mixed workloads on
# both, side by side, and their ratios (README's table of embedded and
# ZooKeeper 3.8 figures, regenerated).
#
# For each workload, the `calibrate` profile as a sweep: the embedded
# ensemble, then three real ZooKeeper 3.8 servers zkbench starts and
# stops (target zookeeper: Debian's zookeeper package and a Java
# runtime), with the same plan (16 clients, 1 KiB values, 1,000 keys,
# ZooKeeper's default snapCount); then `zkbench compare --force` of the
# two sides (OUT/WORKLOAD/compare.txt) and one report, OUT/report.html.
# Last, a table: each workload's throughput and per-op p99 on both
# targets, and embedded ÷ ZooKeeper.
#
# OUT defaults to zkbench-results/calibrate-<UTC time>. Environment:
# ZKBENCH (a zkbench binary; default: built from this checkout),
# SWEEP_ARGS (more `zkbench sweep` flags, e.g. "--repeat 3 --duration
# 60s"), WORKLOADS (default "write read mixed").
#
# How long: 3 workloads × 2 targets × (5 s warm-up + 20 s), plus about
# 5 s to start the JVMs each time: about 3 minutes.
#
# Exit status: 0 when everything ran, 2 on bad usage or a step that
# failed.
set -euo pipefail

[ $# -le 1 ] || { echo "usage: $0 [OUT]" >&2; exit 2; }
out=${1:-zkbench-results/calibrate-$(date -u +%Y%m%dT%H%M%SZ)}
read -r -a sweep_args <<<"${SWEEP_ARGS:-}"
read -r -a workloads <<<"${WORKLOADS:-write read mixed}"
fail() { echo "$0: $*" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zkbench=${ZKBENCH:-}
if [ -z "$zkbench" ]; then
  zkbench=$work/zkbench
  (cd "$(dirname "$0")/.." && go build -o "$zkbench" ./cmd/zkbench) || fail "cannot build zkbench"
fi

dirs=()
for w in "${workloads[@]}"; do
  echo "== $w: embedded, then ZooKeeper"
  "$zkbench" sweep --profile calibrate --workload "$w" --out "$out/$w" "${sweep_args[@]}" || fail "the $w runs failed"
  # The targets differ by design (--force); a "regression" of ZooKeeper
  # against the embedded ensemble is the answer, not a failure: only a
  # failure of compare itself (2) stops the script.
  status=0
  "$zkbench" compare "$out/$w" --force >"$out/$w/compare.txt" 2>"$work/compare.err" || status=$?
  [ "$status" -ne 2 ] || fail "compare failed: $(cat "$work/compare.err")"
  dirs+=("$out/$w")
done

echo "== the report"
"$zkbench" report "${dirs[@]}" --out "$out/report.html" || fail "the report failed"

echo "== embedded and ZooKeeper side by side (embedded ÷ ZooKeeper)"
for w in "${workloads[@]}"; do
  # compare's rows: METRIC BASELINE UNIT CANDIDATE UNIT CHANGE …, the
  # baseline the embedded side (the profile's first target).
  awk -v w="$w" '
    function us(v, unit) { return unit == "s" ? v * 1e6 : unit == "ms" ? v * 1e3 : v }
    $1 == "throughput" || $1 ~ /\.p99$/ {
      a = us($2, $3); b = us($4, $5)
      printf "%-8s %-14s %12s %12s %8s\n", w, $1, $2 " " $3, $4 " " $5, (b > 0 ? sprintf("%.2f×", a / b) : "-")
    }' "$out/$w/compare.txt"
done | { printf "%-8s %-14s %12s %12s %8s\n" WORKLOAD METRIC EMBEDDED ZOOKEEPER RATIO; cat; }
echo "results: $out (report.html, one sweep folder per workload)"
