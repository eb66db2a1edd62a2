"""The simulator's command face for NAT and DHCP: ipnat, svcs, svcadm, svccfg and the
host's config files.

Formats are checked by the collection's own parsers (what the native backend
reads), semantics against illumos-native.md 1.9-1.11, and the shared state
against the agent face (one host: the agent's tasks and the commands see the
same files, services and loaded rules).
"""
from __future__ import annotations

import os
import subprocess

import pytest
import requests

from sim_helpers import Api, Simulator, bootstrap
from zoneweaver_sim import natdhcp

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.nat_dhcp import listen_values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.notfound import is_not_found
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import ipnat as ipnat_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import svcs as svcs_parser

IPF = "svc:/network/ipfilter:default"
DHCP = "svc:/network/service/dhcp:ipv4"
LISTEN = "config/listen_ifnames"
RULE = "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"
SUBNET = ("subnet 10.190.190.0 netmask 255.255.255.0 {\n  option routers 10.190.190.1;\n"
          "  range 10.190.190.10 10.190.190.254;\n}\n")
EMPTY_LIST = "List of active MAP/Redirect filters:\n\nList of active sessions:\n"


@pytest.fixture
def host():
    sim = Simulator(generation="0.3.9").start()
    sim.poll_interval = 0.01
    sim.knobs.task_duration = 0.01
    yield sim
    sim.stop()


@pytest.fixture
def api(host):
    a = Api(host)
    a.key = bootstrap(a)
    return a


