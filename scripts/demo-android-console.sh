#!/usr/bin/env bash
# The Android demo's console front end (android-demo/console/ConsoleDemo.kt):
# the app's model layer on this machine's JVM, printing the same story as the
# app's screens (feed, ad with "why this ad", interests, a hide, the next
# day's report payload as uploaded with its audit verdict, the epsilon budget,
# consent off, reset) on a simulated clock.
#
# Builds what it needs first (the same steps as scripts/test-android-demo.sh,
# whose `--demo` mode this is; build output goes to stderr, the story to stdout).
#
# Usage: scripts/demo-android-console.sh [--seed N] [--verbose] [--dir STATE_DIR]
exec "$(dirname "$0")/test-android-demo.sh" --demo "$@"
