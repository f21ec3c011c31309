#!/usr/bin/env bash
# compare-fio.sh DIR [COUNT] — check `zkbench probe` against fio.
#
# Runs the fdatasync recipe the ZooKeeper and etcd communities use to judge
# a log device,
#
#   fio --rw=write --ioengine=sync --fdatasync=1 --bs=2300 --size=COUNT×2300 --directory=DIR
#
# and `zkbench probe` with the same block size and count on the same
# directory, and prints both medians and p99s of the sync latency and their
# ratios (zkbench / fio). The target: zkbench's median within 10% of fio's,
# or within 0.2 µs of it. The second is for tmpfs, where a sync does
# nothing and takes ~0.2 µs: there Go's own cost of a system call (the
# runtime's entersyscall/exitsyscall, ~0.1 µs, which fio in C does not
# pay) is half the figure. On any device that stores data a sync takes
# 10 µs or more, where 0.2 µs is under 2% and the 10% target decides.
#
# Apples to apples:
#   - fio lays its file out with fallocate(2) over the whole size before the
#     job starts (fallocate=native, the default), so zkbench runs with
#     --prealloc-mode fallocate and a --pre-alloc-size covering the whole
#     file: no extension happens mid-run on either side.
#   - fio's sync percentiles time the fdatasync call alone; so does zkbench
#     (the probe times only the sync with disk.Time, not the write before
#     it).
#   - The two run alternately, ROUNDS times (default 3), so that a drift of
#     the device (other tenants, write-back) hits both; the summary uses the
#     median of each tool's per-round figures.
#   - Both write incompressible data.
#   - fio reports nanoseconds; zkbench's histograms and .hlog files are in
#     microseconds, which cannot tell a tmpfs sync (~0.3 µs) from zero, so
#     the script reads probe.json's latency_ns, the same syncs recorded in
#     nanoseconds (both with 3 significant digits or better).
#
# Requirements: fio (Debian package fio), jq (Debian package jq), Go (to
# build zkbench, unless ZKBENCH names a binary). Environment: ROUNDS,
# ZKBENCH. Exit status: 0, or 1 when the median is more than 10% and
# 0.2 µs off, 2 on bad usage. Leaves nothing in DIR.
set -euo pipefail

usage() { echo "usage: $0 DIR [COUNT]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
dir=$1
count=${2:-2000}
rounds=${ROUNDS:-3}
bs=2300
[ -d "$dir" ] || { echo "$0: $dir is not a directory" >&2; exit 2; }
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "$0: COUNT must be a positive integer, got $count" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "$0: ROUNDS must be a positive integer, got $rounds" >&2; exit 2; }
for tool in fio jq; do
  command -v "$tool" >/dev/null || { echo "$0: needs $tool (apt-get install $tool)" >&2; exit 2; }
done

work=$(mktemp -d)
fiofile="zkbench-compare-fio-$$"
cleanup() { rm -rf "$work"; rm -f "$dir/$fiofile".*; }
trap cleanup EXIT

zkbench=${ZKBENCH:-}
if [ -z "$zkbench" ]; then
  zkbench=$work/zkbench
  (cd "$(dirname "$0")/.." && go build -o "$zkbench" ./cmd/zkbench)
fi

size=$((count * bs))
# One preallocation step that covers the file and ZooKeeper's 4 KiB margin,
# rounded up to whole MiB.
prealloc=$(( (size + 4096 + 1048575) / 1048576 + 1 ))MiB

# Per round: "fio_p50_us fio_p99_us zk_p50_us zk_p99_us", one line each.
results=$work/rounds
for ((r = 1; r <= rounds; r++)); do
  fio --name="$fiofile" --directory="$dir" --rw=write --ioengine=sync --fdatasync=1 \
      --bs=$bs --size=$size --unlink=1 --output-format=json >"$work/fio.json"
  fio_line=$(jq -r '.jobs[0].sync.lat_ns.percentile | "\(.["50.000000"] / 1000) \(.["99.000000"] / 1000)"' "$work/fio.json")

  "$zkbench" probe --dir "$dir" --block-size $bs --count "$count" --sync fdatasync \
      --prealloc-mode fallocate --pre-alloc-size "$prealloc" --bandwidth-size 0 \
      --out "$work/zk$r" >/dev/null
  zk_line=$(jq -r '.probes[0].latency_ns | "\(.p50 / 1000) \(.p99 / 1000)"' "$work/zk$r/probe.json")

  echo "$fio_line $zk_line" >>"$results"
done

echo "dir $dir ($(df -T "$dir" | awk 'NR == 2 { print $2 }')), $count writes of $bs bytes, fdatasync after each, $rounds rounds"
awk -v rounds="$rounds" '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
  }
  function ratio(z, f) { return f > 0 ? sprintf("%.3f", z / f) : "n/a" }
  {
    fp50[NR] = $1; fp99[NR] = $2; zp50[NR] = $3; zp99[NR] = $4
    printf "round %d   fio p50 %9.2f µs  p99 %9.2f µs   zkbench p50 %9.2f µs  p99 %9.2f µs   ratio p50 %s  p99 %s\n",
      NR, $1, $2, $3, $4, ratio($3, $1), ratio($4, $2)
  }
  END {
    f50 = median(fp50, NR); f99 = median(fp99, NR); z50 = median(zp50, NR); z99 = median(zp99, NR)
    printf "median    fio p50 %9.2f µs  p99 %9.2f µs   zkbench p50 %9.2f µs  p99 %9.2f µs   ratio p50 %s  p99 %s\n",
      f50, f99, z50, z99, ratio(z50, f50), ratio(z99, f99)
    diff = z50 - f50; if (diff < 0) diff = -diff
    off = f50 > 0 ? diff / f50 : 0
    if (off <= 0.10) { printf "zkbench median within %.1f%% of fio'"'"'s (target: 10%%)\n", off * 100; exit 0 }
    if (diff <= 0.2) {
      printf "zkbench median %.0f%% but only %.2f µs off fio'"'"'s: Go'"'"'s ~0.1 µs system call overhead, accepted (target: 10%% or 0.2 µs)\n", off * 100, diff
      exit 0
    }
    printf "zkbench median is %.0f%% (%.2f µs) off fio'"'"'s (target: within 10%% or 0.2 µs)\n", off * 100, diff; exit 1
  }' "$results"
