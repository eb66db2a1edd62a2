"""hyperweaver_agent against the simulated Hyperweaver Server (hyperweaver-boxvault.md 1.3):
register, idempotence, in-place updates, re-registration, removal, check mode, errors, secrets."""

from __future__ import annotations

import socket

import pytest

from zoneweaver_sim import Simulator
from zoneweaver_sim.fleet import seed_zones
from zoneweaver_sim.hyperweaver import HyperweaverSimulator

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AuthError, ConflictError, InputError, TransportError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.hyperweaver.client import forget_tokens
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import hyperweaver_agent as resource
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.hyperweaver_agent import (
    normalize_spec, run)

KEY = "hw_AAAAAAAAAAAAAAAA.registry-unit-admin"
NEW_KEY = "hw_NNNNNNNNNNNNNNNN.registry-unit-rotated"
BAD_KEY = "hw_BBBBBBBBBBBBBBBB.registry-unit-wrong"
USERS = {"root": {"password": "root-secret-pw", "role": "super-admin"},
         "acme-user": {"password": "acme-user-pw", "role": "user", "org": "acme"}}
SECRETS = (KEY, NEW_KEY, BAD_KEY, "root-secret-pw", "acme-user-pw")


@pytest.fixture(scope="module")
def agent():
    with Simulator(generation="0.3.9", timing="fast", admin_key=KEY, hostname="omni1") as sim:
        sim.admin_key = KEY
        sim.names = seed_zones(sim, 3)
        yield sim


@pytest.fixture
def hw(agent, tmp_path, monkeypatch):
    monkeypatch.setenv("ANSIBLE_LOCAL_TEMP", str(tmp_path))   # the login token cache of this test
    forget_tokens()
    with HyperweaverSimulator(agents={}, users=USERS) as server:
        server.agent = agent
        yield server
    forget_tokens()


def params(hw, **kw):
    base = {"hyperweaver_url": hw.url, "hyperweaver_username": "root", "hyperweaver_password": "root-secret-pw",
            "hostname": "127.0.0.1", "port": hw.agent.port, "protocol": "http", "timeout": 10}
    base.update(kw)
    return base


def go(hw, check_mode=False, diff=True, **kw):
    ctx = RunContext(check_mode=check_mode, diff=diff)
    result = run(params(hw, **kw), ctx)
    result.pop("_secrets", None)
    _no_secret(repr(result) + repr(ctx.warnings))
    return result, ctx


def _no_secret(text):
    for secret in SECRETS:
        assert secret not in text


def mutations(hw):
    """Every changing request the server saw, the login excepted (it changes nothing)."""
    return [(e["method"], e["path"]) for e in hw.log
            if e["method"] not in ("GET", "HEAD") and e["path"] != "/api/auth/login"]


def register(hw, **kw):
    kw.setdefault("api_key", KEY)
    kw.setdefault("entity_name", "omni1")
    return go(hw, **kw)[0]


# --------------------------------------------------------------------------- spec


@pytest.mark.parametrize("change,fragment", [
    ({"hostname": "https://omni1:5001"}, "not a URL"),
    ({"hostname": ""}, "hostname is required"),
    ({"port": 70000}, "between 1 and 65535"),
    ({"hyperweaver_url": None}, "hyperweaver_url is required"),
    ({"allow_insecure": True}, "only applies to protocol=https"),
    ({"entity_name": " "}, "invalid entity_name"),
    ({"api_key": "hw_x. secret with spaces"}, "api_key is empty or contains"),
])
def test_bad_input_fails_before_any_request(change, fragment):
    values = {"hyperweaver_url": "http://127.0.0.1:9", "hostname": "omni1", "protocol": "http"}
    values.update(change)
    with pytest.raises(InputError) as info:
        normalize_spec(values)
    assert fragment in str(info.value)
    assert "secret with spaces" not in str(info.value)


def test_defaults():
    spec = normalize_spec({"hyperweaver_url": "https://hw:3443", "hostname": "omni1"})
    assert (spec["port"], spec["protocol"], spec["update_key"], spec["state"]) == (5001, "https", "on_create", "present")
    assert spec["orgs"] is None and spec["entity_name"] is None and spec["recreate"] is False


# --------------------------------------------------------------------------- present


def test_register_then_unchanged(hw):
    acme = hw.org_uuid("acme")
    result = register(hw, description="build hosts", orgs=[acme])
    assert result["changed"] is True and result["recreated"] is False
    agent = result["agent"]
    assert (agent["id"], agent["entity_name"], agent["description"]) == (1, "omni1", "build hosts")
    assert agent["orgs"] == [acme] and agent["agent_version"] == "0.3.9"
    assert "api_key" not in agent
    row = hw.servers[1]
    assert row["api_key"] == KEY and row["orgs"] == [acme]
    assert mutations(hw) == [("POST", "/api/servers"), ("PUT", "/api/servers/1/orgs")]

    hw.clear_log()
    again = register(hw, description="build hosts", orgs=[acme])
    assert again["changed"] is False and "diff" not in again
    assert mutations(hw) == []
    # A key given with update_key=on_create is not pushed to an existing registration.
    assert register(hw, api_key=NEW_KEY)["changed"] is False
    assert hw.servers[1]["api_key"] == KEY
    # Only what is set is compared: no entity_name, no description, no orgs.
    assert go(hw)[0]["changed"] is False


