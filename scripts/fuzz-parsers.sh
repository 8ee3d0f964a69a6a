#!/usr/bin/env bash
# cargo-fuzz (libFuzzer) on the parsers that take outside input: user search queries, typed
# identifiers, sign-in experience documents, JWTs presented to us and SAML responses
# (fuzz/fuzz_targets). Stable Rust, so without sanitizers (`--sanitizer none`): the targets
# assert what must hold, and any panic or assertion is a finding.
#
#   scripts/fuzz-parsers.sh [SECONDS_PER_TARGET] [TARGET…]   # default 20 s each (CI)
#
# Findings land in fuzz/artifacts/<target>/; rerun one with
#   cargo fuzz run --sanitizer none <target> fuzz/artifacts/<target>/<file>
# and, once fixed, keep it in fuzz/regressions/<target>/ so every run replays it.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

budget="${1:-20}"; shift || true
ensure_build_tools
ensure_cargo_fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(user_search identifiers sign_in_experience own_jwt saml_response)

export CARGO_TARGET_DIR="$(target_dir)/fuzz"
step "building the fuzz targets (instrumented, release)"
cargo fuzz build --sanitizer none
for target in "${targets[@]}"; do
  step "fuzzing $target for ${budget}s"
  # The corpus lives beside the build, so runs on one machine build on each other's finds.
  corpus="$CARGO_TARGET_DIR/corpus/$target"
  mkdir -p "$corpus"
  # Past findings (fuzz/regressions/<target>/) are replayed first on every run.
  regressions=()
  [ -d "$REPO_ROOT/fuzz/regressions/$target" ] && regressions=("$REPO_ROOT/fuzz/regressions/$target")
  log="$CARGO_TARGET_DIR/$target.log"
  if ! cargo fuzz run --sanitizer none "$target" "$corpus" "${regressions[@]}" -- \
      -max_total_time="$budget" -print_final_stats=1 -max_len=8192 > "$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz target $target found a failure: the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units' "$log" | sed "s/^/  $target: /"
done
