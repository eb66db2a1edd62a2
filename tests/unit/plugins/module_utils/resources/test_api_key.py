"""api_key against the simulator, both generations: bootstrap, present, absent."""

from __future__ import annotations

import os
import stat

import pytest

from zoneweaver_sim import Simulator

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent import dialect as dialects
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AuthError, InputError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.agent_info import run as agent_info
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.api_key import (
    BOOTSTRAP_GONE, run)

ADMIN = {"0.3.9": "hw_ApiKeyTestAdmin1.adminSecretValue", "0.2": "wh_ApiKeyTestAdminSecretValue"}
GENERATIONS = ["0.3.9", "0.2"]


def _start(generation, admin_key):
    sim = Simulator(generation=generation, timing="fast", admin_key=admin_key).start()
    sim.gen = generation
    dialects.forget(sim.url)  # a port reused by an earlier simulator of another generation
    return sim


@pytest.fixture(params=GENERATIONS)
def sim(request):
    sim = _start(request.param, ADMIN[request.param])
    yield sim
    sim.stop()
    dialects.forget(sim.url)


@pytest.fixture(params=GENERATIONS)
def fresh_sim(request):
    sim = _start(request.param, None)
    yield sim
    sim.stop()
    dialects.forget(sim.url)


def _run(sim, check_mode=False, diff=False, **params):
    params.setdefault("api_url", sim.url)
    params.setdefault("timeout", 10)
    ctx = RunContext(check_mode=check_mode, diff=diff)
    return run(params, ctx), ctx


def _texts(result, ctx):
    """Everything a user could see besides the registered secret itself."""
    shown = {k: v for k, v in result.items() if k != "api_key"}
    return repr(shown) + repr(ctx.warnings)


def _token(sim):
    return sim.setup_token if sim.gen != "0.2" else None


# --------------------------------------------------------------------------- bootstrap
def test_bootstrap_check_mode_sends_nothing(fresh_sim, tmp_path):
    dest = tmp_path / "admin.key"
    result, ctx = _run(fresh_sim, check_mode=True, state="bootstrap", setup_token=_token(fresh_sim),
                       dest=str(dest))
    assert result["changed"] is True
    assert "api_key" not in result
    assert fresh_sim.mutations() == []
    assert not dest.exists() and list(tmp_path.iterdir()) == []
    if fresh_sim.gen == "0.2":
        assert any("cannot tell" in w for w in ctx.warnings)


def test_bootstrap_then_unchanged(fresh_sim, tmp_path):
    dest = tmp_path / "admin.key"
    token = _token(fresh_sim)
    result, ctx = _run(fresh_sim, state="bootstrap", name="ansible-admin", setup_token=token, dest=str(dest))
    key = result["api_key"]
    assert result["changed"] is True and result["_no_log_result"] is True
    assert key.startswith("hw_" if fresh_sim.gen != "0.2" else "wh_")
    assert result["dest"] == str(dest)
    assert dest.read_text() == key + "\n"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["admin.key"]  # no temporary file left
    assert key not in _texts(result, ctx)
    if token:
        assert token not in _texts(result, ctx)
    # The key is an admin key that works.
    agent = agent_info({"api_url": fresh_sim.url, "api_key": key}, RunContext())["agent"]
    assert agent["key_name"] == "ansible-admin"
    if fresh_sim.gen != "0.2":
        assert agent["key_role"] == "admin"
    posts = len(fresh_sim.mutations())

    # Second run: no change, no request that mutates, dest untouched.
    again, ctx2 = _run(fresh_sim, state="bootstrap", name="ansible-admin", setup_token=token, dest=str(dest))
    assert again["changed"] is False
    assert again["msg"] == BOOTSTRAP_GONE
    assert "api_key" not in again
    assert dest.read_text() == key + "\n"
    if fresh_sim.gen != "0.2":
        assert len(fresh_sim.mutations()) == posts  # /status said no: nothing sent
    # With the key given, it is verified instead.
    third, _ctx = _run(fresh_sim, state="bootstrap", setup_token=token, api_key=key)
    assert third["changed"] is False and third["key_valid"] is True


