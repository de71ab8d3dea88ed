#!/usr/bin/env bash
# Installs the fuzzing tool the robustness smoke test needs, cached outside the
# checkout: cargo-fuzz, pinned, built from crates.io with its lock file into
# ${HEARTH_CACHE:-/var/cache/hearth}/cargo-fuzz. A warm cache costs nothing.
# cargo-fuzz drives libFuzzer and needs a nightly toolchain (sanitizer flags);
# this script checks that one is installed.
#
# Prints the directory to put on PATH as its last line, so callers can do
#   PATH="$(bash scripts/setup-fuzz.sh | tail -n 1):$PATH"
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2
cache="${HEARTH_CACHE:-/var/cache/hearth}"
root="$cache/cargo-fuzz"
bin="$root/bin/cargo-fuzz"

have() { [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -qF " $CARGO_FUZZ_VERSION"; }

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "setup-fuzz: a nightly Rust toolchain is required (rustup toolchain install nightly)" >&2
    exit 1
fi

if ! have; then
    mkdir -p "$root"
    # One installer at a time (parallel CI jobs, or a developer and a script).
    exec 9>"$root/.install.lock"
    flock 9
    if ! have; then
        echo "setup-fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION into $root (one-time)" >&2
        cargo install cargo-fuzz --version "=$CARGO_FUZZ_VERSION" --locked --root "$root" >&2
    fi
fi
"$bin" --version >&2
echo "$root/bin"
