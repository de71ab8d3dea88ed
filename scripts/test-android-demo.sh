#!/usr/bin/env bash
# The Android demo's plain-Kotlin parts, on this machine's JVM, against the real
# Rust library through JNA (no Android SDK, no Gradle):
#
#   1. installs (once, cached) kotlinc, JNA and JUnit 4 (scripts/setup-kotlin.sh);
#   2. builds the release cdylib, `hearth` and uniffi-bindgen, and generates
#      the Kotlin bindings, JVM variant (scripts/kotlin-bindings.sh, shared with
#      scripts/test-kotlin.sh), into target/android-demo/kotlin-jvm;
#   3. builds the app's catalog assets (scripts/android-demo-assets.sh: the
#      sample catalog signed with a fresh publisher key) into
#      target/android-demo/assets, the same layout as the app's assets;
#   4. checks that the model layer imports no android.* / androidx.*;
#   5. compiles bindings + model layer (android-demo/app/src/main/java/org/
#      hearth/demo/model) + console front end (android-demo/console) + model
#      tests (android-demo/app/src/test) in one kotlinc call (skipped when no
#      input changed since the last run: target/android-demo/classes/.inputs);
#   6. runs the console demo and checks its key lines (feed, ad with its
#      reason, interests, the hidden advertiser gone, the exact payload, the
#      audit verdict, the epsilon budget, consent off, reset);
#   7. runs the model tests (JUnit 4, through android-demo/console/RunModelTests.kt).
#
# The last line is `android-demo: N passed, N failed` (console checks + tests);
# the exit status is non-zero if anything failed.
#
# Usage: scripts/test-android-demo.sh          (from any directory)
#        scripts/test-android-demo.sh --demo [ARGS...]
#            build what is needed, then only run the console demo, passing
#            ARGS (--seed N, --verbose, --dir DIR) through; this is what
#            scripts/demo-android-console.sh does.
# Environment: HEARTH_CACHE (toolchain cache, see setup-kotlin.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

demo_only=false
if [[ "${1:-}" == "--demo" ]]; then
    demo_only=true
    shift
fi

# In --demo mode the build chatter goes to stderr, so stdout is the story.
if ${demo_only}; then exec 3>&1 1>&2; else exec 3>&1; fi

step() { printf '\n==> [android-demo] %s\n' "$*"; }
t_start=$(date +%s)

step "toolchain (scripts/setup-kotlin.sh)"
eval "$(scripts/setup-kotlin.sh)"

source scripts/kotlin-bindings.sh

step "build: hearth-ffi (release cdylib), hearth, uniffi-bindgen"
# shellcheck disable=SC2119
hearth_build_libs
out="${HEARTH_TARGET_DIR}/android-demo"

step "assets: the signed sample catalog (scripts/android-demo-assets.sh)"
scripts/android-demo-assets.sh "${HEARTH_BIN}" "${out}/assets"

step "generate Kotlin bindings (library mode, JVM variant)"
hearth_generate_kotlin_jvm "${out}/kotlin-jvm"

