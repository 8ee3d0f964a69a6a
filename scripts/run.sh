#!/usr/bin/env bash
# Builds Vestibule (release) and runs it on its embedded SQLite default (./data).
# Extra arguments go to the binary, e.g. `scripts/run.sh migrate --check`.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

ensure_build_tools
step "building Vestibule (release: server + WASM + CSS)"
cargo leptos build --release

endpoint="${VESTIBULE_ENDPOINT:-http://localhost:3001}"
bin="$(target_dir)/release/vestibule"
cat >&2 <<MSG

  Vestibule is starting on SQLite (./data/vestibule.db).
  OpenID provider: $endpoint/oidc   (discovery: $endpoint/oidc/.well-known/openid-configuration)
  Try a sign-in:   $endpoint/demo-app   (the built-in demo app; register an account there)
  Stop with Ctrl-C.

  To sign in with your own application, create a user and register the application (in
  another terminal, from this directory, so the commands find the server's database):
    $bin user create --username ada --password 'choose a long password'
    $bin app create --type traditional --name "My app" --id my-app \\
        --redirect-uri http://localhost:8080/callback
  then point your OIDC client at the issuer $endpoint/oidc with client id my-app and the
  printed secret; the application sends the browser to $endpoint/oidc/auth, which shows the
  sign-in page. People can also register there themselves; until an email connector is
  configured (README: "The sign-in experience"), verification codes are written to this log.

MSG
export VESTIBULE_SITE_ROOT="${VESTIBULE_SITE_ROOT:-$REPO_ROOT/target/site}"
exec "$bin" "$@"
