#!/usr/bin/env bash
# Vestibule's benchmark: builds the release binary and the load driver, starts Vestibule on
# a fresh SQLite database (or PostgreSQL with --postgres), seeds it through the CLI, measures
# each workload after a warm-up with keep-alive connections, runs the oidc-provider peer with
# the same load command, prints the table and rewrites bench/RESULTS.md.
#
#   bench/run.sh [--postgres] [--seconds N] [--connections N]
#
# Single-request workloads use wrk (2 threads, N connections); flows whose next request
# depends on the last answer (sign-ins, refresh rotation) use bench/driver with N clients.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

backend=sqlite seconds=10 connections=32
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) backend=postgres ;;
    --seconds) seconds="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    *) echo "usage: bench/run.sh [--postgres] [--seconds N] [--connections N]" >&2; exit 2 ;;
  esac
  shift
done

ensure_build_tools
apt_install wrk curl
step "building the release binary and the load driver"
cargo leptos build --release >/dev/null
cargo build --release -p vestibule-bench >/dev/null 2>&1 || cargo build --release -p vestibule-bench
bin="$(target_dir)/release/vestibule"
driver="$(target_dir)/release/vestibule-bench"
if [ ! -d bench/peers/oidc-provider/node_modules ]; then
  step "installing the peer (oidc-provider)"
  (cd bench/peers/oidc-provider && npm install --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ "$backend" = postgres ]; then psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
export VESTIBULE_DATA_DIR="$work/data" VESTIBULE_LISTEN="127.0.0.1:$port" VESTIBULE_ENDPOINT="$base" RUST_LOG=warn
# Every load comes from one loopback address: the per-IP rate limits would measure the limiter,
# not the engine (they answer 429 past 20 token requests a second by default).
export VESTIBULE_RATE_LIMIT_TOKEN_PER_SECOND=0 VESTIBULE_RATE_LIMIT_INTERACTIVE_PER_SECOND=0
if [ "$backend" = postgres ]; then
  ensure_postgres
  pgdb="vestibule_bench_$$"
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $pgdb" >/dev/null
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$pgdb"
fi

ms() { echo $(( $(date +%s%N) / 1000000 )); }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
mib() { awk "BEGIN {printf \"%.1f\", $1/1024}"; }
# Start a process, wait until $2 answers; prints "PID MILLISECONDS".
start_and_wait() {
  local url="$1"; shift
  local t0; t0=$(ms)
  "$@" >"$work/$(basename "$1").log" 2>&1 &
  local pid=$!
  until curl -sf -o /dev/null "$url" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/$(basename "$1").log" >&2; exit 1; }
  done
  echo "$pid $(( $(ms) - t0 ))"
}
# Max VmRSS of $1 while the command after it runs (sampled every 50 ms).
with_peak_rss() {
  local pid="$1"; shift
  local peak_file="$work/peak"; echo 0 >"$peak_file"
  ( while kill -0 "$pid" 2>/dev/null; do r=$(rss_kib "$pid"); [ "$r" -gt "$(cat "$peak_file")" ] && echo "$r" >"$peak_file"; sleep 0.05; done ) &
  local sampler=$!
  "$@"
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
}
# wrk with bench/lua/request.lua; prints "REQUESTS_PER_SECOND ERRORS".
wrk_rate() {
  local url="$1"
  wrk -t2 -c"$connections" -d2s -s bench/lua/request.lua "$url" >/dev/null
  local out; out=$(wrk -t2 -c"$connections" -d"${seconds}s" -s bench/lua/request.lua "$url")
  local rps errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $5} /Socket errors/ {s=0; for (i=4;i<=NF;i+=2) s+=$i; print s}' | awk '{t+=$1} END {print t+0}')
  echo "$rps $errors"
}

