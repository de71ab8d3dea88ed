#!/usr/bin/env bash
# The iOS demo's model layer, console demo and model tests, on Linux in Swift 6
# language mode, against the real Rust library (issue #7, iOS half).
#
#   1-4. toolchain, release library, `hearth`, uniffi-bindgen, signed fixtures
#        and generated Swift bindings: scripts/swift-bindings.sh (shared with
#        scripts/test-swift.sh), into target/ios-demo/bindings;
#   5.   compiles inside the root, with `swiftc -swift-version 6 -O`, the same
#        module structure the Xcode project uses (ios-demo/scripts/linux-build.sh,
#        shared with scripts/demo-ios-console.sh):
#          Hearth           the generated bindings (static library + module)
#          HearthDemoModel  ios-demo/HearthDemoModel/Sources (imports Hearth)
#          the console      ios-demo/Console/main.swift
#          the tests        ios-demo/HearthDemoModel/Tests/HearthDemoModelTests/
#                           ModelTestCases.swift + ios-demo/ModelTestsRunner/main.swift
#        A module is recompiled only when its inputs changed (a stamp of
#        their SHA-256 sums in target/ios-demo/build);
#   6.   runs the console demo and checks its key lines (feed, ad with its
#        reason, interests, the hidden advertiser gone, the exact payload, the
#        audit verdict, the budget, consent off, reset), and checks the
#        console's upload log with the `hearth audit` tool;
#   7.   type-checks the SwiftUI app layer (ios-demo/HearthDemo) in Swift 6
#        mode against the model layer, with stand-ins for SwiftUI/Combine
#        (ios-demo/scripts/typecheck-stubs): Apple's frameworks do not exist
#        here, so this catches drift between the views and the model, not
#        misuse of SwiftUI;
#   8.   runs the model tests.
#
# The last line is `ios-demo: N passed, N failed` (model tests + console
# checks); the exit status is non-zero if anything failed.
#
# Usage: scripts/test-ios-demo.sh        (from any directory)
# Environment: HEARTH_CACHE / SWIFT_ROOT (see setup-swift.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

step() { printf '\n==> [ios-demo] %s\n' "$*"; }
t_start=$(date +%s)
passed=0
failed=0
# If a build step fails (set -e), still end with the summary line, counting
# the failed step.
summary_done=0
on_exit() {
    local rc=$?
    if [[ ${summary_done} -eq 0 ]]; then
        echo "ios-demo: a step failed (exit ${rc})" >&2
        echo "ios-demo: ${passed} passed, $((failed + 1)) failed"
    fi
}
trap on_exit EXIT

# Steps 1-5 (shared with scripts/demo-ios-console.sh).
# shellcheck source=ios-demo/scripts/linux-build.sh
source ios-demo/scripts/linux-build.sh
ios_demo_build
B="${IOS_DEMO_B}"
G="${IOS_DEMO_G}"

check() { # check NAME COMMAND...: one counted check
    local name="$1"
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   ${name}"
    else
        failed=$((failed + 1))
        echo "FAIL ${name}"
    fi
}

step "console demo (ios-demo/Console/main.swift)"
run_dir="${repo}/target/ios-demo/console-run"
rm -rf "${run_dir}"
console_log="${build}/console.log"
set +e
"${SWIFT_IN_ROOT}" "${repo}" -- env LD_LIBRARY_PATH="${G}/lib" \
    "${B}/hearth-demo-console" "${G}/fixtures" /work/target/ios-demo/console-run | tee "${console_log}"
