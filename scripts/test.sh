#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, docs, Rust unit and
# integration tests, the Kotlin (JVM) and Swift (Linux, Swift 6) binding tests,
# the Android and iOS demo apps' model layers (console demos + tests, on the JVM
# and Swift on Linux), a short run of every fuzz target, and the demo as a
# smoke test. The binding tests install their own toolchains
# through scripts/setup-*.sh (cached in ${HEARTH_CACHE:-/var/cache/hearth}).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "rustdoc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "generated docs are up to date"
python3 scripts/gen-docs.py --check

step "Rust tests"
log=$(mktemp)
trap 'rm -f "$log" "${kotlin_log:-}" "${swift_log:-}" "${android_log:-}" "${ios_log:-}" "${fuzz_log:-}"' EXIT
cargo test --workspace 2>&1 | tee "$log"
read -r rust_passed rust_failed < <(awk '/^test result:/ {
    for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i }
  } END { print p + 0, f + 0 }' "$log")

step "Kotlin bindings on the JVM (scripts/test-kotlin.sh)"
kotlin_log=$(mktemp)
bash scripts/test-kotlin.sh 2>&1 | tee "$kotlin_log"
read -r kt_passed kt_failed < <(sed -n 's/^kotlin: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$kotlin_log" | tail -n 1)

step "Swift bindings on Linux, Swift 6 (scripts/test-swift.sh)"
swift_log=$(mktemp)
bash scripts/test-swift.sh 2>&1 | tee "$swift_log"
read -r sw_passed sw_failed < <(sed -n 's/^swift: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$swift_log" | tail -n 1)

step "Android demo: model layer, console demo and tests on the JVM (scripts/test-android-demo.sh)"
android_log=$(mktemp)
bash scripts/test-android-demo.sh 2>&1 | tee "$android_log"
read -r ad_passed ad_failed < <(sed -n 's/^android-demo: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$android_log" | tail -n 1)

step "iOS demo: model layer, console demo and tests, Swift 6 on Linux (scripts/test-ios-demo.sh)"
ios_log=$(mktemp)
bash scripts/test-ios-demo.sh 2>&1 | tee "$ios_log"
read -r io_passed io_failed < <(sed -n 's/^ios-demo: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$ios_log" | tail -n 1)

step "fuzz smoke: every cargo-fuzz target briefly from its seed corpus (scripts/fuzz-smoke.sh)"
fuzz_log=$(mktemp)
bash scripts/fuzz-smoke.sh 2>&1 | tee "$fuzz_log"
read -r fz_passed fz_failed < <(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$fuzz_log" | tail -n 1)

step "demo smoke test"
out=$(cargo run --quiet -p hearth-cli -- demo)
grep -q "What Hearth learned" <<<"$out"
grep -q "none (encrypted at rest)" <<<"$out"
grep -q "why: You're seeing this because you're interested in" <<<"$out"
grep -q "no longer appears" <<<"$out"
grep -q "verdict: PASS" <<<"$out"
echo "demo ran: $(wc -l <<<"$out") lines of output"

# One closing line that counts every test run above.
echo
passed=$((rust_passed + kt_passed + sw_passed + ${ad_passed:-0} + ${io_passed:-0} + ${fz_passed:-0}))
failed=$((rust_failed + kt_failed + sw_failed + ${ad_failed:-1} + ${io_failed:-1} + ${fz_failed:-1}))
echo "total: ${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
