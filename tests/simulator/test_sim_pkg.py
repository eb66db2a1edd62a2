"""The simulator's fake `pkg` (IPS image) and the Zoneweaver Agent's SMF service.

Formats are read back with the collection's own parsers (what ips_package and
smf_service read); exit codes follow pkg(1): 4 means "nothing to do". The agent's
service is driven through svcadm like any other instance: enabling it opens the
port from config.yaml under the files root, disabling closes it, refresh re-reads
the file.
"""
from __future__ import annotations

import os
import socket
import stat

import pytest
import requests

from sim_helpers import Simulator
from zoneweaver_sim import natdhcp

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import pkg as pkg_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import svcs as svcs_parser

AGENT = "system/virtualization/zoneweaver-agent"
FMRI = "svc:/system/virtualization/zoneweaver-agent:default"
ORIGIN = "https://pkg.example.com/zoneweaver/"


@pytest.fixture
def host():
    sim = Simulator(generation="0.3.9").start()
    yield sim
    sim.stop()


def run(sim, tool, *argv):
    answer = requests.post(sim.url + "/_sim/exec", json={"tool": tool, "argv": list(argv)}, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["rc"], body["stdout"], body["stderr"]


def ok(sim, tool, *argv, rc=0):
    code, out, err = run(sim, tool, *argv)
    assert code == rc, (tool, argv, code, out, err)
    return out


def installed(sim):
    return pkg_parser.parse_list_verbose(ok(sim, "pkg", "list", "-Hv"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_agent(sim):
    ok(sim, "pkg", "set-publisher", "-g", ORIGIN, "zoneweaver")
    ok(sim, "pkg", "install", AGENT + "@0.3.9")


def configure(sim, port, tls=False, storage=300):
    path = natdhcp.host_path(sim, "/etc/zoneweaver-agent/config.yaml")
    with open(path, "w") as handle:
        handle.write("server:\n  http_port: %d\n  https_port: %d\nssl:\n  enabled: %s\n"
                     "template_sources:\n  enabled: true\n  sources:\n    - name: bv\n      url: https://bv.example.com\n"
                     "host_monitoring:\n  intervals:\n    storage: %d\n"
                     % (port, port + 1 if not tls else port, "true" if tls else "false", storage))


# --------------------------------------------------------------------------- publishers

def test_publishers_in_tsv_and_set_unset(host):
    pubs = pkg_parser.parse_publishers(ok(host, "pkg", "publisher", "-H", "-F", "tsv"))
    assert list(pubs) == ["omnios", "extra.omnios"]
    assert pubs["omnios"]["origins"] == ["https://pkg.omnios.org/r151054/core/"] and pubs["omnios"]["enabled"]

    assert "origin (-g or -O) is required" in run(host, "pkg", "set-publisher", "zoneweaver")[2]
    ok(host, "pkg", "set-publisher", "-g", ORIGIN, "zoneweaver")
    ok(host, "pkg", "set-publisher", "-g", ORIGIN, "zoneweaver")        # the same origin again: no change
    pubs = pkg_parser.parse_publishers(ok(host, "pkg", "publisher", "-H", "-F", "tsv"))
    assert pubs["zoneweaver"]["origins"] == [ORIGIN]
    ok(host, "pkg", "set-publisher", "--disable", "zoneweaver")
    assert pkg_parser.parse_publishers(ok(host, "pkg", "publisher", "-H", "-F", "tsv", "zoneweaver"))["zoneweaver"][
        "enabled"] is False
    ok(host, "pkg", "unset-publisher", "zoneweaver")
    code, _out, err = run(host, "pkg", "unset-publisher", "zoneweaver")
    assert code == 1 and "Unknown publisher 'zoneweaver'" in err
    assert run(host, "pkg", "set-publisher", "-g", "ftp://x", "bad")[0] == 1


# --------------------------------------------------------------------------- packages

def test_install_update_uninstall_with_versions_and_exit_4(host):
    code, _out, err = run(host, "pkg", "install", "zoneweaver-agent")
    assert code == 1 and "did not match any allowable packages" in err       # no publisher offers it yet
    ok(host, "pkg", "set-publisher", "-g", ORIGIN, "zoneweaver")

    host.clear_commands()
    ok(host, "pkg", "install", "-n", AGENT + "@0.3.9")                      # a dry run changes nothing
    assert AGENT not in installed(host) and host.command_mutations() == []

    ok(host, "pkg", "install", AGENT + "@0.3.9", "zadm")
    now = installed(host)
    assert now[AGENT]["version"] == "0.3.9-151054.0" and now[AGENT]["publisher"] == "zoneweaver"
    assert "ooce/runtime/node-22" in now                                    # its dependency came along
    assert ok(host, "pkg", "install", "zoneweaver-agent@0.3.9", rc=4).strip() == "No updates necessary for this image."
    assert ok(host, "pkg", "install", "zadm", rc=4)

    assert ok(host, "pkg", "update", "-n", "zoneweaver-agent")               # a newer one exists
    assert installed(host)[AGENT]["version"] == "0.3.9-151054.0"
    ok(host, "pkg", "update", "zoneweaver-agent")
    assert installed(host)[AGENT]["version"] == "0.3.10-151054.0"
    assert ok(host, "pkg", "update", "zoneweaver-agent", rc=4).strip() == "No updates available for this image."
    ok(host, "pkg", "update", AGENT + "@0.3.8")                              # an explicit older version
    assert installed(host)[AGENT]["version"] == "0.3.8-151054.0"

    listing = ok(host, "pkg", "list", "-H", "zoneweaver-agent")
    assert listing.split()[:3] == [AGENT, "(zoneweaver)", "0.3.8-151054.0"]
    code, _out, err = run(host, "pkg", "list", "-H", "rsync")
    assert code == 1 and "No packages matching the following patterns are installed" in err
    assert "network/rsync" in ok(host, "pkg", "list", "-Ha", "rsync")

    code, _out, err = run(host, "pkg", "uninstall", "ooce/runtime/node-22")
    assert code == 1 and AGENT in err                                         # still needed by the agent
    ok(host, "pkg", "uninstall", "zoneweaver-agent")
    assert AGENT not in installed(host)
    assert run(host, "pkg", "uninstall", "zoneweaver-agent")[0] == 1
    assert run(host, "pkg", "frobnicate")[0] == 2
    assert run(host, "pkg", "install", "--bogus", "x")[0] == 2


def test_dry_runs_and_reads_are_not_mutations(host):
    ok(host, "pkg", "set-publisher", "-g", ORIGIN, "zoneweaver")
    host.clear_commands()
    ok(host, "pkg", "list", "-Hv")
    ok(host, "pkg", "publisher", "-H", "-F", "tsv")
    ok(host, "pkg", "install", "-nv", "zoneweaver-agent")
    ok(host, "pkg", "update", "-n")
    assert host.command_mutations() == []
    ok(host, "pkg", "install", "zadm")
    assert [m["argv"] for m in host.command_mutations()] == [["install", "zadm"]]


# --------------------------------------------------------------------------- the agent's service

def test_agent_service_exists_only_with_its_package(host):
    assert run(host, "svcs", "zoneweaver-agent")[0] == 1
    with_agent(host)
    assert svcs_parser.parse_state(ok(host, "svcs", "-H", "-o", "state", "zoneweaver-agent"))[0] == "disabled"
    config = natdhcp.host_path(host, "/etc/zoneweaver-agent/config.yaml")
    assert os.path.isfile(config)                                             # the package's default
    ok(host, "pkg", "uninstall", "zoneweaver-agent")
    assert run(host, "svcs", "zoneweaver-agent")[0] == 1
    assert os.path.isfile(config)                                             # preserved


def test_enable_refresh_disable_drive_the_agent_port(host):
    with_agent(host)
    port = free_port()
    configure(host, port)
    ok(host, "svcadm", "enable", "zoneweaver-agent")
    assert svcs_parser.parse_state(ok(host, "svcs", "-H", "-o", "state", FMRI))[0] == "online"
    status = requests.get("http://127.0.0.1:%d/status" % port, timeout=10).json()
    assert status["bootstrapAvailable"] is True and "templates" in status["features"]

    # a fresh setup token beside the config, root only, that bootstraps the agent on that port
    token_path = natdhcp.host_path(host, "/etc/zoneweaver-agent/setup.token")
    assert stat.S_IMODE(os.stat(token_path).st_mode) == 0o600
    token = open(token_path).read().strip()
    answer = requests.post("http://127.0.0.1:%d/api-keys/bootstrap" % port, json={"setupToken": token}, timeout=10)
    assert answer.status_code == 200, answer.text
    key = answer.json()["api_key"]

    # refresh re-reads config.yaml: a new port and a new interval, same keys; no new token once keys exist
    new_port = free_port()
    configure(host, new_port, storage=120)
    ok(host, "svcadm", "refresh", "zoneweaver-agent")
    settings = requests.get("http://127.0.0.1:%d/settings" % new_port, headers={"Authorization": "Bearer " + key},
                            timeout=10).json()
    assert settings["host_monitoring"]["intervals"]["storage"] == 120
    assert open(token_path).read().strip() == token
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:%d/status" % port, timeout=5)

    ok(host, "svcadm", "disable", "zoneweaver-agent")
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:%d/status" % new_port, timeout=5)


def test_tls_and_a_broken_config_put_the_service_where_svcs_shows_it(host):
    with_agent(host)
    port = free_port()
    configure(host, port, tls=True)
    ok(host, "svcadm", "enable", "zoneweaver-agent")
    assert requests.get("https://127.0.0.1:%d/status" % port, verify=False, timeout=10).json()["role"] == "agent"
    ok(host, "svcadm", "disable", "zoneweaver-agent")

    with open(natdhcp.host_path(host, "/etc/zoneweaver-agent/config.yaml"), "w") as handle:
        handle.write("server:\n  http_port: 70000\nssl:\n  enabled: false\n")
    ok(host, "svcadm", "enable", "zoneweaver-agent")
    assert svcs_parser.parse_state(ok(host, "svcs", "-H", "-o", "state", FMRI))[0] == "maintenance"
    assert "must be a TCP port" in ok(host, "svcs", "-x", FMRI)


def test_agent_restarts_with_the_simulator(tmp_path):
    port = free_port()
    sim = Simulator(generation="0.3.9", state_dir=str(tmp_path)).start()
    try:
        with_agent(sim)
        configure(sim, port)
        ok(sim, "svcadm", "enable", "zoneweaver-agent")
    finally:
        sim.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:%d/status" % port, timeout=5)
    again = Simulator(generation="0.3.9", state_dir=str(tmp_path)).start()
    try:
        assert requests.get("http://127.0.0.1:%d/status" % port, timeout=10).status_code == 200
    finally:
        again.stop()
