"""The simulator's command face for networks: dladm, ipadm, routeadm.

Formats are checked with the collection's own parsers (what the native
backend reads), rules and texts against illumos-native.md 1.5-1.7 (texts
marked [mem] there are the simulator's best guess and are checked here only
where the collection depends on them: the not-found texts of notfound.py),
and the shared state against the agent face: a VNIC made with dladm is in
GET /network/vnics after the list lag, one made through the agent is in
`dladm show-vnic` at once.
"""
from __future__ import annotations

import time

import pytest
import requests

from sim_helpers import Api, Simulator, bootstrap

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.notfound import is_not_found
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import dladm as dladm_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import ipadm as ipadm_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import routeadm as routeadm_parser


@pytest.fixture
def host():
    sim = Simulator(generation="0.3.9").start()
    yield sim
    sim.stop()


def run(sim, tool, *argv):
    """One command through the shims' protocol: (rc, stdout, stderr)."""
    answer = requests.post(sim.url + "/_sim/exec", json={"tool": tool, "argv": list(argv)}, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["rc"], body["stdout"], body["stderr"]


def ok(sim, tool, *argv):
    rc, out, err = run(sim, tool, *argv)
    assert rc == 0, (tool, argv, rc, err)
    return out


def fails(sim, tool, *argv):
    """The stderr of a command that must fail with exit code 1."""
    rc, out, err = run(sim, tool, *argv)
    assert rc == 1 and out == "", (tool, argv, rc, out, err)
    return err.strip()


def vnic_rows(sim):
    return dladm_parser.by_link(dladm_parser.parse_show_vnic(
        ok(sim, "dladm", "show-vnic", "-p", "-o", ",".join(dladm_parser.VNIC_FIELDS))))


def build(sim):
    ok(sim, "dladm", "create-etherstub", "stub0")
    ok(sim, "dladm", "create-vnic", "-l", "stub0", "-m", "2:8:20:a:b:c", "-v", "20", "-p",
       "mtu=1400,protection=mac-nospoof,ip-nospoof", "web0")
    ok(sim, "dladm", "create-vnic", "-l", "igb0", "db0")


# --------------------------------------------------------------------------- dladm formats


def test_dladm_show_formats_parse(host):
    build(host)
    raw = ok(host, "dladm", "show-vnic", "-p", "-o", "link,over,speed,macaddress,macaddrtype,vid,zone", "web0")
    assert raw == "web0:stub0:0:2\\:8\\:20\\:a\\:b\\:c:fixed:20:--\n"      # escaped, unpadded, '--' unset
    assert ok(host, "dladm", "show-vnic", "-p", "-o", "macaddress", "web0") == "2:8:20:a:b:c\n"   # one field: as is
    rows = vnic_rows(host)
    assert rows["web0"] == {"link": "web0", "over": "stub0", "speed": 0, "macaddress": "02:08:20:0a:0b:0c",
                            "macaddrtype": "fixed", "vid": 20, "zone": None, "vlan_id": 20}
    assert rows["db0"]["over"] == "igb0" and rows["db0"]["speed"] == 1000 and rows["db0"]["macaddrtype"] == "random"
    assert set(dladm_parser.by_link(dladm_parser.parse_show_vnic(
        ok(host, "dladm", "show-vnic", "-p", "-o", ",".join(dladm_parser.VNIC_FIELDS), "-l", "stub0")))) == {"web0"}

    links = dladm_parser.by_link(dladm_parser.parse_show_link(
        ok(host, "dladm", "show-link", "-p", "-o", ",".join(dladm_parser.LINK_FIELDS))))
    assert links["igb0"] == {"link": "igb0", "class": "phys", "mtu": 1500, "state": "up", "bridge": None, "over": None}
    assert links["stub0"]["class"] == "etherstub" and links["stub0"]["mtu"] == 9000
    assert links["web0"] == {"link": "web0", "class": "vnic", "mtu": 1400, "state": "unknown", "bridge": None,
                             "over": "stub0"}
    assert dladm_parser.parse_show_etherstub(ok(host, "dladm", "show-etherstub")) == ["stub0"]   # human: LINK header
    assert ok(host, "dladm", "show-etherstub", "-p") == "stub0\n"                              # ZWA's form
    assert dladm_parser.parse_show_etherstub(ok(host, "dladm", "show-etherstub", "-p", "-o", "link")) == ["stub0"]

    ok(host, "dladm", "create-vlan", "-l", "igb0", "-v", "10")
    assert dladm_parser.parse_show_vlan(ok(host, "dladm", "show-vlan", "-p", "-o", "link,vid,over,flags")) == [
        {"link": "igb10000", "vid": 10, "over": "igb0", "flags": "-----"}]
    phys = dladm_parser.parse_show_phys(ok(host, "dladm", "show-phys", "-p", "-o", ",".join(dladm_parser.PHYS_FIELDS)))
    assert phys[0] == {"link": "igb0", "media": "Ethernet", "state": "up", "speed": 1000, "duplex": "full",
                       "device": "igb0"}
    macs = dladm_parser.parse_fields(ok(host, "dladm", "show-phys", "-m", "-p", "-o", "link,slot,address"),
                                     ["link", "slot", "address"])
    assert macs[0] == {"link": "igb0", "slot": "primary", "address": "0:25:90:5a:1c:e0"}

    human = ok(host, "dladm", "show-vnic").splitlines()
    assert human[0].split() == ["LINK", "OVER", "SPEED", "MACADDRESS", "MACADDRTYPE", "VID", "ZONE"]
    assert human[1].split()[0] == "db0"


def test_dladm_show_linkprop(host):
    build(host)
    rows = dladm_parser.parse_fields(
        ok(host, "dladm", "show-linkprop", "-c", "-o", "property,value", "-p", "mtu,protection,maxbw", "web0"),
        ["property", "value"])
    assert rows == [{"property": "mtu", "value": "1400"}, {"property": "protection", "value": "mac-nospoof,ip-nospoof"},
                    {"property": "maxbw", "value": None}]
    assert ok(host, "dladm", "show-linkprop", "-c", "-o", "value", "-p", "mtu", "web0") == "1400\n"
    assert "PROPERTY" in ok(host, "dladm", "show-linkprop", "-p", "mtu", "web0").splitlines()[0]
    assert "requires -o" in fails(host, "dladm", "show-linkprop", "-c", "web0")
    assert "colour" in fails(host, "dladm", "show-linkprop", "-c", "-o", "value", "-p", "colour", "web0")


def test_dladm_parsable_needs_fields_and_options_come_first(host):
    assert "requires -o" in fails(host, "dladm", "show-vnic", "-p")
    assert "invalid field" in fails(host, "dladm", "show-link", "-p", "-o", "link,colour")
    # options after the operand are not taken (illumos getopt does not permute [mem])
    assert "usage" in fails(host, "dladm", "show-link", "igb0", "-p")
    assert "unknown subcommand" in fails(host, "dladm", "show-everything")
    assert "not supported by zoneweaver-sim" in fails(host, "dladm", "create-aggr", "-l", "igb0", "aggr0")


def test_missing_objects_answer_with_the_texts_the_collection_knows(host):
    assert fails(host, "dladm", "show-vnic", "nope0") == "dladm: invalid vnic name 'nope0': object not found"   # [tool]
    for argv in (("show-link", "nope0"), ("show-etherstub", "nope0"), ("show-vlan", "nope0"), ("delete-vnic", "nope0"),
                 ("delete-etherstub", "nope0"), ("delete-vlan", "nope0")):
        err = fails(host, "dladm", *argv)
        assert is_not_found("dladm", 1, err), (argv, err)
    for argv in (("show-addr", "igb0/nope"), ("show-addr", "nope0"), ("delete-addr", "igb0/nope"),
                 ("enable-addr", "-t", "igb0/nope"), ("delete-if", "nope0")):
        err = fails(host, "ipadm", *argv)
        assert is_not_found("ipadm", 1, err), (argv, err)
    # a refusal is not an absence
    ok(host, "dladm", "create-etherstub", "stub0")
    ok(host, "dladm", "create-vnic", "-l", "stub0", "web0")
    assert not is_not_found("dladm", 1, fails(host, "dladm", "delete-etherstub", "stub0"))


# --------------------------------------------------------------------------- dladm rules


def test_dladm_create_rules(host):
    ok(host, "dladm", "create-etherstub", "stub0")
    assert fails(host, "dladm", "create-vnic", "-l", "stub0", "web") == "dladm: invalid link name 'web'"
    assert fails(host, "dladm", "create-vnic", "-l", "stub0", "0web") == "dladm: invalid link name '0web'"
    assert fails(host, "dladm", "create-vnic", "-l", "nope0", "web0") == "dladm: invalid link name 'nope0'"
    assert "too long" in fails(host, "dladm", "create-vnic", "-l", "stub0", "v" * 31 + "0")
    assert "invalid VLAN identifier" in fails(host, "dladm", "create-vnic", "-l", "igb0", "-v", "4095", "web0")
    assert "invalid MAC address" in fails(host, "dladm", "create-vnic", "-l", "igb0", "-m", "2:8:20", "web0")
    assert "usage" in fails(host, "dladm", "create-vnic", "-l", "igb0", "-r", "2:8:20", "web0")   # -r needs -m random
    assert "usage" in fails(host, "dladm", "create-vnic", "web0")                                 # -l is required
    ok(host, "dladm", "create-vnic", "-l", "stub0", "web0")
    assert "object already exists" in fails(host, "dladm", "create-vnic", "-l", "igb0", "web0")
    assert "object already exists" in fails(host, "dladm", "create-etherstub", "web0")
    assert "invalid argument" in fails(host, "dladm", "create-vnic", "-l", "web0", "web1")        # not over a VNIC
    ok(host, "dladm", "create-vnic", "-l", "igb0", "-m", "random", "-r", "2:8:21", "web1")
    assert vnic_rows(host)["web1"]["macaddress"].startswith("02:08:21:")
    ok(host, "dladm", "create-vnic", "-l", "igb0", "-m", "factory", "-n", "1", "web2")
    assert vnic_rows(host)["web2"]["macaddress"] == "00:25:90:5a:1c:e1"
    ok(host, "dladm", "create-vlan", "-l", "igb0", "-v", "5", "front5")
    assert "object already exists" in fails(host, "dladm", "create-vlan", "-l", "igb0", "-v", "5", "other5")
    assert "invalid argument" in fails(host, "dladm", "create-vlan", "-l", "stub0", "-v", "6", "tag6")


def test_dladm_delete_rules(host):
    build(host)
    assert fails(host, "dladm", "delete-etherstub", "stub0") == "dladm: etherstub deletion failed: link busy"
    ok(host, "ipadm", "create-if", "web0")
    assert "link busy" in fails(host, "dladm", "delete-vnic", "web0")
    ok(host, "ipadm", "delete-if", "web0")
    host.state.links["web0"]["zone"] = "0001--web01"        # lent to a running zone
    assert "link busy" in fails(host, "dladm", "delete-vnic", "web0")
    host.state.links["web0"]["zone"] = None
    assert "object not found" in fails(host, "dladm", "delete-vnic", "stub0")    # an etherstub is not a VNIC
    ok(host, "dladm", "delete-vnic", "web0")
    ok(host, "dladm", "delete-etherstub", "stub0")
    assert "stub0" not in host.state.links and "web0" not in host.state.links


def test_dladm_set_linkprop(host):
    build(host)
    ok(host, "dladm", "set-linkprop", "-p", "priority=low,allowed-ips=10.0.0.5,10.0.0.6", "web0")
    props = dict((r["property"], r["value"]) for r in dladm_parser.parse_fields(
        ok(host, "dladm", "show-linkprop", "-c", "-o", "property,value", "-p", "priority,allowed-ips", "web0"),
        ["property", "value"]))
    assert props == {"priority": "low", "allowed-ips": "10.0.0.5,10.0.0.6"}
    err = fails(host, "dladm", "set-linkprop", "-p", "priority=urgent,mtu=1300", "web0")
    assert err == "dladm: warning: cannot set link property 'priority' on 'web0': invalid value"
    assert host.state.links["web0"]["mtu"] == 1300        # what dladm could set, it set
    assert "usage" in fails(host, "dladm", "set-linkprop", "web0")


# --------------------------------------------------------------------------- ipadm


def test_ipadm_addresses(host):
    build(host)
    assert "does not exist" in fails(host, "ipadm", "create-addr", "-T", "static", "-a", "local=10.1.1.1/24", "web0/v4")
    ok(host, "ipadm", "create-if", "web0")
    assert "already exists" in fails(host, "ipadm", "create-if", "web0")
    assert "does not exist" in fails(host, "ipadm", "create-if", "stub0")         # an etherstub carries no IP
    ok(host, "ipadm", "create-addr", "-T", "static", "-a", "local=10.1.1.1/24", "web0/v4")
    ok(host, "ipadm", "create-addr", "-T", "static", "-a", "fd00:1::1/64", "web0/v6")
    ok(host, "ipadm", "create-addr", "-t", "-T", "static", "-a", "10.2.0.1", "web0/old")      # classful /8 [mem]
    assert "Duplicate address" in fails(host, "ipadm", "create-addr", "-T", "static", "-a", "10.1.1.1/24", "web0/v9")
    assert "Invalid argument" in fails(host, "ipadm", "create-addr", "-T", "static", "-a", "10.1.1.300/24", "web0/v9")
    assert "Invalid argument" in fails(host, "ipadm", "create-addr", "-T", "static", "-a", "10.1.1.9/24", "web0/v-9")
    assert "usage" in fails(host, "ipadm", "create-addr", "-T", "static", "web0/v9")         # static needs -a

    text = ok(host, "ipadm", "show-addr", "-p", "-o", "addrobj,type,state,addr")
    assert "web0/v6:static:ok:fd00\\:1\\:\\:1/64\n" in text        # IPv6 colons escaped with several fields
    rows = {r["addrobj"]: r for r in ipadm_parser.parse_show_addr(text)}
    assert rows["web0/v4"]["addr"] == "10.1.1.1/24" and rows["web0/v6"]["addr"] == "fd00:1::1/64"
    assert rows["web0/old"]["addr"] == "10.2.0.1/8" and rows["lo0/v6"]["addr"] == "::1/128"
    assert ok(host, "ipadm", "show-addr", "-p", "-o", "addr", "web0/v6") == "fd00:1::1/64\n"   # one field: as is
    assert [r["addrobj"] for r in ipadm_parser.parse_show_addr(
        ok(host, "ipadm", "show-addr", "-p", "-o", "addrobj,type,state,addr", "web0"))] == ["web0/v4", "web0/v6", "web0/old"]
    header = ok(host, "ipadm", "show-addr").splitlines()[0].split()
    assert header == ["ADDROBJ", "TYPE", "STATE", "CURRENT", "PERSISTENT", "ADDR"]

    assert "persistent operation not supported" in fails(host, "ipadm", "disable-addr", "web0/v4")
    ok(host, "ipadm", "disable-addr", "-t", "web0/v4")
    assert ipadm_parser.parse_show_addr(ok(host, "ipadm", "show-addr", "-p", "-o", "addrobj,type,state,addr",
                                           "web0/v4"))[0]["state"] == "disabled"
    ok(host, "ipadm", "enable-addr", "-t", "web0/v4")

    ok(host, "ipadm", "delete-addr", "web0/v4")
    ok(host, "ipadm", "delete-addr", "web0/old")
    ok(host, "ipadm", "delete-addr", "web0/v6")
    # unlike the agent's task, ipadm delete-addr leaves the IP interface
    assert ipadm_parser.parse_show_if(ok(host, "ipadm", "show-if", "-p", "-o", "ifname")) == ["igb0", "lo0", "web0"]
    assert ok(host, "ipadm", "show-addr", "-p", "-o", "addrobj", "web0") == ""
    ok(host, "ipadm", "create-addr", "-T", "dhcp", "web0/dhcp")
    ok(host, "ipadm", "delete-if", "web0")           # takes its addresses with it
    assert "web0/dhcp" not in host.state.addresses and "web0" not in host.state.ip_interfaces


def test_ipadm_forwarding_props(host):
    assert ipadm_parser.parse_prop_current(ok(host, "ipadm", "show-prop", "-c", "-o", "current", "-p", "forwarding",
                                              "ipv4")) == "off"
    ok(host, "ipadm", "set-prop", "-p", "forwarding=on", "ipv4")
    assert ipadm_parser.parse_prop_current(ok(host, "ipadm", "show-prop", "-c", "-o", "current", "-p", "forwarding",
                                              "ipv4")) == "on"
    assert host.state.forwarding["ipv4"] == {"current": "enabled", "persistent": "enabled"}
    rows = ipadm_parser.parse_show_ifprop(ok(host, "ipadm", "show-ifprop", "-c", "-o", "proto,property,current",
                                             "-p", "forwarding", "igb0"))
    assert rows == [{"proto": "ipv4", "property": "forwarding", "current": "off"},
                    {"proto": "ipv6", "property": "forwarding", "current": "off"}]
    ok(host, "ipadm", "set-ifprop", "-p", "forwarding=on", "-m", "ipv4", "igb0")
    rows = ipadm_parser.parse_show_ifprop(ok(host, "ipadm", "show-ifprop", "-c", "-o", "ifname,current,persistent",
                                             "-p", "forwarding", "-m", "ipv4"), ["ifname", "current", "persistent"])
    assert rows == [{"ifname": "igb0", "current": "on", "persistent": "on"},
                    {"ifname": "lo0", "current": "off", "persistent": None}]
    assert "protocol must be specified" in fails(host, "ipadm", "set-ifprop", "-p", "forwarding=on", "igb0")
    assert "Interface does not exist" in fails(host, "ipadm", "set-ifprop", "-p", "forwarding=on", "-m", "ipv4", "igb1")
    assert "Invalid argument" in fails(host, "ipadm", "set-ifprop", "-p", "forwarding=yes", "-m", "ipv4", "igb0")
    assert "Unknown property" in fails(host, "ipadm", "show-prop", "-c", "-o", "current", "-p", "ttl", "ipv4")
    assert "Invalid protocol" in fails(host, "ipadm", "show-prop", "-c", "-o", "current", "-p", "forwarding", "ip5")
    assert "requires -o" in fails(host, "ipadm", "show-prop", "-c", "-p", "forwarding", "ipv4")


# --------------------------------------------------------------------------- routeadm


def test_routeadm(host):
    parsed = routeadm_parser.parse(ok(host, "routeadm", "-p"))
    assert parsed["ipv4-forwarding"] == {"persistent": "default", "default": "disabled", "current": "disabled"}
    assert parsed["routing-svcs"]["persistent"] == "route:default ripng:default"
    # -e alone changes the persistent setting; the running system follows at -u
    ok(host, "routeadm", "-e", "ipv4-forwarding")
    assert routeadm_parser.forwarding(routeadm_parser.parse(ok(host, "routeadm", "-p", "ipv4-forwarding"))) == {
        "persistent": True, "current": False}
    ok(host, "routeadm", "-u")
    assert routeadm_parser.forwarding(routeadm_parser.parse(ok(host, "routeadm", "-p"))) == {
        "persistent": True, "current": True}
    ok(host, "routeadm", "-u", "-e", "ipv6-forwarding", "-d", "ipv4-forwarding")
    parsed = routeadm_parser.parse(ok(host, "routeadm", "-p", "ipv4-forwarding", "ipv6-forwarding"))
    assert list(parsed) == ["ipv4-forwarding", "ipv6-forwarding"]
    assert routeadm_parser.forwarding(parsed, "ipv6") == {"persistent": True, "current": True}
    assert routeadm_parser.forwarding(parsed, "ipv4") == {"persistent": False, "current": False}
    ok(host, "routeadm", "-u", "-r", "ipv6-forwarding")
    assert routeadm_parser.parse(ok(host, "routeadm", "-p", "ipv6-forwarding"))["ipv6-forwarding"] == {
        "persistent": "default", "default": "disabled", "current": "disabled"}
    assert "IPv4 forwarding" in ok(host, "routeadm")
    assert "unknown option" in fails(host, "routeadm", "-e", "ipv5-forwarding")
    assert "not supported" in fails(host, "routeadm", "-u", "-e", "ipv4-routing")
    assert "usage" in fails(host, "routeadm", "-p", "-u")


def test_reads_are_not_mutations(host):
    build(host)
    host.clear_commands()
    ok(host, "dladm", "show-vnic", "-p", "-o", "link")
    ok(host, "ipadm", "show-addr")
    ok(host, "routeadm", "-p")
    ok(host, "routeadm")
    ok(host, "ipadm", "create-if", "web0")
    ok(host, "routeadm", "-u", "-e", "ipv4-forwarding")
    ok(host, "dladm", "delete-vnic", "db0")
    assert [(c["tool"], c["argv"][0]) for c in host.command_mutations()] == [
        ("ipadm", "create-if"), ("routeadm", "-u"), ("dladm", "delete-vnic")]


# --------------------------------------------------------------------------- one host, two faces


def test_both_faces_agree(host):
    api = Api(host)
    api.key = bootstrap(api)
    host.knobs.list_lag = 0.3

    def listed(path, key):
        return [r["link"] for r in api.get(path).json()[key]]

    build(host)
    # the agent's lists come from its monitoring database: the dladm changes arrive after the lag
    assert "web0" not in listed("/network/vnics", "vnics")
    assert "web0" in listed("/network/vnics?live=true", "vnics")
    deadline = time.monotonic() + 5
    while "web0" not in listed("/network/vnics", "vnics"):
        assert time.monotonic() < deadline, "web0 never reached GET /network/vnics"
        time.sleep(0.05)
    row = [r for r in api.get("/network/vnics").json()["vnics"] if r["link"] == "web0"][0]
    assert (row["over"], row["vid"], row["macaddress"], row["mtu"]) == ("stub0", 20, "2:8:20:a:b:c", 1400)
    assert "stub0" in listed("/network/etherstubs", "etherstubs")

    # ipadm and routeadm act on what the agent reads live
    ok(host, "ipadm", "create-if", "web0")
    ok(host, "ipadm", "create-addr", "-T", "static", "-a", "local=10.3.3.1/24", "web0/v4")
    ok(host, "routeadm", "-u", "-e", "ipv4-forwarding")
    ok(host, "ipadm", "set-ifprop", "-p", "forwarding=on", "-m", "ipv4", "web0")
    addresses = {r["addrobj"]: r for r in api.get("/network/addresses?live=true").json()["addresses"]}
    assert addresses["web0/v4"]["addr"] == "10.3.3.1/24"
    forwarding = api.get("/network/forwarding").json()
    assert forwarding["forwarding"]["ipv4"] == {"current": "enabled", "persistent": "enabled"}
    assert {"interface": "web0", "current": "on", "persistent": "on"} in forwarding["interfaces"]

    # and the other way: what the agent makes, dladm shows at once
    answer = api.post("/network/vnics", json={"name": "app0", "link": "igb0", "vlan_id": 7})
    api.wait(answer.json()["task_id"])
    assert vnic_rows(host)["app0"]["vid"] == 7
    answer = api.delete("/network/addresses/web0/v4")
    api.wait(answer.json()["task_id"])
    # the agent's deletion task also removed the IP interface, so dladm can delete the VNIC
    assert ipadm_parser.parse_show_if(ok(host, "ipadm", "show-if", "-p", "-o", "ifname")) == ["igb0", "lo0"]
    ok(host, "dladm", "delete-vnic", "web0")
    deadline = time.monotonic() + 5
    while "web0" in listed("/network/vnics", "vnics"):
        assert time.monotonic() < deadline, "web0 never left GET /network/vnics"
        time.sleep(0.05)
