"""agent_info against the simulator, both generations."""

from __future__ import annotations

import pytest

from zoneweaver_sim import Simulator

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent import dialect as dialects
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import AuthError, InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.agent_info import FIELDS, run

ADMIN = {"0.3.9": "hw_AgentInfoAdmin01.adminSecretValue", "0.2": "wh_AgentInfoAdminSecretValue"}


def _start(generation, admin_key):
    sim = Simulator(generation=generation, timing="fast", admin_key=admin_key).start()
    dialects.forget(sim.url)  # a port reused by an earlier simulator of another generation
    return sim


@pytest.fixture(params=["0.3.9", "0.2"])
def sim(request):
    sim = _start(request.param, ADMIN[request.param])
    yield sim
    sim.stop()
    dialects.forget(sim.url)


@pytest.fixture(params=["0.3.9", "0.2"])
def fresh_sim(request):
    sim = _start(request.param, None)
    yield sim
    sim.stop()
    dialects.forget(sim.url)


def _run(sim, key=None, check_mode=False):
    ctx = RunContext(check_mode=check_mode)
    return run({"api_url": sim.url, "api_key": key, "validate_certs": True, "timeout": 10}, ctx), ctx


def test_public_status_without_key(sim):
    result, ctx = _run(sim)
    agent = result["agent"]
    assert result["changed"] is False
    assert set(FIELDS) <= set(agent)
    assert agent["key_role"] is None and agent["key_name"] is None
    if sim.generation == "0.2":
        # No /status on 0.2: only the generation is known without a key.
        assert agent["generation"] == "0.2"
        assert agent["version"] is None
        assert agent["status_endpoint"] is False
        assert agent["machines_path"] == "/zones"
        assert agent["bootstrap_available"] is None
        assert agent["features"] == []
    else:
        assert agent["version"] == "0.3.9" and agent["generation"] == "0.3.9"
        assert agent["status_endpoint"] is True
        assert agent["machines_path"] == "/machines"
        assert "machines" in agent["features"] and agent["features"] == sorted(agent["features"])
        assert agent["hypervisors"] == ["bhyve"]
        assert agent["bootstrap_available"] is False  # a key exists
        assert agent["name"] == "zoneweaver-agent"
        assert isinstance(agent["uptime"], (int, float))
        assert agent["hostname"]
    assert sim.mutations() == []
    assert ctx.warnings == []


def test_with_key_reads_version_and_role(sim):
    key = ADMIN[sim.generation]
    result, _ctx = _run(sim, key)
    agent = result["agent"]
    assert agent["key_name"] == "sim-admin"
    if sim.generation == "0.2":
        assert agent["version"].startswith("0.2")
        assert agent["generation"] == "0.2"
        assert agent["key_role"] is None  # no roles before 0.3.6
        assert agent["name"] == "zoneweaver-api"
    else:
        assert agent["version"] == "0.3.9"
        assert agent["key_role"] == "admin"
    assert agent["platform"]
    assert key not in repr(result)
    assert sim.mutations() == []


def test_rejected_key_fails_with_auth_error(sim):
    bad = ADMIN[sim.generation][:-4] + "nope"
    with pytest.raises(AuthError) as err:
        _run(sim, bad)
    assert err.value.status == 403
    assert bad not in str(err.value) and bad not in repr(err.value.to_result())
    assert "wrong or revoked" in str(err.value)


def test_fresh_agent_offers_bootstrap(fresh_sim):
    agent = _run(fresh_sim)[0]["agent"]
    if fresh_sim.generation == "0.2":
        assert agent["bootstrap_available"] is None
    else:
        assert agent["bootstrap_available"] is True


def test_status_is_read_fresh_not_from_the_cache(fresh_sim):
    if fresh_sim.generation == "0.2":
        pytest.skip("0.2 has no /status")
    assert _run(fresh_sim)[0]["agent"]["bootstrap_available"] is True
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.api_key import run as key_run
    key_run({"api_url": fresh_sim.url, "state": "bootstrap", "setup_token": fresh_sim.setup_token},
            RunContext())
    assert _run(fresh_sim)[0]["agent"]["bootstrap_available"] is False


def test_missing_url_is_refused_before_any_request():
    with pytest.raises(InputError, match="api_url is required"):
        run({"api_url": None}, RunContext())