def test_entity_name_defaults_to_hostname(hw):
    result = go(hw, api_key=KEY)[0]
    assert result["agent"]["entity_name"] == "127.0.0.1"


def test_check_mode_create_sends_nothing(hw):
    result, _ctx = go(hw, check_mode=True, api_key=KEY, entity_name="omni1", orgs=[hw.org_uuid("acme")])
    assert result["changed"] is True
    assert result["diff"]["before"] == {"state": "absent"}
    assert result["diff"]["after"]["entity_name"] == "omni1" and result["diff"]["after"]["api_key"] == "(set)"
    assert hw.servers == {} and mutations(hw) == []


def test_update_in_place_allow_insecure_and_orgs(hw):
    register(hw, protocol="http")
    acme, other = hw.org_uuid("acme"), hw.org_uuid("other")
    hw.servers[1].update(protocol="https", allow_insecure=True)   # as if an https agent, so allow_insecure applies
    hw.clear_log()
    predicted, _ctx = go(hw, check_mode=True, protocol="https", allow_insecure=False, orgs=[other, acme])
    assert predicted["changed"] is True and predicted["recreated"] is False
    assert predicted["diff"]["before"]["allow_insecure"] is True and predicted["diff"]["after"]["allow_insecure"] is False
    assert predicted["diff"]["after"]["orgs"] == sorted([other, acme])
    assert mutations(hw) == []
    done, _ctx = go(hw, protocol="https", allow_insecure=False, orgs=[other, acme])
    assert done["changed"] is True and done["agent"]["id"] == 1
    assert mutations(hw) == [("PATCH", "/api/servers/1"), ("PUT", "/api/servers/1/orgs")]
    assert hw.servers[1]["allow_insecure"] is False and set(hw.servers[1]["orgs"]) == {acme, other}
    # order does not matter; [] removes every organisation
    assert go(hw, protocol="https", orgs=[acme, other])[0]["changed"] is False
    assert go(hw, protocol="https", orgs=[])[0]["changed"] is True
    assert hw.servers[1]["orgs"] == []


def test_fixed_setting_needs_recreate(hw):
    register(hw)
    hw.clear_log()
    with pytest.raises(ConflictError) as info:
        go(hw, api_key=KEY, entity_name="omni1-renamed")
    assert "recreate" in str(info.value) and "entity_name" in str(info.value)
    with pytest.raises(ConflictError):
        go(hw, check_mode=True, description="new words")
    assert mutations(hw) == []
    with pytest.raises(InputError) as info:
        go(hw, entity_name="omni1-renamed", recreate=True)   # no key: the server cannot give its own back
    assert "api_key" in str(info.value)
    assert mutations(hw) == [] and hw.servers[1]["entity_name"] == "omni1"


def test_recreate_restores_organisations_of_agent_and_machines(hw):
    acme, tenant = hw.org_uuid("acme"), hw.org_uuid("tenant")
    register(hw, orgs=[acme])
    machine = hw.agent.names[0]
    hw.set_machine_orgs(1, machine, ["tenant"])
    hw.clear_log()
    predicted, _ctx = go(hw, check_mode=True, api_key=KEY, entity_name="omni1-build", recreate=True)
    assert predicted["changed"] is True and predicted["recreated"] is True
    assert mutations(hw) == []
    result, ctx = go(hw, api_key=KEY, entity_name="omni1-build", description="renamed", recreate=True)
    assert result["recreated"] is True and result["previous_id"] == 1
    new_id = result["agent"]["id"]
    assert new_id != 1 and result["agent"]["entity_name"] == "omni1-build"
    assert result["restored_machine_orgs"] == [machine]
    assert any("id changed from 1 to %s" % new_id in w for w in ctx.warnings)
    row = hw.servers[new_id]
    assert row["orgs"] == [acme] and row["machine_orgs"] == {machine: [tenant]} and row["api_key"] == KEY
    # the probe came first, then delete, register, restore
    assert mutations(hw)[:3] == [("POST", "/api/servers/test"), ("DELETE", "/api/servers/1"), ("POST", "/api/servers")]
    assert go(hw, api_key=KEY, entity_name="omni1-build", description="renamed")[0]["changed"] is False


def test_update_key_always_replaces_the_stored_key(hw, agent):
    register(hw)
    with agent.state.lock:
        from zoneweaver_sim import auth as agent_auth
        rotated, _row = agent_auth.add_key(agent, "rotated", "the new key", "admin")
    result, _ctx = go(hw, api_key=rotated, update_key="always")
    assert result["changed"] is True and result["recreated"] is True
    assert result["diff"]["before"]["api_key"] == "(stored)" and result["diff"]["after"]["api_key"] == "(replaced)"
    assert hw.servers[result["agent"]["id"]]["api_key"] == rotated
    assert rotated not in repr(result)
    # the key cannot be compared: always means a change on every run
    assert go(hw, api_key=rotated, update_key="always")[0]["changed"] is True


