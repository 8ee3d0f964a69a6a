#!/usr/bin/env bash
# Vestibule's benchmark: builds the release binary and the load driver, starts Vestibule on
# a fresh SQLite database, a fresh PostgreSQL one, or both side by side (--both), seeds it
# through the CLI, measures each workload after a warm-up with keep-alive connections, runs
# the oidc-provider peer once with the same load command, prints the table and rewrites
# bench/RESULTS.md.
#
#   bench/run.sh [--sqlite|--postgres|--both] [--seconds N] [--connections N]
#
# Single-request workloads use wrk (2 threads, N connections, with its latency percentiles);
# flows whose next request depends on the last answer (sign-ins, refresh rotation) use
# bench/driver with N clients. Every workload reports p50 and p99 beside its rate.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

backends=(sqlite) seconds=10 connections=32
while [ $# -gt 0 ]; do
  case "$1" in
    --sqlite) backends=(sqlite) ;;
    --postgres) backends=(postgres) ;;
    --both) backends=(sqlite postgres) ;;
    --seconds) seconds="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    *) echo "usage: bench/run.sh [--sqlite|--postgres|--both] [--seconds N] [--connections N]" >&2; exit 2 ;;
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
pgdb="vestibule_bench_$$"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
export VESTIBULE_LISTEN="127.0.0.1:$port" VESTIBULE_ENDPOINT="$base" RUST_LOG=warn
# Every load comes from one loopback address: the per-IP rate limits would measure the limiter,
# not the engine (they answer 429 past 20 token requests a second by default).
export VESTIBULE_RATE_LIMIT_TOKEN_PER_SECOND=0 VESTIBULE_RATE_LIMIT_INTERACTIVE_PER_SECOND=0

ms() { echo $(( $(date +%s%N) / 1000000 )); }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
mib() { awk "BEGIN {printf \"%.1f\", $1/1024}"; }
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\\1/" <<<"$2"; }
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
# Max VmRSS of $1 while the command after it runs (sampled every 50 ms), into $work/peak.
with_peak_rss() {
  local pid="$1"; shift
  local peak_file="$work/peak"; echo 0 >"$peak_file"
  ( while kill -0 "$pid" 2>/dev/null; do r=$(rss_kib "$pid"); [ "$r" -gt "$(cat "$peak_file")" ] && echo "$r" >"$peak_file"; sleep 0.05; done ) &
  local sampler=$!
  "$@"
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
}
# wrk with bench/lua/request.lua; prints "REQUESTS_PER_SECOND ERRORS P50_MS P99_MS".
wrk_rate() {
  local url="$1"
  wrk -t2 -c"$connections" -d2s -s bench/lua/request.lua "$url" >/dev/null
  local out; out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -s bench/lua/request.lua "$url")
  local rps errors p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $5} /Socket errors/ {s=0; for (i=4;i<=NF;i+=2) s+=$i; print s}' | awk '{t+=$1} END {print t+0}')
  # wrk prints "50%  1.23ms" (us, ms or s) under "Latency Distribution".
  to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}' | to_ms)
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}' | to_ms)
  echo "$rps $errors $p50 $p99"
}
# The driver's JSON line as "RATE FAILED P50_MS P99_MS".
driver_figures() { echo "$(field per_second "$1") $(field failed "$1") $(field p50_ms "$1") $(field p99_ms "$1")"; }

