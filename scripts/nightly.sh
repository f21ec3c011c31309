#!/usr/bin/env bash
# nightly.sh [HISTORY] — the nightly regression job.
#
# Runs the `nightly` profile (its runs repeated, so that the comparison
# can test significance) into HISTORY/<UTC date>, compares it with the
# baseline, and renders the trend over every night in HISTORY:
#
#   HISTORY/2026-11-25/      sweep.json, report.html, one folder per repeat
#   HISTORY/2026-11-25/compare.md   the comparison with the baseline
#   HISTORY/baseline         a symlink to the night the others are held to
#   HISTORY/trend.html       throughput and latency night after night
#
# The first night becomes the baseline. To move it (after an accepted
# change of speed): ln -sfn 2026-12-01 HISTORY/baseline.
#
# HISTORY defaults to zkbench-results/nightly. Environment: ZKBENCH (a zkbench
# binary; default: built from this checkout), MAX_REGRESSION (default 10%),
# METRICS (compare's --metric, default throughput: the profile's repeats
# are sized for it, see docs/noise.md), NIGHTLY_ARGS (more `zkbench sweep` flags, e.g. "--repeat 3 --duration
# 10s"), DATE (the night's folder name, default today's UTC date; a second
# run the same day gets DATE.2, DATE.3 …).
#
# Exit status: 0 no significant regression (or a first night), 1 a
# regression beyond MAX_REGRESSION (compare's verdict), 3 inconclusive
# (the night's runs too few for their noise to show a regression of
# MAX_REGRESSION: compare says how many would), 2 bad usage or a step
# that failed (an interrupted night among them).
set -euo pipefail

usage() { echo "usage: $0 [HISTORY]" >&2; exit 2; }
[ $# -le 1 ] || usage
history=${1:-zkbench-results/nightly}
max_regression=${MAX_REGRESSION:-10%}
metrics=${METRICS:-throughput}
date=${DATE:-$(date -u +%Y-%m-%d)}
read -r -a extra <<<"${NIGHTLY_ARGS:-}"
fail() { echo "$0: $*" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zkbench=${ZKBENCH:-}
if [ -z "$zkbench" ]; then
  zkbench=$work/zkbench
  (cd "$(dirname "$0")/.." && go build -o "$zkbench" ./cmd/zkbench) || fail "cannot build zkbench"
fi

mkdir -p "$history" || fail "cannot create $history"
night=$date
for ((n = 2; ; n++)); do
  [ -e "$history/$night" ] || break
  night=$date.$n
done

echo "== nightly: $history/$night"
"$zkbench" sweep --profile nightly --out "$history/$night" "${extra[@]}" || fail "the nightly runs failed"

verdict=0
if [ -e "$history/baseline" ]; then
  echo "== compared with the baseline ($(readlink "$history/baseline" || echo baseline))"
  "$zkbench" compare "$history/baseline" "$history/$night" --max-regression "$max_regression" \
      --metric "$metrics" --format markdown >"$history/$night/compare.md" || verdict=$?
  cat "$history/$night/compare.md"
  [ "$verdict" -le 1 ] || [ "$verdict" -eq 3 ] || fail "compare failed (exit $verdict)"
else
  ln -s "$night" "$history/baseline"
  echo "== first night: $night is the baseline"
fi

# No trailing / on the glob: "DATE/" would sort after "DATE.2/" ('.' is
# before '/'). The trend orders the nights by when they ran anyway.
nights=()
for d in "$history"/[0-9][0-9][0-9][0-9]-*; do
  [ -f "$d/sweep.json" ] && nights+=("$d")
done
"$zkbench" report --trend "${nights[@]}" --out "$history/trend.html" || fail "the trend report failed"
echo "== trend over ${#nights[@]} nights: $history/trend.html"
exit "$verdict"
