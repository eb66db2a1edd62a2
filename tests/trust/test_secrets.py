"""No secret anywhere: playbooks that bootstrap a key from the setup token, use agent keys, a BoxVault
token and password, a Hyperweaver password and token, run with -vvvv and --diff; no secret may appear
in the output, in the recorded results (diffs included), or in what the simulators logged of the
requests they received. Failing tasks are included: error messages are where secrets leak most."""

import json
import os
import stat
import urllib.request

from trust_harness import run_trust, write_play
from worlds import BV_PASSWORD, HW_PASSWORD, world

GROUP = "group/zoneweaver.illumos.agent"
WRONG_KEY = "hw_ZZZZZZZZZZZZZZZZ.wrong-but-secret-key-0042"
WRONG_PASSWORD = "wrong-but-secret-password-0042"
JWT_HEADER = "eyJhbGciOi"      # base64 of '{"alg":' opens every JWT


def lookup(path):
    return "{{ lookup('ansible.builtin.file', '%s') }}" % path


def leaks(secrets, places):
    """[(secret name, place)] for every secret found in a place."""
    return [(name, where) for name, value in secrets.items() for where, text in places.items()
            if value and value in text]


def test_agent_and_boxvault_secrets_stay_out_of_everything(tmp_path):
    with world("0.3.9", boxvault=True, admin_key=False) as w:
        sim, bv = w.sim, w.boxvault
        keys = tmp_path / "keys"
        keys.mkdir(mode=0o700)
        admin_file, viewer_file = keys / "admin.key", keys / "viewer.key"
        extra = tmp_path / "vault.json"
        extra.write_text(json.dumps({"bv_token": bv.token, "bv_password": BV_PASSWORD, "wrong_key": WRONG_KEY}))
        private = {"registry_url": bv.url, "organization": "acme", "box": "private"}
        tasks = [
            {"name": "bootstrap", "zoneweaver.illumos.api_key": {
                "state": "bootstrap", "name": "ansible-admin", "setup_token": lookup(sim.setup_token_path),
                "dest": str(admin_file)}, "register": "boot"},
            {"name": "who am I", "zoneweaver.illumos.agent_info": {}},
            {"name": "viewer key", "zoneweaver.illumos.api_key": {"name": "monitoring", "role": "viewer"},
             "register": "viewer"},
            {"name": "keep the viewer key", "ansible.builtin.copy": {
                "content": "{{ viewer.api_key }}", "dest": str(viewer_file), "mode": "0600"}, "no_log": True},
            {"name": "read with the viewer key", "zoneweaver.illumos.zone_info": {"api_key": lookup(viewer_file)}},
            {"name": "viewer may not change", "zoneweaver.illumos.etherstub": {
                "name": "stub9", "api_key": lookup(viewer_file)}, "ignore_errors": True},
            {"name": "wrong key", "zoneweaver.illumos.agent_info": {"api_key": "{{ wrong_key }}"},
             "ignore_errors": True},
            {"name": "wrong key, mutating", "zoneweaver.illumos.vnic": {
                "name": "web9", "link": "igb0", "api_key": "{{ wrong_key }}"}, "ignore_errors": True},
            {"name": "box by token", "zoneweaver.illumos.boxvault_box_info": dict(private, registry_token="{{ bv_token }}")},
            {"name": "box by password", "zoneweaver.illumos.boxvault_box_info": dict(
                private, registry_username="mark", registry_password="{{ bv_password }}")},
            {"name": "box by wrong password", "zoneweaver.illumos.boxvault_box_info": dict(
                private, registry_username="mark", registry_password=WRONG_PASSWORD), "ignore_errors": True},
            {"name": "import the private box", "zoneweaver.illumos.template": dict(
                private, version="1.0.0", registry_token="{{ bv_token }}")},
            {"name": "zone", "zoneweaver.illumos.zone": {
                "name": "0001--secret.example.com", "state": "present", "boot_disk": {"type": "blank", "size": "1G"}}},
        ]
        playbook = write_play(tmp_path, tasks, module_defaults={
            GROUP: {"api_url": sim.url, "api_key": "{{ boot.api_key | default(omit) }}"}})
        run = run_trust(tmp_path, playbook, extra_args=["-vvvv", "--diff", "-e", "@%s" % extra])

        assert run.rc == 0, run.output[-5000:]
        for name in ("wrong key", "wrong key, mutating", "viewer may not change", "box by wrong password"):
            assert run.entry(name)["outcome"] == "failed", name
        assert run["import the private box"]["changed"] is True
        admin_key, viewer_key = admin_file.read_text().strip(), viewer_file.read_text().strip()
        assert admin_key and viewer_key and admin_key != viewer_key
        assert stat.S_IMODE(os.stat(admin_file).st_mode) == 0o600
        secrets = {"setup token": sim.setup_token, "admin key": admin_key, "viewer key": viewer_key,
                   "wrong key": WRONG_KEY, "BoxVault token": bv.token, "BoxVault password": BV_PASSWORD,
                   "wrong BoxVault password": WRONG_PASSWORD}
        places = {"-vvvv output": run.output, "results and diffs": json.dumps(run.results),
                  "agent request log": json.dumps(sim.log), "BoxVault request log": json.dumps(bv.request_log.entries()),
                  "agent state dump": json.dumps(sim.state.to_dict(), default=str)}
        assert leaks(secrets, places) == []
        assert JWT_HEADER not in run.output, "a BoxVault session token reached the output"
        # the logs did see these requests (the assertion above would be empty if nothing was logged)
        assert any(e["path"].endswith("/bootstrap") for e in sim.log)
        assert any(e["auth"] for e in bv.request_log.entries())


