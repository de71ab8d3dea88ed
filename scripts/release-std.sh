#!/usr/bin/env bash
# Sourced by scripts/build-android.sh and scripts/build-ios.sh: the cargo
# arguments of a release build of the phone library.
#
# Sets two arrays, empty by default:
#   toolchain  (+nightly) with HEARTH_BUILD_STD=1
#   std_args   (-Z build-std=std,panic_unwind -Z build-std-features=panic-unwind)
#              with HEARTH_BUILD_STD=1: std rebuilt without its backtrace
#              symboliser (~220 KB less per library; panics still unwind).
#              See scripts/lib-size.sh.
# Expand them as ${toolchain[@]+"${toolchain[@]}"} so empty arrays stay safe
# under macOS's bash 3.2.
toolchain=()
std_args=()
if [[ "${HEARTH_BUILD_STD:-0}" == 1 ]]; then
    rustup component add rust-src --toolchain nightly
    toolchain=(+nightly)
    std_args=(-Z build-std=std,panic_unwind -Z build-std-features=panic-unwind)
fi
