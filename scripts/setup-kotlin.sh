#!/usr/bin/env bash
# Install (once, cached) the Kotlin/JVM toolchain used to test Hearth's uniffi
# Kotlin bindings:
#   * kotlinc + kotlin-stdlib.jar + kotlinx-coroutines-core-jvm.jar, taken from
#     the npm package `kotlin-compiler` (a full JetBrains compiler distribution),
#     installed into "$HEARTH_CACHE/kotlin" (outside the checkout);
#   * JNA from Debian's `libjna-java` (/usr/share/java/jna.jar), which the
#     uniffi-generated Kotlin code uses to call into the Rust cdylib;
#   * JUnit 4 from Debian's `junit4` (+ `libhamcrest-java`), for the Android
#     demo's model tests (android-demo/app/src/test, run here by
#     scripts/test-android-demo.sh; the same version, 4.13.2, as the Gradle
#     build's junit:junit).
#
# Usage (from any directory):
#   eval "$(scripts/setup-kotlin.sh)"
#   "$KOTLINC" -cp "$JNA_JAR:$KOTLIN_COROUTINES" Foo.kt -include-runtime -d foo.jar
#
# Only `export NAME=value` lines are printed on stdout; every progress or log
# message goes to stderr so the output can be eval'ed.
#
# Environment:
#   HEARTH_CACHE  cache root (default /var/cache/hearth)
#
# A second run only checks a marker file and the jar paths: it takes well under
# a second and touches neither npm nor apt.
set -euo pipefail

# Exact, pinned compiler version (latest 2.4.x on the npm registry when this
# script was written). Bumping it changes the marker file name, so the next
# run wipes the old install and installs the new version.
readonly KOTLIN_VERSION="2.4.20"

readonly HEARTH_CACHE="${HEARTH_CACHE:-/var/cache/hearth}"
readonly KOTLIN_PREFIX="${HEARTH_CACHE}/kotlin"
readonly KOTLIN_HOME="${KOTLIN_PREFIX}/node_modules/kotlin-compiler"
readonly KOTLIN_MARKER="${KOTLIN_PREFIX}/.installed-${KOTLIN_VERSION}"
readonly JNA_JAR="/usr/share/java/jna.jar"
readonly JUNIT_JAR="/usr/share/java/junit4.jar"
readonly HAMCREST_JAR="/usr/share/java/hamcrest.jar"

log() { printf '[setup-kotlin] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Run apt-get with progress sent to stderr (stdout is reserved for exports).
apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >&2
}

# Install Debian packages; refresh the package lists only when the install
# fails (no lists yet on a fresh machine, or stale lists pointing at removed
# .debs), so a machine with usable lists never pays for `apt-get update`.
apt_install() {
    if ! apt_get install --no-install-recommends "$@"; then
        log "apt-get install $* failed; running apt-get update and retrying"
        apt_get update
        apt_get install --no-install-recommends "$@"
    fi
}

# Serialise concurrent runs (e.g. two test scripts started in parallel) so
# they don't both run npm/apt into the same directories.
mkdir -p "${HEARTH_CACHE}"
exec 9>"${HEARTH_CACHE}/.setup-kotlin.lock"
flock 9

# Step 1: host prerequisites. The rust machine image ships JDK 17 and
# Node.js/npm; install them from Debian only if they are somehow missing.
if ! command -v java >/dev/null 2>&1; then
    log "java not found; installing openjdk-17-jdk-headless"
    apt_install openjdk-17-jdk-headless
fi
if ! command -v npm >/dev/null 2>&1; then
    log "npm not found; installing Debian's npm"
    apt_install npm
fi

# Step 2: the Kotlin compiler distribution from npm, pinned to an exact
# version. The marker is written only after a complete, checked install, so an
# interrupted npm run is redone next time.
if [[ -f "${KOTLIN_MARKER}" && -x "${KOTLIN_HOME}/bin/kotlinc" ]]; then
    log "kotlin-compiler ${KOTLIN_VERSION} already installed in ${KOTLIN_PREFIX}"