def test_bootstrap_done_and_given_key_rejected(sim):
    bad = ADMIN[sim.gen][:-4] + "nope"
    result, ctx = _run(sim, state="bootstrap", api_key=bad, setup_token=_token(sim) and "ab" * 32)
    assert result["changed"] is False and result["key_valid"] is False
    assert result["msg"] == BOOTSTRAP_GONE
    assert any("rejected" in w for w in ctx.warnings)
    assert bad not in _texts(result, ctx)


def test_bootstrap_without_or_with_wrong_token(fresh_sim):
    if fresh_sim.gen == "0.2":
        pytest.skip("0.2 takes no setup token")
    with pytest.raises(AuthError) as err:
        _run(fresh_sim, state="bootstrap")
    assert "setup_token" in str(err.value)
    wrong = "0" * 64
    with pytest.raises(AuthError) as err:
        _run(fresh_sim, state="bootstrap", setup_token=wrong)
    assert wrong not in str(err.value) and fresh_sim.setup_token not in str(err.value)
    assert "wrong" in str(err.value)
    # Nothing was created: bootstrap is still available.
    assert agent_info({"api_url": fresh_sim.url}, RunContext())["agent"]["bootstrap_available"] is True


def test_malformed_token_refused_before_any_request(fresh_sim):
    secret = "not-a-token-but-still-secret"
    with pytest.raises(InputError) as err:
        _run(fresh_sim, state="bootstrap", setup_token=secret)
    assert secret not in str(err.value)
    assert fresh_sim.mutations() == []


