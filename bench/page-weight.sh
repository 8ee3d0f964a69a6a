#!/usr/bin/env bash
# What a browser downloads on its first visit to each hosted page, compressed as served:
# the HTML, then every stylesheet, script and WASM file it names (hydration loads the WASM
# named by the module preload). Builds the release, starts it on a fresh SQLite database,
# waits until the bundle is precompressed, and prints one line per page.
#
#   bench/page-weight.sh            (target for /sign-in: ≤ 200 KB)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

ensure_build_tools
apt_install curl
if [ -z "${SKIP_BUILD:-}" ]; then
  step "building the release (server + WASM + CSS)"
  cargo leptos build --release >/dev/null
fi
bin="$(target_dir)/release/vestibule"

work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
base="http://localhost:$port"
export VESTIBULE_DATA_DIR="$work/data" VESTIBULE_LISTEN="127.0.0.1:$port" VESTIBULE_ENDPOINT="$base" \
  VESTIBULE_SITE_ROOT="$REPO_ROOT/target/site" RUST_LOG=warn
"$bin" & pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/api/status"; do sleep 0.05; done

jar="$work/cookies"
fetch() { curl -s --resolve "localhost:$port:127.0.0.1" -b "$jar" -c "$jar" -H 'Accept-Encoding: br, gzip' "$@"; }
# A real sign-in's pages: the demo app's authorization request puts the browser in one.
fetch -o /dev/null -L "$base/demo-app"

# Wait until the WASM is served precompressed (a fixed length instead of on-the-fly chunks).
html=$(fetch --compressed "$base/sign-in")
wasm_path=$(grep -o '/pkg/[0-9a-f]*/vestibule\.wasm' <<<"$html" | head -n1)
for _ in $(seq 1 600); do
  fetch -o /dev/null -D - "$base$wasm_path" | grep -qi '^content-length' && break
  sleep 0.1
done

bytes() { fetch -o /dev/null -w '%{size_download}' "$1"; }
printf '%-22s %8s %8s %8s %8s %9s\n' page html css js wasm total
for page in /sign-in /register /sign-in/code /reset-password; do
  html_bytes=$(bytes "$base$page")
  body=$(fetch --compressed "$base$page")
  css=0 js=0 wasm=0
  for asset in $(grep -o '/pkg/[0-9a-f]*/[A-Za-z0-9_.-]*' <<<"$body" | sort -u); do
    size=$(bytes "$base$asset")
    case "$asset" in
      *.css) css=$((css + size)) ;;
      *.js) js=$((js + size)) ;;
      *.wasm) wasm=$((wasm + size)) ;;
    esac
  done
  total=$((html_bytes + css + js + wasm))
  printf '%-22s %8d %8d %8d %8d %9d  (%.1f KB)\n' "$page" "$html_bytes" "$css" "$js" "$wasm" "$total" "$(awk "BEGIN {print $total/1000}")"
done
