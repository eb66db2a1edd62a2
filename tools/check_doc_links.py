"""Check the relative links of README.md and docs/*.md: every linked file exists, every #anchor is a heading.

  python tools/check_doc_links.py     (part of `make docs-lint` and `make docs`)

Anchors follow GitHub's rule: the heading in lower case, punctuation other than '-' and '_' dropped,
spaces turned into '-'.
"""

import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


def anchors(path):
    with open(path, encoding="utf-8") as handle:
        text = FENCE.sub("", handle.read())
    found = set()
    for line in text.splitlines():
        match = re.match(r"#{1,6}\s+(.*)", line)
        if match:
            slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
            found.add(slug)
    return found


def problems():
    files = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    for path in files:
        with open(path, encoding="utf-8") as handle:
            text = FENCE.sub("", handle.read())
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            name, dummy, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(path), name)) if name else path
            where = os.path.relpath(path, ROOT)
            if not os.path.exists(dest):
                yield "%s: link to %s: no such file" % (where, target)
            elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                yield "%s: link to %s: no heading with that anchor" % (where, target)


def main():
    found = list(problems())
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
