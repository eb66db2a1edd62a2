"""The line every benchmark prints so `make bench` (bench/run_all.py) can build its table.

A benchmark prints what it likes for people, then one `BENCH {json}` line per figure:

    BENCH {"name": "...", "figure": 0.12, "unit": "s", "target": "<= 0.25 s", "met": true}

and exits 0 when it measured something (a missed target is met=false, not a failure).
See bench/README.md.
"""

import json
import sys

PREFIX = "BENCH "
KEYS = ("name", "figure", "unit", "target", "met")


def emit(name, figure, unit, target, met, detail=None):
    """Print one result line for run_all.py (flushed, so it survives a later crash)."""
    row = {"name": name, "figure": figure, "unit": unit, "target": target, "met": bool(met)}
    if detail:
        row["detail"] = detail
    sys.stdout.write(PREFIX + json.dumps(row) + "\n")
    sys.stdout.flush()


def parse(text):
    """The result rows in a benchmark's stdout; lines that are not BENCH lines are ignored."""
    rows = []
    for line in text.splitlines():
        if not line.startswith(PREFIX):
            continue
        row = json.loads(line[len(PREFIX):])
        missing = [key for key in KEYS if key not in row]
        if missing:
            raise ValueError("BENCH line without %s: %s" % (", ".join(missing), line))
        rows.append(row)
    return rows
