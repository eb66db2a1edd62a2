"""Host monitoring: /monitoring/system/memory, /system/cpu, /storage/pools and /host follow the
simulated hardware and move with the zones (OpenAPI conformance: test_sim_openapi.py)."""
from __future__ import annotations

import pytest
import requests

from sim_helpers import GENERATIONS, Api, Simulator, bootstrap
from zoneweaver_sim.monitoring import nicenum

GIB = 1 << 30


@pytest.fixture(params=GENERATIONS)
def api(request):
    with Simulator(generation=request.param) as sim:
        sim.poll_interval = 0.01
        sim.knobs.task_duration = 0.01
        a = Api(sim)
        a.key = bootstrap(a)
        yield a


def latest(api, what):
    r = api.get(f"/monitoring/system/{what}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totalCount"] == body["returnedCount"] == 1 and body[what] == [body["latest"]]
    return body["latest"]


def newest_pools(api, **params):
    """The newest row of each pool (the table holds earlier scans too, newest first)."""
    rows = api.get("/monitoring/storage/pools", params=params).json()["pools"]
    out = {}
    for row in rows:
        out.setdefault(row["pool"], row)
    return out


def test_defaults_describe_a_64g_16_cpu_host(api):
    memory = latest(api, "memory")
    assert memory["total_memory_bytes"] == 64 * GIB
    assert memory["used_memory_bytes"] + memory["free_memory_bytes"] == 64 * GIB
    assert memory["available_memory_bytes"] > memory["free_memory_bytes"]     # the ARC is reclaimable
    assert memory["swap_total_bytes"] == 4 * GIB                              # rpool/swap
    cpu = latest(api, "cpu")
    assert cpu["cpu_count"] == 16 and cpu["load_avg_1min"] == 0.25
    assert cpu["idle_pct"] + cpu["cpu_utilization_pct"] == pytest.approx(100)


def test_a_running_zone_uses_memory_and_cpu_and_stopping_it_gives_them_back(api):
    before_mem, before_cpu = latest(api, "memory"), latest(api, "cpu")
    name = api.create()[api.nk]          # 2G, 2 vCPUs, installed
    assert latest(api, "memory")["used_memory_bytes"] == before_mem["used_memory_bytes"]   # not running: nothing
    api.wait(api.post(api.m(name, "/start")).json()["task_id"])
    running_mem, running_cpu = latest(api, "memory"), latest(api, "cpu")
    # the zone's 2G are wired; the ARC gives up part of what it had
    assert running_mem["free_memory_bytes"] < before_mem["free_memory_bytes"] - GIB
    assert running_mem["available_memory_bytes"] == before_mem["available_memory_bytes"] - 2 * GIB
    assert running_cpu["load_avg_1min"] == pytest.approx(before_cpu["load_avg_1min"] + 0.2)
    api.wait(api.post(api.m(name, "/stop")).json()["task_id"])
    assert latest(api, "memory")["free_memory_bytes"] == before_mem["free_memory_bytes"]


def test_pool_space_moves_with_a_zone_volume(api):
    before = newest_pools(api)
    body = api.create_body(disk="100G")
    body["disks"]["boot"]["sparse"] = False       # thick: the volume reserves its whole size
    r = api.post(f"/{api.noun}", json=body)
    assert r.status_code == 200, r.text
    api.wait(r.json()["parent_task_id"])
    after = newest_pools(api)
    if api.is_a:
        grown = int(after["rpool"]["alloc_bytes"]) - int(before["rpool"]["alloc_bytes"])
        assert 99 * GIB < grown < 101 * GIB
        assert int(after["rpool"]["free_bytes"]) < int(before["rpool"]["free_bytes"]) - 99 * GIB
    else:
        # the 0.2 collector's iostat parser drops lines containing "pool": rpool has only its status row
        assert after["rpool"]["scan_type"] == "status" and after["rpool"]["free_bytes"] is None
        assert after["rpool"]["health"] == "ONLINE"
    assert after["data"]["free_bytes"] == before["data"]["free_bytes"]