def test_failed_reregistration_says_the_agent_is_gone(hw):
    register(hw)
    with pytest.raises(AuthError) as info:
        go(hw, api_key=BAD_KEY, update_key="always")
    text = str(info.value)
    assert "NOT registered" in text and "refused api_key" in text and "was id 1" in text
    _no_secret(text)
    assert hw.servers == {}


def test_unreachable_agent_is_not_deleted_for_reregistration(hw):
    register(hw)
    hw.servers[1]["port"] = _dead_port()   # the agent moved away: the probe fails first
    with pytest.raises(TransportError) as info:
        go(hw, port=hw.servers[1]["port"], api_key=KEY, update_key="always")
    assert "cannot reach the agent" in str(info.value) and "nothing was changed" in str(info.value)
    assert 1 in hw.servers


# --------------------------------------------------------------------------- absent


def test_absent_check_mode_then_remove_then_unchanged(hw):
    register(hw)
    hw.clear_log()
    predicted, _ctx = go(hw, check_mode=True, state="absent")
    assert predicted["changed"] is True and predicted["diff"]["after"] == {"state": "absent"}
    assert mutations(hw) == [] and 1 in hw.servers
    removed, _ctx = go(hw, state="absent")
    assert removed["changed"] is True and removed["agent"]["id"] == 1 and hw.servers == {}
    assert mutations(hw) == [("DELETE", "/api/servers/1")]
    assert go(hw, state="absent")[0]["changed"] is False


# --------------------------------------------------------------------------- errors


def test_bad_key_is_refused_clearly(hw):
    with pytest.raises(AuthError) as info:
        go(hw, api_key=BAD_KEY)
    assert "refused api_key" in str(info.value) and hw.servers == {}
    _no_secret(str(info.value))


def test_unreachable_agent_on_register(hw):
    with pytest.raises(TransportError) as info:
        go(hw, port=_dead_port(), api_key=KEY)
    assert "could not reach the agent" in str(info.value) and "ECONNREFUSED" in str(info.value)


def test_no_key_on_a_current_agent(hw):
    with pytest.raises(AuthError) as info:
        go(hw)
    assert "no api_key was given" in str(info.value)


def test_non_admin_is_refused_with_the_reason(hw):
    register(hw)
    hw.set_server_orgs(1, ["elsewhere"])   # invisible to acme-user, who also may not register
    with pytest.raises(AuthError) as info:
        go(hw, hyperweaver_username="acme-user", hyperweaver_password="acme-user-pw", api_key=KEY)
    assert "Admin access required" in str(info.value) and "admin or super-admin" in str(info.value)
    assert len(hw.servers) == 1


def test_unreachable_server():
    ctx = RunContext()
    with pytest.raises(TransportError) as info:
        run({"hyperweaver_url": "http://127.0.0.1:%d" % _dead_port(), "hyperweaver_username": "root",
             "hyperweaver_password": "root-secret-pw", "hostname": "omni1", "timeout": 5}, ctx)
    assert "cannot reach Hyperweaver" in str(info.value)
    _no_secret(str(info.value))


def test_wrong_password():
    forget_tokens()
    with HyperweaverSimulator(agents={}, users=USERS) as server:
        with pytest.raises(AuthError) as info:
            run({"hyperweaver_url": server.url, "hyperweaver_username": "root", "hyperweaver_password": "nope-wrong",
                 "hostname": "omni1"}, RunContext())
    assert "Invalid credentials" in str(info.value) and "nope-wrong" not in str(info.value)


@pytest.mark.parametrize("status,message,error,fragment", [
    (500, "Server h:5001 (https) already exists", ConflictError, "already has this hostname"),
    (409, "Conflict", ConflictError, "already has"),
    (500, "Provided API key is invalid: connect ECONNREFUSED 10.0.0.1:5001", TransportError, "could not reach"),
    (500, "Provided API key is invalid: Request failed with status code 401", AuthError, "refused api_key"),
    (403, "Admin access required", AuthError, "admin or super-admin"),
    (400, "Missing required fields: entityName", InputError, "refused the request"),
])
def test_post_errors_are_explained(status, message, error, fragment):
    res = resource.HyperweaverAgentResource(type("C", (), {"url": "https://hw:3443"})(), RunContext())
    spec = normalize_spec({"hyperweaver_url": "https://hw:3443", "hostname": "h", "api_key": KEY})
    exc = res._post_error(spec, status, {"success": False, "message": message + " " + KEY}, False, KEY)
    assert isinstance(exc, error) and fragment in str(exc)
    assert KEY not in str(exc)


def _dead_port():
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    return port
