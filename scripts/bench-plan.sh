#!/usr/bin/env bash
# Benchmark of the offline plan, old and new TypeScript paths side by side in one run:
#   old: node -r ts-node/register/transpile-only scripts/plan.ts   (the plan script until issue 8)
#   new: the command of `npm run plan` (package.json), Sucrase with its caches (scripts/register-ts.js)
# Each path runs N times (default 9), alternating, after one warm-up run each (file cache, and the new path's
# caches as after any earlier run); both are started as plain `node` commands, so npm's own start-up (the
# same for both) is counted for neither. Prints every wall time, both medians and the ratio new/old (target:
# at most 0.40); as checks on a busy machine, the median of the ratios of back-to-back pairs and the ratio of
# CPU time (user + system) medians; then one run of the new path with its caches emptied (after `npm ci`).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-9}"
plan_args=(scripts/plan.ts --stack dev --no-docs)
# shellcheck disable=SC2207 # the plan script is "node <args> scripts/plan.ts": its words, without the file
new_node_args=($(node -p 'require("./package.json").scripts.plan.replace(/^node /, "").replace(/ scripts\/plan\.ts$/, "")'))
old_node_args=(-r ts-node/register/transpile-only)
caches=(node_modules/.cache/homelab-ts node_modules/.cache/homelab-node-compile node_modules/.cache/homelab-providers)

measure() { # sets wall and cpu (seconds) for: node <args...> (output discarded, failure fatal)
  local t
  t=$( { TS_NODE_PROJECT=tsconfig.json /usr/bin/time -f '%e %U %S' node "$@" "${plan_args[@]}" >/dev/null; } 2>&1 | tail -n 1 )
  [[ "$t" =~ ^([0-9.]+)\ ([0-9.]+)\ ([0-9.]+)$ ]] || { echo "bench: plan failed: node $* ${plan_args[*]}: $t" >&2; exit 1; }
  wall="${BASH_REMATCH[1]}"
  cpu=$(awk -v u="${BASH_REMATCH[2]}" -v s="${BASH_REMATCH[3]}" 'BEGIN {printf "%.2f", u + s}')
}
ratio() { awk -v n="$1" -v o="$2" 'BEGIN {printf "%.2f", n / o}'; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

wall="" cpu=""
measure "${old_node_args[@]}"
measure "${new_node_args[@]}"
old_wall=() old_cpu=() new_wall=() new_cpu=() pair_ratios=()
for _ in $(seq "$runs"); do
  measure "${old_node_args[@]}"; old_wall+=("$wall"); old_cpu+=("$cpu")
  measure "${new_node_args[@]}"; new_wall+=("$wall"); new_cpu+=("$cpu")
  pair_ratios+=("$(ratio "${new_wall[-1]}" "${old_wall[-1]}")")
done
old_median=$(median "${old_wall[@]}")
new_median=$(median "${new_wall[@]}")
wall_ratio=$(ratio "$new_median" "$old_median")
cpu_ratio=$(ratio "$(median "${new_cpu[@]}")" "$(median "${old_cpu[@]}")")
verdict=$(awk -v r="$wall_ratio" 'BEGIN {print (r <= 0.40) ? "met" : "NOT met"}')
rm -rf "${caches[@]}"
measure "${new_node_args[@]}"
cold="$wall"

echo "old path (node ${old_node_args[*]}) wall times (s): ${old_wall[*]}"
echo "new path (node ${new_node_args[*]}) wall times (s): ${new_wall[*]}"
echo "old median: ${old_median} s, new median: ${new_median} s over ${runs} runs each"
echo "ratio new/old: ${wall_ratio} (target <= 0.40: ${verdict})"
echo "median of the back-to-back pair ratios: $(median "${pair_ratios[@]}")"
echo "CPU time (user + system) medians: old $(median "${old_cpu[@]}") s, new $(median "${new_cpu[@]}") s, ratio ${cpu_ratio}"
echo "new path with its caches emptied (first run after npm ci): ${cold} s"
