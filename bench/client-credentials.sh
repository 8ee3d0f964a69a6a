#!/usr/bin/env bash
# Measures client_credentials grants per second (ES256 JWT access tokens) on the release
# binary over a fresh SQLite database, with wrk (keep-alive, 32 connections, 2 threads),
# and the server's idle and peak RSS. Prints figures; asserts nothing.
#
#   bench/client-credentials.sh [seconds]     (default 10; needs `apt-get install wrk`)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
bin="${CARGO_TARGET_DIR:-target}/release/vestibule"
[ -x "$bin" ] || { echo "build first: cargo leptos build --release" >&2; exit 2; }
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }

data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
export VESTIBULE_DATA_DIR="$data" VESTIBULE_LISTEN="127.0.0.1:$port" VESTIBULE_ENDPOINT="http://127.0.0.1:$port" RUST_LOG=warn VESTIBULE_RATE_LIMIT_TOKEN_PER_SECOND=0  # one loopback client: no per-IP limit
"$bin" migrate >/dev/null   # creates the new database; other commands refuse a missing one
app=$("$bin" app create --type m2m --name bench --id bench-m2m --secret bench-secret-0123456789abcdef01)
"$bin" resource create --name "Bench API" --indicator https://bench.example.com --scope read write >/dev/null
"$bin" role create --name bench-reader --type m2m --scope https://bench.example.com=read --app bench-m2m >/dev/null

"$bin" & pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/api/status"; do sleep 0.01; done
sleep 1
idle=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

lua=$(mktemp --suffix=.lua)
cat > "$lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic YmVuY2gtbTJtOmJlbmNoLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmMDE="
wrk.body = "grant_type=client_credentials&resource=https%3A%2F%2Fbench.example.com&scope=read"
done = function(summary, latency, requests)
  io.write(string.format("non-2xx-or-errors %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
curl -sf -X POST -u bench-m2m:bench-secret-0123456789abcdef01 -d 'grant_type=client_credentials&resource=https%3A%2F%2Fbench.example.com' "http://127.0.0.1:$port/oidc/token" | grep -q access_token
wrk -t2 -c32 -d2s -s "$lua" "http://127.0.0.1:$port/oidc/token" >/dev/null   # warm-up
result=$(wrk -t2 -c32 -d"${duration}s" --latency -s "$lua" "http://127.0.0.1:$port/oidc/token")
peak=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
rm -f "$lua"

rps=$(echo "$result" | awk '/Requests\/sec/ {print $2}')
p50=$(echo "$result" | awk '$1=="50%" {print $2}')
p99=$(echo "$result" | awk '$1=="99%" {print $2}')
errors=$(echo "$result" | awk '/non-2xx-or-errors/ {print $2}')
printf 'client_credentials (ES256 JWT), SQLite, wrk -t2 -c32 -d%ss\n' "$duration"
printf '  grants/s      %s\n  latency p50   %s\n  latency p99   %s\n  errors        %s\n' "$rps" "$p50" "$p99" "$errors"
printf '  idle RSS      %s MiB\n  peak RSS      %s MiB\n' "$(awk "BEGIN {printf \"%.1f\", $idle/1024}")" "$(awk "BEGIN {printf \"%.1f\", $peak/1024}")"
