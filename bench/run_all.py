"""`make bench`: run every benchmark in bench/ and print one table of figures against targets."""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS = [["task_overhead.py"], ["network_no_change.py"], ["inventory_fleet.py", "--baseline-zones", "10"]]


def main():
    rows = []
    for script, *args in BENCHMARKS:
        proc = subprocess.run([sys.executable, os.path.join(HERE, script), "--json"] + args, capture_output=True,
                              text=True, check=False)
        if proc.returncode:
            rows.append({"name": script, "value": "failed", "unit": "", "target": "", "met": False})
            sys.stderr.write(proc.stdout + proc.stderr)
            continue
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    width = max(len(r["name"]) for r in rows)
    print("%-*s  %12s  %-10s  %s" % (width, "benchmark", "value", "target", "met"))
    for row in rows:
        value = "%s %s" % (row["value"], row["unit"])
        print("%-*s  %12s  %-10s  %s" % (width, row["name"], value, row["target"], "yes" if row["met"] else "NO"))


if __name__ == "__main__":
    main()