console_rc=${PIPESTATUS[0]}
set -e
has() { grep -qE -- "$1" "${console_log}"; }
check "console: exits 0" test "${console_rc}" -eq 0
check "console: nothing collected before opt-in" has 'was not recorded: personalisation is off'
check "console: catalog verified and installed" has 'catalog v1 verified and installed'
check "console: feed ranked with reasons" has '^ +1\. .*— Because you follow'
check "console: ad with why-this-ad" has "^ +why: You're seeing this because you're interested in"
check "console: interests with reasons" has '^ +Running and Jogging .*Based on'
check "console: interest removed" has 'Removed Pop Culture'
check "console: hidden advertiser gone" has 'no longer appears'
check "console: the exact payload" has '^ +\{"schema":"hearth-report/1",'
check "console: audit verdict PASS" has 'auditor: verdict: PASS'
check "console: budget" has 'privacy budget, impressions: spent 1\.0 of 7\.0'
check "console: upload acknowledged" has 'pending 0, sent 1'
check "console: consent off erases" has 'interests 0, traits 0, ad history 0'
check "console: reset" has 'reset\(\): .*consent back to Contextual only'
step "the console's upload log, checked by the hearth audit tool"
check "hearth audit of the upload log: PASS" \
    "${target_dir}/debug/hearth" audit "${run_dir}/uploads.jsonl"

step "type-check the SwiftUI app layer against the model (stand-in SwiftUI, ios-demo/scripts/typecheck-stubs)"
# Apple's SwiftUI, Combine and Security do not exist here. Stand-ins with the
# iOS SDK's signatures for the API the app uses let swiftc check, in Swift 6
# mode, that every view and AppStore use the model layer as it is (names,
# labels, types, Sendable captures). KeychainKeyProvider.swift is replaced by
# a stub; the real one is not compiled here.
S=/work/ios-demo/scripts/typecheck-stubs
T="${B}/typecheck"
app_src=()
for f in ios-demo/HearthDemo/*.swift; do
    [[ "${f}" == */KeychainKeyProvider.swift ]] || app_src+=("/work/${f}")
done
# shellcheck disable=SC2016 # expanded by the inner sh, on purpose
check "app layer type-checks (Swift 6) against HearthDemoModel" \
    "${SWIFT_IN_ROOT}" "${repo}" -- sh -c '
        set -e
        T="$1"; S="$2"; B="$3"; G="$4"; shift 4
        mkdir -p "${T}"
        swiftc -swift-version 6 -parse-as-library -module-name Combine -emit-module \
            -emit-module-path "${T}/Combine.swiftmodule" "${S}/Combine.swift"
        swiftc -swift-version 6 -parse-as-library -module-name SwiftUI -I "${T}" -emit-module \
            -emit-module-path "${T}/SwiftUI.swiftmodule" "${S}/SwiftUI.swift"
        swiftc -swift-version 6 -typecheck -parse-as-library -module-name HearthDemo -I "${T}" -I "${B}" \
            -I "${G}/include" -Xcc "-fmodule-map-file=${G}/include/HearthFFI.modulemap" \
            "$@" "${S}/KeychainKeyProvider.swift"
    ' sh "${T}" "${S}" "${B}" "${G}" "${app_src[@]}"

step "model tests (ios-demo/HearthDemoModel/Tests, Linux runner)"
tests_log="${build}/tests.log"
set +e
"${SWIFT_IN_ROOT}" "${repo}" -- env LD_LIBRARY_PATH="${G}/lib" \
    "${B}/hearth-demo-model-tests" "${G}/fixtures" | tee "${tests_log}"
tests_rc=${PIPESTATUS[0]}
set -e
summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "${tests_log}" | tail -n 1 || true)"
if [[ -z "${summary}" ]]; then
    echo "model tests: the program did not finish (exit ${tests_rc})" >&2
    failed=$((failed + 1))
else
    read -r tp _ tf _ <<<"${summary}"
    passed=$((passed + tp))
    failed=$((failed + tf))
    [[ "${tests_rc}" -eq 0 || "${tf}" -gt 0 ]] || failed=$((failed + 1))
fi

echo "ios-demo: script took $(($(date +%s) - t_start)) s"
summary_done=1
echo "ios-demo: ${passed} passed, ${failed} failed"
[[ "${failed}" -eq 0 ]]
