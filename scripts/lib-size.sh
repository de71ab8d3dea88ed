#!/usr/bin/env bash
# The size of the phone library (stripped release libhearth_ffi.so, x86_64),
# built two ways, side by side:
#
#   stable     cargo build --release -p hearth-ffi --lib (what the tests use)
#   build-std  the same with nightly `-Z build-std=std,panic_unwind` and std's
#              features reduced to `panic-unwind`: panics still unwind (uniffi
#              turns them into errors), but std's backtrace symboliser
#              (gimli/addr2line/miniz, ~220 KB) is not linked. Needs the
#              nightly toolchain with rust-src (`rustup component add rust-src
#              --toolchain nightly`; this script tries once). The packaging
#              scripts use it with HEARTH_BUILD_STD=1.
#
# Prints `figure: ffi stripped bytes=… variant=…` lines (goal: ≤ 1.5 MB).
# Test a variant through the binding suites with
#   HEARTH_FFI_LIB=<its unstripped .so> scripts/test-kotlin.sh   (or test-swift.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

goal=1500000
report() { # variant unstripped-path
    local stripped
    stripped="$(mktemp)"
    strip -o "${stripped}" "$2"
    local n
    n="$(wc -c <"${stripped}")"
    rm -f "${stripped}"
    printf 'figure: ffi stripped bytes=%s variant=%s (goal <= %s: %s) lib=%s\n' "${n}" "$1" "${goal}" \
        "$([[ ${n} -le ${goal} ]] && echo met || echo missed)" "$2"
}

cargo build --release --quiet -p hearth-ffi --lib
target_dir="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
report stable "${target_dir}/release/libhearth_ffi.so"

host="$(rustc -vV | sed -n 's/^host: //p')"
if ! rustup component list --toolchain nightly 2>/dev/null | grep -q '^rust-src (installed)'; then
    rustup component add rust-src --toolchain nightly >/dev/null 2>&1 || true
fi
if rustup component list --toolchain nightly 2>/dev/null | grep -q '^rust-src (installed)'; then
    HEARTH_BUILD_STD=1
    source scripts/release-std.sh  # the packaging scripts' toolchain and std_args
    CARGO_TARGET_DIR="${target_dir}/build-std" cargo "${toolchain[@]}" build --release --quiet \
        -p hearth-ffi --lib --target "${host}" "${std_args[@]}"
    report build-std "${target_dir}/build-std/${host}/release/libhearth_ffi.so"
else
    echo "build-std variant skipped: no nightly toolchain with rust-src here"
fi
