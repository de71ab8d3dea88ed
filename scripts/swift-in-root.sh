#!/usr/bin/env bash
# Run one command inside the Debian trixie root that scripts/setup-swift.sh
# builds (Swift 6 from Debian's `swiftlang`), optionally with a host directory
# visible inside it at /work.
#
# Usage (from any directory):
#   scripts/swift-in-root.sh [HOSTDIR] -- CMD [ARGS...]
#
#   HOSTDIR  host directory bind-mounted read-write at /work inside the root;
#            the command then starts in /work. Without it, it starts in /.
#   CMD      run through chroot with a clean environment (PATH, HOME=/root,
#            LANG=C.UTF-8). Pass variables with env, e.g.
#            `-- env LD_LIBRARY_PATH=/work/lib ./main`.
#
# Paths given to CMD are paths INSIDE the root: the host's HOSTDIR/x is /work/x.
#
# Example:
#   scripts/swift-in-root.sh "$PWD" -- swiftc -swift-version 6 main.swift -o main
#
# The exit status is the command's. Mounts (/proc, /dev, /work) are always
# removed on exit, including on error, Ctrl-C or SIGTERM. A run killed with
# SIGKILL leaves them mounted; the next run detects (mountpoint -q) and removes
# them before mounting again. Runs are serialised with a lock so that one
# run's cleanup never unmounts what another run is using.
#
# Environment:
#   HEARTH_CACHE  cache root (default /var/cache/hearth)
#   SWIFT_ROOT    the root (default $HEARTH_CACHE/swift-root)
set -euo pipefail

readonly HEARTH_CACHE="${HEARTH_CACHE:-/var/cache/hearth}"
readonly SWIFT_ROOT="${SWIFT_ROOT:-${HEARTH_CACHE}/swift-root}"
# Where HOSTDIR appears inside the root.
readonly WORK_IN_ROOT="/work"
# Everything this script may mount, in mount order (unmounted in reverse).
readonly MOUNTS=("${SWIFT_ROOT}/proc" "${SWIFT_ROOT}/dev" "${SWIFT_ROOT}${WORK_IN_ROOT}")

log() { printf '[swift-in-root] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
usage() { die "usage: $0 [HOSTDIR] -- CMD [ARGS...]"; }

# Step 1: parse `[HOSTDIR] -- CMD...`.
hostdir=""
if [[ $# -gt 0 && "$1" != "--" ]]; then
    hostdir="$1"
    shift
fi
[[ $# -gt 0 && "$1" == "--" ]] || usage
shift
[[ $# -gt 0 ]] || usage
if [[ -n "${hostdir}" ]]; then
    [[ -d "${hostdir}" ]] || die "HOSTDIR '${hostdir}' is not a directory"
    # Absolute, symlink-free path, so the caller's cwd doesn't matter.
    hostdir="$(realpath "${hostdir}")"
fi

# Step 2: the root must exist (made by scripts/setup-swift.sh).
[[ -x "${SWIFT_ROOT}/usr/bin/env" ]] \
    || die "no Debian root at ${SWIFT_ROOT}; run scripts/setup-swift.sh first"

# Step 3: take the lock (held until this script exits, even if killed:
# the kernel drops it when the fd closes).
exec 9>"${SWIFT_ROOT}.in-root.lock"
flock 9

# Unmount every mount point of ours that is mounted, innermost first. A busy
# mount (a leftover process still inside) is detached lazily so that it can
# never stay visible in the root.
unmount_all() {
    local i m
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        m="${MOUNTS[i]}"
        # Loop: a mount point may have been mounted more than once by
        # earlier killed runs.
        while mountpoint -q "${m}"; do
            umount "${m}" 2>/dev/null || umount -l "${m}"
        done
    done
}

child=""
# shellcheck disable=SC2317 # only reached through the EXIT trap
cleanup() {
    local rc=$?
    # If we are exiting because of a signal, stop the command first so that
    # the mounts are no longer in use.
    if [[ -n "${child}" ]] && kill -0 "${child}" 2>/dev/null; then
        kill -TERM "${child}" 2>/dev/null || true
        wait "${child}" 2>/dev/null || true
    fi
    unmount_all
    exit "${rc}"
}
trap cleanup EXIT
# Turn catchable signals into a normal exit, which runs the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Step 4: clear leftovers from a run that was killed before its cleanup, then
# mount what the toolchain needs. swiftc traps without /proc; /dev provides
# /dev/null, /dev/urandom etc. Plain (non-recursive) binds only, so unmounting
# can never touch the host's /dev/pts or /dev/shm.
unmount_all
mount -t proc proc "${SWIFT_ROOT}/proc"
mount --bind /dev "${SWIFT_ROOT}/dev"
workdir="/"
if [[ -n "${hostdir}" ]]; then
    mkdir -p "${SWIFT_ROOT}${WORK_IN_ROOT}"
    mount --bind "${hostdir}" "${SWIFT_ROOT}${WORK_IN_ROOT}"
    workdir="${WORK_IN_ROOT}"
fi

# Step 5: run the command in the root with a clean environment (the host's
# PATH, LD_LIBRARY_PATH, CARGO_* etc. mean nothing in there). It runs in the
# background with our stdin so that `wait` can be interrupted by a signal and
# the traps above fire at once instead of after the command ends.
# shellcheck disable=SC2016 # $1/$@ are expanded by the inner sh, on purpose
chroot "${SWIFT_ROOT}" /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
    /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "${workdir}" "$@" <&0 &
child=$!
rc=0
wait "${child}" || rc=$?
child=""
exit "${rc}"
