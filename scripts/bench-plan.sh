#!/usr/bin/env bash
# Benchmark of the offline plan: runs `npm run plan` N times (default 7) under /usr/bin/time and prints
# every wall time and the median. Target: median under 3 s for the dev stack on the 2-core CI machine.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"
times=()
for _ in $(seq "$runs"); do
  t=$( { /usr/bin/time -f '%e' npm run --silent plan -- --stack dev --no-docs >/dev/null; } 2>&1 | tail -n 1 )
  times+=("$t")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
echo "plan wall times (s): ${times[*]}"
echo "plan median wall time: ${median} s over ${runs} runs (target < 3 s)"
