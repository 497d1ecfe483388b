#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets with AddressSanitizer and runs each for FUZZ_SECONDS.
# Knobs: FUZZ_SECONDS (60), TARGETS ("http admission policy preview"), FUZZ_WORK (where corpora
# grow between runs and crashes are written: .build/fuzz), FUZZ_JOBS (1).
# Seeds: Fuzz/seeds/<target> (the hostile cases fixed so far), plus the fixtures for the review
# readers and the example policies for the loader. Exit 1 on a crash, with its input kept.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
TARGETS=${TARGETS:-"http admission policy preview"}
work=${FUZZ_WORK:-.build/fuzz}
# One -sanitize= flag with both: SwiftPM's --sanitize=fuzzer --sanitize=address passes two and the
# compiler keeps the last, leaving Swift code without coverage. lld: gold fails on these links.
swift build --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld
bin=Fuzz/.build/debug
status=0
for t in $TARGETS; do
  seeds="$work/seeds-$t"
  rm -rf "$seeds"
  mkdir -p "$work/$t" "$seeds"
  case $t in
    admission) cp Tests/Fixtures/*.json "$seeds/" ;;
    policy) cp examples/*.yaml "$seeds/" ;;
    preview) for f in Tests/Fixtures/*.json; do { printf J; cat "$f"; } > "$seeds/$(basename "$f")"; done ;;
  esac
  log="$work/$t.log"
  # A crash in Swift code would otherwise hang in the backtracer instead of reaching libFuzzer.
  if SWIFT_BACKTRACE=enable=no LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0" "$bin/fuzz-$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -artifact_prefix="$work/crash-$t-" "$work/$t" "$seeds" "Fuzz/seeds/$t" > "$log" 2>&1; then
    runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log")
    echo "fuzz-$t: ${runs:-?}, no crash ($(grep -c . <(ls "$work/$t")) inputs in the corpus)"
  else
    echo "fuzz-$t: FAILED; input and log under $work (crash-$t-*, $t.log):" >&2
    grep -E "ERROR|Fatal error|SUMMARY" "$log" | head -5 >&2
    status=1
  fi
done
exit $status
