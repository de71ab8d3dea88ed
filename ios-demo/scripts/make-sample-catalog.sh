#!/usr/bin/env bash
# Sign the demo's sample ad catalog for the iOS app, on the Mac, at build time.
# HearthDemo.xcodeproj runs it as the build phase "Sign the sample catalog";
# it also runs by hand (e.g. to prepare the fixtures of the model's XCTests).
#
# It plays the ad network's part with the project's own publisher tool
# (`hearth`, built from cli/ for the Mac):
#
#   1. a publisher key pair, created once and kept in
#      target/ios/demo-catalog/publisher.{key,pub} (never committed; delete
#      the directory for a new key);
#   2. catalog/sample.json with every date moved by whole days so that the
#      catalog was created yesterday (UTC), the same shift as
#      scripts/bindings-fixtures.sh, so the demo works on any date;
#   3. signed as version = the current Unix time in seconds, so each build's
#      catalog is newer than the one an installed app already holds and
#      replaces it (Hearth refuses a downgrade and ignores the same version);
#   4. written to target/ios/demo-catalog/sample.bundle + publisher.pub, and,
#      inside an Xcode build, copied into the app bundle as `sample.catalog`
#      and `publisher.pub` (named so, not *.bundle, so that code signing never
#      mistakes the file for a nested bundle).
#
# Usage: ios-demo/scripts/make-sample-catalog.sh [DEST_DIR]
#   DEST_DIR  also copy sample.catalog + publisher.pub there. Default in an
#             Xcode build phase: ${TARGET_BUILD_DIR}/${UNLOCALIZED_RESOURCES_FOLDER_PATH}
#             (the app bundle's resources); outside Xcode: none.
#
# Needs rustup/cargo (looked up in ~/.cargo/bin too: Xcode's PATH lacks it)
# and python3 (Xcode's command line tools provide one).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${repo}/target/ios/demo-catalog"
dest="${1:-}"
if [[ -z "${dest}" && -n "${TARGET_BUILD_DIR:-}" && -n "${UNLOCALIZED_RESOURCES_FOLDER_PATH:-}" ]]; then
    dest="${TARGET_BUILD_DIR}/${UNLOCALIZED_RESOURCES_FOLDER_PATH}"
fi

# Build the Mac `hearth` tool in a clean environment: an Xcode build phase
# exports SDKROOT, IPHONEOS_DEPLOYMENT_TARGET, ARCHS, … for iOS, and cargo or
# the linker would build the host tool against the iOS SDK.
host_path="${HOME}/.cargo/bin:/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
clean=(env -i HOME="${HOME}" PATH="${host_path}" LANG=en_US.UTF-8)
[[ -n "${CARGO_HOME:-}" ]] && clean+=(CARGO_HOME="${CARGO_HOME}")
[[ -n "${RUSTUP_HOME:-}" ]] && clean+=(RUSTUP_HOME="${RUSTUP_HOME}")
[[ -n "${CARGO_TARGET_DIR:-}" ]] && clean+=(CARGO_TARGET_DIR="${CARGO_TARGET_DIR}")

cd "${repo}"
echo "[sample-catalog] building the hearth publisher tool (cargo build -p hearth-cli)"
"${clean[@]}" cargo build --quiet -p hearth-cli
target_dir="$("${clean[@]}" cargo metadata --format-version 1 --no-deps \
    | "${clean[@]}" python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
hearth="${target_dir}/debug/hearth"

mkdir -p "${out}"
if [[ ! -f "${out}/publisher.key" || ! -f "${out}/publisher.pub" ]]; then
    echo "[sample-catalog] new publisher key in ${out}"
    "${hearth}" keygen --out "${out}" --name publisher --force >/dev/null
fi

# Move every date of the source so that created_at is yesterday (UTC).
"${clean[@]}" python3 -c '
import datetime as dt, json, sys
src = json.load(sys.stdin)
fmt = "%Y-%m-%dT%H:%M:%SZ"
def parse(s):
    return dt.datetime.strptime(s, fmt).replace(tzinfo=dt.timezone.utc)
today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
shift = dt.timedelta(days=(today - parse(src["created_at"])).days - 1)
def move(s):
    return (parse(s) + shift).strftime(fmt)
src["created_at"] = move(src["created_at"])
src["expires_at"] = move(src["expires_at"])
for c in src["campaigns"]:
    c["flight"]["start"] = move(c["flight"]["start"])
    c["flight"]["end"] = move(c["flight"]["end"])
json.dump(src, sys.stdout)
' <catalog/sample.json >"${out}/sample.json"

version="$(date -u +%s)"
"${hearth}" catalog build "${out}/sample.json" --key "${out}/publisher.key" --version "${version}" \
    --out "${out}/sample.bundle" >/dev/null
echo "[sample-catalog] ${out}/sample.bundle: version ${version}, $(wc -c <"${out}/sample.bundle" | tr -d ' ') bytes"

if [[ -n "${dest}" ]]; then
    mkdir -p "${dest}"
    cp "${out}/sample.bundle" "${dest}/sample.catalog"
    cp "${out}/publisher.pub" "${dest}/publisher.pub"
    echo "[sample-catalog] copied to ${dest} as sample.catalog + publisher.pub"
fi
