#!/usr/bin/env bash
# Vestibule at scale: the same figures on a database of 1,000 users and on one of 1,000,000
# users with 10,000 organizations and 100,000 memberships — password sign-ins, Management API
# user search (email prefix, username, name substring), a deep page by number and by cursor,
# a large organization's members — on SQLite and PostgreSQL side by side, with PostgreSQL's
# query plans. Writes bench/RESULTS-scale.md.
#
#   bench/scale.sh [--sqlite|--postgres|--both] [--users N] [--seconds N] [--concurrency N]
#
# The large database is seeded by SQL in a few statements (users, organizations, members:
# what an import would write), not by a million API calls; the time it takes is reported.
# The search index triggers (SQLite) and trigram indexes (PostgreSQL) are maintained as the
# rows go in, as they would be on a live system.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

backends=(sqlite postgres) users=1000000 seconds=10 concurrency=8
while [ $# -gt 0 ]; do
  case "$1" in
    --sqlite) backends=(sqlite) ;;
    --postgres) backends=(postgres) ;;
    --both) backends=(sqlite postgres) ;;
    --users) users="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --concurrency) concurrency="$2"; shift ;;
    *) echo "usage: bench/scale.sh [--sqlite|--postgres|--both] [--users N] [--seconds N] [--concurrency N]" >&2; exit 2 ;;
  esac
  shift
done
small=1000
organizations=$((users / 100)) memberships=$((users / 10))

ensure_build_tools
apt_install curl sqlite3
step "building the release binary and the load driver"
cargo leptos build --release >/dev/null
cargo build --release -p vestibule-bench >/dev/null 2>&1 || cargo build --release -p vestibule-bench
bin="$(target_dir)/release/vestibule"
driver="$(target_dir)/release/vestibule-bench"

