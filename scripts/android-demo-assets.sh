#!/usr/bin/env bash
# The Android demo's catalog assets, built at build time (never committed):
#
#   ASSETS_DIR/hearth/sample.bundle   catalog/sample.json, signed with a fresh
#                                     publisher key by the project's own
#                                     `hearth` tool (dates moved so that the
#                                     catalog was created yesterday, as in the
#                                     binding tests: scripts/bindings-fixtures.sh)
#   ASSETS_DIR/hearth/publisher.pub   that key's public half (64 hex digits),
#                                     which the app passes as a trusted key
#
# The private key never reaches the assets: it stays in a temporary directory
# that is deleted on exit. A real app compiles its ad network's public key in
# and downloads the bundle; the demo ships both as assets.
#
# Called by scripts/build-android.sh (ASSETS_DIR = the app's generated assets,
# android-demo/app/build/generated/hearth/assets, a Gradle assets source dir)
# and by scripts/test-android-demo.sh / scripts/demo-android-console.sh.
#
# Usage: scripts/android-demo-assets.sh HEARTH_BIN ASSETS_DIR
#   HEARTH_BIN  the built `hearth` binary (cargo build -p hearth-cli)
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $# -eq 2 ]] || { echo "usage: $0 HEARTH_BIN ASSETS_DIR" >&2; exit 2; }
hearth="$1"
assets="$2/hearth"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
scripts/bindings-fixtures.sh "${hearth}" "${work}" 2>/dev/null
mkdir -p "${assets}"
cp "${work}/sample.bundle" "${assets}/sample.bundle"
cp "${work}/publisher.pub" "${assets}/publisher.pub"
printf '[assets] %s: sample.bundle (%s bytes), publisher.pub\n' "${assets}" \
    "$(wc -c <"${assets}/sample.bundle")" >&2
