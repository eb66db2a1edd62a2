"""Per-task cost of an agent-backed module against ansible.builtin.ping, side by side.

Runs, in one process and one sitting: an empty play (the fixed cost of
ansible-playbook), N x ansible.builtin.ping and N x zoneweaver.illumos.zone_info
against a local simulator with one zone. Per-task cost = (play time - empty
play time) / N. Target (issue 2): zone_info costs at most 0.25x of ping.

  python bench/task_overhead.py [--tasks 100] [--json]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "simulator"))

from zoneweaver_sim import Simulator  # noqa: E402
from _protocol import emit  # noqa: E402  (bench/ is sys.path[0] when run as a script)

TARGET_RATIO = 0.25
KEY = "hw_BENCHBENCHBENCHBE.bench-admin-key"


def playbook(path, tasks):
    import yaml
    play = [{"name": "bench", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    with open(path, "w") as handle:
        yaml.safe_dump(play, handle)


def timed_run(path, env):
    start = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), path], env=env,
                          capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode:
        sys.exit("benchmark play failed:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])
    return elapsed


def measure(count):
    with Simulator(generation="0.3.9", timing="fast", admin_key=KEY) as sim, \
            tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "tests", "ansible.cfg"),
                   ANSIBLE_INVENTORY=os.path.join(ROOT, "tests", "inventory.ini"),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
                   ANSIBLE_LOCAL_TEMP=os.path.join(tmp, "t"), ZONEWEAVER_URL=sim.url, ZONEWEAVER_API_KEY=KEY)
        setup = os.path.join(tmp, "setup.yml")
        playbook(setup, [{"zoneweaver.illumos.zone": {"name": "0001--bench.example.com", "state": "running"}}])
        timed_run(setup, env)
        plays = {
            "empty": [{"ansible.builtin.meta": "noop"}],
            "ping": [{"ansible.builtin.ping": None}] * count,
            "zone_info": [{"zoneweaver.illumos.zone_info": {"name": "0001--bench.example.com"}}] * count,
        }
        seconds = {}
        for name, tasks in plays.items():
            path = os.path.join(tmp, name + ".yml")
            playbook(path, tasks)
            seconds[name] = timed_run(path, env)
    per_task = {name: (seconds[name] - seconds["empty"]) / count for name in ("ping", "zone_info")}
    ratio = per_task["zone_info"] / per_task["ping"]
    return {"name": "per-task overhead (zone_info vs ping, %d tasks)" % count, "seconds": seconds,
            "per_task": per_task, "value": round(ratio, 3), "unit": "x ping", "target": "<= %.2f" % TARGET_RATIO,
            "met": ratio <= TARGET_RATIO}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.tasks)
    if args.json:
        print(json.dumps(result))
        return
    print("empty play        %6.2f s" % result["seconds"]["empty"])
    for name in ("ping", "zone_info"):
        print("%-4d x %-11s %6.2f s  -> %.3f s per task"
              % (args.tasks, name, result["seconds"][name], result["per_task"][name]))
    print("ratio zone_info/ping: %.3f (target %s: %s)"
          % (result["value"], result["target"], "met" if result["met"] else "NOT met"))
    emit(result["name"], result["value"], result["unit"], result["target"], result["met"])


if __name__ == "__main__":
    main()
