#!/usr/bin/env bash
# Build the signed catalog bundles that the Kotlin and Swift binding tests
# (scripts/test-kotlin.sh, scripts/test-swift.sh) install, with the project's
# own publisher tool (`hearth`), into OUTDIR:
#
#   publisher.key / publisher.pub  a fresh Ed25519 key pair (`hearth keygen`)
#   sample.bundle                  catalog/sample.json, version 1
#   sample-v2.bundle               the same catalog as version 2 (downgrade test)
#   gen10k.bundle                  `hearth catalog gen --creatives 10000 --seed 1`
#                                  (the select_ads timing catalog)
#   sample-content.bundle          sample.json carrying a content model
#                                  (`hearth content build`) over films a-d:
#                                  20 users liked a and b, 3 liked a and c
#
# The bindings have no injectable clock (the engine runs on the system clock),
# so every date in the sources (created_at, expires_at, campaign flights) is
# moved by a whole number of days so that the catalog was created yesterday:
# the tests then pass on any date, not only while the sources' fixed 2026
# dates are current.
#
# Usage: scripts/bindings-fixtures.sh HEARTH_BIN OUTDIR
#   HEARTH_BIN  the built `hearth` binary (cargo build -p hearth-cli)
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $# -eq 2 ]] || { echo "usage: $0 HEARTH_BIN OUTDIR" >&2; exit 2; }
hearth="$1"
out="$2"
mkdir -p "${out}"

# Shift every date of a catalog source (JSON on stdin) so that created_at is
# yesterday (UTC); write the result to stdout.
redate() {
    python3 -c '
import datetime as dt, json, sys
src = json.load(sys.stdin)
fmt = "%Y-%m-%dT%H:%M:%SZ"
def parse(s):
    return dt.datetime.strptime(s, fmt).replace(tzinfo=dt.timezone.utc)
today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
created = parse(src["created_at"])
shift = dt.timedelta(days=(today - created).days - 1)
def move(s):
    return (parse(s) + shift).strftime(fmt)
src["created_at"] = move(src["created_at"])
src["expires_at"] = move(src["expires_at"])
for c in src["campaigns"]:
    c["flight"]["start"] = move(c["flight"]["start"])
    c["flight"]["end"] = move(c["flight"]["end"])
json.dump(src, sys.stdout)
'
}

"${hearth}" keygen --out "${out}" --name publisher --force >/dev/null
key="${out}/publisher.key"

redate <catalog/sample.json >"${out}/sample.json"
"${hearth}" catalog build "${out}/sample.json" --key "${key}" --out "${out}/sample.bundle" >/dev/null
"${hearth}" catalog build "${out}/sample.json" --key "${key}" --version 2 \
    --out "${out}/sample-v2.bundle" >/dev/null

"${hearth}" catalog gen --creatives 10000 --seed 1 | redate >"${out}/gen10k.json"
"${hearth}" catalog build "${out}/gen10k.json" --key "${key}" --out "${out}/gen10k.bundle" >/dev/null

# A content model from a tiny interaction log, shipped in the sample catalog.
printf 'item_id\ttopics\ttitle\n' >"${out}/items.tsv"
for f in a b c d; do printf 'film-%s\tFilm\tFilm %s\n' "$f" "$f" >>"${out}/items.tsv"; done
{
    printf 'user_id\titem_id\ttimestamp\tlabel\n'
    for u in $(seq 1 20); do printf 'u%s\tfilm-a\t1\t1\nu%s\tfilm-b\t2\t1\n' "$u" "$u"; done
    for u in $(seq 21 23); do printf 'u%s\tfilm-a\t1\t1\nu%s\tfilm-c\t2\t1\n' "$u" "$u"; done
    printf 'u24\tfilm-d\t1\t1\n'
} >"${out}/events.tsv"
"${hearth}" content build --items "${out}/items.tsv" --events "${out}/events.tsv" --lambda 1 \
    --out "${out}/content.bin" >/dev/null
"${hearth}" catalog build "${out}/sample.json" --key "${key}" --content-model "${out}/content.bin" \
    --out "${out}/sample-content.bundle" >/dev/null

printf '[fixtures] %s: sample.bundle (%s bytes), gen10k.bundle (%s bytes)\n' "${out}" \
    "$(wc -c <"${out}/sample.bundle")" "$(wc -c <"${out}/gen10k.bundle")" >&2
