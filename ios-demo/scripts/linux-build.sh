# shellcheck shell=bash
# Builds the iOS demo's Linux artefacts (sourced by scripts/test-ios-demo.sh
# and scripts/demo-ios-console.sh; not an iOS build). After
#
#   source ios-demo/scripts/linux-build.sh
#   ios_demo_build
#
# these exist, compiled inside the Swift root with `swiftc -swift-version 6 -O`
# into the same module structure the Xcode project uses:
#
#   target/ios-demo/bindings/  scripts/swift-bindings.sh: libhearth_ffi.so,
#                              generated Hearth.swift, fixtures (sample.bundle,
#                              publisher.pub under a fresh key)
#   target/ios-demo/build/     libHearth.a + Hearth.swiftmodule (the bindings),
#                              libHearthDemoModel.a + its module
#                              (ios-demo/HearthDemoModel/Sources),
#                              hearth-demo-console (ios-demo/Console/main.swift),
#                              hearth-demo-model-tests (ModelTestCases.swift +
#                              ios-demo/ModelTestsRunner/main.swift)
#
# A module is recompiled only when its inputs changed: a stamp of their
# SHA-256 sums (and the compiler arguments) per module in target/ios-demo/build.
#
# Sets for the caller: repo, bindings, build (host paths), IOS_DEMO_B and
# IOS_DEMO_G (the build and bindings directories as the root sees them,
# under /work), target_dir, SWIFT_IN_ROOT.

ios_demo_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

ios_demo_build() {
    repo="${ios_demo_repo}"
    export SWIFT_BINDINGS_TAG=ios-demo
    # shellcheck source=scripts/swift-bindings.sh
    source "${repo}/scripts/swift-bindings.sh"
    bindings="${repo}/target/ios-demo/bindings"
    swift_bindings_build "${bindings}"

    build="${repo}/target/ios-demo/build"
    mkdir -p "${build}"
    IOS_DEMO_B=/work/target/ios-demo/build
    IOS_DEMO_G=/work/target/ios-demo/bindings
    local B="${IOS_DEMO_B}" G="${IOS_DEMO_G}"
    local model_src tests_src
    model_src=(ios-demo/HearthDemoModel/Sources/HearthDemoModel/*.swift)
    tests_src=(ios-demo/HearthDemoModel/Tests/HearthDemoModelTests/ModelTestCases.swift
        ios-demo/ModelTestsRunner/main.swift)
    local swift_flags=(-swift-version 6 -O -I "${G}/include"
        -Xcc "-fmodule-map-file=${G}/include/HearthFFI.modulemap" -I "${B}")
    local link_flags=(-L "${B}" -lHearthDemoModel -lHearth -L "${G}/lib" -lhearth_ffi)

    swift_bindings_step "compile (swiftc -swift-version 6 -O, inside the root)"
    (
        cd "${repo}" || exit
        ios_demo_compile Hearth "${B}/libHearth.a" \
            "${bindings}/gen/Hearth.swift" "${bindings}/include/HearthFFI.h" -- \
            "${swift_flags[@]}" -parse-as-library -module-name Hearth -emit-library -static \
            -emit-module -emit-module-path "${B}/Hearth.swiftmodule" \
            "${G}/gen/Hearth.swift" -o "${B}/libHearth.a"
        ios_demo_compile HearthDemoModel "${B}/libHearthDemoModel.a" \
            "${model_src[@]}" "${build}/Hearth.stamp" -- \
            "${swift_flags[@]}" -parse-as-library -module-name HearthDemoModel -emit-library -static \
            -emit-module -emit-module-path "${B}/HearthDemoModel.swiftmodule" \
            "${model_src[@]}" -o "${B}/libHearthDemoModel.a"
        ios_demo_compile console "${B}/hearth-demo-console" \
            ios-demo/Console/main.swift "${build}/HearthDemoModel.stamp" -- \
            "${swift_flags[@]}" -module-name HearthDemoConsole \
            ios-demo/Console/main.swift "${link_flags[@]}" -o "${B}/hearth-demo-console"
        ios_demo_compile tests "${B}/hearth-demo-model-tests" \
            "${tests_src[@]}" "${build}/HearthDemoModel.stamp" -- \
            "${swift_flags[@]}" -module-name HearthDemoModelTests \
            "${tests_src[@]}" "${link_flags[@]}" -o "${B}/hearth-demo-model-tests"
    )
}

# ios_demo_compile NAME OUTPUT INPUTS... -- SWIFTC_ARGS...: runs swiftc in
# the root (from the checkout's root, mounted at /work) unless NAME's stamp
# (the SHA-256 of its inputs and arguments) is unchanged and OUTPUT exists.
# A module's stamp is an input of the modules that import it, so a change
# recompiles everything downstream.
ios_demo_compile() {
    local name="$1" output="$2" stamp new t0
    shift 2
    local inputs=()
    while [[ $# -gt 0 && "$1" != "--" ]]; do
        inputs+=("$1")
        shift
    done
    shift
    stamp="${build}/${name}.stamp"
    new="$({ sha256sum "${inputs[@]}"; printf '%s\n' "$@"; } | sha256sum | cut -d' ' -f1)"
    if [[ -f "${stamp}" && -e "${repo}/${output#/work/}" && "$(cat "${stamp}")" == "${new}" ]]; then
        echo "${name}: up to date"
        return 0
    fi
    rm -f "${stamp}"
    t0=$(date +%s)
    "${SWIFT_IN_ROOT}" "${repo}" -- swiftc "$@"
    echo "${new}" >"${stamp}"
    echo "${name}: compiled in $(($(date +%s) - t0)) s"
}
