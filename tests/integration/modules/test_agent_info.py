"""zoneweaver.illumos.agent_info against both simulator generations, through ansible-playbook."""

from zw_harness import run_play

GROUP = "group/zoneweaver.illumos.agent"


def wrong_key_for(generation):
    return "wh_wrongIntegrationKey0000" if generation == "0.2" else "hw_BBBBBBBBBBBBBBBB.wrong-integration-key"


def test_public_status_without_key_then_key_role(tmp_path, sim):
    tasks = [
        {"name": "public", "zoneweaver.illumos.agent_info": {}, "register": "public"},
        {"name": "with key", "zoneweaver.illumos.agent_info": {"api_key": "{{ admin_key }}"}},
        {"name": "viewer key", "register": "viewer",
         "zoneweaver.illumos.api_key": {"api_key": "{{ admin_key }}", "name": "monitoring", "role": "viewer"}},
        {"name": "as viewer", "zoneweaver.illumos.agent_info": {"api_key": "{{ viewer.api_key }}"}},
        {"name": "in check mode", "zoneweaver.illumos.agent_info": {"api_key": "{{ admin_key }}"},
         "check_mode": True},
    ]
    # No api_key anywhere in this play's defaults: the first task reads the public /status only.
    run = run_play(tmp_path, tasks, module_defaults={GROUP: {"api_url": sim.url}},
                   play_vars={"admin_key": sim.admin_key})
    assert run.rc == 0, run.output
    public, keyed, viewer = run["public"]["agent"], run["with key"]["agent"], run["as viewer"]["agent"]
    assert run["public"]["changed"] is False and run["with key"]["changed"] is False
    assert public["key_role"] is None and public["key_name"] is None
    # Every task starts with the public GET /status; the keyless task sends nothing else.
    requests = [(e["method"], e["path"], e["auth"]) for e in sim.log]
    assert requests[:2] == [("GET", "/status", "none")] * 2, requests
    assert all(auth != "none" for method, path, auth in requests if path != "/status")
    assert run["in check mode"]["agent"] == dict(keyed, uptime=run["in check mode"]["agent"]["uptime"])

    if sim.generation == "0.3.9":
        assert public["version"] == "0.3.9" and public["generation"] == "0.3.9"
        assert public["name"] == "zoneweaver-agent" and public["status_endpoint"] is True
        assert public["machines_path"] == "/machines"
        assert public["features"] == sorted(public["features"])
        assert {"machines", "machine-create", "tasks", "vnics"} <= set(public["features"])
        assert public["hypervisors"] == ["bhyve"]
        assert public["bootstrap_available"] is False, "a key exists, bootstrap must be reported gone"
        assert keyed["key_role"] == "admin" and keyed["key_name"] == "sim-admin"
        assert keyed["version"] == "0.3.9" and keyed["node_version"]
        assert viewer["key_role"] == "viewer" and viewer["key_name"] == "monitoring"
    else:
        # 0.2 has no /status: without a key nothing but the generation is known.
        assert public["version"] is None and public["generation"] == "0.2"
        assert public["status_endpoint"] is False and public["machines_path"] == "/zones"
        assert public["features"] == [] and public["bootstrap_available"] is None
        # With a key, /version tells the version; there are no roles on 0.2.
        assert keyed["version"] == "0.2.3" and keyed["generation"] == "0.2"
        assert keyed["name"] == "zoneweaver-api" and keyed["node_version"]
        assert keyed["key_role"] is None and keyed["key_name"] == "sim-admin"
        assert viewer["key_role"] is None and viewer["key_name"] == "monitoring"
    assert [(e["method"], e["path"]) for e in sim.mutations()] == [("POST", "/api-keys/generate")]


def test_wrong_key_gives_clear_auth_error_and_stays_secret(play, sim):
    wrong = wrong_key_for(sim.generation)
    # Passed as a playbook would (not written in the playbook, whose lines an error display may quote).
    run = play([{"name": "wrong key", "zoneweaver.illumos.agent_info": {
        "api_key": "{{ lookup('ansible.builtin.env', 'ZW_TEST_WRONG_KEY') }}"}, "ignore_errors": True}],
        extra_args=["-vvvv"], env={"ZW_TEST_WRONG_KEY": wrong})
    result = run["wrong key"]
    assert run.outcome("wrong key") == "failed"
    assert result["status"] == 403 and result["error_type"] == "AuthError"
    assert "wrong or revoked" in result["msg"], result["msg"]
    assert wrong not in run.output
    assert sim.mutations() == []
