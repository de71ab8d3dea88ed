#!/usr/bin/env bash
# Fuzz smoke test: builds every cargo-fuzz target in fuzz/ and runs each one for
# a short time (FUZZ_SECONDS, default 15) starting from its committed seed
# corpus (fuzz/seeds/<target>); any crash, panic, overflow or timeout fails it.
# New inputs go to a scratch directory, or with FUZZ_KEEP_CORPUS=1 to
# fuzz/corpus/<target> (not committed; a long run grows it, and replaying it
# then makes every later run start slower); crashes go to
# fuzz/artifacts/<target>/ (reproduce with `cargo +nightly fuzz run <target>
# <file>`). The last line is `fuzz: N passed, N failed` (one per target).
#
#   scripts/fuzz-smoke.sh                 # all targets, 15 s each
#   FUZZ_SECONDS=600 FUZZ_KEEP_CORPUS=1 scripts/fuzz-smoke.sh store_decoder   # one target, 10 min
#
# cargo-fuzz (pinned) installs itself through scripts/setup-fuzz.sh into
# ${HEARTH_CACHE:-/var/cache/hearth}/cargo-fuzz; a nightly toolchain is needed.
# The fuzz build (nightly, instrumented) is kept in
# ${HEARTH_CACHE:-/var/cache/hearth}/fuzz-target, so a fresh checkout only
# rebuilds Hearth's own crates.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-15}"
bin_dir="$(bash scripts/setup-fuzz.sh | tail -n 1)" || {
    echo "fuzz: setup failed"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
}
export PATH="$bin_dir:$PATH"

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi

# Release optimisations with debug assertions and overflow checks (an
# overflow is a finding); no sanitizer: the code under test forbids `unsafe`,
# and without ASan each target runs about twice as many inputs.
build_flags=(--sanitizer none --debug-assertions
    --target-dir "${HEARTH_CACHE:-/var/cache/hearth}/fuzz-target")

echo "==> building ${#targets[@]} fuzz target(s)"
build_log="$(mktemp)"
built=1
if [[ $# -eq 0 ]]; then
    (cd fuzz && cargo +nightly fuzz build "${build_flags[@]}") >"$build_log" 2>&1 || built=0
else
    for t in "${targets[@]}"; do
        (cd fuzz && cargo +nightly fuzz build "${build_flags[@]}" "$t") >>"$build_log" 2>&1 || built=0
    done
fi
if [[ $built -eq 0 ]]; then
    tail -n 60 "$build_log"
    rm -f "$build_log"
    echo "fuzz: 0 passed, ${#targets[@]} failed"
    exit 1
fi
rm -f "$build_log"

passed=0
failed=0
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
    if [[ "${FUZZ_KEEP_CORPUS:-0}" == 1 ]]; then
        corpus="$PWD/fuzz/corpus/$t"
    else
        corpus="$scratch/$t"
    fi
    mkdir -p "$corpus"
    log="$(mktemp)"
    start=$(date +%s)
    (cd fuzz && cargo +nightly fuzz run "${build_flags[@]}" "$t" "$corpus" "seeds/$t" -- \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1) >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [[ $rc -eq 0 ]]; then
        passed=$((passed + 1))
        echo "fuzz: $t ok: ${execs:-?} inputs in ${took}s, corpus $(find "$corpus" "fuzz/seeds/$t" -type f | wc -l) files"
    else
        failed=$((failed + 1))
        echo "fuzz: $t FAILED (exit $rc) after ${took}s:"
        # The panic, libFuzzer's summary and how to reproduce (not the input).
        grep -E -A2 "panicked|ERROR:|SUMMARY|Test unit written|Reproduce with" "$log" \
            | cut -c1-300 | head -n 40
    fi
    rm -f "$log"
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