def test_pool_rows_look_like_zpool_iostat(api):
    rows = api.get("/monitoring/storage/pools").json()
    assert rows["totalCount"] == 4 and len(rows["pools"]) == 4       # two pools, two scans
    current, previous = rows["pools"][:2], rows["pools"][2:]
    assert [r["pool"] for r in current] == ["data", "rpool"]
    assert current[0]["scan_timestamp"] > previous[0]["scan_timestamp"]
    data = current[0]
    assert data["scan_type"] == "iostat" and data["health"] == "ONLINE" and data["status"] is None
    assert data["free_bytes"] == str(int(float(data["free"][:-1]) * (1 << {"T": 40, "G": 30}[data["free"][-1]])))
    assert api.get("/monitoring/storage/pools", params={"pool": "dat"}).json()["totalCount"] == 2
    assert api.get("/monitoring/storage/pools", params={"limit": 1}).json()["pools"][0]["pool"] == "data"
    assert api.get("/monitoring/storage/pools", params={"health": "DEGRADED"}).json()["pools"] == []


def test_hardware_knobs_change_the_figures(api):
    sim = api.sim
    sim.clear_log()
    sim.set_hardware(memory="8G", cpus=4, pools={"rpool": "200G", "tank": "1T"})
    assert latest(api, "memory")["total_memory_bytes"] == 8 * GIB
    assert latest(api, "cpu")["cpu_count"] == 4
    pools = newest_pools(api)
    assert set(pools) == {"data", "rpool", "tank"}
    assert (1 << 40) - GIB < int(pools["tank"]["free_bytes"]) <= 1 << 40
    # the admin face: no key, checked all or nothing
    admin = requests.put(sim.url + "/_sim/hardware", json={"cpus": 0, "memory": "32G"}, timeout=10)
    assert admin.status_code == 400 and "cpus" in admin.json()["error"]
    assert requests.get(sim.url + "/_sim/hardware", timeout=10).json()["memory"] == 8 * GIB
    changed = requests.put(sim.url + "/_sim/hardware", json={"memory": "32G"}, timeout=10).json()
    assert changed["memory"] == 32 * GIB and changed["cpus"] == 4 and changed["pools"]["rpool"] == 200 * GIB
    assert sim.mutations() == []                    # reads only, and /_sim is never logged


def test_hardware_survives_a_restart_with_the_same_state_dir(tmp_path):
    with Simulator(state_dir=str(tmp_path), hardware={"memory": "128G", "cpus": 32}) as sim:
        pass
    with Simulator(state_dir=str(tmp_path)) as sim:
        a = Api(sim)
        a.key = bootstrap(a)
        assert latest(a, "memory")["total_memory_bytes"] == 128 * GIB
        assert latest(a, "cpu")["cpu_count"] == 32


def test_host_row_and_auth(api):
    host = api.get("/monitoring/host").json()
    assert host["platform"] == "sunos" and host["release"] == "5.11" and host["hostname"] == api.sim.hostname
    assert api.get("/monitoring/system/memory", key=None).status_code == 401


def test_include_cores_and_since(api):
    cpu = api.get("/monitoring/system/cpu", params={"include_cores": "true"}).json()["latest"]
    assert len(cpu["per_core_parsed"]) == 16 and cpu["per_core_parsed"][3]["core"] == 3
    assert ("per_core_data" in cpu) is (not api.is_a)      # 0.3.9 replaces the raw column by its parse
    since = api.get("/monitoring/system/memory", params={"since": "2020-01-01T00:00:00Z"}).json()
    assert since["sampling"]["strategy"] == "javascript-time-sampling" and "timeSpan" in since["metadata"]


@pytest.mark.parametrize("n,text", [(512, "512"), (1 << 40, "1T"), (int(6.05 * GIB), "6.05G"),
                                    (int(61.94 * GIB), "61.9G"), (176 * GIB + 12345, "176G")])
def test_nicenum(n, text):
    assert nicenum(n) == text
