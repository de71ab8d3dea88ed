#!/usr/bin/env bash
# Install (once, cached) a Swift 6 toolchain for testing Hearth's uniffi Swift
# bindings on Linux. Debian 12 has no Swift package, so this builds a minimal
# Debian 13 (trixie) root with debootstrap and installs Debian's `swiftlang`
# (Swift 6) in it. Commands are then run inside the root with
# scripts/swift-in-root.sh, which can bind-mount a host directory at /work.
#
# Usage (from any directory):
#   eval "$(scripts/setup-swift.sh)"
#   "$SWIFT_IN_ROOT" "$PWD" -- swiftc -swift-version 6 main.swift -o main
#
# Only `export NAME=value` lines are printed on stdout; every progress or log
# message goes to stderr so the output can be eval'ed.
#
# Environment:
#   HEARTH_CACHE          cache root (default /var/cache/hearth)
#   SWIFT_ROOT            the root (default $HEARTH_CACHE/swift-root)
#   HEARTH_DEBIAN_MIRROR  Debian mirror to bootstrap from (default: the one
#                         this machine's apt sources use)
#
# The root takes ~2.6 GiB of disk (~560 MB downloaded). A second run only
# checks a marker file: it takes well under a second and touches neither the
# network nor apt.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly HEARTH_CACHE="${HEARTH_CACHE:-/var/cache/hearth}"
readonly SWIFT_ROOT="${SWIFT_ROOT:-${HEARTH_CACHE}/swift-root}"
readonly SUITE="trixie"
# Packages installed in the root: the Swift toolchain plus the C and C++
# headers and libraries that swiftc's clang importer and linker need.
readonly ROOT_PACKAGES="swiftlang libc6-dev libstdc++-14-dev"
# Written (inside the root) after debootstrap succeeded.
readonly BOOTSTRAP_MARKER="${SWIFT_ROOT}/.hearth-debootstrap-done"
# Written after the packages are installed and swiftc ran; it records the
# package list, so changing ROOT_PACKAGES re-runs the apt step (only).
readonly READY_MARKER="${SWIFT_ROOT}/.hearth-swift-ready"

log() { printf '[setup-swift] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Run apt-get on the host with progress sent to stderr.
apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >&2
}

# Install host Debian packages; refresh the package lists only when the
# install fails (no lists yet on a fresh machine, or stale lists).
apt_install() {
    if ! apt_get install --no-install-recommends "$@"; then
        log "apt-get install $* failed; running apt-get update and retrying"
        apt_get update
        apt_get install --no-install-recommends "$@"
    fi
}

# Print the Debian mirror this machine's apt uses: the first source URI whose
# path ends in /debian (so not debian-security or third-party repositories),
# from one-line (*.list) and deb822 (*.sources) files.
host_debian_mirror() {
    local files=() f uri
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f "${f}" ]] && files+=("${f}")
    done
    [[ ${#files[@]} -gt 0 ]] || return 0
    # One-line format: `deb [options] URI suite components`; deb822: `URIs: A B`.
    uri="$(awk '
        /^[[:space:]]*deb[[:space:]]/ {
            for (i = 2; i <= NF; i++) {
                if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; continue }
                print $i; break
            }
        }
        /^URIs:/ { for (i = 2; i <= NF; i++) print $i }
    ' "${files[@]}" | grep -E '^https?://[^ ]*/debian/?$' | head -n 1 || true)"
    printf '%s\n' "${uri%/}"
}

# Unmount anything still mounted inside the root (left by a swift-in-root.sh
# run that was SIGKILLed), then make sure nothing is: deleting a root that
# still has /dev or a host directory bind-mounted in it would delete host
# files.
unmount_root() {
    local m
    while read -r m; do
        log "unmounting leftover ${m}"
        umount "${m}" 2>/dev/null || umount -l "${m}"
    done < <(awk -v r="${SWIFT_ROOT}/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r)
    if awk -v r="${SWIFT_ROOT}/" 'index($2, r) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
        die "mounts remain under ${SWIFT_ROOT}; refusing to delete it"
    fi
}

print_exports() {
    printf 'export SWIFT_ROOT=%q\n' "${SWIFT_ROOT}"
    printf 'export SWIFT_IN_ROOT=%q\n' "${SCRIPT_DIR}/swift-in-root.sh"
}

# Serialise concurrent runs of this script.
mkdir -p "$(dirname "${SWIFT_ROOT}")"
exec 9>"${SWIFT_ROOT}.setup.lock"
flock 9

# Step 0: fast path. The marker is only written once everything below
# succeeded, so its presence (with the current package list) means done.
if [[ -f "${READY_MARKER}" && "$(cat "${READY_MARKER}")" == "${ROOT_PACKAGES}" ]]; then
    log "Swift root already set up at ${SWIFT_ROOT}"
    print_exports
    exit 0
fi

# Step 1: debootstrap on the host (it lives in /usr/sbin).
if [[ ! -x /usr/sbin/debootstrap ]]; then
    log "installing Debian debootstrap"
    apt_install debootstrap
fi

# Step 2: bootstrap a minimal trixie root, unless an earlier run finished
# this step. A root without the marker is a half-done debootstrap: start over.
if [[ ! -f "${BOOTSTRAP_MARKER}" ]]; then
    mirror="${HEARTH_DEBIAN_MIRROR:-$(host_debian_mirror)}"
    mirror="${mirror:-http://deb.debian.org/debian}"
    if [[ -e "${SWIFT_ROOT}" ]]; then
        log "removing incomplete root ${SWIFT_ROOT}"
        unmount_root
        # --one-file-system: never descend into anything mounted in there.
        rm -rf --one-file-system "${SWIFT_ROOT}"
    fi
    log "debootstrap --variant=minbase ${SUITE} ${SWIFT_ROOT} ${mirror}"
    /usr/sbin/debootstrap --variant=minbase "${SUITE}" "${SWIFT_ROOT}" "${mirror}" >&2
    printf '%s %s\n' "${SUITE}" "${mirror}" >"${BOOTSTRAP_MARKER}"
fi

# Step 3: inside the root, install the toolchain with the root's own apt
# (debootstrap left it a sources.list pointing at the same mirror and a copy
# of the host's resolv.conf). swift-in-root.sh provides /proc and /dev, which
# package scripts need too. `apt-get clean` drops the downloaded .debs.
log "installing ${ROOT_PACKAGES} in the root"
"${SCRIPT_DIR}/swift-in-root.sh" -- env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get -q update && apt-get -q -y -o Dpkg::Use-Pty=0 install --no-install-recommends ${ROOT_PACKAGES} && apt-get clean" >&2

# Step 4: check that the compiler runs, then mark the root as ready.
version="$("${SCRIPT_DIR}/swift-in-root.sh" -- swiftc --version 2>&1)" \
    || die "swiftc does not run in the root: ${version}"
log "installed: ${version%%$'\n'*}"
printf '%s' "${ROOT_PACKAGES}" >"${READY_MARKER}"

print_exports
