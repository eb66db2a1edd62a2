"""Role zoneweaver.illumos.agent, end to end on a simulated bare host: package, config.yaml,
SMF service, the first API key and the Hyperweaver registration, through ansible-playbook.

The play runs on localhost with the simulator's fake pkg/svcs/svcadm/svccfg first in PATH; the
agent's files live under the simulator's files root, so the role's paths point there. Enabling
the agent's service opens the agent's port on 127.0.0.1 (simulator/zoneweaver_sim/agentsvc.py).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import urllib.request

import pytest
import yaml

from zoneweaver_sim import natdhcp
from zoneweaver_sim.hyperweaver import HyperweaverSimulator
from zw_harness import NATIVE_ENV, run_playbook, shims_on_path

AGENT_FMRI = "svc:/system/virtualization/zoneweaver-agent:default"
HW_USER, HW_PASSWORD = "admin", "admin-password"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def bare_host():
    """A simulated host without an API key (bootstrap available) and an empty Hyperweaver Server."""
    from zoneweaver_sim import Simulator
    with Simulator(timing="fast") as sim, HyperweaverSimulator(agents={}) as hyperweaver:
        sim.hyperweaver = hyperweaver
        yield sim


class Onboarding:
    """Runs the role against one simulated host; role variables can be changed between runs."""

    def __init__(self, tmp_path, sim):
        self.tmp_path, self.sim = tmp_path, sim
        self.port = free_port()
        self.key_file = tmp_path / "secrets" / "agent.key"
        self.key_file.parent.mkdir()
        self.path = os.pathsep.join([shims_on_path(sim, tmp_path / "shims")])
        self.vars = {
            "agent_publisher_origins": ["https://pkg.example.com/zoneweaver/"],
            "agent_package_version": "0.3.9",
            "agent_config_path": self.host_path("/etc/zoneweaver-agent/config.yaml"),
            "agent_data_paths": [self.host_path("/var/lib/zoneweaver-agent"), self.host_path("/etc/zoneweaver-agent")],
            "agent_tls_enabled": False,
            "agent_http_port": self.port,
            "agent_https_port": free_port(),
            "agent_api_host": "127.0.0.1",
            "agent_api_key_dest": str(self.key_file),
            "agent_monitoring_intervals": {"network_config": 10, "storage": 300},
            "agent_hyperweaver_url": sim.hyperweaver.url,
            "agent_hyperweaver_username": HW_USER,
            "agent_hyperweaver_password": HW_PASSWORD,
            "agent_hyperweaver_entity_name": "omnios-sim",
        }

    def host_path(self, path):
        return natdhcp.host_path(self.sim, path)

    @property
    def config_path(self):
        return self.vars["agent_config_path"]

    def run(self, extra_args=(), **changes):
        play = [{"name": "onboard", "hosts": "localhost", "gather_facts": False,
                 "environment": {"PATH": self.path},
                 "vars": dict(self.vars, **changes),
                 "roles": [{"role": "zoneweaver.illumos.agent"}]}]
        playbook = self.tmp_path / "onboard.yml"
        playbook.write_text(yaml.safe_dump(play, sort_keys=False))
        return run_playbook(self.tmp_path, str(playbook), list(extra_args), env=dict(NATIVE_ENV))

    def changed_tasks(self, result):
        return [r["task"] for r in result.results if r["result"].get("changed")]

    def agent_get(self, path, key=None, port=None):
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (port or self.port, path))
        if key:
            request.add_header("Authorization", "Bearer " + key)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read().decode("utf-8"))

    def svcadm(self, verb):
        return [c for c in self.sim.commands() if c["tool"] == "svcadm" and c["argv"][:1] == [verb]]


def backup_files(onboarding):
    directory = os.path.dirname(onboarding.config_path)
    return [os.path.join(directory, n) for n in os.listdir(directory) if n.startswith("config.yaml.")]


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def test_check_mode_on_a_bare_host_changes_nothing(tmp_path, bare_host):
    onboarding = Onboarding(tmp_path, bare_host)
    result = onboarding.run(["--check", "--diff"])
    assert result.rc == 0, result.output[-3000:]
    assert bare_host.command_mutations() == []
    assert not os.path.exists(onboarding.config_path)
    assert bare_host.state.keys == [] and bare_host.hyperweaver.servers == {}
    assert "zoneweaver.illumos.agent : Agent package from its publisher (0.3.9)" in onboarding.changed_tasks(result)


def test_bare_host_to_bootstrapped_registered_agent(tmp_path, bare_host):
    onboarding = Onboarding(tmp_path, bare_host)
    registry_token = "registry-token-0123456789"
    onboarding.vars.update(agent_template_sources_enabled=True, agent_template_sources=[
        {"name": "BoxVault", "url": "https://boxvault.example.com", "auth_token": registry_token, "default": True}])
    first = onboarding.run(["-vvvv", "--diff"])
    assert first.rc == 0, first.output[-4000:]

    # the agent runs on the configured port, bootstrapped, with its key in a private controller file
    status = onboarding.agent_get("/status")
    assert status["bootstrapAvailable"] is False
    key = onboarding.key_file.read_text().strip()
    assert stat.S_IMODE(os.stat(onboarding.key_file).st_mode) == 0o600
    assert onboarding.agent_get("/api-keys/info", key=key)["role"] == "admin"
    token = read(onboarding.host_path("/etc/zoneweaver-agent/setup.token")).decode().strip()
    assert stat.S_IMODE(os.stat(onboarding.host_path("/etc/zoneweaver-agent/setup.token")).st_mode) == 0o600
    assert len(token) == 64
    # neither secret shows up anywhere in -vvvv output
    assert token not in first.output and key not in first.output
    assert registry_token not in first.output and HW_PASSWORD not in first.output
    assert "templates" in status["features"]
    # registered with the Hyperweaver Server, reachable through its relay
    rows = list(bare_host.hyperweaver.servers.values())
    assert [(r["hostname"], r["port"], r["protocol"], r["entity_name"]) for r in rows] == [
        ("127.0.0.1", onboarding.port, "http", "omnios-sim")]
    installed = natdhcp.smf_instance(bare_host, AGENT_FMRI)
    assert installed["state"] == "online"

    # a second run changes nothing and sends no changing command: bootstrap is over, the key file is used
    bare_host.clear_commands()
    again = onboarding.run()
    assert again.rc == 0, again.output[-3000:]
    assert onboarding.changed_tasks(again) == []
    assert bare_host.command_mutations() == []
    assert onboarding.key_file.read_text().strip() == key

    # without the key file the role needs a supplied key, and it checks that key
    supplied = onboarding.run(agent_api_key_dest="", agent_api_key=key)
    assert supplied.rc == 0, supplied.output[-3000:]
    missing = onboarding.run(agent_api_key_dest="")
    assert missing.rc != 0 and "no longer offers bootstrap" in missing.output
    wrong = onboarding.run(agent_api_key_dest="", agent_api_key="hw_AAAAAAAAAAAAAAAA.not-the-key")
    assert wrong.rc != 0 and "refused the API key (403: Invalid API key)" in wrong.output
    assert key not in supplied.output + missing.output + wrong.output


def test_config_change_refreshes_once_and_bad_values_are_refused(tmp_path, bare_host):
    onboarding = Onboarding(tmp_path, bare_host)
    assert onboarding.run().rc == 0
    key = onboarding.key_file.read_text().strip()

    # a changed monitoring interval: file re-rendered (the old one kept as a backup), one refresh, the agent reads it
    rendered = read(onboarding.config_path)
    backups = set(backup_files(onboarding))
    bare_host.clear_commands()
    changed = onboarding.run(agent_monitoring_intervals={"network_config": 10, "storage": 120})
    assert changed.rc == 0, changed.output[-3000:]
    assert "storage: 120" in read(onboarding.config_path).decode()
    new_backups = set(backup_files(onboarding)) - backups
    assert len(new_backups) == 1 and read(new_backups.pop()) == rendered
    assert len(onboarding.svcadm("refresh")) == 1
    assert onboarding.agent_get("/settings", key=key)["host_monitoring"]["intervals"]["storage"] == 120

    # a value the agent cannot use is refused before the file is replaced, and nothing is refreshed
    before = read(onboarding.config_path)
    bare_host.clear_commands()
    refused = onboarding.run(agent_https_port=70000, agent_monitoring_intervals={"storage": 60})
    assert refused.rc != 0
    assert "server.https_port must be a TCP port number (1-65535), not 70000" in refused.output
    assert read(onboarding.config_path) == before
    assert onboarding.svcadm("refresh") == []
    assert onboarding.agent_get("/settings", key=key)["host_monitoring"]["intervals"]["storage"] == 120

    # a new port: the refreshed agent answers there with the key it had
    new_port = free_port()
    moved = onboarding.run(agent_http_port=new_port)
    assert moved.rc == 0, moved.output[-3000:]
    assert onboarding.agent_get("/api-keys/info", key=key, port=new_port)["role"] == "admin"
    with pytest.raises(OSError):
        onboarding.agent_get("/status")


def test_state_absent_deregisters_disables_and_removes(tmp_path, bare_host):
    onboarding = Onboarding(tmp_path, bare_host)
    assert onboarding.run().rc == 0
    key = onboarding.key_file.read_text().strip()
    removed = onboarding.run(agent_state="absent", agent_remove_package=True, agent_remove_data=True,
                             agent_api_key=key)
    assert removed.rc == 0, removed.output[-3000:]
    assert bare_host.hyperweaver.servers == {}
    assert AGENT_FMRI not in natdhcp.smf_fmris(bare_host)
    assert not os.path.exists(onboarding.config_path)
    with pytest.raises(OSError):
        onboarding.agent_get("/status")
    again = onboarding.run(agent_state="absent", agent_remove_package=True, agent_remove_data=True)
    assert again.rc == 0, again.output[-3000:]
    assert onboarding.changed_tasks(again) == []