work=$(mktemp -d)
pid=""
pgdb="vestibule_scale_$$"
cleanup() {
  [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
export VESTIBULE_LISTEN="127.0.0.1:$port" VESTIBULE_ENDPOINT="$base" RUST_LOG=warn
export VESTIBULE_RATE_LIMIT_TOKEN_PER_SECOND=0 VESTIBULE_RATE_LIMIT_INTERACTIVE_PER_SECOND=0
ms() { echo $(( $(date +%s%N) / 1000000 )); }
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\\1/" <<<"$2"; }

# One SQL for both backends: rows FROM..TO of a recursive counter. Names are 16 given names ×
# 100 surnames, so a surname fragment (`hopp`) matches 1% of users, as a support agent's would.
seed_users_sql() {
  cat <<SQL
INSERT INTO users (id, username, primary_email, name, created_at, updated_at)
WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
SELECT 'scale-' || i, 'scale_user_' || i, 'user' || i || '@scale.example',
       trim(substr('Ada     Grace   Alan    Barbara Edsger  Donald  Frances Ken     Radia   Tim     Margaret Linus  Sophie  Dennis  Karen   John    ', (i % 16) * 8 + 1, 8))
         || ' ' || trim(substr('Lovelace   Hopper     Turing     Liskov     Dijkstra   Knuth      Allen      Thompson   Perlman    Berners    Hamilton   Torvalds   Wilson     Ritchie    Jones      McCarthy   Backus     Hoare      Lamport    Kay        Engelbart  Cerf       Kahn       Postel     Stallman   Wozniak    Shannon    Neumann    Babbage    Boole      Church     Godel      Hollerith  Zuse       Eckert     Mauchly    Atanasoff  Kilby      Noyce      Moore      Grove      Gates      Jobs       Bezos      Page       Brin       Zuckerberg Dorsey     Musk       Nadella    Pichai     Cook       Hastings   Ellison    Dell       Packard    Hewlett    Watson     Kernighan  Pike       Stroustrup Gosling    Rossum     Wall       Matsumoto  Eich       Lerdorf    Hejlsberg  Wirth      Iverson    Sussman    Steele     Abelson    Graham     Norvig     Minsky     Papert     Feigenbaum Simon      Newell     Rabin      Scott      Codd       Karp       Tarjan     Hopcroft   Ullman     Aho        Sethi      Floyd      Rivest     Shamir     Adleman    Diffie     Hellman    Merkle     Schneier   Bernstein  Rogaway    Yao        ', (i % 100) * 11 + 1, 11)),
       1700000000000 + i, 1700000000000 + i
FROM n;
SQL
}
seed_organizations_sql() {
  # Organization 1 is the large one: a tenth of the memberships; the rest spread evenly.
  cat <<SQL
INSERT INTO organizations (id, name, created_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $organizations)
SELECT 'scale-org-' || i, 'Organization ' || i, 1700000000000 + i FROM n;
INSERT INTO organization_members (organization_id, user_id, created_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $memberships)
SELECT CASE WHEN i <= $((memberships / 10)) THEN 'scale-org-1' ELSE 'scale-org-' || (2 + i % ($organizations - 1)) END,
       'scale-' || i, 1700000000000 + i FROM n;
-- The signing-in user belongs to the large organization, for its organization tokens.
INSERT INTO organization_members (organization_id, user_id, created_at)
SELECT 'scale-org-1', id, 1700000000000 FROM users WHERE username = 'bench';
SQL
}
run_sql() {
  if [ "$backend" = sqlite ]; then sqlite3 "$work/data/vestibule.db"; else psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d "$pgdb"; fi
}

start() {
  "$bin" >"$work/server.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "$base/api/status"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.05
  done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

cursor_at() { printf '%s' "$((1700000000000 + $1)).scale-$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }

# Prints one line per workload: name p50 p95 p99 per_second failed.
measure() {
  local size="$1"
  local token
  token=$(curl -sf -u bench-m2m:bench-secret-0123456789abcdef01 -d grant_type=client_credentials \
    --data-urlencode resource=https://default.logto.app/api -d scope=all "$base/oidc/token" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  local signins
  signins=$("$driver" signins --base "$base" --client-id bench-spa --redirect-uri http://bench.test/callback --username bench \
    --password "correct horse battery staple" --concurrency "$concurrency" --seconds "$seconds")
  echo "signin $(field p50_ms "$signins") $(field p95_ms "$signins") $(field p99_ms "$signins") $(field per_second "$signins") $(field failed "$signins")"
  local flow=(--base "$base" --client-id bench-spa --redirect-uri http://bench.test/callback --username bench
    --password "correct horse battery staple" --concurrency "$concurrency" --seconds "$seconds" --warmup 1)
  local refreshes organization_tokens
  refreshes=$("$driver" refresh "${flow[@]}")
  echo "refresh $(field p50_ms "$refreshes") $(field p95_ms "$refreshes") $(field p99_ms "$refreshes") $(field per_second "$refreshes") $(field failed "$refreshes")"
  organization_tokens=$("$driver" refresh "${flow[@]}" --organization-id scale-org-1)
  echo "organization_token $(field p50_ms "$organization_tokens") $(field p95_ms "$organization_tokens") $(field p99_ms "$organization_tokens") $(field per_second "$organization_tokens") $(field failed "$organization_tokens")"
  local middle=$((size / 2))
  local -a workloads=(
    "search_email /api/users?search.primaryEmail=user$((middle / 10))%25"
    "search_username /api/users?search.username=%25scale_user_$middle%25"
    "search_name /api/users?search.name=%25hopp%25"
    "page_deep /api/users?page=$((size / 40))&page_size=20"
    "cursor_deep /api/users?cursor=$(cursor_at "$middle")&page_size=20"
    "members_large /api/organizations/scale-org-1/users?page_size=20"
  )
  for workload in "${workloads[@]}"; do
    local name="${workload%% *}" path="${workload#* }"
    local figures
    figures=$("$driver" get --url "$base$path" --bearer "$token" --concurrency "$concurrency" --seconds "$seconds" --warmup 1)
    echo "$name $(field p50_ms "$figures") $(field p95_ms "$figures") $(field p99_ms "$figures") $(field per_second "$figures") $(field failed "$figures")"
  done
}

for backend in "${backends[@]}"; do
  rm -rf "$work/data"; mkdir -p "$work/data"
  export VESTIBULE_DATA_DIR="$work/data"
  if [ "$backend" = postgres ]; then
    ensure_postgres
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" -c "CREATE DATABASE $pgdb" >/dev/null
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$pgdb"
  else
    unset DATABASE_URL
  fi
  step "$backend: $small users"
  "$bin" migrate >/dev/null
  "$bin" bootstrap --m2m-id bench-m2m --m2m-secret bench-secret-0123456789abcdef01 >/dev/null
  "$bin" app create --type spa --name bench-spa --id bench-spa --redirect-uri http://bench.test/callback >/dev/null
  "$bin" user create --username bench --password "correct horse battery staple" >/dev/null
  seed_users_sql 1 "$small" | run_sql
  organizations=$((small / 100)) memberships=$((small / 10)) seed_organizations_sql | run_sql
  start
  measure "$small" >"$work/$backend-small"
  stop

  step "$backend: seeding to $users users, $organizations organizations, $memberships memberships"
  t0=$(ms)
  seed_users_sql $((small + 1)) "$users" | run_sql
  echo "DELETE FROM organization_members; DELETE FROM organizations WHERE id LIKE 'scale-org-%';" | run_sql
  seed_organizations_sql | run_sql
  # PostgreSQL's autovacuum would have analysed the tables by the time anyone searches them.
  [ "$backend" = sqlite ] || echo "VACUUM ANALYZE;" | run_sql
  seed_ms=$(( $(ms) - t0 ))
  echo "$seed_ms" >"$work/$backend-seed"
  start
  measure "$users" >"$work/$backend-large"
  stop
  if [ "$backend" = postgres ]; then
    # The plans of the statements the searches send (as the server builds them).
    {
      # A search with few matches reads them once: counted, ordered and paged together.
      matches() { echo "SELECT id, matches FROM (SELECT id, created_at, COUNT(*) OVER () AS matches FROM (SELECT id, created_at FROM users WHERE $1 LIMIT 1001) AS found) AS counted WHERE TRUE ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 0"; }
      middle=$((users / 2))
      for query in \
        "$(matches "(lower(COALESCE(primary_email, '')) LIKE lower('user$((middle / 10))%'))")" \
        "$(matches "(lower(COALESCE(username, '')) LIKE lower('%$middle%') AND (lower(COALESCE(username, '')) || '') LIKE lower('%scale_user_$middle%'))")" \
        "$(matches "(lower(COALESCE(name, '')) LIKE lower('%hopp%'))")" \
        "SELECT id FROM users WHERE (lower(COALESCE(name, '')) LIKE lower('%hopp%')) ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 0" \
        "SELECT id FROM users WHERE (TRUE) AND (created_at, id) < ($((1700000000000 + middle)), 'scale-$middle') ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 0"; do
        echo "$query;"
        psql -At -h 127.0.0.1 -U postgres -d "$pgdb" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) $query" | sed 's/^/    /'
        echo
      done
    } >"$work/plans"
  fi
done

figures_of() { # file workload → "p50 / p95 / p99 ms (rate/s, failed n)"
  local line; line=$(grep "^$2 " "$work/$1" || true)
  [ -n "$line" ] || { echo "—"; return; }
  read -r _ p50 p95 p99 rps failed <<<"$line"
  echo "$p50 / $p95 / $p99 ms ($rps/s, failed $failed)"
}
verdict() { awk "BEGIN {exit !($1)}" && echo "met" || echo "**missed**"; }
p95_of() { grep "^$2 " "$work/$1" | awk '{print $3}'; }

{
  echo "| workload (p50 / p95 / p99, rate) | backend | $small users | $users users | target | |"
  echo "|---|---|---|---|---|---|"
  for backend in "${backends[@]}"; do
    for workload in signin refresh organization_token search_email search_username search_name page_deep cursor_deep members_large; do
      small_figures=$(figures_of "$backend-small" "$workload")
      large_figures=$(figures_of "$backend-large" "$workload")
      small_p95=$(p95_of "$backend-small" "$workload"); large_p95=$(p95_of "$backend-large" "$workload")
      case "$workload" in
        signin) target="p95 ≤ 1.1× small"; met=$(verdict "$large_p95 <= 1.1 * $small_p95") ;;
        members_large) target="p95 ≤ 20 ms"; met=$(verdict "$large_p95 <= 20") ;;
        refresh) target="(the organization token's yardstick)"; met="" ;;
        organization_token)
          refresh_p95=$(p95_of "$backend-large" refresh)
          target="p95 ≤ 1.1× refresh"; met=$(verdict "$large_p95 <= 1.1 * $refresh_p95") ;;
        # A page number makes any database walk the rows before it; `cursor` is the way to
        # go deep, and is held to the target.
        page_deep) target="(reported: use \`cursor\`)"; met="" ;;
        *) target="p95 ≤ 50 ms"; met=$(verdict "$large_p95 <= 50") ;;
      esac
      echo "| $workload | $backend | $small_figures | $large_figures | $target | $met |"
    done
  done
} >"$work/table"

