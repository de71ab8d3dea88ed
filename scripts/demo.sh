#!/usr/bin/env bash
# Runs the Hearth demo on embedded defaults: sample data, a generated key, no server.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet -p hearth-cli -- demo "$@"