step "seeding through the CLI"
"$bin" migrate >/dev/null
"$bin" app create --type m2m --name bench-m2m --id bench-m2m --secret bench-secret-0123456789abcdef01 >/dev/null
"$bin" resource create --name "Bench API" --indicator https://bench.example.com --scope read write >/dev/null
"$bin" role create --name bench-reader --type m2m --scope https://bench.example.com=read --app bench-m2m >/dev/null
"$bin" app create --type spa --name bench-spa --id bench-spa --redirect-uri http://bench.test/callback >/dev/null
"$bin" user create --username bench --password "correct horse battery staple" >/dev/null
flow=(--base "$base" --client-id bench-spa --redirect-uri http://bench.test/callback --username bench --password "correct horse battery staple")

step "start-up"
read -r pid first_ready < <(start_and_wait "$base/api/status" "$bin")
kill "$pid"; wait "$pid" 2>/dev/null || true
read -r pid ready < <(start_and_wait "$base/api/status" "$bin")
pids+=("$pid")
sleep 1
idle=$(rss_kib "$pid")

step "client_credentials"
export WRK_METHOD=POST WRK_AUTHORIZATION="Basic $(printf 'bench-m2m:bench-secret-0123456789abcdef01' | base64 -w0)"
export WRK_BODY="grant_type=client_credentials&resource=https%3A%2F%2Fbench.example.com&scope=read"
with_peak_rss "$pid" wrk_rate "$base/oidc/token" >"$work/cc"; read -r cc_rps cc_err <"$work/cc"; cc_peak=$(cat "$work/peak")

tokens=$("$driver" token "${flow[@]}")
access=$(echo "$tokens" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')

step "introspection"
export WRK_METHOD=POST WRK_AUTHORIZATION="" WRK_BODY="client_id=bench-spa&token=$access"
with_peak_rss "$pid" wrk_rate "$base/oidc/token/introspection" >"$work/in"; read -r in_rps in_err <"$work/in"; in_peak=$(cat "$work/peak")

step "userinfo"
export WRK_METHOD=GET WRK_BODY="" WRK_AUTHORIZATION="Bearer $access"
with_peak_rss "$pid" wrk_rate "$base/oidc/me" >"$work/me"; read -r me_rps me_err <"$work/me"; me_peak=$(cat "$work/peak")

step "refresh_token rotation"
with_peak_rss "$pid" "$driver" refresh "${flow[@]}" --concurrency "$connections" --seconds "$seconds" >"$work/rt"
rt_rps=$(sed -E 's/.*"per_second":([0-9.]+).*/\1/' "$work/rt"); rt_err=$(sed -E 's/.*"failed":([0-9]+).*/\1/' "$work/rt"); rt_peak=$(cat "$work/peak")

step "password sign-ins (Argon2id, OWASP parameters)"
with_peak_rss "$pid" "$driver" signins "${flow[@]}" --concurrency "$connections" --seconds "$seconds" >"$work/si"
si_rps=$(sed -E 's/.*"per_second":([0-9.]+).*/\1/' "$work/si"); si_err=$(sed -E 's/.*"failed":([0-9]+).*/\1/' "$work/si"); si_peak=$(cat "$work/peak")
argon=$("$driver" argon2 --seconds 5)
argon_rps=$(echo "$argon" | sed -E 's/.*"per_second":([0-9.]+).*/\1/')

step "1,000 open sign-in interactions"
"$driver" interactions --base "$base" --client-id bench-spa --redirect-uri http://bench.test/callback --count 1000 >/dev/null
sleep 1
open_rss=$(rss_kib "$pid")

step "peer: oidc-provider"
peer_port=$((port + 1))
read -r peer_pid peer_ready < <(start_and_wait "http://127.0.0.1:$peer_port/.well-known/openid-configuration" env PORT="$peer_port" NODE_ENV=production node bench/peers/oidc-provider/server.mjs)
pids+=("$peer_pid")
sleep 1
peer_idle=$(rss_kib "$peer_pid")
export WRK_METHOD=POST WRK_AUTHORIZATION="Basic $(printf 'bench-m2m:bench-secret-0123456789abcdef01' | base64 -w0)"
export WRK_BODY="grant_type=client_credentials&resource=https%3A%2F%2Fbench.example.com&scope=read"
with_peak_rss "$peer_pid" wrk_rate "http://127.0.0.1:$peer_port/token" >"$work/peer"; read -r peer_rps peer_err <"$work/peer"; peer_peak=$(cat "$work/peak")

ratio=$(awk "BEGIN {printf \"%.1f\", $cc_rps/$peer_rps}")
si_share=$(awk "BEGIN {printf \"%.0f\", 100*$si_rps/$argon_rps}")
verdict() { awk "BEGIN {exit !($1)}" && echo "met" || echo "**missed**"; }

table=$(cat <<TABLE
| figure | Vestibule | target | |
|---|---|---|---|
| client_credentials grants/s (ES256 JWT) | $cc_rps (errors $cc_err, peak RSS $(mib "$cc_peak") MiB) | ≥ 5× peer | $ratio× peer: $(verdict "$ratio >= 5") |
| refresh_token grants/s (rotation, durable write) | $rt_rps (failed $rt_err, peak RSS $(mib "$rt_peak") MiB) | ≥ 2,000 | $(verdict "$rt_rps >= 2000") |
| opaque-token introspections/s | $in_rps (errors $in_err, peak RSS $(mib "$in_peak") MiB) | ≥ 20,000 | $(verdict "$in_rps >= 20000") |
| userinfo/s | $me_rps (errors $me_err, peak RSS $(mib "$me_peak") MiB) | | |
| complete password sign-ins/s | $si_rps (failed $si_err, peak RSS $(mib "$si_peak") MiB) | ≥ 90% of raw Argon2id | $si_share% of $argon_rps hashes/s: $(verdict "$si_share >= 90") |
| idle RSS | $(mib "$idle") MiB | ≤ 15 MB | $(verdict "$idle <= 15*1000") |
| RSS with 1,000 open sign-in interactions | $(mib "$open_rss") MiB | ≤ 100 MB | $(verdict "$open_rss <= 100*1000") |
| start-to-ready (exec → /api/status answers) | $ready ms (first start, new database: $first_ready ms) | ≤ 100 ms | $(verdict "$ready <= 100 && $first_ready <= 100") |
| **peer** oidc-provider $(node -p "require('./bench/peers/oidc-provider/node_modules/oidc-provider/package.json').version") client_credentials/s | $peer_rps (errors $peer_err) | | idle RSS $(mib "$peer_idle") MiB, peak $(mib "$peer_peak") MiB, ready in $peer_ready ms |
TABLE
)
header="Measured $(date -u +%Y-%m-%d) on $(nproc) cores / $(free -g | awk '/Mem:/ {print $2}') GiB ($(uname -m)), backend **$backend**, $connections connections, ${seconds} s after a 2 s warm-up; Vestibule $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(rustc --version | cut -d' ' -f2), Node $(node --version)."
echo
echo "$header"
echo
echo "$table"

results=bench/RESULTS.md
analysis=$(awk '/^## Analysis/ {found=1} found' "$results" 2>/dev/null || true)
{
  echo "# Benchmark results"
  echo
  echo "Written by \`bench/run.sh\`; the analysis below the table is kept between runs and edited by hand."
  echo
  echo "$header"
  echo
  echo "$table"
  echo
  if [ -n "$analysis" ]; then echo "$analysis"; else echo "## Analysis"; echo; echo "(none yet)"; fi
} >"$results.tmp"
if [ "$backend" = sqlite ]; then mv "$results.tmp" "$results"; else mv "$results.tmp" "bench/RESULTS-postgres.md"; fi
