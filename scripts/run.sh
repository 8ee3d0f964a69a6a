#!/usr/bin/env bash
# Builds Vestibule (release) and runs it on its embedded SQLite default (./data).
# Extra arguments go to the binary, e.g. `scripts/run.sh migrate --check`.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

ensure_build_tools
step "building Vestibule (release: server + WASM + CSS)"
cargo leptos build --release

endpoint="${VESTIBULE_ENDPOINT:-http://localhost:3001}"
cat >&2 <<MSG

  Vestibule is starting on SQLite (./data/vestibule.db).
  Sign-in page:   $endpoint/sign-in
  Health check:   $endpoint/api/status
  Stop with Ctrl-C.

MSG
export VESTIBULE_SITE_ROOT="${VESTIBULE_SITE_ROOT:-$REPO_ROOT/target/site}"
exec "$(target_dir)/release/vestibule" "$@"
