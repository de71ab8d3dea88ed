# shellcheck shell=bash
# The build half of Hearth's Swift-on-Linux scripts, shared by
# scripts/test-swift.sh (the binding tests) and scripts/test-ios-demo.sh (the
# iOS demo's model layer, console demo and tests). Source it, then call
# `swift_bindings_build OUT_DIR`:
#
#   source scripts/swift-bindings.sh
#   swift_bindings_build "${repo}/target/bindings/swift"
#
# It
#   1. installs (once, cached) the Debian trixie root with Swift 6 through
#      scripts/setup-swift.sh and exports SWIFT_ROOT and SWIFT_IN_ROOT;
#   2. builds the release cdylib (target/release/libhearth_ffi.so), the
#      select_ads timing example, the `hearth` tool and uniffi-bindgen;
#   3. empties OUT_DIR and builds the signed test catalogs into
#      OUT_DIR/fixtures (scripts/bindings-fixtures.sh: sample.bundle,
#      sample-v2.bundle, gen10k.bundle, publisher.pub, under a fresh key);
#   4. generates the Swift bindings in library mode from the built library
#      into OUT_DIR/gen (Hearth.swift, HearthFFI.h, HearthFFI.modulemap; never
#      committed), copies the header and module map to OUT_DIR/include and the
#      library to OUT_DIR/lib.
#
# OUT_DIR must lie inside the checkout: scripts/swift-in-root.sh bind-mounts
# the checkout at /work, so the root sees OUT_DIR at
# `$(swift_bindings_in_root OUT_DIR)`.
#
# Afterwards these are set for the caller: SWIFT_ROOT, SWIFT_IN_ROOT (from
# setup-swift.sh), target_dir (cargo's target directory) and lib (the built
# libhearth_ffi.so, or a copy of HEARTH_FFI_LIB when that names a prebuilt
# library to test instead, e.g. scripts/lib-size.sh's build-std variant). Progress lines look like `==> [TAG] ...`, TAG being
# ${SWIFT_BINDINGS_TAG:-swift}. The caller should run `set -euo pipefail`;
# any failing step stops the caller's script.

# The repository root (this file lives in scripts/).
swift_bindings_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

swift_bindings_step() { printf '\n==> [%s] %s\n' "${SWIFT_BINDINGS_TAG:-swift}" "$*"; }

# Print where the root sees a host path inside the checkout.
swift_bindings_in_root() {
    local p
    p="$(realpath -m "$1")"
    case "${p}" in
        "${swift_bindings_repo}") echo "/work" ;;
        "${swift_bindings_repo}"/*) echo "/work/${p#"${swift_bindings_repo}"/}" ;;
        *) echo "swift-bindings: ${1} is outside the checkout ${swift_bindings_repo}" >&2; return 1 ;;
    esac
}

# swift_bindings_build OUT_DIR: steps 1-4 above.
swift_bindings_build() {
    local out="$1" f
    swift_bindings_in_root "${out}" >/dev/null

    swift_bindings_step "toolchain (scripts/setup-swift.sh)"
    eval "$("${swift_bindings_repo}/scripts/setup-swift.sh")"

    swift_bindings_step "build: hearth-ffi (release cdylib + timing example), hearth, uniffi-bindgen"
    (
        cd "${swift_bindings_repo}" || exit
        cargo build --release --quiet -p hearth-ffi --lib --example select_timing
        cargo build --quiet -p hearth-cli -p uniffi-bindgen
    )
    target_dir="$(cd "${swift_bindings_repo}" && cargo metadata --format-version 1 --no-deps \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    lib="${target_dir}/release/libhearth_ffi.so"
    if [[ -n "${HEARTH_FFI_LIB:-}" ]]; then
        # A prebuilt library (e.g. scripts/lib-size.sh's build-std variant).
        mkdir -p "${target_dir}/prebuilt-ffi"
        cp "${HEARTH_FFI_LIB}" "${target_dir}/prebuilt-ffi/libhearth_ffi.so"
        lib="${target_dir}/prebuilt-ffi/libhearth_ffi.so"
    fi
    echo "library: ${lib} ($(wc -c <"${lib}") bytes)"

    # Everything the root needs lives here, inside the checkout (mounted at /work).
    rm -rf "${out}"
    mkdir -p "${out}/gen" "${out}/include" "${out}/lib"

    swift_bindings_step "fixtures: signed test catalogs"
    "${swift_bindings_repo}/scripts/bindings-fixtures.sh" "${target_dir}/debug/hearth" "${out}/fixtures"

    swift_bindings_step "generate Swift bindings (library mode)"
    (
        cd "${swift_bindings_repo}" || exit
        "${target_dir}/debug/uniffi-bindgen" generate --library "${lib}" --language swift \
            --out-dir "${out}/gen" --no-format
    )
    for f in Hearth.swift HearthFFI.h HearthFFI.modulemap; do
        [[ -f "${out}/gen/${f}" ]] || { echo "uniffi-bindgen did not write ${f}" >&2; return 1; }
    done
    cp "${out}/gen/HearthFFI.h" "${out}/gen/HearthFFI.modulemap" "${out}/include/"
    cp "${lib}" "${out}/lib/"
}
