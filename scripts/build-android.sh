#!/usr/bin/env bash
# Build Hearth for Android: the release cdylib for every shipped ABI, placed
# where Gradle packages it, plus the Kotlin bindings (Android variant) and the
# demo app's signed sample catalog.
#
#   jniLibs:  android-demo/app/src/main/jniLibs/{arm64-v8a,armeabi-v7a,x86_64}/libhearth_ffi.so
#   Kotlin:   android-demo/app/build/generated/hearth/kotlin/org/hearth/sdk/hearth_ffi.kt
#             (generated, never committed; add it as a source dir, see
#             docs/packaging.md)
#   assets:   android-demo/app/build/generated/hearth/assets/hearth/{sample.bundle,publisher.pub}
#             (catalog/sample.json signed with a fresh publisher key by the
#             `hearth` tool: scripts/android-demo-assets.sh; never committed;
#             the app's Gradle build adds the directory as an assets source dir)
#
# Needs (this cannot run on the project's Linux build machine, which has no
# NDK): the Android NDK r27 or newer (ANDROID_NDK_HOME, or Android Studio's
# default location, which cargo-ndk finds itself), rustup, and cargo-ndk
# (installed here, pinned, if missing).
#
# 16 KB pages: Android 15+ devices may use 16 KB memory pages, and Google Play
# requires 64-bit native libraries to be 16 KB-aligned. The 64-bit ABIs are
# linked with -z max-page-size=16384 (NDK r28+ does this by default; the flag
# makes r27 and older do the same). Check with:
#   llvm-readelf -l libhearth_ffi.so | grep LOAD   (alignment 0x4000)
#
# Usage: scripts/build-android.sh [JNILIBS_DIR] [KOTLIN_OUT_DIR] [ASSETS_DIR]
# Environment: HEARTH_ANDROID_API (minSdk the libraries are built against,
# default 24 = Android 7.0; keep it equal to the app's minSdk).
set -euo pipefail
cd "$(dirname "$0")/.."

jnilibs="${1:-android-demo/app/src/main/jniLibs}"
kotlin_out="${2:-android-demo/app/build/generated/hearth/kotlin}"
assets_out="${3:-android-demo/app/build/generated/hearth/assets}"
api="${HEARTH_ANDROID_API:-24}"
readonly CARGO_NDK_VERSION="3.5.4"

# ABI → Rust target.
abis=(arm64-v8a armeabi-v7a x86_64)
targets=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)

step() { printf '\n==> [android] %s\n' "$*"; }

step "toolchain: rustup targets, cargo-ndk ${CARGO_NDK_VERSION}"
rustup target add "${targets[@]}"
if ! cargo ndk --version 2>/dev/null | grep -q "${CARGO_NDK_VERSION}"; then
    cargo install cargo-ndk --version "=${CARGO_NDK_VERSION}" --locked
fi

step "release cdylib for ${abis[*]} (API ${api}) -> ${jnilibs}"
# 16 KB alignment for the 64-bit ABIs (per-target rustflags, so the host
# build below is unaffected).
page_flags="-C link-arg=-Wl,-z,max-page-size=16384"
export CARGO_TARGET_AARCH64_LINUX_ANDROID_RUSTFLAGS="${page_flags}"
export CARGO_TARGET_X86_64_LINUX_ANDROID_RUSTFLAGS="${page_flags}"
ndk_args=()
for abi in "${abis[@]}"; do ndk_args+=(-t "${abi}"); done
mkdir -p "${jnilibs}"
# HEARTH_BUILD_STD=1: nightly build-std without std's backtrace symboliser.
source scripts/release-std.sh  # (cwd is the repository root)
cargo ${toolchain[@]+"${toolchain[@]}"} ndk "${ndk_args[@]}" --platform "${api}" -o "${jnilibs}" \
    build --release -p hearth-ffi --lib ${std_args[@]+"${std_args[@]}"}
# Any readelf reads any ELF architecture: the NDK's llvm-readelf, or binutils'.
readelf_bin="$(command -v llvm-readelf || command -v readelf || true)"
if [[ -z "${readelf_bin}" && -n "${ANDROID_NDK_HOME:-}" ]]; then
    for candidate in "${ANDROID_NDK_HOME}"/toolchains/llvm/prebuilt/*/bin/llvm-readelf; do
        [[ -x "${candidate}" ]] && { readelf_bin="${candidate}"; break; }
    done
fi
for abi in "${abis[@]}"; do
    so="${jnilibs}/${abi}/libhearth_ffi.so"
    [[ -f "${so}" ]] || { echo "missing ${so}" >&2; exit 1; }
    printf '  %-12s %s bytes\n' "${abi}" "$(wc -c <"${so}")"
    if [[ "${abi}" != armeabi-v7a && -n "${readelf_bin}" ]]; then
        # Every LOAD segment must be aligned to 16 KB (0x4000) or more.
        for align in $("${readelf_bin}" -lW "${so}" | awk '$1 == "LOAD" { print $NF }'); do
            if (( 16#${align#0x} < 16384 )); then
                echo "${so}: a LOAD segment is aligned to ${align}, not 16 KB" >&2
                exit 1
            fi
        done
        echo "               LOAD segments 16 KB-aligned"
    fi
done

step "Kotlin bindings (library mode, Android variant) -> ${kotlin_out}"
# uniffi-bindgen reads the metadata from the library's symbol table, so it
# runs on an unstripped build: the host library built by cargo (profile
# strip = "debuginfo" keeps the symbols), never on a stripped .so from an APK.
# The metadata is the same for every target.
cargo build --release -p hearth-ffi --lib
cargo build --release -p uniffi-bindgen
target_dir="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
host_lib="${target_dir}/release/libhearth_ffi.so"
[[ -f "${host_lib}" ]] || host_lib="${target_dir}/release/libhearth_ffi.dylib"
rm -rf "${kotlin_out}"
# bindings/uniffi.toml (found through cargo metadata) sets package
# org.hearth.sdk and android = true (SystemCleaner on API 34+, which needs
# androidx.annotation on the classpath).
"${target_dir}/release/uniffi-bindgen" generate --library "${host_lib}" \
    --language kotlin --out-dir "${kotlin_out}" --no-format
echo "  ${kotlin_out}/org/hearth/sdk/hearth_ffi.kt"

step "demo assets: the signed sample catalog -> ${assets_out}"
# The publisher tool runs on the host (it is never linked into the app).
cargo build -p hearth-cli
scripts/android-demo-assets.sh "${target_dir}/debug/hearth" "${assets_out}"
echo "  ${assets_out}/hearth/sample.bundle, publisher.pub"
