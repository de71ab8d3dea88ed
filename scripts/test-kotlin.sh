#!/usr/bin/env bash
# Kotlin/JVM tests of Hearth's uniffi bindings, against the real Rust library.
#
#   1. installs (once, cached) kotlinc + JNA through scripts/setup-kotlin.sh;
#   2. builds the release cdylib (target/release/libhearth_ffi.so), the
#      select_ads timing example, the `hearth` tool and uniffi-bindgen
#      (scripts/kotlin-bindings.sh, shared with scripts/test-android-demo.sh);
#   3. builds the signed test catalogs (scripts/bindings-fixtures.sh);
#   4. generates the Kotlin bindings in library mode from the built library,
#      JVM variant (bindings/uniffi-jvm.toml: android = false), into
#      target/bindings/kotlin-jvm (generated code is never committed);
#   5. compiles bindings + tests/kotlin/*.kt in one kotlinc call;
#   6. runs the Rust side of the select_ads timing, then the Kotlin tests with
#      -Djna.library.path pointing at the library.
#
# The last line is the Kotlin harness's `N passed, N failed`; the exit status
# is non-zero if any test failed. Timing figures are printed (`figure: ...`),
# never asserted.
#
# Usage: scripts/test-kotlin.sh        (from any directory)
# Environment: HEARTH_CACHE (toolchain cache, see setup-kotlin.sh),
#              HEARTH_TIMING_ITERATIONS (select_ads calls per timing round, default 200).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> [kotlin] %s\n' "$*"; }
t_start=$(date +%s)

step "toolchain (scripts/setup-kotlin.sh)"
eval "$(scripts/setup-kotlin.sh)"

# Build and generate steps shared with scripts/test-android-demo.sh.
source scripts/kotlin-bindings.sh

step "build: hearth-ffi (release cdylib + timing example), hearth, uniffi-bindgen"
hearth_build_libs --example select_timing
target_dir="${HEARTH_TARGET_DIR}"
lib_dir="${HEARTH_LIB_DIR}"
out="${target_dir}/bindings"

step "fixtures: signed test catalogs"
scripts/bindings-fixtures.sh "${target_dir}/debug/hearth" "${out}/fixtures"

step "generate Kotlin bindings (library mode, JVM variant)"
gen="${out}/kotlin-jvm"
hearth_generate_kotlin_jvm "${gen}"
kt_bindings="${HEARTH_KT_BINDINGS}"

step "compile bindings + tests/kotlin (one kotlinc call)"
classes="${out}/kotlin-classes"
rm -rf "${classes}"
mkdir -p "${classes}"
# -nowarn: the
# generated code has unchecked-cast and unused-variable warnings we don't own.
"${KOTLINC}" -nowarn -cp "${JNA_JAR}:${KOTLIN_COROUTINES}" \
    -d "${classes}" "${kt_bindings}" tests/kotlin/*.kt 2>&1 \
    | grep -v '^warning: .*unable to find kotlin-stdlib' || true
[[ -f "${classes}/HearthTestKt.class" ]] || { echo "kotlinc failed" >&2; exit 1; }

step "Rust side of the select_ads timing (10,000 creatives)"
iterations="${HEARTH_TIMING_ITERATIONS:-200}"
rust_out="$("${HEARTH_TARGET_DIR}/release/examples/select_timing" "${out}/fixtures/gen10k.bundle" \
    "${out}/fixtures/publisher.pub" "${iterations}")"
while IFS= read -r line; do echo "figure: ${line}"; done <<<"${rust_out}"
rust_us="$(sed -n 's/^rust-core select_ads median_us=\([0-9.]*\).*/\1/p' <<<"${rust_out}")"

step "run Kotlin tests (JVM $(java -version 2>&1 | head -n 1))"
t_tests=$(date +%s)
set +e
java -Djna.library.path="${lib_dir}" \
    -Dhearth.fixtures="${out}/fixtures" \
    -Dhearth.rustSelectUs="${rust_us}" \
    -Dhearth.timingIterations="${iterations}" \
    -cp "${classes}:${KOTLIN_STDLIB}:${KOTLIN_COROUTINES}:${JNA_JAR}" \
    HearthTestKt | tee "${out}/kotlin-test.log"
rc=${PIPESTATUS[0]}
set -e
t_end=$(date +%s)
echo "kotlin: script took $((t_end - t_start)) s (tests $((t_end - t_tests)) s)"
# The closing line counts the tests (repeated so it is the script's last line).
summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "${out}/kotlin-test.log" | tail -n 1 || true)"
if [[ -z "${summary}" ]]; then
    echo "kotlin: the test program did not finish (exit ${rc})" >&2
    echo "kotlin: 0 passed, 1 failed"
    exit 1
fi
echo "kotlin: ${summary}"
exit "${rc}"
