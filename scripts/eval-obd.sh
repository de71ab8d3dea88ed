#!/usr/bin/env bash
# Hearth on the Open Bandit Dataset sample (obp 0.4.1): fetches the data
# (scripts/eval-data.sh, pinned and checksummed, cached, never committed),
# runs `hearth obd` on each campaign (engagement model as a click predictor,
# off-policy value of Hearth's selection), exports each campaign for
# `hearth eval` and runs it when this build has that command.
# Figures and the mapping: docs/eval-obd.md.
#
#   scripts/eval-obd.sh             # all three campaigns
#   scripts/eval-obd.sh men         # one
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${HEARTH_DATA:-$HOME/.cache/hearth/data}"
OUT="${HEARTH_EVAL_OUT:-target/eval-obd}"
scripts/eval-data.sh >/dev/null
cargo build --release --quiet -p hearth-cli
HEARTH=target/release/hearth

campaigns=("$@")
[[ ${#campaigns[@]} -gt 0 ]] || campaigns=(all men women)
mkdir -p "$OUT"
for c in "${campaigns[@]}"; do
  echo "=== hearth obd --campaign $c"
  "$HEARTH" obd --data "$DATA/obd" --campaign "$c" | tee "$OUT/obd-$c.txt"
  "$HEARTH" obd --data "$DATA/obd" --campaign "$c" --json >"$OUT/obd-$c.json"
  "$HEARTH" obd --data "$DATA/obd" --campaign "$c" --export-eval "$OUT/$c"
  if "$HEARTH" eval --help >/dev/null 2>&1; then
    echo "=== hearth eval on OBD $c (users = segments of user_feature_0..3)"
    "$HEARTH" eval --items "$OUT/$c/items.tsv" --events "$OUT/$c/events.tsv" | tee "$OUT/eval-$c.txt"
  else
    echo "(hearth eval is not in this build; exported $OUT/$c/{items,events}.tsv)"
  fi
  echo
done
