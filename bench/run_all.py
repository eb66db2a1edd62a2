"""`make bench`: run every benchmark in bench/ and print one table of figures against targets.

Every bench/*.py except this file and files starting with "_" is a benchmark. Each runs
as `python bench/<name>.py` (plus EXTRA_ARGS below, only where a default run would be too
slow) and prints one `BENCH {json}` line per figure (bench/_protocol.py, bench/README.md).
A benchmark that exits non-zero or prints no BENCH line shows as a failed row.

  python bench/run_all.py [--only NAME ...] [--timeout SECONDS]

Exit status: 0 when every figure meets its target, 1 otherwise.
"""

import argparse
import glob
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _protocol import parse  # noqa: E402

# The full sequential baseline takes agents x zones x latency (100 s): read 10 zones per agent and scale up.
EXTRA_ARGS = {"inventory_fleet.py": ["--baseline-zones", "10"]}


def benchmarks(only=None):
    scripts = sorted(os.path.basename(p) for p in glob.glob(os.path.join(HERE, "*.py")))
    scripts = [s for s in scripts if s != "run_all.py" and not s.startswith("_")]
    if only:
        scripts = [s for s in scripts if s in only or s[:-3] in only]
    return scripts


def run(script, timeout):
    """The rows one benchmark reported, or one failed row saying why."""
    command = [sys.executable, os.path.join(HERE, script)] + EXTRA_ARGS.get(script, [])
    start = time.monotonic()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout,
                              cwd=os.path.dirname(HERE))
    except subprocess.TimeoutExpired:
        return [failed(script, "timed out after %d s" % timeout)], time.monotonic() - start
    elapsed = time.monotonic() - start
    try:
        rows = parse(proc.stdout)
    except ValueError as exc:
        rows, proc.returncode = [], proc.returncode or 1
        sys.stderr.write("%s: %s\n" % (script, exc))
    if proc.returncode or not rows:
        tail = proc.stdout[-3000:] + proc.stderr[-3000:]
        sys.stderr.write("---- %s (exit %d) ----\n%s\n" % (script, proc.returncode, tail))
        why = "exit %d" % proc.returncode if proc.returncode else "no BENCH line"
        return rows + [failed(script, why)], elapsed
    for row in rows:
        row["script"] = script
    return rows, elapsed


def failed(script, why):
    return {"name": script, "figure": "failed", "unit": "", "target": why, "met": False, "script": script}


def table(rows):
    header = ("benchmark", "figure", "target", "met")
    lines = [(r["name"], ("%s %s" % (r["figure"], r["unit"])).strip(), str(r["target"]), "yes" if r["met"] else "NO")
             for r in rows]
    widths = [max(len(line[i]) for line in [header] + lines) for i in range(4)]
    out = []
    for i, line in enumerate([header] + lines):
        out.append("  ".join(cell.ljust(widths[n]) for n, cell in enumerate(line)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only these benchmarks (file names, with or without .py)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds each benchmark may take")
    args = parser.parse_args()
    rows = []
    for script in benchmarks(args.only):
        sys.stderr.write("running %s ...\n" % script)
        result, elapsed = run(script, args.timeout)
        sys.stderr.write("  %s: %.1f s\n" % (script, elapsed))
        rows.extend(result)
    if not rows:
        sys.exit("no benchmarks found")
    print(table(rows))
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
