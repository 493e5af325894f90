#!/usr/bin/env bash
# Benchmark of the offline plan, old and new TypeScript paths side by side in one run:
#   old: node -r ts-node/register/transpile-only scripts/plan.ts   (the plan script until issue 8)
#   new: the command of `npm run plan` (package.json), Sucrase with its caches (scripts/register-ts.js)
# Each path runs N times (default 7), alternating, after one warm-up run each (file cache, and the new path's
# caches as after any earlier run); both are started as plain `node` commands, so npm's own start-up (the
# same for both) is counted for neither. Prints every wall time, both medians and the ratio new/old (target:
# at most 0.40), then one run of the new path with its caches emptied (the first run after `npm ci`).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"
plan_args=(scripts/plan.ts --stack dev --no-docs)
# shellcheck disable=SC2207 # the plan script is "node <args> scripts/plan.ts": its words, without the file
new_node_args=($(node -p 'require("./package.json").scripts.plan.replace(/^node /, "").replace(/ scripts\/plan\.ts$/, "")'))
old_node_args=(-r ts-node/register/transpile-only)
caches=(node_modules/.cache/homelab-ts node_modules/.cache/homelab-node-compile)

wall() { # prints the wall time in seconds of: node <args...> (output discarded, failure fatal)
  local t
  t=$( { TS_NODE_PROJECT=tsconfig.json /usr/bin/time -f '%e' node "$@" "${plan_args[@]}" >/dev/null; } 2>&1 | tail -n 1 )
  [[ "$t" =~ ^[0-9.]+$ ]] || { echo "bench: plan failed: node $* ${plan_args[*]}: $t" >&2; exit 1; }
  echo "$t"
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

wall "${old_node_args[@]}" >/dev/null
wall "${new_node_args[@]}" >/dev/null
old=() new=()
for _ in $(seq "$runs"); do
  old+=("$(wall "${old_node_args[@]}")")
  new+=("$(wall "${new_node_args[@]}")")
done
old_median=$(median "${old[@]}")
new_median=$(median "${new[@]}")
ratio=$(awk -v n="$new_median" -v o="$old_median" 'BEGIN {printf "%.2f", n / o}')
verdict=$(awk -v r="$ratio" 'BEGIN {print (r <= 0.40) ? "met" : "NOT met"}')
rm -rf "${caches[@]}"
cold=$(wall "${new_node_args[@]}")

echo "old path (node ${old_node_args[*]}) wall times (s): ${old[*]}"
echo "new path (node ${new_node_args[*]}) wall times (s): ${new[*]}"
echo "old median: ${old_median} s, new median: ${new_median} s over ${runs} runs each"
echo "ratio new/old: ${ratio} (target <= 0.40: ${verdict})"
echo "new path with its caches emptied (first run after npm ci): ${cold} s"
