"""The simulator's packet filter face: `ipf` checks and loads ipf.conf rules, `ipfstat -io` lists
the loaded ones, and IP Filter's start and refresh (svcadm) load /etc/ipf/ipf.conf."""
from __future__ import annotations

import pytest
import requests

from sim_helpers import Simulator
from zoneweaver_sim import natdhcp

BLOCK = "block in quick from 10.190.190.20 to any"
PASS = "pass out quick proto tcp from any to 10.190.190.20 port = 22 keep state"


@pytest.fixture
def host():
    sim = Simulator(generation="0.3.9").start()
    yield sim
    sim.stop()


def run(sim, tool, *argv, stdin="", files=None):
    answer = requests.post(sim.url + "/_sim/exec", json={"tool": tool, "argv": list(argv), "stdin": stdin,
                                                         "files": files or {}}, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["rc"], body["stdout"], body["stderr"]


def write(sim, text):
    with open(natdhcp.host_path(sim, "/etc/ipf/ipf.conf"), "w") as handle:
        handle.write(text)


def test_ipf_n_checks_syntax_without_touching_the_kernel(host):
    good = "# hand\n%s\n%s  # ssh\npass in all\nblock return-rst in proto tcp from any to any flags S/SA\n" % (
        BLOCK, PASS)
    assert run(host, "ipf", "-n", "-f", "/cfg/ipf.conf", files={"/cfg/ipf.conf": good})[0] == 0
    for bad in ("blok in all", "block from any to any", "block in from 10.0.0.300 to any",
                "pass in from any to any port = 22", "block in quick from any to any keep"):
        rc, _out, err = run(host, "ipf", "-n", "-f", "/cfg/x", files={"/cfg/x": "# ok\n" + bad + "\n"})
        assert rc == 1 and "2: syntax error" in err, (bad, err)
    assert host.command_mutations() == []


def test_ipf_loads_and_flushes_and_ipfstat_lists(host):
    assert run(host, "ipf", "-Fa", "-f", "-", stdin=BLOCK + "\n")[0] == 1      # IP Filter is not running
    assert run(host, "svcadm", "enable", "ipfilter")[0] == 0
    rc, out, _err = run(host, "ipfstat", "-io")
    assert rc == 0 and out == "empty list for ipfilter(out)\nempty list for ipfilter(in)\n"
    assert run(host, "ipf", "-Fa", "-f", "-", stdin=BLOCK + "\n" + PASS + "\n")[0] == 0
    out = run(host, "ipfstat", "-io")[1]
    assert out.splitlines() == ["pass out quick proto tcp from any to 10.190.190.20/32 port = 22 keep state",
                                "block in quick from 10.190.190.20/32 to any"]
    assert run(host, "ipf", "-F", "o")[0] == 0
    assert run(host, "ipfstat", "-o")[1] == "empty list for ipfilter(out)\n"
    mutating = [c["argv"] for c in host.command_mutations() if c["tool"] == "ipf"]
    assert mutating == [["-Fa", "-f", "-"], ["-Fa", "-f", "-"], ["-F", "o"]]   # a refused change counts too
    assert [c["tool"] for c in host.command_mutations()].count("ipfstat") == 0


def test_ipfilter_start_and_refresh_load_ipf_conf(host):
    write(host, "# hand\n%s\n" % BLOCK)
    assert run(host, "svcadm", "enable", "ipfilter")[0] == 0
    assert run(host, "ipfstat", "-i")[1] == "block in quick from 10.190.190.20/32 to any\n"
    write(host, "blok in all\n")
    assert run(host, "svcadm", "refresh", "ipfilter")[0] == 0
    assert natdhcp.smf_instance(host, natdhcp.IPFILTER_FMRI)["state"] == "maintenance"
