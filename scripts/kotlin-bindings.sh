#!/usr/bin/env bash
# Shared build steps of the Kotlin/JVM scripts (scripts/test-kotlin.sh,
# scripts/test-android-demo.sh, scripts/demo-android-console.sh): build the
# release hearth-ffi cdylib, the `hearth` tool and uniffi-bindgen, and generate
# the Kotlin bindings (JVM variant) from the built library.
#
# Sourced, it defines two functions and prints nothing:
#
#   source scripts/kotlin-bindings.sh
#   hearth_build_libs [EXTRA_CARGO_ARGS...]
#       cargo build --release -p hearth-ffi --lib EXTRA_CARGO_ARGS...
#       (e.g. --example select_timing), then the debug `hearth` and
#       `uniffi-bindgen`; sets HEARTH_TARGET_DIR, HEARTH_LIB_DIR (where
#       libhearth_ffi.so is: the -Djna.library.path), HEARTH_LIB and HEARTH_BIN
#       (the `hearth` tool) and prints the library's size. With
#       HEARTH_FFI_LIB=path set, that prebuilt library is tested instead of
#       building one (e.g. the build-std variant of scripts/lib-size.sh).
#   hearth_generate_kotlin_jvm OUT_DIR
#       generates the bindings in library mode from HEARTH_LIB with
#       bindings/uniffi-jvm.toml (android = false) into OUT_DIR (emptied
#       first); sets HEARTH_KT_BINDINGS to OUT_DIR/org/hearth/sdk/hearth_ffi.kt
#       and fails if it is missing or imports android.*.
#
# The functions print no progress headers (callers print their own, e.g.
# `==> [kotlin] ...`), only the library line and errors. Generated code is
# never committed: it is regenerated on every run, so it always matches the
# library it will load (uniffi checks API checksums at load time).
#
# Run directly (scripts/kotlin-bindings.sh OUT_DIR), it does both steps and
# prints `export NAME=value` lines for eval, logging to stderr.

# The variables it sets are read by the scripts that source this file.
# shellcheck disable=SC2034,SC2120
hearth_build_libs() {
    cargo build --quiet -p hearth-cli -p uniffi-bindgen
    HEARTH_TARGET_DIR="$(cargo metadata --format-version 1 --no-deps \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    HEARTH_BIN="${HEARTH_TARGET_DIR}/debug/hearth"
    if [[ -n "${HEARTH_FFI_LIB:-}" ]]; then
        # A prebuilt library (e.g. scripts/lib-size.sh's build-std variant):
        # test exactly that file, under the name JNA and Swift look for.
        HEARTH_LIB_DIR="${HEARTH_TARGET_DIR}/prebuilt-ffi"
        mkdir -p "${HEARTH_LIB_DIR}"
        cp "${HEARTH_FFI_LIB}" "${HEARTH_LIB_DIR}/libhearth_ffi.so"
        if [[ $# -gt 0 ]]; then
            cargo build --release --quiet -p hearth-ffi "$@"
        fi
    else
        cargo build --release --quiet -p hearth-ffi --lib "$@"
        HEARTH_LIB_DIR="${HEARTH_TARGET_DIR}/release"
    fi
    HEARTH_LIB="${HEARTH_LIB_DIR}/libhearth_ffi.so"
    echo "library: ${HEARTH_LIB} ($(wc -c <"${HEARTH_LIB}") bytes)"
}

hearth_generate_kotlin_jvm() {
    local gen="$1"
    mkdir -p "${gen}"
    gen="$(cd "${gen}" && pwd)"
    rm -rf "${gen}"
    # --no-format: ktlint is not part of the toolchain; the code compiles as is.
    "${HEARTH_TARGET_DIR}/debug/uniffi-bindgen" generate --library "${HEARTH_LIB}" --language kotlin \
        --config bindings/uniffi-jvm.toml --out-dir "${gen}" --no-format
    HEARTH_KT_BINDINGS="${gen}/org/hearth/sdk/hearth_ffi.kt"
    [[ -f "${HEARTH_KT_BINDINGS}" ]] || { echo "no bindings generated at ${HEARTH_KT_BINDINGS}" >&2; return 1; }
    if grep -q 'import android\.' "${HEARTH_KT_BINDINGS}"; then
        echo "JVM bindings must not import android.*" >&2
        return 1
    fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    cd "$(dirname "$0")/.."
    [[ $# -eq 1 ]] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
    # shellcheck disable=SC2119
    hearth_build_libs >&2
    hearth_generate_kotlin_jvm "$1" >&2
    for v in HEARTH_TARGET_DIR HEARTH_LIB_DIR HEARTH_LIB HEARTH_BIN HEARTH_KT_BINDINGS; do
        printf 'export %s=%q\n' "${v}" "${!v}"
    done
fi
