"""No-change re-run of playbooks/zone_network.yml: wall time and agent requests per resource.

Builds the private zone network and dataset tree on a simulated agent, then
times a second, identical run and counts what it asked the agent. A module run
should read each resource kind once (its list), never once per object: the
figure to watch is "reads per module run", which must not grow with the
number of objects on the host.

  python bench/network_no_change.py [--json]
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "simulator"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from zoneweaver_sim import Simulator  # noqa: E402
from zw_harness import ansible_env  # noqa: E402
from _protocol import emit  # noqa: E402  (bench/ is on sys.path when run as a script)

PLAYBOOK = os.path.join(ROOT, "playbooks", "zone_network.yml")
KEY = "hw_BENCHBENCHBENCHBE.bench-admin-key"
TARGET_READS = 2  # the resource's list, plus a second view for a few modules (e.g. DHCP service status)


def run(playbook, env):
    start = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook], env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit("playbook failed:\n" + proc.stdout[-3000:])
    return time.monotonic() - start


def kind(path):
    parts = path.split("?")[0].strip("/").split("/")
    return "/" + "/".join(parts[:2]) if parts[0] in ("network", "storage") else "/" + parts[0]


def measure():
    with Simulator(generation="0.3.9", timing="fast", admin_key=KEY) as sim, tempfile.TemporaryDirectory() as tmp:
        from pathlib import Path
        results = Path(tmp) / "results.json"
        env = ansible_env(Path(tmp), results, {"ZONEWEAVER_URL": sim.url, "ZONEWEAVER_API_KEY": KEY})
        run(PLAYBOOK, env)
        sim.clear_log()
        seconds = run(PLAYBOOK, env)
        recorded = json.loads(results.read_text())
        runs = collections.Counter()
        for entry in recorded:
            if entry["outcome"] == "ok" and entry["action"].startswith("zoneweaver.illumos."):
                # A loop task is one result holding one result per item; each item is a module run.
                runs[entry["action"].split(".")[-1]] += len(entry["result"].get("results") or [None])
        changed = [r["task"] for r in recorded if r["result"].get("changed")]
        log = sim.log
    module_runs = sum(runs.values())
    reads = collections.Counter(kind(e["path"]) for e in log if e["method"] == "GET" and kind(e["path"]) != "/status")
    mutations = [e for e in log if e["method"] not in ("GET", "HEAD")]
    per_run = sum(reads.values()) / module_runs
    return {"name": "no-change run of zone_network.yml (reads per module run)", "value": round(per_run, 2),
            "unit": "reads/run", "target": "<= %d" % TARGET_READS, "met": per_run <= TARGET_READS and not changed
            and not mutations, "seconds": round(seconds, 2), "module_runs": dict(runs), "reads": dict(reads),
            "status_reads": sum(1 for e in log if e["path"].startswith("/status")), "mutations": len(mutations),
            "changed_tasks": changed}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure()
    if args.json:
        print(json.dumps(result))
        return
    print("no-change run: %.2f s, %d module runs, %d mutating requests, changed tasks: %s"
          % (result["seconds"], sum(result["module_runs"].values()), result["mutations"],
             result["changed_tasks"] or "none"))
    print("reads by resource kind (plus %d GET /status, generation detection where the paths differ):"
          % result["status_reads"])
    for path, count in sorted(result["reads"].items()):
        print("  %-24s %3d" % (path, count))
    print("module runs:", ", ".join("%s x%d" % item for item in sorted(result["module_runs"].items())))
    print("reads per module run: %.2f (target %s: %s)"
          % (result["value"], result["target"], "met" if result["met"] else "NOT met"))
    emit(result["name"], result["value"], result["unit"], result["target"], result["met"],
         detail="%d mutating requests, changed tasks: %s" % (result["mutations"], len(result["changed_tasks"])))


if __name__ == "__main__":
    main()
