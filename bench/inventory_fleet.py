"""Dynamic inventory of a fleet: ansible-inventory --list over N agents x M zones, against a sequential per-zone read.

Starts a simulated fleet (every agent answers after --latency seconds, like a
WAN link), then in one sitting:
  1. `ansible-inventory -i fleet.zoneweaver.yml --list` (zoneweaver.illumos.zones),
     median of --runs runs, counting the requests the agents saw;
  2. for context: --graph (the inventory without printing host variables), an
     empty inventory (ansible-core's start-up), and --list over a static script
     printing the same hosts and variables (ansible-core's own cost for them);
  3. the sequential baseline: with the library's AgentClient, list each agent's
     zones and GET every zone's detail one after another.
Targets: --list under 1.5 s, at least 50x faster than the baseline, and no
more requests than agents + 1.

  python bench/inventory_fleet.py [--agents 20] [--zones 100] [--latency 0.05] [--runs 3]
                                  [--baseline-zones N] [--json]

--baseline-zones N reads only the first N zones per agent in the baseline and
scales the time up to all zones (the full baseline takes agents x zones x latency).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
sys.path.insert(0, os.path.join(ROOT, "simulator"))
sys.path.insert(0, COLLECTIONS)

from zoneweaver_sim.fleet import Fleet  # noqa: E402
from _protocol import emit  # noqa: E402  (bench/ is on sys.path when run as a script)

TARGET_SECONDS = 1.5
TARGET_RATIO = 50.0


def ensure_collection_link():
    link = os.path.join(COLLECTIONS, "ansible_collections", "zoneweaver", "illumos")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)


def ansible_inventory(args, env):
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-inventory")] + list(args)
    start = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode:
        sys.exit("ansible-inventory failed:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])
    return elapsed, proc.stdout, proc.stderr


def sequential_baseline(fleet, limit=None):
    """List each agent, then GET every zone's detail, one request after another."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.client import AgentClient
    start = time.monotonic()
    read = total = 0
    for sim in fleet.agents:
        client = AgentClient(sim.url, api_key=sim.admin_key, timeout=30)
        names = [row["name"] for row in client.get("/machines")["machines"]]
        total += len(names)
        for name in names[:limit] if limit else names:
            client.get("/machines/" + client.segment(name))
            read += 1
    elapsed = time.monotonic() - start
    if limit and read < total:
        lists = len(fleet.agents) * fleet.latency
        elapsed = lists + (elapsed - lists) * total / read
    return elapsed, read, total


def static_floor(output, tmp, env):
    """ansible-inventory --list over a script printing the same inventory: ansible-core's own cost."""
    data = json.loads(output)
    data_path = os.path.join(tmp, "static.json")
    with open(data_path, "w") as handle:
        json.dump(_plain(data), handle)
    script = os.path.join(tmp, "static_inventory.py")
    with open(script, "w") as handle:
        handle.write("#!%s\nimport sys\nsys.stdout.write(open(%r).read())\n" % (sys.executable, data_path))
    os.chmod(script, 0o755)
    env = dict(env, ANSIBLE_INVENTORY_ENABLED="script")
    ansible_inventory(["-i", script, "--list"], env)
    return statistics.median(ansible_inventory(["-i", script, "--list"], env)[0] for attempt in range(2))


def _plain(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def measure(agents, zones, latency, runs, baseline_zones):
    ensure_collection_link()
    import yaml
    with Fleet(agents=agents, zones=zones, latency=latency) as fleet, tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "fleet.zoneweaver.yml")
        with open(source, "w") as handle:
            yaml.safe_dump({"plugin": "zoneweaver.illumos.zones",
                            "agents": [{"url": sim.url, "api_key": sim.admin_key, "name": sim.hostname}
                                       for sim in fleet.agents]}, handle)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_INVENTORY_ENABLED="zoneweaver.illumos.zones",
                   ANSIBLE_CONFIG=os.path.join(ROOT, "tests", "ansible.cfg"), ANSIBLE_LOCAL_TEMP=os.path.join(tmp, "t"),
                   ANSIBLE_HOME=os.path.join(tmp, "home"))
        ansible_inventory(["-i", source, "--graph"], env)   # warm-up: byte-compiles the collection
        times, counts = [], []
        output = stderr = ""
        for attempt in range(runs):
            fleet.clear_logs()
            elapsed, output, stderr = ansible_inventory(["-i", source, "--list"], env)
            times.append(elapsed)
            counts.append(fleet.request_count())
        hosts = len(json.loads(output)["_meta"]["hostvars"])
        if hosts != agents * zones or "WARNING" in stderr:
            sys.exit("the inventory is incomplete (%d hosts, want %d):\n%s" % (hosts, agents * zones, stderr[-2000:]))
        graph = statistics.median(ansible_inventory(["-i", source, "--graph"], env)[0] for attempt in range(3))
        empty = ansible_inventory(["-i", "localhost,", "--list"], dict(env, ANSIBLE_INVENTORY_ENABLED="host_list"))[0]
        floor = static_floor(output, tmp, env)
        fleet.clear_logs()
        baseline, read, total = sequential_baseline(fleet, baseline_zones)
    seconds = statistics.median(times)
    requests = max(counts)
    ratio = baseline / seconds
    met = seconds < TARGET_SECONDS and ratio >= TARGET_RATIO and requests <= agents + 1
    return {"name": "inventory --list, %d agents x %d zones, %d ms latency" % (agents, zones, latency * 1000),
            "value": round(seconds, 3), "unit": "s",
            "target": "< %.1f s, >= %dx sequential, <= %d requests" % (TARGET_SECONDS, TARGET_RATIO, agents + 1),
            "met": met, "runs": [round(t, 3) for t in times], "requests": requests, "hosts": hosts,
            "baseline_seconds": round(baseline, 2), "baseline_requests": agents + read,
            "baseline_extrapolated": read < total, "ratio": round(ratio, 1),
            "graph_seconds": round(graph, 3), "empty_inventory_seconds": round(empty, 3),
            "static_same_hosts_seconds": round(floor, 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--zones", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-zones", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.agents, args.zones, args.latency, args.runs, args.baseline_zones)
    if args.json:
        print(json.dumps(result))
        return
    print("ansible-inventory --list, zoneweaver.illumos.zones  %6.2f s  (median of %s)"
          % (result["value"], ", ".join("%.2f" % t for t in result["runs"])))
    print("  hosts %d, requests to the agents %d (agents: %d)" % (result["hosts"], result["requests"], args.agents))
    print("ansible-inventory --graph (no host vars printed)    %6.2f s" % result["graph_seconds"])
    print("ansible-inventory --list, empty inventory           %6.2f s  (ansible-core start-up)"
          % result["empty_inventory_seconds"])
    print("ansible-inventory --list, same hosts from a script  %6.2f s  (ansible-core's cost for these hosts)"
          % result["static_same_hosts_seconds"])
    print("sequential per-zone reads (AgentClient)             %6.2f s  (%d requests%s)"
          % (result["baseline_seconds"], result["baseline_requests"],
             ", extrapolated" if result["baseline_extrapolated"] else ""))
    print("speed-up %.1fx; target %s: %s" % (result["ratio"], result["target"], "met" if result["met"] else "NOT met"))
    emit(result["name"], result["value"], result["unit"], result["target"], result["met"],
         detail="%.1fx sequential, %d requests" % (result["ratio"], result["requests"]))


if __name__ == "__main__":
    main()
