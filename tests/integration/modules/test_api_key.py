"""zoneweaver.illumos.api_key against both simulator generations, through ansible-playbook."""

import json
import os
import stat

import pytest

from zoneweaver_sim import Simulator
from zw_harness import GENERATIONS, run_play

GROUP = "group/zoneweaver.illumos.agent"


@pytest.fixture(params=GENERATIONS, ids=lambda g: "agent-" + g)
def fresh(request):
    """A fresh agent: no key at all, bootstrap still available."""
    with Simulator(generation=request.param, timing="fast", admin_key=None) as simulator:
        yield simulator


def fresh_play(tmp_path, sim, tasks, **kw):
    """A play on a fresh agent: module_defaults give the URL only, no key."""
    return run_play(tmp_path, tasks, module_defaults={GROUP: {"api_url": sim.url}}, **kw)


def from_file(path):
    """A secret as a playbook passes it: read from a file, never written in the playbook."""
    return "{{ lookup('ansible.builtin.file', '%s') }}" % path


def bootstrap_options(sim, **extra):
    options = {"state": "bootstrap", "name": "ansible-admin"}
    if sim.generation != "0.2":  # 0.2 agents take no setup token
        options["setup_token"] = from_file(sim.setup_token_path)
    options.update(extra)
    return options


def test_bootstrap_check_apply_idempotent_and_secret(tmp_path, fresh):
    sim = fresh
    dest = tmp_path / "secrets" / "admin.key"
    dest.parent.mkdir(mode=0o700)
    boot = bootstrap_options(sim, dest=str(dest))
    run = fresh_play(tmp_path, sim, [
        {"name": "check", "zoneweaver.illumos.api_key": boot, "check_mode": True},
        {"name": "bootstrap", "zoneweaver.illumos.api_key": boot, "register": "boot"},
        {"name": "use the new key", "zoneweaver.illumos.zone_info": {"api_key": "{{ boot.api_key }}"}},
        {"name": "who am I", "zoneweaver.illumos.agent_info": {"api_key": "{{ boot.api_key }}"}},
        {"name": "bootstrap again", "zoneweaver.illumos.api_key": boot},
        {"name": "bootstrap with a working key",
         "zoneweaver.illumos.api_key": dict(boot, api_key="{{ boot.api_key }}")},
    ], extra_args=["-vvvv"])
    assert run.rc == 0, run.output

    checked = run["check"]
    assert checked["changed"] is True and "would bootstrap" in checked["msg"]
    assert "api_key" not in checked
    if sim.generation == "0.2":
        assert checked["bootstrap_available"] is None
        assert any("cannot tell" in w for w in checked.get("warnings", ())), checked
    else:
        assert checked["bootstrap_available"] is True

    # The new key reached `register` (the next tasks authenticated with it) but not the display.
    assert run["bootstrap"]["changed"] is True
    assert "censored" in run["bootstrap"] and "api_key" not in run["bootstrap"]
    assert run.outcome("use the new key") == "ok" and run["use the new key"]["zones"] == []
    who = run["who am I"]["agent"]
    assert who["key_name"] == "ansible-admin"
    assert who["key_role"] == ("admin" if sim.generation != "0.2" else None)

    assert run["bootstrap again"]["changed"] is False
    assert "no longer available" in run["bootstrap again"]["msg"]
    again_with_key = run["bootstrap with a working key"]
    assert again_with_key["changed"] is False and again_with_key["key_valid"] is True

    # dest: the key and a newline, mode 0600, no temporary file left beside it.
    key = dest.read_text()
    assert key.endswith("\n") and key.count("\n") == 1
    key = key.strip()
    assert key.startswith("wh_" if sim.generation == "0.2" else "hw_")
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert os.listdir(dest.parent) == ["admin.key"]

    # Exactly one key was minted: check mode and the idempotent runs sent nothing that changes.
    # A 0.2 agent has no /status to tell that bootstrap is gone: the second try is a POST it refuses.
    posts = [(e["method"], e["path"], e["status"]) for e in sim.mutations()]
    assert posts == [("POST", "/api-keys/bootstrap", 200)] + (
        [("POST", "/api-keys/bootstrap", 403)] if sim.generation == "0.2" else [])

    # Neither secret anywhere: not in -vvvv output, not in what reached the agent's log.
    logged = json.dumps(sim.log)
    for secret in (key, sim.setup_token):
        assert secret not in run.output
        assert secret not in logged


def test_check_mode_sends_nothing(tmp_path, fresh):
    sim = fresh
    run = fresh_play(tmp_path, sim, [{"name": "check", "check_mode": True,
                                      "zoneweaver.illumos.api_key": bootstrap_options(sim)}])
    assert run.rc == 0, run.output
    assert run["check"]["changed"] is True
    assert sim.mutations() == []


