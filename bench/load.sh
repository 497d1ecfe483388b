#!/usr/bin/env bash
# Load benchmark of the real server (release build) on loopback:
#   keep-alive: wrk POSTs an executor AdmissionReview at 1, 16, 64 and 256 connections and we
#               print req/s, p50, p99, server CPU per request and peak RSS;
#   churn:      full and resumed TLS handshakes per second (openssl s_time, one connection at a time).
# Knobs: DURATION (10s), CONNS ("1 16 64 256"), POLICY, FIXTURE, PORT (18443), PIN (off|on: server
# on CPU 1, wrk on CPU 0), SMOKE=1 (a short run that checks the harness works), SPARKHOOK (a binary to
# run instead of building the release one: the end-to-end smoke test passes the debug build),
# KEY_TYPE (ecdsa|rsa: the server's certificate, made by certs/generate.sh; ecdsa by default).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-"1 16 64 256"}
POLICY=${POLICY:-examples/production.yaml}
FIXTURE=${FIXTURE:-bench/fixtures/executor-review.json}
PORT=${PORT:-18443}
PIN=${PIN:-off}
CHURN_SECONDS=${CHURN_SECONDS:-5}
if [[ -n ${SMOKE:-} ]]; then DURATION=1s; CONNS="1 16"; CHURN_SECONDS=1; fi

source bench/common.sh
require wrk wrk
SPARKHOOK=${SPARKHOOK:-$(release_binary sparkhook)}
certs=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$certs"' EXIT
certs/generate.sh "$certs" >/dev/null
server_pin=() wrk_pin=()
if [[ $PIN == on ]]; then server_pin=(taskset -c 1); wrk_pin=(taskset -c 0); fi
"${server_pin[@]}" "$SPARKHOOK" serve --listen "127.0.0.1:$PORT" --tls-cert "$certs/tls.crt" \
  --tls-key "$certs/tls.key" --policy "$POLICY" 2>"$certs/server.log" &
pid=$!
for _ in $(seq 100); do
  curl -sf --cacert "$certs/ca.crt" "https://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 0.1
done
url="https://127.0.0.1:$PORT/mutate?timeout=10s"
export BODY_FILE=$FIXTURE
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

"${wrk_pin[@]}" wrk -t2 -c16 -d2s -s bench/post.lua "$url" >/dev/null  # warm up
printf '\nsparkhook keep-alive load: %s, %s, fixture %s (%s bytes), pin %s\n' "$DURATION" "$POLICY" "$(basename "$FIXTURE")" "$(wc -c <"$FIXTURE")" "$PIN"
printf '%6s %10s %10s %10s %12s %8s %8s\n' conns req/s p50 p99 "cpu us/req" errors non2xx
for c in $CONNS; do
  threads=$(( c < 2 ? 1 : 2 ))
  before=$(cpu_ticks)
  line=$("${wrk_pin[@]}" wrk -t"$threads" -c"$c" -d"$DURATION" --timeout 5s -s bench/post.lua "$url" | grep '^BENCH')
  after=$(cpu_ticks)
  eval "$(echo "${line#BENCH }" | tr ' ' '\n' | sed 's/^/local_/')"
  awk -v c="$c" -v n="$local_requests" -v us="$local_duration_us" -v p50="$local_p50_us" -v p99="$local_p99_us" \
      -v cpu=$((after - before)) -v tck="$ticks" -v e="$local_errors" -v s="$local_non2xx" 'BEGIN {
    printf "%6d %10.0f %8.0fus %8.0fus %12.1f %8d %8d\n", c, n / (us / 1e6), p50, p99, cpu / tck * 1e6 / n, e, s }'
done
printf 'peak RSS: %s\n' "$(awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status")"

CHURN_CLIENTS=${CHURN_CLIENTS:-4}
printf '\nTLS connection churn: %s openssl s_time clients, each a new connection per GET /healthz, %ss\n' "$CHURN_CLIENTS" "$CHURN_SECONDS"
for mode in new reuse; do
  for i in $(seq "$CHURN_CLIENTS"); do
    # -www makes each connection read an answer, and with it the TLS 1.3 session tickets.
    openssl s_time -connect "127.0.0.1:$PORT" -www /healthz -"$mode" -time "$CHURN_SECONDS" 2>/dev/null \
      | grep 'real seconds' | head -1 >"$certs/churn-$mode-$i" &
  done
  wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
  total=$(cat "$certs"/churn-"$mode"-* | awk '{n += $1; t = $4} END {printf "%.0f", n / t}')
  printf '%-8s %s handshakes/s\n' "$( [[ $mode == new ]] && echo full || echo resumed)" "$total"
done
printf 'handshakes counted by the server: %s\n' "$(curl -s --cacert "$certs/ca.crt" "https://127.0.0.1:$PORT/metrics" | grep '^sparkhook_tls_handshakes_total' | tr '\n' ' ')"
kill -TERM $pid
wait $pid
echo "server exited $?"
