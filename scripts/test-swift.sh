#!/usr/bin/env bash
# Swift tests of Hearth's uniffi bindings on Linux, in Swift 6 language mode,
# against the real Rust library.
#
#   1. installs (once, cached) a Debian trixie root with Swift 6 through
#      scripts/setup-swift.sh;
#   2. builds the release cdylib (target/release/libhearth_ffi.so), the
#      select_ads timing example, the `hearth` tool and uniffi-bindgen;
#   3. builds the signed test catalogs (scripts/bindings-fixtures.sh);
#   4. generates the Swift bindings in library mode from the built library
#      (Hearth.swift, HearthFFI.h, HearthFFI.modulemap; never committed) and
#      copies them, the library and the fixtures into target/bindings/swift
#      under the checkout, which scripts/swift-in-root.sh bind-mounts at /work
#      (steps 1-4 live in scripts/swift-bindings.sh, shared with
#      scripts/test-ios-demo.sh);
#   5. compiles Hearth.swift + tests/swift/*.swift with swiftc
#      -swift-version 6 inside the root, and runs the program there.
#
# The last line is the Swift harness's `N passed, N failed`; the exit status
# is non-zero if any test failed. Timing figures are printed, never asserted.
#
# Swift 6 strict concurrency: the generated code of uniffi 0.32 compiles in
# Swift 6 language mode without relaxing anything (records and enums are
# Sendable, objects are `@unchecked Sendable`), so no
# `-strict-concurrency=minimal` or `-swift-version 5` fallback is used.
#
# Usage: scripts/test-swift.sh        (from any directory)
# Environment: HEARTH_CACHE / SWIFT_ROOT (see setup-swift.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

step() { printf '\n==> [swift] %s\n' "$*"; }
t_start=$(date +%s)

# Steps 1-4: toolchain, cargo builds, fixtures, generated bindings
# (shared with scripts/test-ios-demo.sh).
# shellcheck source=scripts/swift-bindings.sh
source scripts/swift-bindings.sh
build="${repo}/target/bindings/swift"
build_in_root="/work/target/bindings/swift"
swift_bindings_build "${build}"

step "compile (swiftc -swift-version 6, inside the root)"
# -I: where `import HearthFFI` finds the module map; -fmodule-map-file: load it
# explicitly (it is not named module.modulemap). -L/-l: link the cdylib. The
# program finds it at run time through LD_LIBRARY_PATH.
"${SWIFT_IN_ROOT}" "${repo}" -- swiftc -swift-version 6 -O \
    -module-name HearthSwiftTests \
    -I "${build_in_root}/include" \
    -Xcc -fmodule-map-file="${build_in_root}/include/HearthFFI.modulemap" \
    -L "${build_in_root}/lib" -lhearth_ffi \
    "${build_in_root}/gen/Hearth.swift" tests/swift/*.swift \
    -o "${build_in_root}/hearth-swift-tests"

step "Rust side of the select_ads timing (10,000 creatives)"
rust_out="$("${target_dir}/release/examples/select_timing" "${build}/fixtures/gen10k.bundle" \
    "${build}/fixtures/publisher.pub" 200)"
while IFS= read -r line; do echo "figure: ${line}"; done <<<"${rust_out}"
rust_us="$(sed -n 's/^rust-core select_ads median_us=\([0-9.]*\).*/\1/p' <<<"${rust_out}")"

step "run Swift tests (inside the root)"
t_tests=$(date +%s)
set +e
"${SWIFT_IN_ROOT}" "${repo}" -- env LD_LIBRARY_PATH="${build_in_root}/lib" \
    "${build_in_root}/hearth-swift-tests" "${build_in_root}/fixtures" "${rust_us}" \
    | tee "${build}/swift-test.log"
rc=${PIPESTATUS[0]}
set -e
t_end=$(date +%s)
echo "swift: script took $((t_end - t_start)) s (tests $((t_end - t_tests)) s)"
summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "${build}/swift-test.log" | tail -n 1 || true)"
if [[ -z "${summary}" ]]; then
    echo "swift: the test program did not finish (exit ${rc})" >&2
    echo "swift: 0 passed, 1 failed"
    exit 1
fi
echo "swift: ${summary}"
exit "${rc}"
