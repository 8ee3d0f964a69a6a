#!/usr/bin/env bash
# Schema-driven fuzzing of the HTTP API: schemathesis generates requests from the OpenAPI
# document the server serves (`/api/swagger.json`: the Management API) and fails on any 5xx
# and on any response whose status, content type or body its operation does not declare.
#
#   scripts/fuzz-api.sh [SECONDS]     # default 120 (what CI spends); longer runs find more
#
# Runs the release binary on a fresh SQLite database with a Management API client of its own.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

SECONDS_BUDGET="${1:-120}"
ensure_schemathesis

binary="${E2E_BIN:-$(target_dir)/release/vestibule}"
[ -x "$binary" ] || { echo "no $binary: run cargo leptos build --release first" >&2; exit 1; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export VESTIBULE_DATA_DIR="$work" DATABASE_URL="sqlite:$work/vestibule.db" VESTIBULE_PASSWORD_HASHING=test-only-cheap \
  VESTIBULE_SECRET="fuzzing $(date +%s)" VESTIBULE_SITE_ROOT="$REPO_ROOT/target/site"
"$binary" --create-database bootstrap --m2m-id fuzzer --m2m-secret fuzzer-secret-0123456789abcdef >/dev/null
VESTIBULE_LISTEN="127.0.0.1:$port" VESTIBULE_ENDPOINT="http://127.0.0.1:$port" \
  VESTIBULE_RATE_LIMIT_TOKEN_PER_SECOND=0 VESTIBULE_RATE_LIMIT_INTERACTIVE_PER_SECOND=0 RUST_LOG=error \
  "$binary" serve 2> "$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/api/status" >/dev/null && break; sleep 0.1; done

token=$(curl -sf -u fuzzer:fuzzer-secret-0123456789abcdef -d grant_type=client_credentials \
  -d resource=https://default.logto.app/api -d scope=all "http://127.0.0.1:$port/oidc/token" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

step "fuzzing the Management API for ${SECONDS_BUDGET}s (schemathesis $SCHEMATHESIS_VERSION)"
"$SCHEMATHESIS" run "http://127.0.0.1:$port/api/swagger.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-time "$SECONDS_BUDGET" --workers 2 --seed 1 \
  --suppress-health-check all
status=$?
if ! kill -0 $server 2>/dev/null; then
  echo "the server died during the run:" >&2; tail -n 50 "$work/server.log" >&2; exit 1
fi
exit $status