# Measures Vestibule on one backend; writes $work/<backend>.<figure> files.
measure() {
  local backend="$1"
  local out="$work/$backend"
  export VESTIBULE_DATA_DIR="$work/data-$backend"
  if [ "$backend" = postgres ]; then
    ensure_postgres
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" -c "CREATE DATABASE $pgdb" >/dev/null
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$pgdb"
  else
    unset DATABASE_URL
  fi
  step "$backend: seeding through the CLI"
  "$bin" migrate >/dev/null
  "$bin" app create --type m2m --name bench-m2m --id bench-m2m --secret bench-secret-0123456789abcdef01 >/dev/null
  "$bin" resource create --name "Bench API" --indicator https://bench.example.com --scope read write >/dev/null
  "$bin" role create --name bench-reader --type m2m --scope https://bench.example.com=read --app bench-m2m >/dev/null
  "$bin" app create --type spa --name bench-spa --id bench-spa --redirect-uri http://bench.test/callback >/dev/null
  "$bin" user create --username bench --password "correct horse battery staple" >/dev/null
  local flow=(--base "$base" --client-id bench-spa --redirect-uri http://bench.test/callback --username bench --password "correct horse battery staple")

  step "$backend: start-up"
  local pid first_ready ready
  read -r pid first_ready < <(start_and_wait "$base/api/status" "$bin")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  read -r pid ready < <(start_and_wait "$base/api/status" "$bin")
  pids+=("$pid")
  echo "$ready $first_ready" >"$out.ready"
  # Idle: after the start-up work (the bundle's compression runs for a second or two).
  sleep 5
  rss_kib "$pid" >"$out.idle"

  step "$backend: client_credentials"
  export WRK_METHOD=POST WRK_AUTHORIZATION="Basic $(printf 'bench-m2m:bench-secret-0123456789abcdef01' | base64 -w0)"
  export WRK_BODY="grant_type=client_credentials&resource=https%3A%2F%2Fbench.example.com&scope=read"
  with_peak_rss "$pid" wrk_rate "$base/oidc/token" >"$out.cc"; cp "$work/peak" "$out.cc.peak"

  local tokens access
  tokens=$("$driver" token "${flow[@]}")
  access=$(echo "$tokens" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')

  step "$backend: introspection"
  export WRK_METHOD=POST WRK_AUTHORIZATION="" WRK_BODY="client_id=bench-spa&token=$access"
  with_peak_rss "$pid" wrk_rate "$base/oidc/token/introspection" >"$out.in"; cp "$work/peak" "$out.in.peak"

  step "$backend: userinfo"
  export WRK_METHOD=GET WRK_BODY="" WRK_AUTHORIZATION="Bearer $access"
  with_peak_rss "$pid" wrk_rate "$base/oidc/me" >"$out.me"; cp "$work/peak" "$out.me.peak"

  step "$backend: refresh_token rotation"
  with_peak_rss "$pid" "$driver" refresh "${flow[@]}" --concurrency "$connections" --seconds "$seconds" >"$work/rt.json"
  driver_figures "$(cat "$work/rt.json")" >"$out.rt"; cp "$work/peak" "$out.rt.peak"

  step "$backend: password sign-ins (Argon2id, OWASP parameters)"
  with_peak_rss "$pid" "$driver" signins "${flow[@]}" --concurrency "$connections" --seconds "$seconds" >"$work/si.json"
  driver_figures "$(cat "$work/si.json")" >"$out.si"; cp "$work/peak" "$out.si.peak"

  step "$backend: 1,000 open sign-in interactions"
  "$driver" interactions --base "$base" --client-id bench-spa --redirect-uri http://bench.test/callback --count 1000 >/dev/null
  sleep 1
  rss_kib "$pid" >"$out.open"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

for backend in "${backends[@]}"; do measure "$backend"; done

step "raw Argon2id"
argon_rps=$(field per_second "$("$driver" argon2 --seconds 5)")

step "peer: oidc-provider"
peer_port=$((port + 1))
read -r peer_pid peer_ready < <(start_and_wait "http://127.0.0.1:$peer_port/.well-known/openid-configuration" env PORT="$peer_port" NODE_ENV=production node bench/peers/oidc-provider/server.mjs)
pids+=("$peer_pid")
sleep 1
peer_idle=$(rss_kib "$peer_pid")
export WRK_METHOD=POST WRK_AUTHORIZATION="Basic $(printf 'bench-m2m:bench-secret-0123456789abcdef01' | base64 -w0)"
export WRK_BODY="grant_type=client_credentials&resource=https%3A%2F%2Fbench.example.com&scope=read"
with_peak_rss "$peer_pid" wrk_rate "http://127.0.0.1:$peer_port/token" >"$work/peer"; read -r peer_rps peer_err peer_p50 peer_p99 <"$work/peer"; peer_peak=$(cat "$work/peak")

verdict() { awk "BEGIN {exit !($1)}" && echo "met" || echo "**missed**"; }
ratio() { awk "BEGIN {printf \"%.2f\", $1/$2}"; }
title() { [ "$1" = sqlite ] && echo SQLite || echo PostgreSQL; }
# One cell: "RATE/s (p50 / p99 ms, errors E, peak RSS M MiB)".
cell() {
  local rps err p50 p99; read -r rps err p50 p99 <"$work/$1.$2"
  echo "$rps/s (p50 $p50 / p99 $p99 ms, errors $err, peak RSS $(mib "$(cat "$work/$1.$2.peak")") MiB)"
}
# A row with one cell per backend and one verdict per backend: figure, target, file, how x
# (the figure the target is about) is computed, the awk condition on x, and x's unit.
row() {
  local figure="$1" target="$2" key="$3" x_of="$4" condition="$5" unit="${6:-}"
  local cells="" verdicts=""
  for backend in "${backends[@]}"; do
    cells="$cells $(cell "$backend" "$key") |"
    [ -n "$x_of" ] || continue
    local x; x=$($x_of "$backend")
    verdicts="$verdicts$(title "$backend") $x$unit: $(verdict "$(sed "s/x/$x/g" <<<"$condition")"); "
  done
  echo "| $figure |$cells $target | ${verdicts%; } |"
}
rate() { awk '{print $1}' "$work/$1.$2"; }
cc_ratio() { ratio "$(rate "$1" cc)" "$peer_rps"; }
rt_ratio() { ratio "$(rate "$1" rt)" "$peer_rps"; }
in_ratio() { ratio "$(rate "$1" in)" "$peer_rps"; }
si_share() { awk "BEGIN {printf \"%.0f\", 100*$(rate "$1" si)/$argon_rps}"; }

columns="" rule=""
for backend in "${backends[@]}"; do columns="$columns $(title "$backend") |"; rule="$rule---|"; done
memory_row() {
  local figure="$1" target="$2" file="$3" limit_kib="$4"
  local cells="" verdicts=""
  for backend in "${backends[@]}"; do
    local kib; kib=$(cat "$work/$backend.$file")
    cells="$cells $(mib "$kib") MiB |"
    verdicts="$verdicts$(title "$backend"): $(verdict "$kib <= $limit_kib"); "
  done
  echo "| $figure |$cells $target | ${verdicts%; } |"
}
ready_row() {
  local cells="" verdicts=""
  for backend in "${backends[@]}"; do
    local ready first; read -r ready first <"$work/$backend.ready"
    cells="$cells $ready ms (new database: $first ms) |"
    verdicts="$verdicts$(title "$backend"): $(verdict "$ready <= 100 && $first <= 100"); "
  done
  echo "| start-to-ready (exec → /api/status answers) |$cells ≤ 100 ms | ${verdicts%; } |"
}

table=$(cat <<TABLE
| figure |$columns target | |
|---|$rule---|---|
$(row "client_credentials grants (ES256 JWT)" "≥ 8× peer" cc cc_ratio "x >= 8" ×)
$(row "refresh_token grants (rotation, durable write)" "≥ 1× peer's client_credentials" rt rt_ratio "x >= 1" ×)
$(row "opaque-token introspections" "≥ 5× peer's client_credentials" in in_ratio "x >= 5" ×)
$(row "userinfo" "" me "" "")
$(row "complete password sign-ins" "≥ 90 % of raw Argon2id ($argon_rps hashes/s)" si si_share "x >= 90" " %")
$(memory_row "idle RSS (5 s after start)" "≤ 15 MiB" idle $((15 * 1024)))
$(memory_row "RSS with 1,000 open sign-in interactions" "≤ 100 MB" open $((100 * 1000)))
$(ready_row)
| **peer** oidc-provider $(node -p "require('./bench/peers/oidc-provider/node_modules/oidc-provider/package.json').version") client_credentials | $peer_rps/s (p50 $peer_p50 / p99 $peer_p99 ms, errors $peer_err) |$(for _ in "${backends[@]:1}"; do printf ' |'; done) | idle RSS $(mib "$peer_idle") MiB, peak $(mib "$peer_peak") MiB, ready in $peer_ready ms |
TABLE
)
names=$(for backend in "${backends[@]}"; do title "$backend"; done | paste -sd, | sed 's/,/ and /')
header="Measured $(date -u +%Y-%m-%d) on $(nproc) cores / $(free -g | awk '/Mem:/ {print $2}') GiB ($(uname -m)), $names, $connections connections, ${seconds} s after a 2 s warm-up; Vestibule $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(rustc --version | cut -d' ' -f2), Node $(node --version). Ratios are to the peer's client_credentials rate on the same machine, run once."
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
mv "$results.tmp" "$results"
