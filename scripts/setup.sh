# Sourced by run.sh and test.sh: installs what a fresh machine lacks, idempotently, so a warm
# machine spends seconds here. Everything comes from crates.io, npm or Debian's packages.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$(pwd)

CARGO_LEPTOS_VERSION=0.3.10
export PATH="$HOME/.cargo/bin:$REPO_ROOT/node_modules/.bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

step() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

APT_UPDATED=0
apt_install() {
  local missing=()
  # "install ok installed" only: a removed package keeps a "config-files" status that
  # `dpkg -s` still reports as present.
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ "$APT_UPDATED" -eq 0 ]; then $sudo apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_rust_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    # 0.3.11 needs a newer rustc; no_downloads makes it use the tools on PATH.
    step "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes on 2 cores, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
  # The wasm-bindgen CLI must be exactly the library version in Cargo.lock.
  local wanted
  wanted=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $wanted\$"; then
    step "installing wasm-bindgen-cli $wanted"
    cargo install wasm-bindgen-cli --version "$wanted" --force
  fi
}

ensure_node_tools() {
  if ! command -v npm >/dev/null; then apt_install nodejs npm; fi
  if [ ! -x node_modules/.bin/tailwindcss ] || ! cmp -s package-lock.json node_modules/.package-lock-copy.json; then
    step "installing npm packages (Tailwind CSS, Playwright)"
    # `npm ci` refuses this lock file under npm 11 (it wants every platform's optional
    # Tailwind binary listed); `npm install` honours the lock and fetches only this one.
    npm install --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.package-lock-copy.json
  fi
}

ensure_build_tools() {
  # webauthn-rs builds against the system OpenSSL (openssl-sys finds it with pkg-config);
  # samael (SAML) against libxml2 and libxmlsec1, through bindings bindgen makes with libclang.
  apt_install libssl-dev pkg-config libxml2-dev libxmlsec1-dev libclang-dev
  ensure_rust_tools
  # Also wasm-opt, which shrinks the release WASM bundle: binaryen 132 from npm
  # (node_modules/.bin comes first on PATH). Debian's binaryen 108 must not be used: its -Oz
  # output exports wasm-bindgen's externref table as the function table, and every page then
  # fails to hydrate (`WebAssembly.Table.set(): Argument 1 is invalid for table`).
  ensure_node_tools
  if [ "$(command -v wasm-opt)" != "$REPO_ROOT/node_modules/.bin/wasm-opt" ]; then
    echo "wasm-opt resolves to $(command -v wasm-opt), not the pinned npm binaryen" >&2
    exit 1
  fi
}

ensure_test_tools() {
  ensure_build_tools
  # nextest runs each test in its own process with a time limit (.config/nextest.toml).
  if ! cargo nextest --version >/dev/null 2>&1; then
    step "installing cargo-nextest (once)"
    cargo install cargo-nextest --locked
  fi
  # The SAML tests' identity provider gets its key and certificate from the openssl CLI.
  apt_install chromium openssl
  ensure_postgres
}

# cargo-fuzz, pinned; on stable Rust it fuzzes without sanitizers (`--sanitizer none`).
CARGO_FUZZ_VERSION=0.13.1
ensure_cargo_fuzz() {
  if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    step "installing cargo-fuzz $CARGO_FUZZ_VERSION (once)"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
  fi
}

# schemathesis (PyPI), pinned, in a virtual environment kept outside the clone.
SCHEMATHESIS_VERSION=4.32.5
ensure_schemathesis() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/vestibule/schemathesis-$SCHEMATHESIS_VERSION"
  SCHEMATHESIS="$venv/bin/st"
  if ! "$SCHEMATHESIS" --version >/dev/null 2>&1; then
    step "installing schemathesis $SCHEMATHESIS_VERSION (once)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
  fi
}

# PostgreSQL runs on these machines; start it if it stopped. Tests create their own databases.
ensure_postgres() {
  if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
      step "starting PostgreSQL"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    fi
  fi
}

# Where cargo puts binaries (honours CARGO_TARGET_DIR).
target_dir() {
  echo "${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
}