def test_wrong_or_missing_setup_token_fails_clearly(tmp_path):
    with Simulator(generation="0.3.9", timing="fast", admin_key=None) as sim:
        wrong = "ab" * 32 if sim.setup_token != "ab" * 32 else "cd" * 32
        malformed = "not-a-setup-token-but-still-secret"
        (tmp_path / "wrong.token").write_text(wrong + "\n")
        (tmp_path / "malformed.token").write_text(malformed + "\n")
        run = fresh_play(tmp_path, sim, [
            {"name": "wrong token", "zoneweaver.illumos.api_key": {
                "state": "bootstrap", "setup_token": from_file(tmp_path / "wrong.token")}, "ignore_errors": True},
            {"name": "no token", "zoneweaver.illumos.api_key": {"state": "bootstrap"}, "ignore_errors": True},
            {"name": "malformed token", "zoneweaver.illumos.api_key": {
                "state": "bootstrap", "setup_token": from_file(tmp_path / "malformed.token")}, "ignore_errors": True},
            {"name": "still fresh", "zoneweaver.illumos.agent_info": {}},
        ], extra_args=["-vvvv"])
        for name in ("wrong token", "no token", "malformed token"):
            assert run.outcome(name) == "failed", name
        assert run["wrong token"]["status"] == 403
        assert "setup token is wrong" in run["wrong token"]["msg"], run["wrong token"]["msg"]
        assert run["no token"]["status"] == 403
        assert "setup_token" in run["no token"]["msg"] and "setup.token" in run["no token"]["msg"]
        assert "not a setup token" in run["malformed token"]["msg"]
        assert run["still fresh"]["agent"]["bootstrap_available"] is True
        for secret in (wrong, malformed, sim.setup_token):
            assert secret not in run.output
        # The malformed token was refused before any request.
        assert [e["path"] for e in sim.mutations()] == ["/api-keys/bootstrap"] * 2


def key_task(title, check=False, **options):
    task = {"name": title, "zoneweaver.illumos.api_key": options}
    if check:
        task["check_mode"] = True
    return task


def test_named_key_present_absent(play, sim, tmp_path):
    roles = sim.generation != "0.2"
    dest = tmp_path / "ci.key"
    run = play([
        key_task("default role", check=True, name="monitoring"),
        key_task("create check", check=True, name="ci", role="operator", description="CI pipeline"),
        dict(key_task("create", name="ci", role="operator", description="CI pipeline", dest=str(dest)),
             register="ci"),
        dict(key_task("another", name="old-ci", role="viewer"), register="other"),
        key_task("again", name="ci", role="operator"),
        key_task("again with another role", name="ci", role="viewer"),
        {"name": "use it", "zoneweaver.illumos.agent_info": {"api_key": "{{ ci.api_key }}"}},
        key_task("remove check", check=True, name="ci", state="absent"),
        key_task("remove", name="ci", state="absent"),
        key_task("remove again", name="ci", state="absent"),
        # 0.3.8+: by the public key id the creation returned; older agents: by the entity id.
        key_task("remove by key_id", state="absent", key_id="{{ other.key.key_id | default(other.key.id) }}"),
        {"name": "removed key is refused", "zoneweaver.illumos.agent_info": {"api_key": "{{ ci.api_key }}"},
         "ignore_errors": True},
        dict(key_task("remove the last admin", name="sim-admin", state="absent"), ignore_errors=True,
             when=roles),
    ], extra_args=["--diff"])
    assert run.outcome("removed key is refused") == "failed"
    key = dest.read_text().strip()
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert key not in run.output

    assert run["default role"]["key"]["role"] == ("viewer" if roles else None)
    checked = run["create check"]
    assert checked["changed"] is True and "api_key" not in checked
    if roles:
        assert checked["diff"] == {"before": {"name": "ci", "state": "absent"},
                                   "after": {"name": "ci", "role": "operator", "state": "present"}}
    else:
        assert checked["diff"] == {"before": {"name": "ci", "state": "absent"},
                                   "after": {"name": "ci", "state": "present"}}
        assert any("no key roles" in w for w in checked["warnings"]), checked

    assert run["create"]["changed"] is True and "censored" in run["create"]
    again = run["again"]
    assert again["changed"] is False and "api_key" not in again and "diff" not in again
    assert again["key"]["name"] == "ci" and again["key"]["description"] == "CI pipeline"
    assert again["key"].get("role") == ("operator" if roles else None)
    assert run["again with another role"]["changed"] is False
    if roles:
        assert any("cannot be changed in place" in w for w in run["again with another role"]["warnings"])
    used = run["use it"]["agent"]
    assert used["key_name"] == "ci" and used["key_role"] == ("operator" if roles else None)

    removing = run["remove check"]
    assert removing["changed"] is True and [k["name"] for k in removing["keys"]] == ["ci"]
    assert removing["diff"]["before"]["state"] == "present" and removing["diff"]["after"]["state"] == "absent"
    assert run["remove"]["changed"] is True
    assert run["remove again"]["changed"] is False and run["remove again"]["keys"] == []
    assert run["removed key is refused"]["status"] == 403
    by_id = run["remove by key_id"]
    assert by_id["changed"] is True and [k["name"] for k in by_id["keys"]] == ["old-ci"]
    if roles:
        public_id = by_id["keys"][0]["key_id"]
        assert len(public_id) == 16 and by_id["msg"].endswith("with id %s" % public_id), by_id["msg"]

    if roles:
        last = run["remove the last admin"]
        assert run.outcome("remove the last admin") == "failed"
        assert last["status"] == 409 and "last active admin key" in last["msg"]
    # Two keys created, two removed: check mode and the unchanged runs sent nothing that changes.
    requests = [(e["method"], e["path"].rsplit("/", 1)[0], e["status"]) for e in sim.mutations()]
    assert requests == [("POST", "/api-keys", 200)] * 2 + [("DELETE", "/api-keys", 200)] * 2 + (
        [("DELETE", "/api-keys", 409)] if roles else [])