def test_hyperweaver_secrets_stay_out_of_everything(tmp_path):
    with world("0.3.9", hyperweaver=True) as w:
        sim, hw = w.sim, w.hyperweaver
        login = urllib.request.Request(hw.url + "/api/auth/login", method="POST",
                                       data=json.dumps({"identifier": "ops", "password": HW_PASSWORD}).encode(),
                                       headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=10) as answer:
            token = json.loads(answer.read())["token"]
        extra = tmp_path / "vault.json"
        extra.write_text(json.dumps({"hw_password": HW_PASSWORD, "hw_token": token, "agent_key": sim.admin_key}))
        where = {"hyperweaver_url": hw.url, "hostname": "127.0.0.1", "port": sim.port, "protocol": "http"}
        by_password = {"hyperweaver_url": hw.url, "hyperweaver_agent": "omni1", "hyperweaver_username": "ops",
                       "hyperweaver_password": "{{ hw_password }}"}
        tasks = [
            {"name": "register", "zoneweaver.illumos.hyperweaver_agent": dict(
                where, hyperweaver_username="ops", hyperweaver_password="{{ hw_password }}",
                entity_name="omni1", api_key="{{ agent_key }}")},
            {"name": "zones by password", "zoneweaver.illumos.zone_info": by_password},
            {"name": "zones by token", "zoneweaver.illumos.zone_info": {
                "hyperweaver_url": hw.url, "hyperweaver_agent": "omni1", "hyperweaver_token": "{{ hw_token }}"}},
            {"name": "stub through the server", "zoneweaver.illumos.etherstub": dict(by_password, name="stub0")},
            {"name": "wrong password", "zoneweaver.illumos.zone_info": dict(
                by_password, hyperweaver_password=WRONG_PASSWORD), "ignore_errors": True},
            {"name": "remove", "zoneweaver.illumos.hyperweaver_agent": dict(
                where, hyperweaver_token="{{ hw_token }}", state="absent")},
        ]
        playbook = write_play(tmp_path, tasks)
        run = run_trust(tmp_path, playbook, extra_args=["-vvvv", "--diff", "-e", "@%s" % extra])

        assert run.rc == 0, run.output[-5000:]
        assert run.entry("wrong password")["outcome"] == "failed"
        assert run["register"]["changed"] is True and run["remove"]["changed"] is True
        secrets = {"Hyperweaver password": HW_PASSWORD, "Hyperweaver token": token, "agent key": sim.admin_key,
                   "wrong password": WRONG_PASSWORD}
        places = {"-vvvv output": run.output, "results and diffs": json.dumps(run.results),
                  "Hyperweaver request log": json.dumps(hw.log), "agent request log": json.dumps(sim.log)}
        assert leaks(secrets, places) == []
        assert JWT_HEADER not in run.output, "a Hyperweaver session token reached the output"
        assert any(e["path"] == "/api/auth/login" for e in hw.log)