def test_dest_directory_must_exist(fresh_sim, tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        _run(fresh_sim, state="bootstrap", setup_token=_token(fresh_sim), dest=str(tmp_path / "no" / "key"))
    assert fresh_sim.mutations() == []


def test_dest_replaces_an_open_file_atomically(fresh_sim, tmp_path):
    dest = tmp_path / "admin.key"
    dest.write_text("old\n")
    os.chmod(dest, 0o644)
    result, _ctx = _run(fresh_sim, state="bootstrap", setup_token=_token(fresh_sim), dest=str(dest))
    assert dest.read_text() == result["api_key"] + "\n"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600


# --------------------------------------------------------------------------- present
def test_present_check_then_create_then_unchanged(sim, tmp_path):
    admin = ADMIN[sim.gen]
    result, ctx = _run(sim, check_mode=True, diff=True, api_key=admin, name="monitoring",
                       description="read only")
    assert result["changed"] is True and "api_key" not in result
    assert result["diff"]["before"] == {"name": "monitoring", "state": "absent"}
    assert result["diff"]["after"]["state"] == "present"
    assert sim.mutations() == []

    dest = tmp_path / "monitoring.key"
    result, ctx = _run(sim, diff=True, api_key=admin, name="monitoring", description="read only",
                       dest=str(dest))
    key = result["api_key"]
    assert result["changed"] is True and result["_no_log_result"] is True
    assert dest.read_text() == key + "\n" and stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert key not in _texts(result, ctx) and admin not in _texts(result, ctx)
    info = agent_info({"api_url": sim.url, "api_key": key}, RunContext())["agent"]
    assert info["key_name"] == "monitoring"
    if sim.gen != "0.2":
        assert result["key"]["role"] == "viewer"  # least privilege by default
        assert info["key_role"] == "viewer"
        assert result["diff"]["after"] == {"name": "monitoring", "role": "viewer", "state": "present"}

    count = len(sim.mutations())
    again, ctx = _run(sim, diff=True, api_key=admin, name="monitoring", dest=str(dest))
    assert again["changed"] is False and "api_key" not in again and "diff" not in again
    assert again["key"]["name"] == "monitoring"
    assert len(sim.mutations()) == count
    assert dest.read_text() == key + "\n"


def test_present_role_on_each_generation(sim):
    admin = ADMIN[sim.gen]
    result, ctx = _run(sim, api_key=admin, name="ci", role="operator")
    if sim.gen == "0.2":
        assert any("no key roles" in w for w in ctx.warnings)
        assert result["key"]["role"] is None
    else:
        assert ctx.warnings == []
        assert result["key"]["role"] == "operator"
        # An existing key with another role is reported, not silently accepted.
        again, ctx = _run(sim, api_key=admin, name="ci", role="admin")
        assert again["changed"] is False
        assert any("cannot be changed in place" in w for w in ctx.warnings)


def test_present_needs_a_key_and_a_name(sim):
    with pytest.raises(InputError, match="api_key is required"):
        _run(sim, name="x")
    with pytest.raises(InputError, match="needs name"):
        _run(sim, api_key=ADMIN[sim.gen])
    assert sim.mutations() == []


def test_viewer_key_cannot_manage_keys(sim):
    if sim.gen == "0.2":
        pytest.skip("0.2 has no roles")
    viewer = _run(sim, api_key=ADMIN[sim.gen], name="viewer", role="viewer")[0]["api_key"]
    with pytest.raises(AuthError) as err:
        _run(sim, api_key=viewer, name="other")
    assert "Insufficient role" in str(err.value) and viewer not in str(err.value)


# --------------------------------------------------------------------------- absent
def test_absent_check_then_remove_then_unchanged(sim):
    admin = ADMIN[sim.gen]
    _run(sim, api_key=admin, name="old-ci", role="operator" if sim.gen != "0.2" else None)
    before = len(sim.mutations())
    result, ctx = _run(sim, check_mode=True, diff=True, api_key=admin, name="old-ci", state="absent")
    assert result["changed"] is True
    assert result["diff"]["before"]["state"] == "present" and result["diff"]["after"]["state"] == "absent"
    assert len(sim.mutations()) == before

    result, ctx = _run(sim, api_key=admin, name="old-ci", state="absent")
    assert result["changed"] is True and result["keys"][0]["name"] == "old-ci"
    again, ctx = _run(sim, diff=True, api_key=admin, name="old-ci", state="absent")
    assert again["changed"] is False and "diff" not in again


def test_absent_by_key_id(sim):
    admin = ADMIN[sim.gen]
    created = _run(sim, api_key=admin, name="by-id")[0]
    entity = str(created["key"]["id"])
    result = _run(sim, api_key=admin, key_id=entity, state="absent")[0]
    assert result["changed"] is True and result["keys"][0]["name"] == "by-id"
    assert _run(sim, api_key=admin, key_id=entity, state="absent")[0]["changed"] is False


def test_absent_last_admin_is_a_clear_failure(sim):
    if sim.gen == "0.2":
        pytest.skip("0.2 has no roles and no last-admin guard")
    with pytest.raises(AgentError) as err:
        _run(sim, api_key=ADMIN[sim.gen], name="sim-admin", state="absent")
    assert err.value.status == 409
    assert "last active admin" in str(err.value) and "create another admin key" in str(err.value)
    assert ADMIN[sim.gen] not in str(err.value)


def test_bad_input_refused_before_any_request(sim):
    admin = ADMIN[sim.gen]
    for params, match in (({"state": "absent"}, "needs name or key_id"),
                          ({"state": "absent", "name": "x", "dest": "/tmp/x"}, "dest is only used"),
                          ({"state": "present", "name": "x", "setup_token": "ab" * 32}, "only used with state=bootstrap"),
                          ({"state": "present", "name": "bad\nname"}, "printable"),
                          ({"state": "present", "name": "x", "role": "root"}, "role must be one of"),
                          ({"state": "absent", "key_id": "1; rm"}, "invalid key_id")):
        with pytest.raises(InputError, match=match):
            _run(sim, api_key=admin, **params)
    assert sim.mutations() == []