header="Measured $(date -u +%Y-%m-%d) on $(nproc) cores / $(free -g | awk '/Mem:/ {print $2}') GiB ($(uname -m)), $concurrency clients, ${seconds} s each after a 1–2 s warm-up; Vestibule $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
seeds=$(for backend in "${backends[@]}"; do echo "- $backend: seeding $((users - small)) users, $organizations organizations and $memberships memberships took $(awk "BEGIN {printf \"%.1f\", $(cat "$work/$backend-seed")/1000}") s"; done)
echo; echo "$header"; echo; cat "$work/table"; echo; echo "$seeds"
results=bench/RESULTS-scale.md
analysis=$(awk '/^## Analysis/ {found=1} found' "$results" 2>/dev/null || true)
{
  echo "# Benchmark results at scale"
  echo
  echo "Written by \`bench/scale.sh\`; the analysis below is kept between runs and edited by hand."
  echo
  echo "$header"
  echo
  cat "$work/table"
  echo
  echo "$seeds"
  if [ -f "$work/plans" ]; then
    echo
    echo "PostgreSQL's plans at $users users (\`EXPLAIN ANALYZE\`):"
    echo
    echo '```'
    cat "$work/plans"
    echo '```'
  fi
  echo
  if [ -n "$analysis" ]; then echo "$analysis"; else echo "## Analysis"; echo; echo "(none yet)"; fi
} >"$results"
