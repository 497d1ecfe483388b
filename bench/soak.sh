#!/usr/bin/env bash
# Soak: the release server under wrk at its full rate on keep-alive connections, plus a stream of
# new connections, for SOAK_SECONDS, while the certificate is rotated every 10 s, the policy is
# replaced every 5 s (a valid one, an invalid one, a deeply nested one, in turn) and hostile
# previews arrive throughout. Prints requests, failed requests (must be 0), p99, and RSS and open
# descriptors at the start and the end (must stay flat). Exit 1 when a request failed, the server
# died, or memory or descriptors grew.
# Knobs: SOAK_SECONDS (600), CONNS (32), PORT (18543), ROTATE_SECONDS (10), POLICY_SECONDS (5),
# SPARKHOOK (a built binary to run instead of building the release one: the smoke test's).
set -euo pipefail
cd "$(dirname "$0")/.."
SOAK_SECONDS=${SOAK_SECONDS:-600}
CONNS=${CONNS:-32}
PORT=${PORT:-18543}
ROTATE_SECONDS=${ROTATE_SECONDS:-10}
POLICY_SECONDS=${POLICY_SECONDS:-5}
source bench/common.sh
require wrk wrk
require curl curl
SPARKHOOK=${SPARKHOOK:-$(release_binary sparkhook)}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Two serving pairs from one CA: the rotation swaps the files the server watches.
certs/generate.sh "$work/a" >/dev/null
mkdir -p "$work/b" "$work/live" "$work/policy"
cp "$work/a/ca.crt" "$work/a/ca.key" "$work/b/"
FORCE=1 certs/generate.sh "$work/b" >/dev/null
# generate.sh made a new CA in b too: sign b's pair with a's CA instead.
openssl req -new -key "$work/b/tls.key" -subj "/CN=sparkhook" -out "$work/b/tls.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$work/b/ext"
openssl x509 -req -in "$work/b/tls.csr" -CA "$work/a/ca.crt" -CAkey "$work/a/ca.key" -CAcreateserial -days 2 \
  -extfile "$work/b/ext" -out "$work/b/tls.crt" 2>/dev/null
cp "$work/a/tls.crt" "$work/a/tls.key" "$work/live/"
ca="$work/a/ca.crt"

cp examples/production.yaml "$work/valid.yaml"
# Two valid policies that differ: the same bytes again would be the policy in force, not a reload.
{ cat examples/production.yaml; echo "# the other valid policy"; } > "$work/valid2.yaml"
printf 'apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: bad}\nspec: {rules: [{name: x, set: {priorityClassName: UPPER}}]}\n' > "$work/invalid.yaml"
python3 -c 'print("spec: " + "[" * 20000)' > "$work/deep.yaml"
cp "$work/valid.yaml" "$work/policy/policy.yaml"

"$SPARKHOOK" serve --listen "127.0.0.1:$PORT" --tls-cert "$work/live/tls.crt" --tls-key "$work/live/tls.key" \
  --policy "$work/policy" --watch-interval-ms 500 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do curl -sf --cacert "$ca" "https://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
url="https://127.0.0.1:$PORT"
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
fds() { ls "/proc/$server/fd" | wc -l; }
# Warm up first, so that the start figures include the allocator's arenas and OpenSSL's caches.
BODY_FILE=bench/fixtures/executor-review.json wrk -t2 -c"$CONNS" -d3s -s bench/post.lua "$url/mutate" >/dev/null
rss0=$(rss) fds0=$(fds)
end=$((SECONDS + SOAK_SECONDS))

( i=0; while ((SECONDS < end)); do sleep "$ROTATE_SECONDS"; i=$((i + 1)); pair=$([[ $((i % 2)) == 1 ]] && echo b || echo a)
    cp "$work/$pair/tls.crt" "$work/live/tls.crt.new"; cp "$work/$pair/tls.key" "$work/live/tls.key.new"
    mv "$work/live/tls.key.new" "$work/live/tls.key"; mv "$work/live/tls.crt.new" "$work/live/tls.crt"; done ) &