model_dir="android-demo/app/src/main/java/org/hearth/demo/model"
test_dir="android-demo/app/src/test/java/org/hearth/demo/model"
step "check: the model layer has no Android dependency"
if grep -nE '^import +(android|androidx)\.' "${model_dir}"/*.kt; then
    echo "the model layer must not import android.* or androidx.*" >&2
    echo "android-demo: 0 passed, 1 failed" >&3
    exit 1
fi
echo "no android.* / androidx.* imports in ${model_dir}"

step "compile bindings + model + console + tests (one kotlinc call)"
classes="${out}/classes"
sources=("${HEARTH_KT_BINDINGS}" "${model_dir}"/*.kt android-demo/console/*.kt "${test_dir}"/*.kt)
classpath="${JNA_JAR}:${KOTLIN_COROUTINES}:${JUNIT_JAR}:${HAMCREST_JAR}"
inputs="$( { cat "${KOTLIN_HOME}/build.txt"; echo "${classpath}"; cat "${sources[@]}"; } | sha256sum)"
if [[ -f "${classes}/.inputs" && "$(cat "${classes}/.inputs")" == "${inputs}" ]]; then
    echo "sources and bindings unchanged since the last build: reusing ${classes}"
else
    rm -rf "${classes}"
    mkdir -p "${classes}"
    # -nowarn: the generated bindings have warnings we don't own.
    "${KOTLINC}" -nowarn -cp "${classpath}" -d "${classes}" "${sources[@]}" 2>&1 \
        | grep -v '^warning: .*unable to find kotlin-stdlib' || true
    [[ -f "${classes}/org/hearth/demo/console/ConsoleDemoKt.class" \
        && -f "${classes}/org/hearth/demo/model/HearthDemoTest.class" ]] \
        || { echo "kotlinc failed" >&2; echo "android-demo: 0 passed, 1 failed" >&3; exit 1; }
    echo "${inputs}" >"${classes}/.inputs"
fi

run_cp="${classes}:${KOTLIN_STDLIB}:${KOTLIN_COROUTINES}:${JNA_JAR}:${JUNIT_JAR}:${HAMCREST_JAR}"
jvm=(java -Djna.library.path="${HEARTH_LIB_DIR}" -Dhearth.demoAssets="${out}/assets" -cp "${run_cp}")

if ${demo_only}; then
    step "console demo"
    exec 1>&3
    exec "${jvm[@]}" org.hearth.demo.console.ConsoleDemoKt --assets "${out}/assets" "$@"
fi

passed=0
failed=0
check() { # check NAME PATTERN FILE: one console check
    if grep -qF -- "$2" "$3"; then
        passed=$((passed + 1))
        echo "ok   console: $1"
    else
        failed=$((failed + 1))
        echo "FAIL console: $1 (no line with: $2)"
    fi
}

step "console demo (android-demo/console/ConsoleDemo.kt)"
console_log="${out}/console.log"
set +e
"${jvm[@]}" org.hearth.demo.console.ConsoleDemoKt --assets "${out}/assets" | tee "${console_log}"
console_rc=${PIPESTATUS[0]}
set -e
echo
if [[ ${console_rc} -eq 0 ]]; then
    passed=$((passed + 1))
    echo "ok   console: runs to the end"
else
    failed=$((failed + 1))
    echo "FAIL console: exited with ${console_rc}"
fi
check "catalog asset verified and installed" "installed version 1; verified on the phone" "${console_log}"
check "feed ranked by Hearth with reasons" "— Because you follow " "${console_log}"
check "ad with its reason" "Why this ad? " "${console_log}"
check "interests with reasons" "Based on " "${console_log}"
check "hidden advertiser no longer appears" "no longer appears." "${console_log}"
check "interest removed stays out" "Pop Culture in interests: false" "${console_log}"
check "payload printed as exact JSON" '{"schema":"hearth-report/1","catalog_version":1,"period":"' "${console_log}"
check "audit verdict PASS" "verdict: PASS" "${console_log}"
check "epsilon budget spent" "remaining epsilon 6.0" "${console_log}"
check "upload log holds the exact bytes" "The log holds exactly the pending bytes: true" "${console_log}"
check "consent off clears" "switches consent off: interests 0, ad history 0" "${console_log}"
check "reset" "Reset: all user data erased; consent back to Contextual only" "${console_log}"

step "model tests (JUnit 4: ${test_dir})"
test_log="${out}/tests.log"
set +e
"${jvm[@]}" org.hearth.demo.console.RunModelTestsKt org.hearth.demo.model.HearthDemoTest | tee "${test_log}"
tests_rc=${PIPESTATUS[0]}
set -e
summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "${test_log}" | tail -n 1 || true)"
if [[ -z "${summary}" ]]; then
    echo "the test runner did not finish (exit ${tests_rc})"
    failed=$((failed + 1))
else
    read -r tp _ tf _ <<<"${summary}"
    passed=$((passed + tp))
    failed=$((failed + tf))
    if [[ ${tests_rc} -ne 0 && ${tf} -eq 0 ]]; then failed=$((failed + 1)); fi
fi

t_end=$(date +%s)
echo "android-demo: script took $((t_end - t_start)) s"
echo "android-demo: ${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
