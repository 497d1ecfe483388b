#!/usr/bin/env bash
# Instructions per admission decision, counted by callgrind: a figure that does not move with the
# machine's load, for telling whether a change made the decision cheaper (time on a shared VM moves
# by a third between runs). The micro-benchmark runs twice per fixture and policy, with N and 3N
# iterations; the difference divided by the extra decisions leaves out loading and setup. The
# benchmark runs --untimed: no clock reads and no sort of time samples among the decisions.
# Knobs: ITERATIONS (200), FIXTURES (a directory of AdmissionReviews), POLICY, BENCH (a built
# sparkhook-bench to run instead of building the release one: the smoke test passes the debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
ITERATIONS=${ITERATIONS:-200}
POLICY=${POLICY:-examples/production.yaml}
FIXTURES=${FIXTURES:-bench/fixtures}

shopt -s nullglob
fixtures=("$FIXTURES"/*.json)
(( ${#fixtures[@]} )) || { echo "instructions.sh: no AdmissionReviews (*.json) in $FIXTURES" >&2; exit 2; }

source bench/common.sh
require valgrind valgrind
require strip binutils
BENCH=${BENCH:-$(release_binary sparkhook-bench)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Valgrind 3.19 gives up on the DWARF 5 debug information Swift writes: count a copy without it.
strip --strip-debug -o "$work/bench" "$BENCH"

# Instructions of one run of the benchmark on the fixture in $work/one, with extra flags.
count() {
  SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --callgrind-out-file="$work/out" "$work/bench" --iterations "$1" --fixtures "$work/one" \
    --policy "$POLICY" --untimed "${@:2}" 2>&1 >/dev/null | awk '/refs:/ { gsub(",", "", $NF); print $NF }'
}

# Up to 2,000 warm-up decisions come before the measured ones: N iterations decide 2N times.
(( ITERATIONS <= 666 )) || { echo "instructions.sh: ITERATIONS at most 666 (3N warm-ups must stay under 2,000)" >&2; exit 1; }
extra=$(( 2 * 2 * ITERATIONS ))
printf '\nInstructions per admission decision (callgrind, marginal over %d decisions), policy %s\n' "$extra" "$POLICY"
printf '%-36s %-30s %14s %14s\n' fixture policy instructions added
mkdir "$work/one"
for fixture in "${fixtures[@]}"; do
  rm -f "$work/one"/*.json
  cp "$fixture" "$work/one/"
  small1=$(count "$ITERATIONS" --no-large)
  small3=$(count $(( 3 * ITERATIONS )) --no-large)
  both1=$(count "$ITERATIONS")
  both3=$(count $(( 3 * ITERATIONS )))
  small=$(( (small3 - small1) / extra ))
  large=$(( (both3 - both1) / extra - small ))
  printf '%-36s %-30s %14d\n' "$(basename "$fixture")" "the policy" "$small"
  printf '%-36s %-30s %14d %14d\n' "$(basename "$fixture")" "500 more rules, none matching" "$large" $(( large - small ))
done
