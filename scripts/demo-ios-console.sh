#!/usr/bin/env bash
# Run the iOS demo's console front end here (Linux, Swift 6): the SwiftUI
# app's story (feed, ad with "why this ad", interests, a hide, the next day's
# payload as uploaded with its audit verdict, the privacy budget, consent off,
# reset) told through the same model layer the app uses
# (ios-demo/HearthDemoModel), on a simulated clock, against the real Rust
# library. See ios-demo/README.md.
#
# Builds what it needs first (ios-demo/scripts/linux-build.sh: the Swift root,
# the library, signed sample catalog, generated bindings, the modules; cached,
# so a second run only regenerates the bindings and fixtures). Build progress
# goes to stderr, the demo to stdout.
#
# Usage: scripts/demo-ios-console.sh [WORK_DIR]
#   WORK_DIR  keep the demo's files (encrypted store, uploads.jsonl) in this
#             directory, which must be inside the checkout (the Swift root sees
#             the checkout at /work); default: a temporary directory inside the
#             root, deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=ios-demo/scripts/linux-build.sh
source ios-demo/scripts/linux-build.sh
ios_demo_build >&2

work=()
if [[ $# -ge 1 ]]; then
    work=("$(swift_bindings_in_root "$1")")
fi
exec "${SWIFT_IN_ROOT}" "${repo}" -- env LD_LIBRARY_PATH="${IOS_DEMO_G}/lib" \
    "${IOS_DEMO_B}/hearth-demo-console" "${IOS_DEMO_G}/fixtures" "${work[@]}"
