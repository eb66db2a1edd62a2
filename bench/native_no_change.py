"""No-change native run of playbooks/zone_network.yml: commands per module run and wall time.

The same playbook as bench/network_no_change.py, with every module on backend=native (play-level
module_defaults) and the simulator's fake illumos commands first on PATH. It builds the network
and dataset tree once, then times a second, identical run, then repeats that run with a marker
command between tasks to count the commands each module ran. Targets (issue 4): on a no-change
run a module runs only reads, at most two per module run, and no mutating command at all.

  python bench/native_no_change.py [--json]
"""

import argparse
import collections
import copy
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "simulator"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from zoneweaver_sim import natdhcp  # noqa: E402
from zw_harness import NATIVE_ENV, ansible_env, shims_on_path, simulated_host  # noqa: E402
from _protocol import emit  # noqa: E402  (bench/ is on sys.path when run as a script)
from network_no_change import PLAYBOOK, run  # noqa: E402  (the agent version of this benchmark)

MODULES = ("etherstub", "vnic", "vlan", "ip_address", "ip_forwarding", "nat_rule", "dhcp_subnet", "dhcp_host",
           "dhcp_service", "zfs_dataset", "zfs_snapshot", "zone", "zone_snapshot")
# The resource modules the playbook does not use, in the same no-change check (not in the wall time).
ZONE = "0001--bench.example.com"
EXTRA_TASKS = [
    {"name": "VLAN on the uplink", "zoneweaver.illumos.vlan": {"link": "{{ zw_uplink }}", "vid": 42}},
    {"name": "Snapshot of the tree", "zoneweaver.illumos.zfs_snapshot": {"name": "rpool/zwdemo@base"}},
    {"name": "Zone", "zoneweaver.illumos.zone": {"name": ZONE, "state": "running", "ram": "1G", "vcpus": 1,
                                                 "boot_disk": {"type": "blank", "size": "1G"}}},
    {"name": "Zone snapshot", "zoneweaver.illumos.zone_snapshot": {"machine": ZONE, "name": "base"}},
]
CONFIG_FILES = {"nat_rule": "/etc/ipf/ipnat.conf", "dhcp_subnet": "/etc/dhcpd.conf", "dhcp_host": "/etc/dhcpd.conf"}
TARGET_READS = 2
TARGET_SECONDS = 30.0
MARKER = ["dladm", "show-link", "-p", "-o", "link", "zwmarker0"]   # a read no module makes


def native_playbook(sim, path, shims, marked=False, extras=False):
    """playbooks/zone_network.yml with backend=native for every module and the shims on PATH;
    `marked`: only the build tasks, each followed by the marker command; `extras`: EXTRA_TASKS too."""
    plays = yaml.safe_load(Path(PLAYBOOK).read_text())
    play = plays[0]
    defaults = {"zoneweaver.illumos." + m: {"backend": "native"} for m in MODULES}
    for module, config in CONFIG_FILES.items():
        defaults["zoneweaver.illumos." + module]["config_file"] = natdhcp.host_path(sim, config)
    play["module_defaults"] = defaults
    play["environment"] = {"PATH": shims}
    if marked:
        build = next(t for t in play["tasks"] if t.get("when") == "zw_state == 'present'")["block"]
        marker = {"name": "marker", "ansible.builtin.command": {"argv": MARKER}, "changed_when": False,
                  "failed_when": False}
        play["tasks"] = [marker] + [step for task in build + EXTRA_TASKS for step in (copy.deepcopy(task), marker)]
    elif extras:
        play["tasks"] = play["tasks"] + EXTRA_TASKS
    Path(path).write_text(yaml.safe_dump(plays, sort_keys=False))
    return path


def per_task(commands):
    """The commands between consecutive markers: one list per task of the marked play."""
    groups, current = [], None
    for entry in commands:
        if [entry["tool"]] + entry["argv"] == MARKER:
            if current is not None:
                groups.append(current)
            current = []
        elif current is not None:
            current.append(entry)
    return groups


def measure():
    with simulated_host("0.3.9") as sim, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = tmp / "results.json"
        env = ansible_env(tmp, results, NATIVE_ENV)
        shims = shims_on_path(sim, tmp / "shims")
        run(native_playbook(sim, str(tmp / "build.yml"), shims, extras=True), env)
        playbook = native_playbook(sim, str(tmp / "native.yml"), shims)
        sim.clear_commands()
        seconds = run(playbook, env)
        changed = [r["task"] for r in json.loads(results.read_text()) if r["result"].get("changed")]
        timed_mutations = [c["tool"] + " " + " ".join(c["argv"]) for c in sim.command_mutations()]

        sim.clear_commands()
        run(native_playbook(sim, str(tmp / "marked.yml"), shims, marked=True), env)
        recorded = [r for r in json.loads(results.read_text()) if r["action"].startswith("zoneweaver.illumos.")]
        groups = per_task(sim.commands())
    if len(groups) != len(recorded):
        sys.exit("marker mismatch: %d task groups for %d module tasks" % (len(groups), len(recorded)))
    modules = collections.OrderedDict()
    for entry, commands in zip(recorded, groups):
        module = entry["action"].split(".")[-1]
        runs = len(entry["result"].get("results") or [None])     # a loop task: one module run per item
        row = modules.setdefault(module, {"runs": 0, "reads": 0, "mutating": 0, "commands": collections.Counter()})
        row["runs"] += runs
        row["reads"] += sum(1 for c in commands if not c["mutating"])
        row["mutating"] += sum(1 for c in commands if c["mutating"])
        row["commands"].update(" ".join([c["tool"]] + c["argv"][:1]) for c in commands)
        changed += [entry["task"]] if entry["result"].get("changed") else []
    worst = max(row["reads"] / row["runs"] for row in modules.values())
    mutating = sum(row["mutating"] for row in modules.values()) + len(timed_mutations)
    return {"seconds": round(seconds, 2), "worst_reads": round(worst, 2), "mutating": mutating, "changed": changed,
            "modules": {m: dict(r, commands=dict(r["commands"])) for m, r in modules.items()}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the measurements as one JSON object")
    args = parser.parse_args()
    result = measure()
    if args.json:
        print(json.dumps(result))
    else:
        print("no-change native run of zone_network.yml: %.2f s, changed tasks: %s, mutating commands: %d"
              % (result["seconds"], result["changed"] or "none", result["mutating"]))
        print("%-14s %5s %11s %9s  %s" % ("module", "runs", "reads/run", "mutating", "commands"))
        for module, row in result["modules"].items():
            print("%-14s %5d %11.2f %9d  %s" % (module, row["runs"], row["reads"] / row["runs"], row["mutating"],
                                                ", ".join("%s x%d" % i for i in sorted(row["commands"].items()))))
    clean = result["mutating"] == 0 and not result["changed"]
    emit("native no-change run: commands per module run (worst module)", result["worst_reads"], "reads/run",
         "<= %d reads, 0 mutating" % TARGET_READS, clean and result["worst_reads"] <= TARGET_READS,
         detail="%d mutating commands, %d changed tasks" % (result["mutating"], len(result["changed"])))
    emit("native no-change run of zone_network.yml (wall time)", result["seconds"], "s", "<= %.0f s" % TARGET_SECONDS,
         clean and result["seconds"] <= TARGET_SECONDS)


if __name__ == "__main__":
    main()
