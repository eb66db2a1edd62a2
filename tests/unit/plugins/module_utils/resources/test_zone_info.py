"""zone_info against the simulator, both generations."""

from __future__ import annotations

import threading
import time

import pytest

from zoneweaver_sim import Simulator

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent import dialect as dialects
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.zones import ZoneAgentBackend
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import AuthError, InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import zone as zone_resource
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_info import (
    MAX_CONCURRENCY, run)

ADMIN = {"0.3.9": "hw_ZoneInfoAdmin001.adminSecretValue", "0.2": "wh_ZoneInfoAdminSecretValue"}
EXTRA = ["%04d--extra%02d.example.com" % (10 + i, i) for i in range(10)]


def _zone(sim, **params):
    base = {"api_url": sim.url, "api_key": ADMIN[sim.generation], "timeout": 10, "wait": True,
            "wait_timeout": 60, "state": "present", "force": False, "cleanup_disks": True,
            "cleanup_networking": True}
    base.update(params)
    return zone_resource.run(base, RunContext())


@pytest.fixture(scope="module", params=["0.3.9", "0.2"])
def sim(request):
    sim = Simulator(generation=request.param, timing="fast", admin_key=ADMIN[request.param]).start()
    dialects.forget(sim.url)  # a port reused by an earlier simulator of another generation
    _zone(sim, name="0001--web01.example.com", state="running", vcpus=2, ram="2G", tags=["web", "prod"],
          boot_disk={"type": "blank", "size": "10G"})
    _zone(sim, name="0002--db01.example.com", ram="1G", tags=["db", "prod"])
    for name in EXTRA:
        _zone(sim, name=name, ram="512M")
    yield sim
    sim.stop()
    dialects.forget(sim.url)


def _run(sim, check_mode=False, **params):
    params.setdefault("api_url", sim.url)
    params.setdefault("api_key", ADMIN[sim.generation])
    params.setdefault("timeout", 10)
    params.setdefault("details", False)
    sim.clear_log()
    ctx = RunContext(check_mode=check_mode)
    return run(params, ctx)


def _reads(sim):
    return [e["path"] for e in sim.log if not e["path"].startswith("/_sim/")]


def _list_path(sim):
    return "/machines" if sim.generation != "0.2" else "/zones"


def test_one_zone_by_name(sim):
    result = _run(sim, check_mode=True, name="0001--web01.example.com")
    assert result["changed"] is False
    assert result["generation"] == sim.generation
    [web] = result["zones"]
    assert web["name"] == "0001--web01.example.com"
    assert web["status"] == "running"
    assert web["ram"] == "2G" and web["vcpus"] == 2
    assert sorted(web["tags"]) == ["prod", "web"]
    assert web["boot_disk"]["size"] == "10G"
    assert web["reboot_pending"] is False
    assert sim.mutations() == []


def test_unknown_name_is_an_empty_list_not_a_failure(sim):
    result = _run(sim, name="0099--nope.example.com")
    assert result == {"changed": False, "zones": [], "generation": sim.generation}


def test_list_is_one_request_and_sorted(sim):
    result = _run(sim)
    names = [z["name"] for z in result["zones"]]
    assert names == sorted(["0001--web01.example.com", "0002--db01.example.com"] + EXTRA)
    assert _reads(sim).count(_list_path(sim)) == 1
    assert len(_reads(sim)) == 1  # the generation is cached per URL: nothing else was read
    assert sim.mutations() == []


def test_list_views_agree_with_detail_views(sim):
    listed = _run(sim)["zones"]
    detailed = _run(sim, details=True)["zones"]
    assert len(_reads(sim)) == 1 + len(detailed)
    assert listed == detailed


def test_details_at_most_eight_concurrent_requests(sim, monkeypatch):
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}
    original = ZoneAgentBackend.read

    def counting_read(self, name):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        try:
            time.sleep(0.05)
            return original(self, name)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(ZoneAgentBackend, "read", counting_read)
    result = _run(sim, details=True)
    assert len(result["zones"]) == 12
    assert 1 < state["peak"] <= MAX_CONCURRENCY


@pytest.mark.parametrize("filters, expected", [
    ({"status": "running"}, ["0001--web01.example.com"]),
    ({"tag": "prod"}, ["0001--web01.example.com", "0002--db01.example.com"]),
    ({"tag": "db", "status": "installed"}, ["0002--db01.example.com"]),
    ({"tag": "db", "status": "running"}, []),
    ({"brand": "lx"}, []),
    ({"name_pattern": r"^000[12]--"}, ["0001--web01.example.com", "0002--db01.example.com"]),
    ({"name_pattern": "extra0[0-2]"}, EXTRA[:3]),
])
def test_filters(sim, filters, expected):
    for details in (False, True):
        result = _run(sim, details=details, **filters)
        assert [z["name"] for z in result["zones"]] == expected


def test_brand_filter_keeps_bhyve(sim):
    assert len(_run(sim, brand="bhyve")["zones"]) == 12


@pytest.mark.parametrize("params, match", [
    ({"name": "bad name"}, "invalid zone name"),
    ({"name": "0001--web01.example.com", "status": "running"}, "use one or the other"),
    ({"name_pattern": "(unclosed"}, "not a valid regular expression"),
    ({"tag": "bad tag"}, "invalid tag"),
    ({"status": "sleeping"}, "status must be one of"),
])
def test_bad_input_refused_before_any_request(sim, params, match):
    sim.clear_log()
    with pytest.raises(InputError, match=match):
        run(dict({"api_url": sim.url, "api_key": ADMIN[sim.generation]}, **params), RunContext())
    assert sim.log == []


def test_key_is_required_and_checked(sim):
    with pytest.raises(InputError, match="api_key is required"):
        _run(sim, api_key=None)
    bad = ADMIN[sim.generation][:-4] + "nope"
    with pytest.raises(AuthError) as err:
        _run(sim, api_key=bad)
    assert err.value.status == 403 and bad not in str(err.value)