pids+=($!)
( i=0; while ((SECONDS < end)); do sleep "$POLICY_SECONDS"; i=$((i + 1))
    case $((i % 3)) in 0) f=$([[ $((i / 3 % 2)) == 1 ]] && echo valid2 || echo valid) ;; 1) f=invalid ;; 2) f=deep ;; esac
    cp "$work/$f.yaml" "$work/policy/.next"; mv "$work/policy/.next" "$work/policy/policy.yaml"; done ) &
pids+=($!)
# New connections: one request each, counted by outcome.
( n=0 bad=0; while ((SECONDS < end)); do n=$((n + 1))
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H 'Content-Type: application/json' \
      --data-binary @bench/fixtures/driver-review.json "$url/mutate" || true)
    [[ $code == 200 ]] || bad=$((bad + 1)); done; echo "$n $bad" > "$work/churn" ) &
pids+=($!)
# Hostile previews: each must be refused (4xx), never crash or stall the server.
python3 - "$work" <<'PY' > "$work/hostile.py"
import sys
laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"{chr(98+i)}: &{chr(98+i)} [" + ", ".join([f"*{chr(97+i)}"] * 9) + "]\n" for i in range(8))
for name, body in {"brackets": "[" * 12000, "deep": "x: " + "[" * 20000, "laughs": laughs,
                   "alias": "kind: *" + "n" * 200000, "keys": "".join(f"k{i}: v\n" for i in range(20000))}.items():
    open(f"{sys.argv[1]}/h-{name}", "w").write(body)
PY
( n=0; while ((SECONDS < end)); do for f in "$work"/h-*; do n=$((n + 1))
    curl -s -o /dev/null --cacert "$ca" -H 'Content-Type: application/yaml' --data-binary @"$f" "$url/preview" || true
    done; done; echo "$n" > "$work/hostile" ) &
pids+=($!)

line=$(BODY_FILE=bench/fixtures/executor-review.json wrk -t2 -c"$CONNS" -d"${SOAK_SECONDS}s" --timeout 5s -s bench/post.lua "$url/mutate" | grep '^BENCH')
wait "${pids[@]}" 2>/dev/null || true
pids=()
alive=yes; kill -0 "$server" 2>/dev/null || alive=no
rss1=$(rss 2>/dev/null || echo 0) fds1=$(fds 2>/dev/null || echo 0)
eval "$(echo "${line#BENCH }" | tr ' ' '\n' | sed 's/^/w_/')"
read -r churn churn_bad < "$work/churn"
reloads=$(grep -c '"policy reloaded"' "$work/server.log" || true)
refused=$(grep -c '"policy refused' "$work/server.log" || true)
certs_reloaded=$(grep -c '"TLS certificate reloaded"' "$work/server.log" || true)
failed=$((w_errors + w_non2xx + churn_bad))
printf 'soak %ss, %s keep-alive connections\n' "$SOAK_SECONDS" "$CONNS"
printf 'keep-alive requests %d (%.0f/s), p50 %dus, p99 %dus; new-connection requests %d; hostile previews %d\n' \
  "$w_requests" "$(awk -v n="$w_requests" -v us="$w_duration_us" 'BEGIN {print n / (us / 1e6)}')" "$w_p50_us" "$w_p99_us" "$churn" "$(cat "$work/hostile")"
printf 'failed requests %d (keep-alive errors %d, non-2xx %d, new connections %d)\n' "$failed" "$w_errors" "$w_non2xx" "$churn_bad"
printf 'policy reloads %d, refused %d; certificate reloads %d\n' "$reloads" "$refused" "$certs_reloaded"
printf 'RSS %d -> %d KiB; open descriptors %d -> %d; server alive: %s\n' "$rss0" "$rss1" "$fds0" "$fds1" "$alive"
status=0
[[ $alive == yes ]] || { echo "soak: the server died" >&2; status=1; }
((failed == 0)) || { echo "soak: $failed requests failed" >&2; status=1; }
# Flat: a leak of one allocation per request would be megabytes here.
((rss1 <= rss0 + 20480)) || { echo "soak: RSS grew by more than 20 MiB" >&2; status=1; }
((fds1 <= fds0 + 8)) || { echo "soak: descriptors grew" >&2; status=1; }
kill -TERM "$server"; wait "$server" || true
exit $status