else
    log "installing npm kotlin-compiler@${KOTLIN_VERSION} into ${KOTLIN_PREFIX}"
    # Start clean: drop any other version or a half-finished install.
    rm -rf "${KOTLIN_PREFIX}"
    mkdir -p "${KOTLIN_PREFIX}"
    # --prefix makes npm create ${KOTLIN_PREFIX}/package.json and
    # node_modules/ there; the cwd of the caller doesn't matter.
    npm install --prefix "${KOTLIN_PREFIX}" --save-exact --no-audit --no-fund \
        --loglevel=warn "kotlin-compiler@${KOTLIN_VERSION}" >&2
    # The shell launchers must be executable (they are in the tarball today;
    # be defensive in case npm or a future tarball drops the mode bits).
    chmod +x "${KOTLIN_HOME}"/bin/kotlin "${KOTLIN_HOME}"/bin/kotlinc \
        "${KOTLIN_HOME}"/bin/kotlinc-jvm
    installed="$(tr -d '[:space:]' <"${KOTLIN_HOME}/build.txt")"
    [[ "${installed}" == "${KOTLIN_VERSION}" ]] \
        || die "npm installed kotlin-compiler ${installed}, expected ${KOTLIN_VERSION}"
    touch "${KOTLIN_MARKER}"
fi

# Step 3: locate the runtime jars shipped in the distribution's lib/.
KOTLINC="${KOTLIN_HOME}/bin/kotlinc"
KOTLIN_STDLIB="${KOTLIN_HOME}/lib/kotlin-stdlib.jar"
KOTLIN_COROUTINES="${KOTLIN_HOME}/lib/kotlinx-coroutines-core-jvm.jar"
for f in "${KOTLINC}" "${KOTLIN_STDLIB}" "${KOTLIN_COROUTINES}"; do
    [[ -e "${f}" ]] || die "missing ${f}; delete ${KOTLIN_PREFIX} and re-run"
done

# Step 4: JNA from Debian. libjna-java depends on libjna-jni, which provides
# the native libjnidispatch that Debian's OpenJDK finds on its default
# java.library.path (/usr/lib/x86_64-linux-gnu/jni).
if [[ -e "${JNA_JAR}" ]]; then
    log "JNA already installed (${JNA_JAR})"
else
    log "installing Debian libjna-java"
    apt_install libjna-java
    [[ -e "${JNA_JAR}" ]] || die "libjna-java installed but ${JNA_JAR} is missing"
fi

# Step 5: JUnit 4 from Debian (junit4 depends on libhamcrest-java).
if [[ -e "${JUNIT_JAR}" && -e "${HAMCREST_JAR}" ]]; then
    log "JUnit 4 already installed (${JUNIT_JAR})"
else
    log "installing Debian junit4"
    apt_install junit4 libhamcrest-java
    [[ -e "${JUNIT_JAR}" ]] || die "junit4 installed but ${JUNIT_JAR} is missing"
    [[ -e "${HAMCREST_JAR}" ]] || die "libhamcrest-java installed but ${HAMCREST_JAR} is missing"
fi

# Step 6: hand the paths to the caller, as the last lines on stdout.
printf 'export KOTLIN_HOME=%q\n' "${KOTLIN_HOME}"
printf 'export KOTLINC=%q\n' "${KOTLINC}"
printf 'export KOTLIN_STDLIB=%q\n' "${KOTLIN_STDLIB}"
printf 'export KOTLIN_COROUTINES=%q\n' "${KOTLIN_COROUTINES}"
printf 'export JNA_JAR=%q\n' "${JNA_JAR}"
printf 'export JUNIT_JAR=%q\n' "${JUNIT_JAR}"
printf 'export HAMCREST_JAR=%q\n' "${HAMCREST_JAR}"
