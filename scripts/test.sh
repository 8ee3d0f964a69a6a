#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests on SQLite and PostgreSQL, then the
# browser tests (Playwright in Debian's Chromium) against the release build — the optimised
# WASM, the precompressed bundle and the binary that `scripts/run.sh` ships.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

ensure_test_tools

step "building the release: server, WASM bundle and CSS (cargo leptos build --release)"
cargo leptos build --release

step "Rust tests (SQLite and PostgreSQL)"
# `frontend` only builds for the browser; unifying its features with the server's would break both.
# nextest gives every test its own process and kills one that hangs (.config/nextest.toml),
# so a stuck test fails the run by name instead of stalling it.
cargo nextest run --workspace --exclude frontend

step "browser tests (Playwright + Chromium)"
E2E_BIN="$(target_dir)/release/vestibule" \
VESTIBULE_SITE_ROOT="$REPO_ROOT/target/site" \
  npx playwright test --config end2end/playwright.config.ts

step "browser tests again through two nodes on one PostgreSQL behind a round-robin proxy"
E2E_CLUSTER=1 \
E2E_BIN="$(target_dir)/release/vestibule" \
VESTIBULE_SITE_ROOT="$REPO_ROOT/target/site" \
  npx playwright test --config end2end/playwright.config.ts

step "fuzzing the Management API from its OpenAPI document (schemathesis, bounded)"
E2E_BIN="$(target_dir)/release/vestibule" "$REPO_ROOT/scripts/fuzz-api.sh" 120

step "fuzzing the parsers that take outside input (cargo-fuzz, bounded)"
"$REPO_ROOT/scripts/fuzz-parsers.sh" 20