def run(sim, tool, *argv, stdin="", files=None):
    answer = requests.post(sim.url + "/_sim/exec", json={"tool": tool, "argv": list(argv), "stdin": stdin,
                                                         "files": files or {}}, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["rc"], body["stdout"], body["stderr"]


def ok(sim, tool, *argv, **kw):
    rc, out, err = run(sim, tool, *argv, **kw)
    assert rc == 0, (tool, argv, rc, err)
    return out


def state(sim, fmri):
    return svcs_parser.parse_state(ok(sim, "svcs", "-Ho", "state", fmri))[0]


def write(sim, path, text):
    with open(natdhcp.host_path(sim, path), "w") as handle:
        handle.write(text)


def done(api, resp, status="completed"):
    assert resp.status_code == 202, resp.text
    task = api.wait(resp.json()["task_id"])
    assert task["status"] == status, task
    return task


# --------------------------------------------------------------------------- svcs
def test_svcs_formats_parse_and_patterns_match(host):
    rows = svcs_parser.parse_states(ok(host, "svcs", "-H", "-o", "state,fmri", IPF, DHCP))
    assert rows == [{"state": "disabled", "fmri": IPF, "transitioning": False},
                    {"state": "disabled", "fmri": DHCP, "transitioning": False}]
    for pattern in ("ipfilter", "network/ipfilter", "ipfilter:default", "svc:/network/ipfilter:default",
                    "/network/ipfilter", "svc:/network/ipfil*"):
        assert svcs_parser.parse_states(ok(host, "svcs", "-H", "-o", "state,fmri", pattern))[0]["fmri"] == IPF
    for pattern in ("dhcp", "dhcp:ipv4", "service/dhcp", "network/service/dhcp:ipv4"):
        assert svcs_parser.parse_states(ok(host, "svcs", "-H", "-o", "state,fmri", pattern))[0]["fmri"] == DHCP
    assert ok(host, "svcs", "-H", "-o", "state,fmri", IPF) == "disabled       %s\n" % IPF   # padded to 14
    rc, out, err = run(host, "svcs", "-H", "-o", "state,fmri", "svc:/ipfilter", "nosuch")
    assert rc == 1 and out == "" and is_not_found("svcs", rc, err)
    assert err == "svcs: Pattern 'svc:/ipfilter' doesn't match any instances\n" \
                  "svcs: Pattern 'nosuch' doesn't match any instances\n"
    assert ok(host, "svcs") == ""          # without -a, disabled instances are not listed
    lines = ok(host, "svcs", "-a").splitlines()
    assert lines[0].split() == ["STATE", "STIME", "FMRI"] and len(lines) == 3
    rc, _out, err = run(host, "svcs", "-o", "colour", IPF)
    assert rc == 2 and "Unrecognized column" in err
    assert not [c for c in host.command_mutations() if c["tool"] == "svcs"]


def test_svcs_agrees_with_the_agent_face(host, api):
    assert api.get("/network/nat/status").json()["state"] == state(host, IPF) == "disabled"
    ok(host, "svcadm", "enable", "ipfilter")
    status = api.get("/network/nat/status").json()
    assert status["state"] == state(host, IPF) == "online"
    stime = ok(host, "svcs", "-H", "-o", "stime", IPF).strip()
    assert stime == status["since"]
    done(api, api.put("/network/dhcp/status", json={"action": "start"}))   # no dhcpd.conf: maintenance
    assert api.get("/network/dhcp/status").json()["state"] == state(host, DHCP) == "maintenance"


# --------------------------------------------------------------------------- svcadm + ipnat: IP Filter
def test_ipfilter_loads_its_file_and_ipnat_lists_it(host, api):
    rc, out, err = run(host, "ipnat", "-l")
    assert rc == 1 and "I/O error" in err       # IP Filter not running: the ioctl fails
    write(host, "/etc/ipf/ipnat.conf", "# hand\n%s\nbimap igb0 10.0.0.5/32 -> 203.0.113.5/32  # one zone\n" % RULE)
    ok(host, "svcadm", "enable", IPF)
    text = ok(host, "ipnat", "-l")
    assert text == ("List of active MAP/Redirect filters:\n"
                    "map igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto\n"
                    "bimap igb0 10.0.0.5/32 -> 203.0.113.5/32\n\nList of active sessions:\n")
    assert ipnat_parser.parse_list(text)["rules"][1] == "bimap igb0 10.0.0.5/32 -> 203.0.113.5/32"
    assert api.get("/network/nat/rules").json()["active_rules"] == text.rstrip("\n")   # the agent sees the same
    # a refresh reloads the file; what is no longer there is gone from the kernel
    write(host, "/etc/ipf/ipnat.conf", RULE + "\n")
    ok(host, "svcadm", "refresh", "network/ipfilter")
    assert ipnat_parser.parse_list(ok(host, "ipnat", "-l"))["rules"] == [
        "map igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto"]
    ok(host, "svcadm", "disable", "ipfilter")
    assert run(host, "ipnat", "-l")[0] == 1 and api.get("/network/nat/rules").json()["active_rules"] is None


def test_no_ipnat_conf_is_no_rules(host):
    ok(host, "svcadm", "enable", "ipfilter")
    assert state(host, IPF) == "online" and ok(host, "ipnat", "-l") == EMPTY_LIST


def test_maintenance_needs_clear(host):
    write(host, "/etc/ipf/ipnat.conf", "map igb0 10.190.190.0/24 0/32\n")      # no '->'
    rc, _out, err = run(host, "svcadm", "enable", "-s", "ipfilter")
    assert rc == 1 and "maintenance" in err
    assert state(host, IPF) == "maintenance"
    explained = ok(host, "svcs", "-x", "ipfilter")
    assert "State: maintenance" in explained and "expected '->' on line 1" in explained
    ok(host, "svcadm", "enable", "ipfilter")
    assert state(host, IPF) == "maintenance"             # enable leaves it there
    ok(host, "svcadm", "restart", "ipfilter")
    assert state(host, IPF) == "maintenance"             # so does restart
    write(host, "/etc/ipf/ipnat.conf", RULE + "\n")
    ok(host, "svcadm", "clear", "ipfilter")
    assert state(host, IPF) == "online"
    rc, _out, err = run(host, "svcadm", "clear", "ipfilter")
    assert rc == 1 and err == 'svcadm: Instance "%s" is not in a maintenance or degraded state.\n' % IPF
    ok(host, "svcadm", "mark", "maintenance", "ipfilter")
    assert state(host, IPF) == "maintenance"
    ok(host, "svcadm", "disable", "ipfilter")
    assert state(host, IPF) == "disabled"                # disable works from maintenance
    ok(host, "svcadm", "restart", "ipfilter")
    assert state(host, IPF) == "disabled"                # restart does not start a disabled instance


def test_svcadm_usage_and_unknown_patterns(host):
    rc, _out, err = run(host, "svcadm", "enable", "nosuch")
    assert rc == 1 and is_not_found("svcadm", rc, err)
    assert run(host, "svcadm", "frobnicate", "ipfilter")[0] == 2
    assert run(host, "svcadm", "enable", "-x", "ipfilter")[0] == 2
    assert ok(host, "svcadm", "-v", "enable", "-t", "ipfilter") == "%s enabled.\n" % IPF
    assert all(c["mutating"] for c in host.commands() if c["tool"] == "svcadm")


def test_ipnat_check_load_flush(host):
    rc, out, err = run(host, "ipnat", "-n", "-f", "/cfg/ipnat.conf",
                       files={"/cfg/ipnat.conf": "map igb0 10.0.0.0/24 -> 0/32 portmap tcp auto\n"})
    assert (rc, out, err) == (0, "", "")
    for bad in ("map igb0 10.0.0.0/24 -> bogus\n", "nat igb0 10.0.0.0/24 -> 0/32\n",
                "map igb0 10.0.0.0/24 -> 0/32 portmap sctp auto\n", "rdr igb0 0/0 port x -> 10.0.0.5\n",
                "map igb0 10.0.0.300/24 -> 0/32\n"):
        rc, _out, err = run(host, "ipnat", "-n", "-f", "/cfg/x", files={"/cfg/x": "# ok\n" + bad})
        assert rc == 1 and "line 2" in err, (bad, err)
    ok(host, "ipnat", "-n", "-f", "-", stdin="rdr igb0 0.0.0.0/0 port 8080 -> 10.0.0.5 port 80 tcp\n")
    assert run(host, "ipnat", "-CF", "-f", "-", stdin=RULE + "\n")[0] == 1     # IP Filter is not running
    ok(host, "svcadm", "enable", "ipfilter")
    out = ok(host, "ipnat", "-CF", "-f", "-", stdin=RULE + "\nbimap igb0 10.0.0.5 -> 203.0.113.5\n")
    assert out == "0 entries flushed from NAT list\n0 entries flushed from NAT table\n"
    assert len(ipnat_parser.parse_list(ok(host, "ipnat", "-l"))["rules"]) == 2
    ok(host, "ipnat", "-r", "-f", "-", stdin="bimap igb0 10.0.0.5 -> 203.0.113.5\n")
    assert ipnat_parser.parse_list(ok(host, "ipnat", "-l"))["rules"] == [
        "map igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto"]
    rc, _out, err = run(host, "ipnat", "-n", "-f", "/nonexistent/ipnat.conf")
    assert rc == 1 and "No such file" in err
    mutating = {tuple(c["argv"]): c["mutating"] for c in host.commands() if c["tool"] == "ipnat"}
    assert mutating[("-l",)] is False and mutating[("-n", "-f", "-")] is False
    assert mutating[("-CF", "-f", "-")] is True and mutating[("-r", "-f", "-")] is True


def test_the_config_file_property_points_ipfilter_elsewhere(host, tmp_path):
    other = tmp_path / "nat.conf"
    other.write_text(RULE + "\n")
    out = ok(host, "svccfg", "-s", "ipfilter", "listprop", "config/ipnat_config_file")
    assert listen_values(out.replace("ipnat_config_file", "listen_ifnames")) == [
        natdhcp.host_path(host, "/etc/ipf/ipnat.conf")]
    ok(host, "svccfg", "-s", "ipfilter", "setprop", "config/ipnat_config_file", "=", "astring:", str(other))
    ok(host, "svcadm", "enable", "ipfilter")
    assert len(ipnat_parser.parse_list(ok(host, "ipnat", "-l"))["rules"]) == 1


# --------------------------------------------------------------------------- DHCP
def test_dhcpd_checks_its_file_when_it_starts(host):
    ok(host, "svcadm", "enable", DHCP)
    assert state(host, DHCP) == "maintenance"
    assert "Can't open %s" % natdhcp.host_path(host, "/etc/dhcpd.conf") in ok(host, "svcs", "-x", "dhcp")
    write(host, "/etc/dhcpd.conf", "authoritative;\n")
    ok(host, "svcadm", "clear", "dhcp")
    assert state(host, DHCP) == "maintenance"
    assert "No subnet declaration" in ok(host, "svcs", "-x", "dhcp")
    write(host, "/etc/dhcpd.conf", "authoritative;\n" + SUBNET +
          'host vm1 { option host-name "vm1"; hardware ethernet 02:08:20:ab:cd:ef; fixed-address 10.190.190.5; }\n')
    ok(host, "svcadm", "clear", "dhcp")
    assert state(host, DHCP) == "online"
    write(host, "/etc/dhcpd.conf", SUBNET + "host vm1 { hardware ethernet zz:08:20:ab:cd:ef; }\n")
    ok(host, "svcadm", "refresh", "dhcp")
    assert state(host, DHCP) == "online"               # dhcpd has no reload: refresh reads nothing
    ok(host, "svcadm", "restart", "dhcp")
    assert state(host, DHCP) == "maintenance"
    assert "expecting hardware address" in ok(host, "svcs", "-x", "dhcp")


def test_listen_ifnames_is_one_property_for_both_faces(host, api):
    out = ok(host, "svccfg", "-s", DHCP, "listprop", "config/listen_ifnames")
    assert out == "config/listen_ifnames  astring\n" and listen_values(out) == []
    ok(host, "svccfg", "-s", "dhcp:ipv4", "setprop", "config/listen_ifnames", "=", "astring:", "vnic0")
    out = ok(host, "svccfg", "-s", DHCP, "listprop", "config/listen_ifnames")
    assert out == 'config/listen_ifnames  astring  "vnic0"\n' and listen_values(out) == ["vnic0"]
    assert api.get("/network/dhcp/status").json()["listen_interface"] == "vnic0"
    cfg = {"subnet": "10.190.190.0", "netmask": "255.255.255.0", "router": "10.190.190.1",
           "range_start": "10.190.190.10", "range_end": "10.190.190.254", "listen_interface": "provisioning0"}
    done(api, api.put("/network/dhcp/config", json=cfg))
    assert listen_values(ok(host, "svccfg", "-s", DHCP, "listprop", LISTEN)) == ["provisioning0"]
    ok(host, "svccfg", "-s", DHCP, "setprop", LISTEN, "=", '("a" "b")')
    assert listen_values(ok(host, "svccfg", "-s", DHCP, "listprop", LISTEN)) == ["a", "b"]
    whole = ok(host, "svccfg", "-s", DHCP, "listprop")
    assert whole.splitlines()[0].split() == ["config", "application"] and "config/config_file" in whole
    ok(host, "svccfg", "-s", DHCP, "delprop", LISTEN)
    assert api.get("/network/dhcp/status").json()["listen_interface"] is None


def test_svccfg_errors_and_mutations(host):
    rc, _out, err = run(host, "svccfg", "-s", "nosuch", "listprop")
    assert rc == 1 and is_not_found("svccfg", rc, err)
    assert run(host, "svccfg", "-s", DHCP, "setprop", "config/new_prop", "=", "x")[0] == 1    # type needed
    ok(host, "svccfg", "-s", DHCP, "setprop", "config/new_prop", "=", "count:", "3")
    assert ok(host, "svccfg", "-s", DHCP, "listprop", "config/new_prop") == "config/new_prop  count  3\n"
    assert run(host, "svccfg", "-s", DHCP, "setprop", "general/x", "=", "astring:", "y")[0] == 1
    rc, _out, err = run(host, "svccfg", "-s", DHCP, "setprop", "config/typo", "=", "strng:", "y")
    assert rc == 1 and 'Unknown type "strng"' in err    # only the SMF types exist
    assert run(host, "svccfg", "-s", DHCP, "delprop", "config/nope")[0] == 1
    assert run(host, "svccfg", "-s", DHCP)[0] == 2
    mutating = {c["argv"][2]: c["mutating"] for c in host.commands() if c["tool"] == "svccfg" and len(c["argv"]) > 2}
    assert mutating["listprop"] is False and mutating["setprop"] is True and mutating["delprop"] is True


# --------------------------------------------------------------------------- the agent face writes the files
def test_agent_tasks_write_the_files_the_services_load(host, api):
    done(api, api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "10.190.190.0/24"}))
    with open(natdhcp.host_path(host, "/etc/ipf/ipnat.conf")) as handle:
        assert RULE in handle.read()
    assert state(host, IPF) == "online"
    text = ok(host, "ipnat", "-l")
    assert text.rstrip("\n") == api.get("/network/nat/rules").json()["active_rules"]
    ok(host, "svcadm", "refresh", "ipfilter")            # reloading the agent's file changes nothing
    assert ok(host, "ipnat", "-l") == text
    cfg = {"subnet": "10.190.190.0", "netmask": "255.255.255.0", "router": "10.190.190.1",
           "range_start": "10.190.190.10", "range_end": "10.190.190.254"}
    done(api, api.put("/network/dhcp/config", json=cfg))
    with open(natdhcp.host_path(host, "/etc/dhcpd.conf")) as handle:
        assert "subnet 10.190.190.0 netmask 255.255.255.0 {" in handle.read()
    ok(host, "svcadm", "enable", DHCP)
    assert state(host, DHCP) == "online" and api.get("/network/dhcp/status").json()["state"] == "online"


def test_the_shims_send_the_file_to_check(host, tmp_path):
    host.write_shims(str(tmp_path / "bin"))
    env = dict(os.environ, PATH=str(tmp_path / "bin") + os.pathsep + os.environ.get("PATH", ""))
    good, bad = tmp_path / "good.conf", tmp_path / "bad.conf"
    good.write_text(RULE + "\n")
    bad.write_text("map igb0\n")
    proc = subprocess.run(["ipnat", "-n", "-f", str(good)], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(["ipnat", "-n", "-f", str(bad)], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 1 and "line 1" in proc.stderr
    proc = subprocess.run(["svcs", "-H", "-o", "state,fmri", "ipfilter"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout.split() == ["disabled", IPF]
