"""zones with backend=native against the simulated host's commands, called in this process (no process
per command): what a run costs in commands, that zones are changed side by side, check mode."""

from __future__ import annotations

import os
import threading

import pytest

from zoneweaver_sim import Simulator, commands

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zones import run

KEY = "hw_ZonesNativeAdmin1.adminSecretValue"


class HostCommands:
    """AnsibleModule.run_command for the simulated host: the process 'exists' (callback) before the
    command runs, as with the real one; counts the `zoneadm boot` commands in flight at once."""

    def __init__(self, sim):
        self.sim = sim
        self.lock = threading.Lock()
        self.booting = self.most_booting = 0

    def __call__(self, args, check_rc=False, data=None, environ_update=None, before_communicate_callback=None,
                 **kwargs):
        argv = [str(a) for a in args]
        if before_communicate_callback is not None:
            before_communicate_callback(None)
        boot = argv[0] == "zoneadm" and argv[-1] == "boot"
        if boot:
            with self.lock:
                self.booting += 1
                self.most_booting = max(self.most_booting, self.booting)
        try:
            answer = commands.execute(self.sim, {"tool": os.path.basename(argv[0]), "argv": argv[1:],
                                                 "stdin": data or "", "env": dict(environ_update or {}), "files": {}})
        finally:
            if boot:
                with self.lock:
                    self.booting -= 1
        return int(answer.get("rc", 1)), answer.get("stdout", ""), answer.get("stderr", "")


@pytest.fixture
def sim():
    with Simulator(generation="0.3.9", timing="fast", admin_key=KEY) as simulator:
        yield simulator


def zone(index, **options):
    item = {"name": "%04d--nat%02d.example.com" % (index, index), "state": "running", "vcpus": 1, "ram": "1G",
            "boot_disk": {"type": "blank", "size": "10G"}, "tags": ["env-native"]}
    item.update(options)
    return item


def zones_run(host, zones, check_mode=False, **options):
    params = {"zones": zones, "backend": "native", "wait": True, "wait_timeout": 60, "concurrency": 8,
              "prune": False, "prune_tag": None, "prune_prefix": None, "api_url": None}
    params.update(options)
    return run(params, RunContext(check_mode=check_mode, diff=True, run_command=host))


def test_zones_are_booted_side_by_side_and_a_no_change_run_costs_one_list_and_one_config_each(sim):
    host = HostCommands(sim)
    sim.command_knobs["boot_seconds"] = 0.3      # each boot blocks, as the real one does
    env = [zone(i) for i in range(1, 5)]
    planned = zones_run(host, env, check_mode=True)
    assert planned["summary"]["created"] == 4 and sim.command_mutations() == []

    created = zones_run(host, env, concurrency=4)
    assert created["summary"] == {"total": 4, "changed": 4, "unchanged": 0, "failed": 0, "created": 4, "removed": 0}
    assert all(r["zone"]["status"] == "running" for r in created["results"])
    assert host.most_booting >= 2, "the zones were booted one after the other"

    zones_run(host, [zone(9, tags=["other"])])     # a zone this run is not about
    sim.clear_commands()
    again = zones_run(host, env)
    assert again["changed"] is False and again["summary"]["unchanged"] == 4
    argvs = [[c["tool"]] + c["argv"] for c in sim.commands()]
    assert argvs[0] == ["zoneadm", "list", "-cp"]
    assert sorted(argvs[1:]) == sorted(["zonecfg", "-z", z["name"], "export"] for z in env), \
        "a no-change run should read the list once and the listed zones' configurations only"

    sim.clear_commands()
    pruned = zones_run(host, env[:2], check_mode=True, prune=True, prune_tag="env-native")
    assert pruned["pruned"] == [env[2]["name"], env[3]["name"]] and sim.command_mutations() == []
    removed = zones_run(host, env[:2], prune=True, prune_tag="env-native")
    assert removed["summary"]["removed"] == 2
    assert sorted(sim.state.host_zones) == sorted([env[0]["name"], env[1]["name"], zone(9)["name"]])


def test_one_zone_failing_natively_does_not_stop_the_others(sim):
    host = HostCommands(sim)
    env = [zone(1), zone(2, boot_disk={"type": "image", "path": "rpool/does/not/exist"})]
    out = zones_run(host, env)
    by_name = {r["name"]: r for r in out["results"]}
    assert by_name[env[0]["name"]]["changed"] is True and not by_name[env[0]["name"]].get("failed")
    assert by_name[env[1]["name"]]["failed"] is True and "does not exist" in by_name[env[1]["name"]]["msg"]
    assert out["failed"] is True and env[1]["name"] in out["msg"]
