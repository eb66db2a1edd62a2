"""Agent modules through a Hyperweaver Server instead of straight to the agent."""

from zoneweaver_sim import Simulator
from zoneweaver_sim.hyperweaver import HyperweaverSimulator
from zw_harness import admin_key_for, run_play

USERS = {"ops": {"password": "ops-password", "role": "super-admin"},
         "acme-admin": {"password": "acme-password", "role": "admin", "org": "acme"}}
ZONE = "0001--relay01.example.com"


def hw_defaults(server, user="ops", agent="omnios-sim"):
    return {"group/zoneweaver.illumos.agent": {
        "hyperweaver_url": server.url, "hyperweaver_username": user, "hyperweaver_password": USERS[user]["password"],
        "hyperweaver_agent": agent}}


def test_zone_lifecycle_through_hyperweaver(tmp_path):
    key = admin_key_for("0.3.9")
    with Simulator(generation="0.3.9", timing="fast", admin_key=key) as agent, \
            HyperweaverSimulator(agents={1: agent}, users=USERS) as server:
        agent.admin_key = key
        tasks = [
            {"name": "check", "check_mode": True, "zoneweaver.illumos.zone": {"name": ZONE, "state": "running"}},
            {"name": "create", "zoneweaver.illumos.zone": {"name": ZONE, "state": "running", "ram": "1G"}},
            {"name": "again", "zoneweaver.illumos.zone": {"name": ZONE, "state": "running", "ram": "1024M"}},
            {"name": "by id", "zoneweaver.illumos.zone_info": {"name": ZONE, "hyperweaver_agent": "1"}},
        ]
        run = run_play(tmp_path, tasks, module_defaults=hw_defaults(server), extra_args=["-vvvv"])
        agent_log = agent.log
    assert run.rc == 0, run.output
    assert run["check"]["changed"] is True
    assert run["create"]["changed"] is True and run["create"]["zone"]["status"] == "running"
    assert run["again"]["changed"] is False
    assert run["by id"]["zones"][0]["ram"] == "1G"
    # The relay injected the agent's key: the playbook never had it, and the password never shows.
    assert all(entry["auth"] != "none" for entry in agent_log if entry["path"] != "/status")
    assert "ops-password" not in run.output and key not in run.output


def test_org_scope_refusal_is_explained(tmp_path):
    key = admin_key_for("0.3.9")
    with Simulator(generation="0.3.9", timing="fast", admin_key=key) as agent, \
            HyperweaverSimulator(agents={1: agent}, users=USERS) as server:
        server.set_server_orgs(1, ["other-org"])
        run = run_play(tmp_path, [{"name": "outside my org", "ignore_errors": True,
                                   "zoneweaver.illumos.zone_info": {"hyperweaver_agent": "1"}}],
                       module_defaults=hw_defaults(server, user="acme-admin"))
        mutations = agent.mutations()
    assert run.outcome("outside my org") == "failed"
    message = run["outside my org"]["msg"]
    assert "organisation" in message or "No access" in message, message
    assert mutations == []


def test_hyperweaver_and_api_url_are_exclusive(tmp_path):
    run = run_play(tmp_path, [{"name": "both", "ignore_errors": True, "zoneweaver.illumos.zone_info": {
        "api_url": "http://127.0.0.1:9", "api_key": "dummy-agent-key-123", "hyperweaver_url": "http://127.0.0.1:9",
        "hyperweaver_token": "dummy-token-456", "hyperweaver_agent": "omni01"}}])
    assert "cannot be combined" in run["both"]["msg"]
