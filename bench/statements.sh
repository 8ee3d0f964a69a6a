#!/usr/bin/env bash
# What a password sign-in and a refresh rotation cost PostgreSQL: the statements (each one a
# round trip from sqlx) the server sends per flow, counted from PostgreSQL's own statement
# log for a database of its own, and which statements they are.
#
#   bench/statements.sh [--flows N] [--trace]   # N sign-ins and N rotations, one at a time (20);
#                                               # --trace: also each statement of the last sign-in, in order
#
# Caches are warmed by one sign-in first, so the figures are the steady state; the audit log's
# batched writes are counted apart (they leave the request path).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

flows=20 trace=""
while [ $# -gt 0 ]; do
  case "$1" in
    --flows) flows="$2"; shift ;;
    --trace) trace=1 ;;
    *) echo "usage: bench/statements.sh [--flows N] [--trace]" >&2; exit 2 ;;
  esac
  shift
done

ensure_build_tools
ensure_postgres
apt_install curl
step "building the release binary and the load driver"
cargo leptos build --release >/dev/null
cargo build --release -p vestibule-bench >/dev/null 2>&1 || cargo build --release -p vestibule-bench
bin="$(target_dir)/release/vestibule"
driver="$(target_dir)/release/vestibule-bench"

work=$(mktemp -d)
pid=""
db="vestibule_statements_$$"
cleanup() {
  [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

log=$(ls -t /var/log/postgresql/postgresql-*-main.log | head -1)
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db" -c "ALTER DATABASE $db SET log_statement = 'all'" >/dev/null
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
export VESTIBULE_DATA_DIR="$work/data" VESTIBULE_LISTEN="127.0.0.1:$port" VESTIBULE_ENDPOINT="$base" RUST_LOG=warn
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
export VESTIBULE_RATE_LIMIT_TOKEN_PER_SECOND=0 VESTIBULE_RATE_LIMIT_INTERACTIVE_PER_SECOND=0

"$bin" migrate >/dev/null
"$bin" app create --type spa --name bench-spa --id bench-spa --redirect-uri http://bench.test/callback >/dev/null
"$bin" user create --username bench --password "correct horse battery staple" >/dev/null
flow=(--base "$base" --client-id bench-spa --redirect-uri http://bench.test/callback --username bench --password "correct horse battery staple")
"$bin" >"$work/server.log" 2>&1 &
pid=$!
until curl -sf -o /dev/null "$base/api/status"; do kill -0 "$pid" || exit 1; sleep 0.05; done
tokens=$("$driver" token "${flow[@]}")
sleep 1.5 # the audit writer's first batch

# The statements this database logged while $@ ran: one line each, without the prepared
# statement's name; then the audit writer's are moved to their own file.
count_during() {
  local name="$1"; shift
  local from; from=$(wc -l <"$log")
  "$@" >/dev/null
  sleep 1.5
  tail -n +"$((from + 1))" "$log" | grep -F "@$db " | grep -E 'LOG:  (statement|execute [^:]*):' \
    | sed -E 's/.*LOG:  (statement|execute [^:]*): //' >"$work/$name.all"
  grep -E '^INSERT INTO logs' "$work/$name.all" >"$work/$name.audit" || true
  grep -vE '^INSERT INTO logs' "$work/$name.all" >"$work/$name.request" || true
}
signins() { for _ in $(seq "$flows"); do "$driver" token "${flow[@]}"; done; }
rotations() {
  local refresh; refresh=$(sed -E 's/.*"refresh_token":"([^"]+)".*/\1/' <<<"$tokens")
  for _ in $(seq "$flows"); do
    refresh=$(curl -sf -d grant_type=refresh_token -d client_id=bench-spa --data-urlencode "refresh_token=$refresh" "$base/oidc/token" \
      | sed -E 's/.*"refresh_token":"([^"]+)".*/\1/')
  done
}
count_during signin signins
count_during rotation rotations

report() {
  local name="$1" title="$2"
  local total audit
  total=$(wc -l <"$work/$name.request"); audit=$(wc -l <"$work/$name.audit")
  echo "$title: $(awk "BEGIN {printf \"%.1f\", $total/$flows}") statements per flow on the request path ($total for $flows), $(awk "BEGIN {printf \"%.2f\", $audit/$flows}") audit-log batch inserts"
  cut -c1-110 "$work/$name.request" | sort | uniq -c | sort -rn | awk -v n="$flows" '{c=$1; $1=""; printf "  %5.2f ×%s\n", c/n, $0}'
}
echo
report signin "password sign-in (authorize → Experience API → submit → code → token)"
echo
report rotation "refresh rotation"
if [ -n "$trace" ]; then
  echo
  echo "the last sign-in, statement by statement:"
  per_flow=$(( $(wc -l <"$work/signin.request") / flows ))
  tail -n "$per_flow" "$work/signin.request" | cut -c1-150 | nl
fi
