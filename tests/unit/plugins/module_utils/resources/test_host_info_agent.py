"""host_info through an agent: the monitoring answers of both generations turned into the native shapes,
and the whole run against the simulator (one GET per section, nothing mutating)."""

from __future__ import annotations

import pytest

from zoneweaver_sim import Simulator

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent import dialect as dialects
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.host import (
    cpu_view, latest_sample, link_view, memory_view, newest_per, os_view, pool_view, zone_view)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import AgentError, InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.host_info import SECTIONS, run

GIB = 1 << 30
ADMIN = {"0.3.9": "hw_HostInfoAdmin0001.adminSecretValue", "0.2": "wh_HostInfoAdminSecretValue"}

# What the agents answer (the 0.3.9 agent's /monitoring/system/memory; 0.2's JSDoc names).
MEMORY_039 = {"memory": [{"id": 7, "scan_timestamp": "2026-05-01T10:00:00.000Z", "total_memory_bytes": 68719476736,
                          "used_memory_bytes": 27487790694, "free_memory_bytes": 41231686042,
                          "available_memory_bytes": 50000000000, "memory_utilization_pct": 40}],
              "totalCount": 1, "returnedCount": 1, "sampling": {"applied": True, "strategy": "latest-system-wide"},
              "queryTime": "3ms"}
MEMORY_039["latest"] = MEMORY_039["memory"][0]
CPU = {"cpu": [], "latest": {"id": 3, "cpu_count": 16, "cpu_utilization_pct": 15.6, "load_avg_1min": 2.5,
                             "load_avg_5min": "2.1", "load_avg_15min": 1.9}, "totalCount": 1}


def test_memory_of_both_generations():
    assert memory_view(latest_sample(MEMORY_039, "memory")) == {
        "total_bytes": 68719476736, "free_bytes": 41231686042, "used_percent": 40.0}
    # the 0.2 spec's names, and a sample without free memory but with the used figure
    assert memory_view({"total_memory": "17179869184", "used_memory": 4294967296}) == {
        "total_bytes": 17179869184, "free_bytes": 12884901888, "used_percent": 25.0}
    with pytest.raises(AgentError, match="no total memory"):
        memory_view({"free_memory_bytes": 1})


def test_newest_row_when_latest_is_missing():
    rows = {"memory": [{"scan_timestamp": "2026-05-01T10:00:00Z", "total_memory_bytes": 1},
                       {"scan_timestamp": "2026-05-01T10:05:00Z", "total_memory_bytes": 2}]}
    assert latest_sample(rows, "memory")["total_memory_bytes"] == 2
    assert latest_sample({"memory": [], "latest": None}, "memory") is None


def test_cpu_free_is_cpus_minus_the_one_minute_load():
    assert cpu_view(CPU["latest"]) == {"count": 16, "load_1m": 2.5, "load_5m": 2.1, "load_15m": 1.9, "free": 13.5}
    assert cpu_view({"cpu_count": 2, "load_avg_1min": 3.2})["free"] == 0.0
    with pytest.raises(AgentError, match="no CPU count"):
        cpu_view({"cpu_count": None})


def test_os_pools_zones_links_take_the_native_shapes():
    assert os_view({"platform": "sunos", "release": "5.11", "arch": "x64"}) == {
        "name": "SunOS", "release": "5.11", "version": None, "machine": None, "release_text": None}
    assert pool_view({"name": "rpool", "size": "1099511627776", "alloc": "52613349376", "free": "1046898278400",
                      "capacity_percent": "4", "dedup_ratio": "1.00", "health": "ONLINE", "altroot": None}) == {
        "name": "rpool", "size": 1099511627776, "allocated": 52613349376, "free": 1046898278400, "capacity": 4,
        "health": "ONLINE"}
    zone = {"name": "0001--web.example.com", "status": "running", "brand": "bhyve", "is_orphaned": False,
            "zone_id": "d6b1c2a0-4c55-4a3e-9a6c-5e2f1b0c9d11",
            "configuration": {"zonepath": "/rpool/zones/0001--web.example.com/path", "ip-type": "exclusive"}}
    assert zone_view(zone) == {"zoneid": None, "name": "0001--web.example.com", "state": "running",
                               "zonepath": "/rpool/zones/0001--web.example.com/path",
                               "uuid": "d6b1c2a0-4c55-4a3e-9a6c-5e2f1b0c9d11", "brand": "bhyve", "ip_type": "excl",
                               "debugid": None}
    assert zone_view(dict(zone, zone_id="0001--web.example.com"))["uuid"] is None
    rows = newest_per([{"link": "igb0", "class": "phys", "mtu": "1500", "state": "up", "over": "--"},
                       {"link": "igb0", "class": "phys", "mtu": "9000", "state": "down"}], "link")
    assert [link_view(r) for r in rows] == [{"link": "igb0", "class": "phys", "mtu": 1500, "state": "up",
                                             "bridge": None, "over": None}]


def _start(generation, **kw):
    sim = Simulator(generation=generation, timing="fast", admin_key=ADMIN[generation], **kw).start()
    dialects.forget(sim.url)
    return sim


@pytest.fixture(params=["0.3.9", "0.2"])
def sim(request):
    sim = _start(request.param, hardware={"memory": "32G", "cpus": 8})
    yield sim
    sim.stop()
    dialects.forget(sim.url)


def _run(sim, check_mode=False, **params):
    args = {"api_url": sim.url, "api_key": ADMIN[sim.generation], "validate_certs": True, "timeout": 10,
            "backend": "auto", "pfexec": False}
    args.update(params)
    return run(args, RunContext(check_mode=check_mode))


def test_run_through_the_agent_reads_every_section_with_one_get_each(sim):
    sim.clear_log()
    result = _run(sim, check_mode=True)
    assert result["changed"] is False and set(SECTIONS) <= set(result)
    assert result["memory"]["total_bytes"] == 32 * GIB and result["cpu"]["count"] == 8
    assert result["cpu"]["free"] == pytest.approx(8 - 0.25)
    assert {p["name"] for p in result["pools"]} == {"rpool", "data"}
    rpool = next(p for p in result["pools"] if p["name"] == "rpool")
    assert rpool["size"] == 1 << 40 and rpool["allocated"] + rpool["free"] == rpool["size"]
    assert result["os"]["name"] == "SunOS" and result["zones"] == []
    assert {link["link"] for link in result["links"]} >= {"igb0", "igb1", "ixgbe0"}
    paths = [e["path"] for e in sim.log if e["path"] != "/status"]
    assert sorted(paths) == sorted(["/monitoring/host", "/%s" % ("machines" if sim.generation == "0.3.9" else "zones"),
                                    "/monitoring/network/interfaces", "/storage/pools", "/monitoring/system/memory",
                                    "/monitoring/system/cpu"])
    assert sim.mutations() == []


def test_gather_reads_only_what_is_asked(sim):
    sim.clear_log()
    result = _run(sim, gather=["memory"])
    assert set(result) == {"changed", "memory"}
    assert [e["path"] for e in sim.log if e["path"] != "/status"] == ["/monitoring/system/memory"]


def test_agent_errors_are_clear():
    with pytest.raises(InputError, match="api_url is required"):
        run({"backend": "agent", "gather": ["cpu"]}, RunContext())
    with pytest.raises(InputError, match="gather must be among"):
        run({"backend": "agent", "gather": ["disks"]}, RunContext())
