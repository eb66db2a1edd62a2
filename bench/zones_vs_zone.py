"""No-change re-run of a 50-zone environment: one `zones` task against 50 `zone` tasks, same run.

Creates N zones on a simulated 0.3.9 agent (with the zones module), then times
two identical no-change plays with ansible-playbook, one after the other
against the same simulator: a play with one zoneweaver.illumos.zones task for
all N zones, and a play with N zoneweaver.illumos.zone tasks. Both must report
no change. Targets (issue 7): the zones play under 3 s and at least 5x faster.

"Faster" compares the work of the two plays: each play's wall time minus the
wall time of an empty play (ansible-playbook's own start-up, which both pay
once; bench/task_overhead.py measures per-task cost the same way). Each play
runs --repeat times, interleaved, and the fastest run of each counts (the
machine is shared; the minimum is the least disturbed figure). The zones
play's work is floored at 0.05 s, below what these timings can resolve. The
ratio of the whole plays' wall times is printed and reported beside it, and
once more with the agent 20 ms away (for context).

  python bench/zones_vs_zone.py [--zones 50] [--json]
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
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from zoneweaver_sim import Simulator  # noqa: E402
from zw_harness import ansible_env  # noqa: E402
from _protocol import emit  # noqa: E402  (bench/ is on sys.path when run as a script)

KEY = "hw_BENCHBENCHBENCHBE.bench-admin-key"
TARGET_SECONDS = 3.0
TARGET_SPEEDUP = 5.0
WORK_FLOOR = 0.05
REMOTE_LATENCY = 0.02


def zone_spec(index):
    return {"name": "%04d--env%03d.example.com" % (index, index), "state": "running", "vcpus": 1, "ram": "1G",
            "boot_disk": {"type": "blank", "size": "10G"}, "nics": [{"global_nic": "igb0"}],
            "tags": ["bench-env"], "notes": "bench zone %d" % index}


def write_play(path, tasks, sim):
    import yaml
    play = [{"name": "bench", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/zoneweaver.illumos.agent": {"api_url": sim.url, "api_key": KEY}},
             "tasks": tasks}]
    with open(path, "w") as handle:
        yaml.safe_dump(play, handle, sort_keys=False)


def timed(path, env):
    """Wall time of one ansible-playbook run, and whether any task changed something."""
    start = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), path], env=env,
                          capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode:
        sys.exit("benchmark play failed:\n" + proc.stdout[-3000:] + proc.stderr[-2000:])
    recap = [line for line in proc.stdout.splitlines() if line.startswith("localhost")]
    changed = recap and "changed=0" not in recap[-1]
    return elapsed, bool(changed)


def measure(count, repeat=3):
    specs = [zone_spec(i) for i in range(1, count + 1)]
    with Simulator(generation="0.3.9", timing="fast", admin_key=KEY) as sim, \
            tempfile.TemporaryDirectory() as tmp:
        env = ansible_env(__import__("pathlib").Path(tmp), os.path.join(tmp, "results.json"))
        env.pop("ANSIBLE_CALLBACKS_ENABLED", None)  # time the plays as a user runs them
        setup = os.path.join(tmp, "setup.yml")
        write_play(setup, [{"zoneweaver.illumos.zones": {"zones": specs, "concurrency": 8}}], sim)
        timed(setup, env)
        plural = os.path.join(tmp, "zones.yml")
        write_play(plural, [{"zoneweaver.illumos.zones": {"zones": specs}}], sim)
        single = os.path.join(tmp, "zone.yml")
        write_play(single, [{"zoneweaver.illumos.zone": spec} for spec in specs], sim)
        empty = os.path.join(tmp, "empty.yml")
        write_play(empty, [{"ansible.builtin.meta": "noop"}], sim)
        runs = {"empty": [], "zones": [], "zone": []}
        for _round in range(repeat):
            runs["empty"].append(timed(empty, env)[0])
            sim.clear_log()
            seconds, zones_changed = timed(plural, env)
            runs["zones"].append(seconds)
            zones_requests = len(sim.log)
            sim.clear_log()
            seconds, zone_changed = timed(single, env)
            runs["zone"].append(seconds)
            zone_requests = len(sim.log)
            if zones_changed or zone_changed:
                sys.exit("a no-change re-run reported changes (zones: %s, zone: %s)" % (zones_changed, zone_changed))
        # Context, not a target: the same two plays against an agent 20 ms away (a remote host),
        # where each zone task's reads pay the round trip and the zones task pays it twice.
        sim.knobs.update({"latency": REMOTE_LATENCY})
        remote = {"zones": timed(plural, env)[0], "zone": timed(single, env)[0]}
        sim.knobs.update({"latency": 0})
    empty_s, zones_s, zone_s = min(runs["empty"]), min(runs["zones"]), min(runs["zone"])
    work_zones, work_zone = max(zones_s - empty_s, WORK_FLOOR), max(zone_s - empty_s, WORK_FLOOR)
    speedup = work_zone / work_zones
    return {"zones": count, "zones_seconds": round(zones_s, 2), "zone_seconds": round(zone_s, 2),
            "empty_seconds": round(empty_s, 2), "zones_work": round(work_zones, 2), "zone_work": round(work_zone, 2),
            "speedup": round(speedup, 1), "wall_ratio": round(zone_s / zones_s, 2),
            "zones_requests": zones_requests, "zone_requests": zone_requests,
            "remote_zones_seconds": round(remote["zones"], 2), "remote_zone_seconds": round(remote["zone"], 2),
            "remote_wall_ratio": round(remote["zone"] / remote["zones"], 2),
            "seconds_met": zones_s < TARGET_SECONDS, "speedup_met": speedup >= TARGET_SPEEDUP}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.zones, max(1, args.repeat))
    if args.json:
        print(json.dumps(result))
        return
    print("no-change re-run of %d zones" % result["zones"])
    print("  empty play       %6.2f s  (ansible-playbook start-up)" % result["empty_seconds"])
    print("  1 x zones task   %6.2f s  (%.2f s of work, %d agent requests)"
          % (result["zones_seconds"], result["zones_work"], result["zones_requests"]))
    print("  %d x zone tasks  %6.2f s  (%.2f s of work, %d agent requests)"
          % (result["zones"], result["zone_seconds"], result["zone_work"], result["zone_requests"]))
    print("  work ratio %.1fx faster (target >= %.0fx: %s); whole-play ratio %.2fx"
          % (result["speedup"], TARGET_SPEEDUP, "met" if result["speedup_met"] else "NOT met", result["wall_ratio"]))
    print("  with the agent %d ms away: zones play %.2f s, zone tasks %.2f s, whole-play ratio %.2fx"
          % (REMOTE_LATENCY * 1000, result["remote_zones_seconds"], result["remote_zone_seconds"],
             result["remote_wall_ratio"]))
    print("  zones play %.2f s (target < %.0f s: %s)"
          % (result["zones_seconds"], TARGET_SECONDS, "met" if result["seconds_met"] else "NOT met"))
    emit("no-change re-run of %d zones with one zones task (wall time)" % result["zones"], result["zones_seconds"],
         "s", "< %.0f s" % TARGET_SECONDS, result["seconds_met"],
         detail={"zone_seconds": result["zone_seconds"], "zones_requests": result["zones_requests"]})
    emit("zones task vs %d zone tasks (speed-up, net of ansible-playbook start-up)" % result["zones"],
         result["speedup"], "x", ">= %.0fx" % TARGET_SPEEDUP, result["speedup_met"],
         detail={"whole_play_ratio": result["wall_ratio"], "remote_whole_play_ratio": result["remote_wall_ratio"],
                 "empty_seconds": result["empty_seconds"],
                 "zone_requests": result["zone_requests"], "zones_requests": result["zones_requests"]})


if __name__ == "__main__":
    main()
