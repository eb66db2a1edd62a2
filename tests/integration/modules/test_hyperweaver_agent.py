"""zoneweaver.illumos.hyperweaver_agent with ansible-playbook against the simulated Hyperweaver Server:
register, re-run unchanged, update, remove, check mode (the server's request log shows no change sent),
and no secret in -vvvv output."""

import json

from zoneweaver_sim import Simulator
from zoneweaver_sim import auth as agent_auth
from zoneweaver_sim.fleet import seed_zones
from zoneweaver_sim.hyperweaver import HyperweaverSimulator
from zw_harness import admin_key_for, run_play

MODULE = "zoneweaver.illumos.hyperweaver_agent"
PASSWORD = "registry-ops-password"
USERS = {"ops": {"password": PASSWORD, "role": "super-admin"},
         "viewer": {"password": "viewer-password", "role": "user", "org": "acme"}}


def defaults(server, user="ops"):
    return {MODULE: {"hyperweaver_url": server.url, "hyperweaver_username": user,
                     "hyperweaver_password": "{{ hw_passwords['%s'] }}" % user}}


def secrets_file(tmp_path, **keys):
    """Secrets come from an extra-vars file, as from a vault: a failing task's error shows the
    playbook lines around it, so a secret written into the playbook itself would show there."""
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps(dict(keys, hw_passwords={u: spec["password"] for u, spec in USERS.items()})))
    return ["-e", "@%s" % path]


def changes(server):
    """What the server was asked to change (the login changes nothing)."""
    return [(e["method"], e["path"]) for e in server.log
            if e["method"] not in ("GET", "HEAD") and e["path"] != "/api/auth/login"]


def test_register_update_remove(tmp_path):
    key = admin_key_for("0.3.9")
    with Simulator(generation="0.3.9", timing="fast", admin_key=key, hostname="omni1") as agent, \
            HyperweaverSimulator(agents={}, users=USERS) as server:
        seed_zones(agent, 2)
        with agent.state.lock:
            rotated, _row = agent_auth.add_key(agent, "rotated", "for the server", "admin")
        acme = server.org_uuid("acme")
        where = {"hostname": "127.0.0.1", "port": agent.port, "protocol": "http"}
        wanted = dict(where, entity_name="omni1", description="build hosts", api_key="{{ agent_key }}", orgs=[acme])
        secret_args = secrets_file(tmp_path, agent_key=key, rotated_key=rotated)

        check = run_play(tmp_path, [{"name": "predict", "check_mode": True, "diff": True, MODULE: wanted}],
                         module_defaults=defaults(server), extra_args=secret_args)
        assert check.rc == 0, check.output
        assert check["predict"]["changed"] is True and check["predict"]["diff"]["before"] == {"state": "absent"}
        assert server.servers == {} and changes(server) == []

        tasks = [
            {"name": "register", MODULE: wanted},
            {"name": "again", MODULE: wanted},
            {"name": "zone through it", "zoneweaver.illumos.zone_info": {
                "hyperweaver_url": server.url, "hyperweaver_username": "ops",
                "hyperweaver_password": "{{ hw_passwords.ops }}",
                "hyperweaver_agent": "omni1"}},
            {"name": "rename", "diff": True, MODULE: dict(wanted, entity_name="omni1-build", recreate=True)},
            {"name": "rotate", MODULE: dict(where, api_key="{{ rotated_key }}", update_key="always")},
            {"name": "refuse in place", "ignore_errors": True, MODULE: dict(where, description="other words")},
        ]
        server.clear_log()
        run = run_play(tmp_path, tasks, module_defaults=defaults(server), extra_args=["-vvvv"] + secret_args)
        assert run.rc == 0, run.output
        assert run["register"]["changed"] is True and run["register"]["agent"]["orgs"] == [acme]
        assert run["again"]["changed"] is False
        assert len(run["zone through it"]["zones"]) == 2
        assert run["rename"]["changed"] is True and run["rename"]["recreated"] is True
        assert run["rename"]["diff"]["after"]["entity_name"] == "omni1-build"
        assert run["rotate"]["changed"] is True
        new_id = run["rotate"]["agent"]["id"]
        assert server.servers[new_id]["api_key"] == rotated and server.servers[new_id]["orgs"] == [acme]
        assert run.outcome("refuse in place") == "failed" and "recreate" in run["refuse in place"]["msg"]
        # -vvvv shows neither the agent keys nor the password
        for secret in (key, rotated, PASSWORD):
            assert secret not in run.output
            assert secret not in repr(run.results)

        update = run_play(tmp_path, [
            {"name": "orgs", "diff": True, MODULE: dict(where, orgs=[])},
            {"name": "orgs again", MODULE: dict(where, orgs=[])},
            {"name": "predict removal", "check_mode": True, MODULE: dict(where, state="absent")},
        ], module_defaults=defaults(server), extra_args=secret_args)
        assert update.rc == 0, update.output
        assert update["orgs"]["changed"] is True and update["orgs"]["diff"]["after"]["orgs"] == []
        assert update["orgs again"]["changed"] is False
        assert update["predict removal"]["changed"] is True and new_id in server.servers

        server.clear_log()
        remove = run_play(tmp_path, [{"name": "remove", MODULE: dict(where, state="absent")},
                                     {"name": "remove again", MODULE: dict(where, state="absent")}],
                          module_defaults=defaults(server), extra_args=secret_args)
        assert remove.rc == 0, remove.output
        assert remove["remove"]["changed"] is True and remove["remove again"]["changed"] is False
        assert server.servers == {} and changes(server) == [("DELETE", "/api/servers/%s" % new_id)]


def test_errors_are_explained(tmp_path):
    key = admin_key_for("0.3.9")
    with Simulator(generation="0.3.9", timing="fast", admin_key=key) as agent, \
            HyperweaverSimulator(agents={}, users=USERS) as server:
        where = {"hostname": "127.0.0.1", "port": agent.port, "protocol": "http", "api_key": "{{ agent_key }}"}
        run = run_play(tmp_path, [
            {"name": "not an admin", "ignore_errors": True,
             MODULE: dict(where, hyperweaver_username="viewer", hyperweaver_password="{{ hw_passwords.viewer }}")},
            {"name": "wrong key", "ignore_errors": True, MODULE: dict(where, api_key="{{ wrong_key }}")},
            {"name": "no server", "ignore_errors": True, MODULE: dict(where, hyperweaver_url="http://127.0.0.1:9")},
        ], module_defaults=defaults(server),
            extra_args=["-vvvv"] + secrets_file(tmp_path, agent_key=key, wrong_key="hw_WWWWWWWWWWWWWWWW.wrong"))
        assert server.servers == {} and changes(server) == [("POST", "/api/servers")] * 2
    assert "admin or super-admin" in run["not an admin"]["msg"]
    assert "refused api_key" in run["wrong key"]["msg"]
    assert "cannot reach Hyperweaver" in run["no server"]["msg"]
    for secret in (key, "hw_WWWWWWWWWWWWWWWW.wrong", PASSWORD, "viewer-password"):
        assert secret not in run.output
